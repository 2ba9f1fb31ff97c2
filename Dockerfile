# dosecheck: the gRPC service on its built-in knowledge base.
FROM python:3.11-slim

WORKDIR /app
COPY pyproject.toml README.md ./
COPY protos protos
COPY interactions interactions
COPY service service
RUN pip install --no-cache-dir . && useradd --system --no-create-home dosecheck
USER dosecheck

# Listen on every interface of the container; one worker process per core of a 2-core host.
ENV DOSECHECK_HOST=0.0.0.0 \
    DOSECHECK_PORT=50051 \
    DOSECHECK_WORKERS=2 \
    DOSECHECK_LOG_FORMAT=json
EXPOSE 50051
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
    CMD ["dosecheck", "health", "--target", "127.0.0.1:50051"]
CMD ["dosecheck", "serve"]
