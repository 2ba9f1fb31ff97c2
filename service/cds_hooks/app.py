"""The FastAPI application of the CDS Hooks service: discovery, the two hooks, feedback, health.

Every error is a FHIR OperationOutcome with a 4xx status: 400 for a call that cannot be read, 401
for a token that is not accepted, 404 for an unknown service, 412 when required data cannot be had,
413 for a body over the limit, 415 for a body that is not sent as JSON. Each issue says what is wrong
in `diagnostics` and where in `expression` (FHIR R4 OperationOutcome.issue.expression). Cards are
serialised without nulls, as the spec requires.
"""

from __future__ import annotations

import datetime
import logging
import pathlib
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

import httpx
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute
from fhir.resources.R4B.operationoutcome import OperationOutcome, OperationOutcomeIssue
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException

from interactions import KnowledgeBase
from service import json_input
from service.auth import AuthError, JwtVerifier
from service.cds_hooks import hooks, prefetch, wire
from service.cds_hooks.store import Store
from service.cds_hooks.wire import Issue, IssueCode, json_kind

if TYPE_CHECKING:
    from service.metrics import Metrics

log = logging.getLogger(__name__)
access_log = logging.getLogger("service.cds_hooks.access")

MAX_BODY_BYTES = 5 * 1024 * 1024
JSON = "application/json"
FHIR_JSON = "application/fhir+json"
UNMATCHED: Final = "unmatched"
"""The route label of a request no route took (an unknown path, or refused before routing)."""
_METHODS: Final = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"})
"""The methods the access log names (RFC 9110 and PATCH); any other is logged as `other`."""
MAX_ISSUES = 20
_STARLETTE_CODES: dict[int, IssueCode] = {404: "not-found", 400: "structure"}


@dataclass
class AppState:
    """What the routes share in one worker process."""

    kb: KnowledgeBase
    """What new hook calls are checked against; a reload replaces it (`HttpService.use`)."""
    db_path: pathlib.Path
    public_url: str
    verifier: JwtVerifier | None
    """None: calls are not authenticated (development on loopback, or the insecure flag)."""
    fhir_timeout_s: float
    fhir_deadline_s: float
    """For all the FHIR fetches of one hook call."""
    metrics: Metrics | None = None
    """Counts results and cards; None = not counted."""
    time_zone: datetime.tzinfo | None = None
    """The EHR's time zone (`DOSECHECK_HTTP_TIME_ZONE`); None: unknown."""
    ready: bool = True
    _store: Store | None = field(default=None, repr=False)
    _client: httpx.AsyncClient | None = field(default=None, repr=False)

    @property
    def store(self) -> Store:
        """The database, opened on first use in this process (never across a fork)."""
        if self._store is None:
            self._store = Store(self.db_path)
        return self._store

    @property
    def client(self) -> httpx.AsyncClient:
        """The HTTP client for FHIR fetches, made in the running loop on first use."""
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.fhir_timeout_s, follow_redirects=False)
        return self._client

    async def close(self) -> None:
        """Closes the database and the HTTP client."""
        if self._client is not None:
            await self._client.aclose()
        if self._store is not None:
            self._store.close()


class ApiError(Exception):
    """An error answered as an OperationOutcome."""

    def __init__(self, status: int, *issues: Issue, headers: dict[str, str] | None = None) -> None:
        super().__init__("; ".join(issue.diagnostics for issue in issues))
        self.status = status
        self.issues = issues
        self.headers = headers


async def require_json(request: Request) -> None:
    """Refuses (415) a call whose Content-Type is not JSON.

    FastAPI reads a body sent with no Content-Type as JSON before this runs, so invalid JSON sent that
    way is answered 400 (not JSON), and valid JSON 415 (not sent as JSON).

    CDS Hooks calls are JSON documents (the spec's example sends `Content-type: application/json`);
    parameters (`; charset=utf-8`) and `application/<...>+json` (some clients send FHIR's) are accepted.
    """
    content_type = request.headers.get("content-type", "")
    media_type = content_type.partition(";")[0].strip().lower()
    if media_type == JSON or (media_type.startswith("application/") and media_type.endswith("+json")):
        return
    sent = f"it came as {content_type[:100]!r}" if content_type else "it came without one"
    raise ApiError(415, Issue("not-supported", f"the call's Content-Type must be {JSON}; {sent}",
                              ("http.Content-Type",)), headers={"Accept": JSON})


def create_app(state: AppState, cors_origins: tuple[str, ...] = ()) -> FastAPI:
    """The application over one knowledge base.

    Args:
        state: the knowledge base, database path, this service's URL and the token verifier.
        cors_origins: browser origins allowed to call; none by default (no CORS headers at all).

    Returns:
        The ASGI application.
    """
    app = FastAPI(title="dosecheck CDS Hooks", version="2.0",
                  description="CDS Hooks 2.0 order-select and order-sign services over the dosecheck engine.",
                  docs_url=None, redoc_url=None)
    app.state.cds = state
    if cors_origins:
        app.add_middleware(OutcomeCors, allow_origins=list(cors_origins), allow_methods=["GET", "POST"],
                           allow_headers=["Authorization", "Content-Type"], allow_credentials=False, max_age=600)
    _add_error_handlers(app)

    hook_calls = APIRouter(route_class=AuthenticatedRoute)

    def service_for(service_id: str) -> hooks.HookService:
        service = hooks.SERVICES.get(service_id)
        if service is None:
            raise ApiError(404, Issue("not-found", f"no CDS service {service_id[:100]!r}; see GET /cds-services"))
        return service

    @app.get("/cds-services", response_model=wire.Discovery, response_model_exclude_none=True)
    async def discovery() -> wire.Discovery:
        """The services: order-select and order-sign, with their prefetch templates."""
        return wire.Discovery(services=[
            wire.Service(hook=s.hook, title=s.title, description=s.description, id=s.id,
                         prefetch=dict(prefetch.TEMPLATES)) for s in hooks.SERVICES.values()])

    @hook_calls.post("/cds-services/{service_id}", responses={200: {"model": wire.CdsResponse}},
                     dependencies=[Depends(require_json)])
    async def call_service(service_id: str, call: wire.CdsRequest) -> Response:
        """Answers a hook call with cards (`{"cards": []}` when there is nothing to say)."""
        service = service_for(service_id)
        metrics = state.metrics
        try:
            # state.kb is read once: a call under way during a reload finishes on the one it started with.
            issued = await hooks.answer(state.kb, state.store, state.client, service, call,
                                        metrics.result if metrics is not None else None,
                                        fhir_deadline_s=state.fhir_deadline_s, time_zone=state.time_zone)
        except hooks.BadRequestError as error:
            raise ApiError(400, *error.issues) from None
        except prefetch.PreconditionFailedError as error:
            raise ApiError(412, Issue("processing", f"required data could not be had: {error}")) from None
        if metrics is not None:
            metrics.cards_returned(service.hook, (c.card.indicator for c in issued))
        body = wire.CdsResponse(cards=[c.card for c in issued])
        return Response(body.model_dump_json(exclude_none=True), media_type=JSON)

    @hook_calls.post("/cds-services/{service_id}/feedback", dependencies=[Depends(require_json)])
    async def feedback(service_id: str, body: wire.FeedbackRequest) -> Response:
        """Stores what the clinician did with cards (accepted, or overridden and why), idempotently.

        Feedback on a card another of these services issued is refused (400), none of the call stored: the spec
        sends a card's feedback to `{baseUrl}/cds-services/{service.id}/feedback` of the service that returned it,
        so it is a client's mistake, which counted here would count the card twice over the services.
        """
        service = service_for(service_id)
        foreign = state.store.issuers([item.card for item in body.feedback])
        wrong = [Issue("value", f"feedback[{i}].card {item.card[:100]!r} is a card of {foreign[item.card]}: send its "
                                f"feedback to /cds-services/{foreign[item.card]}/feedback", (f"feedback[{i}].card",))
                 for i, item in enumerate(body.feedback) if foreign.get(item.card, service.id) != service.id]
        if wrong:
            raise ApiError(400, *wrong)
        state.store.record_feedback(service.id, body.feedback)
        return Response("{}", media_type=JSON)

    app.include_router(hook_calls)

    @app.get("/healthz/live", response_model=wire.Health, response_model_exclude_none=True)
    async def live() -> wire.Health:
        """The process answers."""
        return wire.Health(status="live")

    @app.get("/healthz/ready", response_model=wire.Health, response_model_exclude_none=True,
             responses={503: {"model": wire.Health}})
    async def ready() -> Response:
        """The knowledge base is loaded and the server is not shutting down (else 503)."""
        kb = state.kb
        health = wire.Health(status="ready" if state.ready else "not ready", knowledgeBaseVersion=kb.version,
                             knowledgeBaseHash=kb.content_hash)
        return Response(health.model_dump_json(exclude_none=True), status_code=200 if state.ready else 503,
                        media_type=JSON)

    return app


async def authenticate(request: Request) -> None:
    """Verifies the call's bearer token (CDS Hooks' JWT), when the service has trusted issuers.

    Raises:
        ApiError: 401, the token is missing or not accepted.
    """
    state: AppState = request.app.state.cds
    if state.verifier is None:
        return
    base = state.public_url.rstrip("/")
    try:
        await state.verifier.verify(request.headers.get("authorization"), (f"{base}{request.url.path}", base))
    except AuthError as error:
        raise ApiError(401, Issue("security", str(error), ("http.Authorization",)),
                       headers={"WWW-Authenticate": "Bearer"}) from None


class CallerJsonRequest(Request):
    """A request whose JSON body is refused when an object in it repeats a key (see `json_input`).

    FastAPI reads a route's JSON body with `json()`; the syntax and its errors stay the standard library's.
    """

    async def json(self) -> Any:
        """The body's JSON value.

        Raises:
            json.JSONDecodeError: it is not JSON.
            json_input.RepeatedKeyError: an object in it repeats a key.
        """
        return json_input.loads_standard(await self.body())


class AuthenticatedRoute(APIRoute):
    """A route that authenticates the call before its body is read, and reads the body as `CallerJsonRequest`.

    A call without a valid token is 401 whatever its body, never a 400 or 415 that says what the body lacks
    (FastAPI parses the body before any dependency runs).
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """The route's handler, after `authenticate`."""
        handler = super().get_route_handler()

        async def authenticated(request: Request) -> Response:
            await authenticate(request)
            return await handler(CallerJsonRequest(request.scope, request.receive))

        return authenticated


class OutcomeCors(CORSMiddleware):
    """Starlette's CORS, with a refused preflight answered as an OperationOutcome (every error is one)."""

    def preflight_response(self, request_headers: Headers) -> Response:
        """Starlette's answer to a preflight; its refusal (400, "Disallowed CORS origin") as an OperationOutcome."""
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        said = bytes(response.body).decode(errors="replace")
        return outcome_response(response.status_code, [Issue("security", f"CORS preflight refused: {said}")],
                                {k: v for k, v in response.headers.items() if k.startswith("access-control-")})


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, error: ApiError) -> Response:
        return outcome_response(error.status, error.issues, error.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> Response:
        return outcome_response(400, [_unreadable(e, error.body) for e in error.errors()[:MAX_ISSUES]])

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        # Starlette's own: an unknown path (404), a wrong method (405), a body it could not decode (400).
        return outcome_response(error.status_code, [
            _undecodable(error.__cause__)
            or Issue(_STARLETTE_CODES.get(error.status_code, "processing"), str(error.detail))],
                                dict(error.headers or {}))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> Response:
        log.exception("unexpected error answering %s %s", request.method, request.url.path)
        return outcome_response(500, [Issue("exception", "internal error")])


def _unreadable(error: Mapping[str, Any], body: object) -> Issue:
    """A request validation error as an issue: what is wrong, at the JSON path of the body it is at."""
    kind, where = error.get("type"), tuple(error.get("loc", ()))[1:]  # the first is "body"
    if kind == "json_invalid":
        return Issue("structure", _json_error(str(error.get("ctx", {}).get("error", "")), where, body))
    if not where:
        return Issue("required" if kind == "missing" else "structure",
                     "the body is empty: send the call as a JSON object" if kind == "missing"
                     else f"the body must be a JSON object, not {json_kind(error.get('input'))}")
    path = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in where).lstrip(".")
    return Issue("required" if kind == "missing" else "value", f"{path}: {error.get('msg', '')}", (path,))


def _undecodable(cause: BaseException | None) -> Issue | None:
    """Why FastAPI could not read a body that is not a JSON syntax error (it says only "an error parsing")."""
    if isinstance(cause, json_input.JsonInputError):
        return Issue("structure", f"the body: {cause}", (cause.path,) if cause.path else ())
    if isinstance(cause, UnicodeDecodeError):
        return Issue("structure", f"the body is not valid UTF-8 (at byte {cause.start}), as JSON must be")
    if isinstance(cause, RecursionError):
        return Issue("structure", "the body nests arrays or objects too deeply to be read as JSON")
    return None


def _json_error(message: str, where: tuple[Any, ...], body: object) -> str:
    """Where the JSON broke, as a line and column (and the character, which is what `json` counts)."""
    at = where[0] if where and isinstance(where[0], int) else None
    if at is None or not isinstance(body, str):
        return f"the body is not valid JSON ({message})"
    line = body.count("\n", 0, at) + 1
    column = at - body.rfind("\n", 0, at)
    return f"the body is not valid JSON (at line {line}, column {column}, character {at}: {message})"


def outcome_response(status: int, issues: Sequence[Issue], headers: dict[str, str] | None = None) -> Response:
    """An OperationOutcome of errors (each with `diagnostics`, and `expression` when it has a place) as the response."""
    outcome = OperationOutcome(issue=[
        OperationOutcomeIssue(severity="error", code=issue.code, diagnostics=issue.diagnostics[:2000],
                              expression=list(issue.expression) or None)
        for issue in issues[:MAX_ISSUES]])
    return Response(outcome.model_dump_json(exclude_none=True), status_code=status, media_type=FHIR_JSON,
                    headers=headers)


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class Guard:
    """Outermost ASGI layer: refuses bodies over the limit (413), logs one line per call and counts it.

    The line holds the method, path, status and duration; paths name services, never patients or drugs,
    and a path that is not one of ours is told by its route's template or as `unmatched`.
    The metric's labels are the route's template, the hook of a known service, and the status.
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int = MAX_BODY_BYTES, metrics: Metrics | None = None) -> None:
        self._app = app
        self._max = max_body_bytes
        self._metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serves one connection event."""
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0
        length = dict(scope.get("headers") or ()).get(b"content-length", b"0")
        try:
            if not length.isdigit() or int(length) > self._max:
                response = outcome_response(413 if length.isdigit() else 400, [Issue(
                    "too-long", f"the body must be under {self._max} bytes with a Content-Length")])
                status = response.status_code
                await response(scope, receive, send)
                return
            received = 0

            async def bounded_receive() -> Message:
                nonlocal received
                message = await receive()
                received += len(message.get("body", b""))
                if received > self._max:
                    raise ApiError(413, Issue("too-long", "the body is over the limit"))
                return message

            async def observed_send(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                await send(message)

            await self._app(scope, bounded_receive, observed_send)
        finally:  # also after an unexpected error, which Starlette answers 500 and raises again
            self._record(scope, status, time.perf_counter() - started)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        # The router left the matched route and its path parameters in the scope.
        params = scope.get("path_params") or {}
        service = hooks.SERVICES.get(params.get("service_id", ""))
        route = getattr(scope.get("route"), "path", UNMATCHED)
        # The caller's path is logged only when it is one of ours, else its route's template (the metric's
        # label): percent-decoded, a path can hold line breaks and terminal escapes (a forged line in a text
        # log), and an unknown one up to 16 KiB of anything, a new value for log indexes at every call.
        path = scope["path"] if route != UNMATCHED and (service is not None or not params) else route
        method = scope["method"] if scope["method"] in _METHODS else "other"  # h11 takes any token as a method
        access_log.info("%s %s %d %.1fms", method, path, status, seconds * 1000,
                        extra={"http_method": method, "http_status": status})
        if self._metrics is not None:
            self._metrics.http_request(route, service.hook if service is not None else "", status, seconds)
