"""Who may call the gRPC port: bearer tokens with scopes per method, and the secure-by-default rule.

Calls carry `authorization: Bearer <jwt>` metadata, checked by the verifier the CDS Hooks service
uses (service/auth.py): a configured issuer, a key from its allowed JWKS URLs, an asymmetric
algorithm, `aud` = the `audience` setting, `exp` ahead. These are access tokens, sent with every
call until they expire, so `jti` is not required to be new. Each method needs its scope (`scope`
or `scp` claim); a method that has none listed is refused to every token (closed by default).
Health and reflection (when on) stay open: load balancers and probes carry no tokens.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Final, NoReturn, TypeAlias

import grpc
from grpc_health.v1 import health_pb2
from grpc_reflection.v1alpha import reflection

from dosecheck.v1 import dosecheck_pb2
from service.auth import AuthError, JwtVerifier, granted_scopes, is_loopback
from service.settings import Settings

log = logging.getLogger(__name__)

Context: TypeAlias = "grpc.aio.ServicerContext[Any, Any]"
Handler: TypeAlias = "grpc.RpcMethodHandler[Any, Any]"

_SERVICE = dosecheck_pb2.DESCRIPTOR.services_by_name["RegimenChecker"].full_name
METHOD_SCOPES: Final[Mapping[str, str]] = {
    f"/{_SERVICE}/CheckRegimen": "dosecheck.check",
    f"/{_SERVICE}/AuditRegimens": "dosecheck.audit",
    f"/{_SERVICE}/GetKnowledgeBase": "dosecheck.kb",
    f"/{_SERVICE}/ResolveMedications": "dosecheck.kb",
}
"""The scope a token must grant to call each method."""
OPEN_SERVICES: Final = frozenset({health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME})
"""Services called without a token (reflection is only there when the `reflection` setting is on)."""


class TokenGuard(grpc.aio.ServerInterceptor):
    """Refuses calls without an acceptable token (UNAUTHENTICATED) or its method's scope (PERMISSION_DENIED)."""

    def __init__(self, verifier: JwtVerifier, audience: str) -> None:
        """Builds the guard.

        Args:
            verifier: checks tokens against the trusted issuers.
            audience: the `aud` tokens must name.
        """
        self._verifier = verifier
        self._audiences = (audience,)

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Handler | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Handler | None:
        """The call's handler when its token allows the call, else one that refuses it.

        Args:
            continuation: looks the handler up.
            handler_call_details: the method called and the call's metadata.

        Returns:
            The handler, a refusing handler of the same shape, or None for an unknown method.
        """
        method = handler_call_details.method
        handler = await continuation(handler_call_details)
        if handler is None or method.split("/")[1] in OPEN_SERVICES:
            return handler
        authorizations = [value for key, value in handler_call_details.invocation_metadata or ()
                          if key == "authorization"]
        if len(authorizations) > 1:
            return _refusing(handler, grpc.StatusCode.UNAUTHENTICATED, "send one authorization header")
        try:
            claims = await self._verifier.verify(
                str(authorizations[0]) if authorizations else None, self._audiences)
        except AuthError as err:
            return _refusing(handler, grpc.StatusCode.UNAUTHENTICATED, str(err))
        required = METHOD_SCOPES.get(method)
        if required is None:
            return _refusing(handler, grpc.StatusCode.PERMISSION_DENIED, "no scope grants this method")
        if required not in granted_scopes(claims):
            return _refusing(handler, grpc.StatusCode.PERMISSION_DENIED, f"the token does not grant {required}")
        return handler


def _refusing(handler: Handler, code: grpc.StatusCode, message: str) -> Handler:
    """A handler of the same shape as `handler` that ends the call with `code` at once.

    It has no request deserializer, so the request is never parsed for a caller not allowed to send it.
    """

    async def refuse(_request: Any, context: Context) -> NoReturn:
        await context.abort(code, message)

    async def refuse_streaming(_request: Any, context: Context) -> Any:
        await context.abort(code, message)
        yield  # never reached: it makes this an async generator, the shape gRPC wants here

    if handler.unary_unary is not None:
        return grpc.unary_unary_rpc_method_handler(refuse)
    if handler.stream_unary is not None:
        return grpc.stream_unary_rpc_method_handler(refuse)
    if handler.unary_stream is not None:
        return grpc.unary_stream_rpc_method_handler(refuse_streaming)
    return grpc.stream_stream_rpc_method_handler(refuse_streaming)


def token_guards(settings: Settings) -> Sequence[TokenGuard]:
    """The interceptors that check tokens: one when issuers are configured, none otherwise."""
    if not settings.issuers:
        return ()
    verifier = JwtVerifier(settings.issuers, algorithms=settings.jwt_algorithms, leeway_s=settings.jwt_leeway_s,
                           single_use=False)
    return (TokenGuard(verifier, settings.audience),)


def exposure_refusal(settings: Settings) -> str | None:
    """Why the gRPC port must not be served as configured, or None; logs what is served unprotected.

    Off loopback, a port with neither TLS nor token issuers would serve anyone who can reach it, in
    plaintext: refused unless `insecure_allow_plaintext` says the network is private.
    """
    if is_loopback(settings.host):
        return None
    if settings.tls_cert is None and settings.issuers:
        log.warning("gRPC tokens travel in plaintext on %s: terminate TLS in front of it", settings.host)
    if settings.tls_cert is not None and not settings.issuers and settings.tls_client_ca is None:
        log.warning("gRPC calls on %s are encrypted but not authenticated: any caller is served", settings.host)
    if settings.tls_cert is not None or settings.issuers:
        return None
    if settings.insecure_allow_plaintext:
        log.warning("gRPC served in plaintext without authentication on %s (--insecure-allow-plaintext)",
                    settings.host)
        return None
    return (f"gRPC on {settings.host} would serve anyone, in plaintext: set a TLS certificate (--tls-cert, "
            "--tls-key) or token issuers (--issuers, --audience), or, on a private network behind a balancer "
            "only, --insecure-allow-plaintext")
