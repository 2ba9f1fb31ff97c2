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
DETAILS_BUDGET: Final = 4096
"""Bytes of the serialized google.rpc.BadRequest; violations past it are counted in one more. The
status travels twice in the trailers (grpc-message, percent-encoded, and grpc-status-details-bin,
base64: 4/3), and gRPC clients refuse trailers past a soft 8 KiB with a probability that grows to
1 at 16 KiB: a fuzzed request with 20 violations quoting non-ASCII names made 9.6 KB and failed
intermittently with RESOURCE_EXHAUSTED. 4096 * 4/3 plus MESSAGE_BUDGET stays under 7 KiB."""
MESSAGE_BUDGET: Final = 1280
"""Bytes of the status message as sent, percent-encoded (non-ASCII bytes take three)."""
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
    its bad fields (as many as fit the trailers' budgets, then a count of the rest), and so does a request
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
    bad_request = error_details_pb2.BadRequest()
    for violation in violations:
        shown = error_details_pb2.BadRequest.FieldViolation(
            field=violation.field, description=violation.description[:MAX_DESCRIPTION])
        if bad_request.ByteSize() + shown.ByteSize() + 3 > DETAILS_BUDGET - 64:  # 3: tag, length; 64: the count
            break
        bad_request.field_violations.append(shown)
    listed = [f"{v.field}: {v.description}" if v.field else v.description for v in bad_request.field_violations]
    unlisted = len(violations) - len(listed)
    if unlisted:
        bad_request.field_violations.add(description=f"{unlisted} more violations not listed")
    detail = any_pb2.Any()
    detail.Pack(bad_request)
    return status_pb2.Status(code=code_pb2.INVALID_ARGUMENT, message=_message(listed, len(violations)),
                             details=[detail])


def _message(listed: list[str], total: int) -> str:
    """As many violations as fit MESSAGE_BUDGET once percent-encoded, then how many more there are."""
    room = MESSAGE_BUDGET - 48  # 48: the closing count
    parts: list[str] = []
    for text in listed:
        size = _percent_encoded_size(text) + 2
        if size > room:
            if not parts:  # one long violation still says what is wrong, clipped
                parts.append(_clip(text, room))
            break
        parts.append(text)
        room -= size
    if total > len(parts):
        parts.append(f"and {total - len(parts)} more violations in the status details")
    return "; ".join(parts)


def _percent_encoded_size(text: str) -> int:
    """Bytes of `text` as gRPC sends a status message: printable ASCII but '%' as is, other bytes as %XX."""
    return sum(1 if 0x20 <= byte <= 0x7E and byte != 0x25 else 3 for byte in text.encode())


def _clip(text: str, budget: int) -> str:
    size = 0
    for index, char in enumerate(text):
        size += _percent_encoded_size(char)
        if size > budget:
            return text[:index]
    return text


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
