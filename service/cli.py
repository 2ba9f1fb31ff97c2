"""The `dosecheck` command: serve, check one request, inspect the knowledge base, probe health."""

from __future__ import annotations

import dataclasses
import enum
import json
import pathlib
import sys
from typing import Annotated, Any, Optional

import grpc
import typer
from google.protobuf import json_format
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status

from dosecheck.v1 import dosecheck_pb2 as pb
from dosecheck.v1 import dosecheck_pb2_grpc
from interactions import (
    CheckRequest,
    InvalidRequestError,
    KnowledgeBase,
    KnowledgeBaseError,
    View,
    describe_drug,
    load_knowledge_base,
)
from interactions import check as check_regimen
from service import convert, json_input, server
from service.answer_table import print_answer
from service.audit.cli import audit
from service.audit.report import not_checked_phrase
from service.cds_hooks.cli import feedback_app
from service.client_channel import (
    ClientSecurity,
    ClientSecurityError,
    TlsCaOption,
    TlsCertOption,
    TlsKeyOption,
    TlsServerNameOption,
    TokenFileOption,
    open_channel,
)
from service.contract import decode_request
from service.errors import rpc_status_for
from service.exit_codes import ExitCode
from service.formulary import resolve_command
from service.kb_diff import diff_command
from service.reload import reload_command
from service.settings import cache_dir, usable_settings

app = typer.Typer(
    name="dosecheck",
    help="Drug-interaction and dosing checks for targeted AML therapy. Not a substitute for a pharmacist.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
kb_app = typer.Typer(help="Inspect and validate knowledge bases.", no_args_is_help=True)
app.add_typer(kb_app, name="kb")
app.command()(audit)
app.add_typer(feedback_app, name="feedback")
kb_app.command("resolve")(resolve_command)
kb_app.command("diff")(diff_command)
kb_app.command("reload")(reload_command)


KbOption = Annotated[
    Optional[pathlib.Path],  # noqa: UP045 -- typer needs Optional[...] to see the type at runtime
    typer.Option("--kb", help="A knowledge-base directory (default: DOSECHECK_KB_PATH, else built-in)."),
]


def _load(kb_path: pathlib.Path | None) -> KnowledgeBase:
    try:
        return load_knowledge_base(kb_path, cache_dir())
    except KnowledgeBaseError as err:
        typer.echo(f"dosecheck: the knowledge base is invalid ({len(err.problems)} problems):", err=True)
        for problem in err.problems:
            typer.echo(f"  {problem.file}: {problem.location}: {problem.message}", err=True)
        raise typer.Exit(ExitCode.UNUSABLE) from None


@app.command()
def serve(
    host: Annotated[Optional[str], typer.Option(help="Address to bind [default: 127.0.0.1].")] = None,  # noqa: UP045
    port: Annotated[Optional[int], typer.Option(help="Port [default: 50051].")] = None,  # noqa: UP045
    workers: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option(help="Processes sharing the port [default: 1; 2 on a 2-core machine]."),
    ] = None,
    kb: KbOption = None,
    grace_period_s: Annotated[
        Optional[float],  # noqa: UP045
        typer.Option("--grace", help="Seconds in-flight calls may take after SIGTERM [default: 10]."),
    ] = None,
    drain_delay_s: Annotated[
        Optional[float],  # noqa: UP045
        typer.Option("--drain-delay", help="Seconds to keep accepting calls after SIGTERM [default: 1]."),
    ] = None,
    log_level: Annotated[Optional[str], typer.Option(help="DEBUG, INFO, WARNING or ERROR.")] = None,  # noqa: UP045
    log_format: Annotated[Optional[str], typer.Option(help="auto, json or text.")] = None,  # noqa: UP045
    metrics_port: Annotated[
        Optional[int], typer.Option(help="Prometheus /metrics HTTP port [default: 0 = off].")] = None,  # noqa: UP045
    pid_file: Annotated[
        Optional[pathlib.Path], typer.Option(help="Write the process id here, for `kb reload`.")] = None,  # noqa: UP045
    http_port: Annotated[
        Optional[int], typer.Option(help="CDS Hooks HTTP port [default: 0 = off].")] = None,  # noqa: UP045
    http_public_url: Annotated[
        Optional[str], typer.Option(help="Base URL EHRs call (tokens' aud) [default: from host and port].")  # noqa: UP045
    ] = None,
    http_issuers: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help='Trusted EHRs as JSON: [{"iss": "...", "jku": ["https://.../jwks.json"]}].'),
    ] = None,
    http_tls_cert: Annotated[Optional[pathlib.Path], typer.Option(help="TLS certificate (PEM).")] = None,  # noqa: UP045
    http_tls_key: Annotated[Optional[pathlib.Path], typer.Option(help="TLS private key (PEM).")] = None,  # noqa: UP045
    http_cors_origin: Annotated[
        Optional[list[str]], typer.Option(help="A browser origin allowed to call (repeat) [default: none].")  # noqa: UP045
    ] = None,
    http_db: Annotated[
        Optional[pathlib.Path], typer.Option(help="SQLite file of card feedback [default: state directory].")  # noqa: UP045
    ] = None,
    insecure_allow_unauthenticated: Annotated[
        Optional[bool],  # noqa: UP045
        typer.Option("--insecure-allow-unauthenticated", help="Serve CDS Hooks off loopback without tokens."),
    ] = None,
    tls_cert: Annotated[
        Optional[pathlib.Path], typer.Option(help="gRPC TLS certificate chain (PEM); reread on SIGHUP.")  # noqa: UP045
    ] = None,
    tls_key: Annotated[Optional[pathlib.Path], typer.Option(help="gRPC TLS private key (PEM).")] = None,  # noqa: UP045
    tls_client_ca: Annotated[
        Optional[pathlib.Path],  # noqa: UP045
        typer.Option(help="CA certificates (PEM) that client certificates must chain to: requires them (mTLS)."),
    ] = None,
    issuers: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help='Issuers of gRPC bearer tokens as JSON: [{"iss": "...", "jku": ["https://.../jwks.json"]}].'),
    ] = None,
    audience: Annotated[
        Optional[str], typer.Option(help="The aud gRPC tokens must name (required with --issuers).")  # noqa: UP045
    ] = None,
    reflection: Annotated[
        Optional[bool], typer.Option("--reflection/--no-reflection", help="gRPC server reflection [default: on].")  # noqa: UP045
    ] = None,
    insecure_allow_plaintext: Annotated[
        Optional[bool],  # noqa: UP045
        typer.Option("--insecure-allow-plaintext",
                     help="Serve gRPC off loopback without TLS or tokens (a private network only)."),
    ] = None,
) -> None:
    """Serve dosecheck.v1.RegimenChecker (with health and reflection), and CDS Hooks when --http-port is set.

    SIGHUP rereads the TLS certificate for new connections.
    """
    settings = usable_settings(
        http_port=http_port,
        http_public_url=http_public_url,
        http_issuers=_json_option(http_issuers, "--http-issuers"),
        http_tls_cert=http_tls_cert,
        http_tls_key=http_tls_key,
        http_cors_origins=tuple(http_cors_origin) if http_cors_origin else None,
        http_db_path=http_db,
        http_insecure_allow_unauthenticated=insecure_allow_unauthenticated,
        tls_cert=tls_cert,
        tls_key=tls_key,
        tls_client_ca=tls_client_ca,
        issuers=_json_option(issuers, "--issuers"),
        audience=audience,
        reflection=reflection,
        insecure_allow_plaintext=insecure_allow_plaintext,
        host=host,
        port=port,
        workers=workers,
        kb_path=kb,
        grace_period_s=grace_period_s,
        drain_delay_s=drain_delay_s,
        log_level=log_level,
        log_format=log_format,
        metrics_port=metrics_port,
        pid_file=pid_file,
    )
    raise typer.Exit(server.serve(settings))


def _json_option(text: str | None, flag: str) -> object:
    try:
        return json.loads(text) if text is not None else None
    except json.JSONDecodeError as err:
        raise typer.BadParameter(f"not JSON: {err}", param_hint=flag) from None


@app.command()
def check(
    file: Annotated[str, typer.Argument(help="A JSON CheckRegimenRequest, or - for standard input.")],
    target: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="HOST:PORT of a dosecheck server; default: check in this process."),
    ] = None,
    output_format: Annotated[
        str, typer.Option("--format", help="json, or table for people.")
    ] = "json",
    kb: KbOption = None,
    timeout_s: Annotated[float, typer.Option("--timeout", help="Seconds to wait for a server.")] = 10.0,
    tls_ca: TlsCaOption = None,
    tls_cert: TlsCertOption = None,
    tls_key: TlsKeyOption = None,
    token_file: TokenFileOption = None,
    tls_server_name: TlsServerNameOption = None,
) -> None:
    """Check one regimen and print the answer (exit 1 when the request is invalid or the check incomplete).

    An incomplete check (a medication unknown, not reviewed or conflicting) is printed whole, then exits 1.

    With --target, --tls-ca, --tls-cert/--tls-key and --token-file secure the call.
    """
    if output_format not in ("json", "table"):
        raise typer.BadParameter("use json or table", param_hint="--format")
    request = _read_request(file)
    if target is None:
        kb_path = kb if kb is not None else usable_settings().kb_path
        response = _check_in_process(_load(kb_path), request)
    else:
        security = ClientSecurity(tls_ca, tls_cert, tls_key, token_file, tls_server_name)
        response = _check_remote(target, convert.request_to_proto(request), timeout_s, security)
    if output_format == "table":
        print_answer(response)
    else:
        typer.echo(json_format.MessageToJson(response, always_print_fields_with_no_presence=True))
    if not response.complete:
        # A script gating on the exit status must not take a partial check for a clean one.
        not_checked = ", ".join(not_checked_phrase(u.name, pb.UnrecognizedReason.Name(u.reason), u.suggestions)
                                for u in response.unrecognized)
        typer.echo(f"dosecheck: the check is incomplete; not checked: {not_checked}", err=True)
        raise typer.Exit(ExitCode.NOT_ALL_CHECKED)


def _read_request(file: str) -> CheckRequest:
    """The request in `file` (- for standard input); exit 2 naming every field that does not fit the contract."""
    text = sys.stdin.read() if file == "-" else _read_text(pathlib.Path(file))
    try:
        # The contract's codec, as the audit reads rows: a bad enum value is told with its allowed values.
        return decode_request(json_input.loads_standard(text))
    except json.JSONDecodeError as err:
        typer.echo(f"dosecheck: {file} is not JSON: {err}", err=True)
    except json_input.JsonInputError as err:
        typer.echo(f"dosecheck: {file}: {err}", err=True)
    except InvalidRequestError as err:
        typer.echo(f"dosecheck: {file} is not a CheckRegimenRequest:", err=True)
        for violation in err.violations:
            typer.echo(f"  {violation.field or '(the request)'}: {violation.description}", err=True)
    raise typer.Exit(ExitCode.UNUSABLE)


def _read_text(path: pathlib.Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as err:
        typer.echo(f"dosecheck: cannot read {path}: {err.strerror}", err=True)
        raise typer.Exit(ExitCode.UNUSABLE) from None


def _check_in_process(kb: KnowledgeBase, request: CheckRequest) -> pb.CheckRegimenResponse:
    try:
        return convert.response_for(check_regimen(kb, request), View(request.view))
    except InvalidRequestError as err:
        _print_error(rpc_status_for(err))
        raise typer.Exit(ExitCode.NOT_ALL_CHECKED) from None


def _check_remote(target: str, request: pb.CheckRegimenRequest, timeout_s: float,
                  security: ClientSecurity) -> pb.CheckRegimenResponse:
    with _channel(target, security) as channel:
        stub = dosecheck_pb2_grpc.RegimenCheckerStub(channel)
        try:
            response: pb.CheckRegimenResponse = stub.CheckRegimen(request, timeout=timeout_s)
        except grpc.RpcError as err:
            _print_error(_status_of(err))
            raise typer.Exit(ExitCode.NOT_ALL_CHECKED) from None
    return response


def _channel(target: str, security: ClientSecurity) -> grpc.Channel:
    """A channel to `target` secured by the client options; exit 2 naming the option that cannot be used."""
    try:
        return open_channel(target, security)
    except ClientSecurityError as err:
        typer.echo(f"dosecheck: {err}", err=True)
        raise typer.Exit(ExitCode.UNUSABLE) from None


def _status_of(err: grpc.RpcError) -> status_pb2.Status:
    """The google.rpc.Status of a failed call, rich details included when the server sent them."""
    assert isinstance(err, grpc.Call)
    status = rpc_status.from_call(err)
    if status is None:
        status = status_pb2.Status(code=err.code().value[0], message=err.details() or "")
    return status


def _print_error(status: status_pb2.Status) -> None:
    typer.echo(f"dosecheck: {code_pb2.Code.Name(code_pb2.Code.ValueType(status.code))}: {status.message}", err=True)
    for detail in status.details:
        bad_request = error_details_pb2.BadRequest()
        if detail.Unpack(bad_request):
            for violation in bad_request.field_violations:
                typer.echo(f"  {violation.field}: {violation.description}", err=True)



@kb_app.command("validate")
def kb_validate(
    path: Annotated[
        Optional[pathlib.Path],  # noqa: UP045
        typer.Argument(help="A knowledge-base directory; default: the built-in one."),
    ] = None,
) -> None:
    """Load and validate a knowledge base; print every problem and exit 2 when it is invalid."""
    kb = _load(path)
    typer.echo(
        f"ok: {kb.title} {kb.version} ({kb.content_hash}): {len(kb.drugs)} drugs, "
        f"{len(kb.combinations)} combinations, {len(kb.classes)} classes, {len(kb.sources)} sources"
    )


_WHY_NOT = ("reason", "detail")
"""The description's fields that say why a name resolves to none."""


@kb_app.command("show")
def kb_show(
    drug: Annotated[str, typer.Argument(help="Any name: generic, brand, abbreviation.")],
    kb: KbOption = None,
) -> None:
    """Show what the knowledge base holds about a drug (exit 1, saying why, when the name resolves to none)."""
    kb_path = kb if kb is not None else usable_settings().kb_path
    description = describe_drug(_load(kb_path), drug)
    fields = dataclasses.asdict(description)
    if description.resolves_to:
        # Why a name would not be checked says nothing of one that resolves.
        typer.echo(json.dumps(_jsonable({k: v for k, v in fields.items() if k not in _WHY_NOT}), indent=2))
        return
    typer.echo(json.dumps(_jsonable({k: fields[k] for k in ("query", "resolves_to", *_WHY_NOT, "suggestions")}),
                          indent=2))
    why = not_checked_phrase(drug, pb.UnrecognizedReason.Name(description.reason), description.suggestions)
    typer.echo(f"dosecheck: {why} would not be checked: {description.detail}", err=True)
    raise typer.Exit(ExitCode.NOT_ALL_CHECKED)


def _jsonable(value: object) -> object:
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


@app.command()
def health(
    target: Annotated[str, typer.Option(help="HOST:PORT of a dosecheck server.")] = "127.0.0.1:50051",
    service: Annotated[str, typer.Option(help='Service to ask about; "" = the whole server.')] = "",
    timeout_s: Annotated[float, typer.Option("--timeout", help="Seconds to wait.")] = 3.0,
    tls_ca: TlsCaOption = None,
    tls_cert: TlsCertOption = None,
    tls_key: TlsKeyOption = None,
    token_file: TokenFileOption = None,
    tls_server_name: TlsServerNameOption = None,
) -> None:
    """Ask a server's grpc.health.v1 service; exit 0 when SERVING, 1 otherwise, 2 for unusable options (probes).

    A service the server has no health for (NOT_FOUND) is such an option: a probe that names it can never pass.
    """
    with _channel(target, ClientSecurity(tls_ca, tls_cert, tls_key, token_file, tls_server_name)) as channel:
        stub: Any = health_pb2_grpc.HealthStub(channel)  # its type stub declares no methods
        try:
            reply = stub.Check(
                health_pb2.HealthCheckRequest(service=service), timeout=timeout_s
            )
        except grpc.RpcError as err:
            failure = _status_of(err)
            if failure.code != code_pb2.NOT_FOUND:
                _print_error(failure)
                raise typer.Exit(1) from None
            # gRPC's health service answers NOT_FOUND with no message: say what it means.
            typer.echo(f"dosecheck: NOT_FOUND: unknown service {json.dumps(service)}: a dosecheck server "
                       f'knows "" (the whole server) and {server.SERVICE_NAME}', err=True)
            raise typer.Exit(ExitCode.UNUSABLE) from None
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
    typer.echo(status)
    if reply.status != health_pb2.HealthCheckResponse.SERVING:
        raise typer.Exit(1)
