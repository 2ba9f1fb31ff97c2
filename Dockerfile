# dosecheck: the gRPC service on its built-in knowledge base.

# Build stage: the wheel compiles the engine's hot modules with mypyc (setup.py), which needs a C
# compiler; wheels of every dependency are collected so the runtime image installs offline.
FROM python:3.11-slim AS build
RUN apt-get update && apt-get install --yes --no-install-recommends gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml setup.py README.md ./
COPY protos protos
COPY interactions interactions
COPY service service
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links /wheels dosecheck \
    && rm -rf /wheels \
    && groupadd --gid 10001 dosecheck \
    && useradd --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin dosecheck \
    && install --directory --owner 10001 --group 10001 --mode 0700 /var/cache/dosecheck
# Numeric, so that Kubernetes can check runAsNonRoot (deploy/kubernetes/deployment.yaml runs as 10001).
USER 10001:10001

# Listen on every interface of the container; one worker process per core of a 2-core host.
# Off loopback, plaintext gRPC without tokens is refused (exit 2) unless the deployment says its
# network is private (DOSECHECK_INSECURE_ALLOW_PLAINTEXT=true, as docker-compose.yml and
# deploy/kubernetes do) or sets TLS (DOSECHECK_TLS_CERT/KEY) or token issuers: a bare
# `docker run -p` of this image does not serve plaintext to the world by accident.
# The cache holds the broad vocabulary's phrase table, built into the image by the validation below:
# the server and every command read it when they load the knowledge base (0.2 s) instead of building
# it (0.8 s), also under a read-only root file system. A knowledge base with other spellings builds
# its own in memory.
ENV DOSECHECK_HOST=0.0.0.0 \
    DOSECHECK_PORT=50051 \
    DOSECHECK_WORKERS=2 \
    DOSECHECK_LOG_FORMAT=json \
    DOSECHECK_CACHE_DIR=/var/cache/dosecheck
RUN dosecheck kb validate
EXPOSE 50051
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
    CMD ["dosecheck", "health", "--target", "127.0.0.1:50051"]
CMD ["dosecheck", "serve"]
