"""The one mapping from exceptions to gRPC statuses (google.rpc.Status with rich details)."""

from __future__ import annotations

import logging
from typing import Final

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from dosecheck.v1 import dosecheck_pb2 as pb
from interactions import FieldViolation, InvalidRequestError

log = logging.getLogger(__name__)

INTERNAL_MESSAGE = "internal error; the log has the details"
MAX_VIOLATIONS: Final = 20
"""Field violations sent in one status; the rest are counted in one more. gRPC clients refuse
trailers over 16 KiB (RESOURCE_EXHAUSTED instead of the status), and the status travels twice in
them (grpc-message and grpc-status-details-bin, base64): 200 bad medications made 17.9 KB."""
MAX_DESCRIPTION: Final = 200
"""Characters of one violation's description (they may quote what the caller sent)."""


class MalformedRequestError(Exception):
    """The request's bytes are not a protobuf message of the method's request type."""

    def __init__(self, message_type: str) -> None:
        """Names the type the bytes should have decoded to.

        Args:
            message_type: the full name of the request message type.
        """
        self.message_type = message_type
        super().__init__(f"the request is not a valid {message_type} message (protobuf wire format)")


def rpc_status_for(exc: Exception) -> status_pb2.Status:
    """The google.rpc.Status to send for an exception raised while handling a request.

    A request the domain rejected becomes INVALID_ARGUMENT with a google.rpc.BadRequest naming
    its bad fields (the first MAX_VIOLATIONS, then a count of the rest), and so does a request
    whose bytes do not decode. Anything else is a bug: INTERNAL, with the traceback logged here
    and only a generic message sent, since exception text may hold request data.

    Args:
        exc: the exception, raised by the engine or by the service around it.

    Returns:
        The status, ready for `rpc_status.to_status` or for a response's `error` field.
    """
    if isinstance(exc, InvalidRequestError):
        return _invalid_argument(exc.violations)
    if isinstance(exc, MalformedRequestError):
        return _invalid_argument((FieldViolation("", str(exc)),))
    log.error("unexpected error handling a request", exc_info=exc)
    return status_pb2.Status(code=code_pb2.INTERNAL, message=INTERNAL_MESSAGE)


def _invalid_argument(violations: tuple[FieldViolation, ...]) -> status_pb2.Status:
    shown = [FieldViolation(v.field, v.description[:MAX_DESCRIPTION]) for v in violations[:MAX_VIOLATIONS]]
    if len(violations) > MAX_VIOLATIONS:
        shown.append(FieldViolation("", f"{len(violations) - MAX_VIOLATIONS} more violations not listed"))
    bad_request = error_details_pb2.BadRequest(
        field_violations=[
            error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.description) for v in shown
        ]
    )
    detail = any_pb2.Any()
    detail.Pack(bad_request)
    message = "; ".join(f"{v.field}: {v.description}" if v.field else v.description for v in shown)
    return status_pb2.Status(code=code_pb2.INVALID_ARGUMENT, message=message, details=[detail])


def grpc_status_for(exc: Exception) -> grpc.Status:
    """`rpc_status_for` as a grpc.Status for `context.abort_with_status`.

    Args:
        exc: the exception.

    Returns:
        The status with the google.rpc.Status in its trailing metadata.
    """
    return rpc_status.to_status(rpc_status_for(exc))


def error_response(request_id: str, exc: Exception) -> pb.CheckRegimenResponse:
    """The answer to a row of an audit that could not be checked: `error` set, the request id echoed.

    Args:
        request_id: the row's request id, "" when none could be read.
        exc: why (see `rpc_status_for`).

    Returns:
        The response.
    """
    return pb.CheckRegimenResponse(request_id=request_id, error=rpc_status_for(exc))
