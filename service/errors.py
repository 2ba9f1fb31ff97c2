"""The one mapping from exceptions to gRPC statuses (google.rpc.Status with rich details)."""

from __future__ import annotations

import logging

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from interactions import InvalidRequestError

log = logging.getLogger(__name__)

INTERNAL_MESSAGE = "internal error; the server log has the details"


def rpc_status_for(exc: Exception) -> status_pb2.Status:
    """The google.rpc.Status to send for an exception raised while handling a request.

    A request the domain rejected becomes INVALID_ARGUMENT with a google.rpc.BadRequest naming
    every bad field. Anything else is a bug: INTERNAL, with the traceback logged here and only a
    generic message sent, since exception text may hold request data.

    Args:
        exc: the exception, raised by the engine or by the service around it.

    Returns:
        The status, ready for `rpc_status.to_status` or for a response's `error` field.
    """
    if isinstance(exc, InvalidRequestError):
        bad_request = error_details_pb2.BadRequest(
            field_violations=[
                error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.description)
                for v in exc.violations
            ]
        )
        detail = any_pb2.Any()
        detail.Pack(bad_request)
        return status_pb2.Status(code=code_pb2.INVALID_ARGUMENT, message=str(exc), details=[detail])
    log.error("unexpected error handling a request", exc_info=exc)
    return status_pb2.Status(code=code_pb2.INTERNAL, message=INTERNAL_MESSAGE)


def grpc_status_for(exc: Exception) -> grpc.Status:
    """`rpc_status_for` as a grpc.Status for `context.abort_with_status`.

    Args:
        exc: the exception.

    Returns:
        The status with the google.rpc.Status in its trailing metadata.
    """
    return rpc_status.to_status(rpc_status_for(exc))
