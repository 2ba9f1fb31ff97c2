"""Our own clients over TLS, mTLS and bearer tokens (`health`, `check --target`, `audit --target`), the
metrics endpoint under the secure-by-default rule, and the verifier's cache of accepted tokens.

Real servers, real certificates (trustme) and real keys behind a loopback JWKS server: the
fixtures and helpers of test_grpc_security.py.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import pathlib
import time
from collections.abc import Iterator
from typing import Any

import grpc
import orjson
import pytest
import trustme
from typer.testing import CliRunner, Result

from dosecheck.v1 import dosecheck_pb2_grpc
from interactions import KnowledgeBase
from service.auth import AuthError, JwtVerifier, TrustedIssuer
from service.cli import app
from service.client_channel import ClientSecurity, is_loopback_target, open_channel
from service.exit_codes import ExitCode
from service.metrics import endpoint_refusal
from service.servicer import RegimenChecker
from service.settings import Settings
from tests.cds_hooks.conftest import ISSUER, Keys, StandIn, sign, stand_in
from tests.service import test_grpc_security as grpc_security
from tests.service.conftest import RunningServer, running_server
from tests.service.processes import free_port, serve_processes
from tests.service.test_grpc_security import AUDIENCE, CHECK, Pki, tls_settings

# The fixtures of test_grpc_security.py (a CA and the server's certificate, signing keys, their JWKS server).
pki, keys, jwks = grpc_security.pki, grpc_security.keys, grpc_security.jwks

runner = CliRunner()
REQUEST = {"requestId": "client-1", "regimen": [{"name": "venetoclax", "doseMg": 400}],
           "concomitant": [{"name": "posaconazole"}]}


@pytest.fixture
def request_file(tmp_path: pathlib.Path) -> pathlib.Path:
    path = tmp_path / "request.json"
    path.write_text(json.dumps(REQUEST))
    return path


@pytest.fixture
def client_files(tmp_path: pathlib.Path, pki: Pki) -> tuple[pathlib.Path, pathlib.Path]:
    """The client certificate chain and its key, as files."""
    cert, key = tmp_path / "client.pem", tmp_path / "client.key"
    cert.write_bytes(b"".join(blob.bytes() for blob in pki.client.cert_chain_pems))
    pki.client.private_key_pem.write_to_path(str(key))
    return cert, key


def issuers(jwks: StandIn) -> tuple[TrustedIssuer, ...]:
    return (TrustedIssuer(iss=ISSUER, jku=(f"{jwks.url}/jwks.json",)),)


def token_file(directory: pathlib.Path, keys: Keys, scope: str, name: str = "token") -> pathlib.Path:
    """A file holding a token minted as test_grpc_security.py mints them, with a newline as editors leave one."""
    path = directory / name
    path.write_text(sign(keys.ec, "ES384", "ec-1", AUDIENCE, jku=None, scope=scope) + "\n")
    return path


@pytest.fixture
def tokens_over_tls(kb: KnowledgeBase, pki: Pki, jwks: StandIn) -> Iterator[RunningServer]:
    settings = tls_settings(pki, audience=AUDIENCE, issuers=issuers(jwks))
    with running_server(RegimenChecker.for_knowledge_base(kb), settings=settings) as server:
        yield server


def recommended_dose(result: Result) -> float:
    assert result.exit_code == 0, result.output
    dose: float = json.loads(result.stdout)["decisions"][0]["recommendedDoseMg"]
    return dose


# TLS and mTLS


def test_health_and_check_speak_tls_to_a_server_whose_ca_they_trust(
        kb: KnowledgeBase, pki: Pki, request_file: pathlib.Path) -> None:
    with running_server(RegimenChecker.for_knowledge_base(kb), settings=tls_settings(pki)) as server:
        health = runner.invoke(app, ["health", "--target", server.target, "--tls-ca", str(pki.ca_file)])
        assert (health.exit_code, health.stdout.strip()) == (0, "SERVING")
        check = runner.invoke(app, ["check", str(request_file), "--target", server.target,
                                    "--tls-ca", str(pki.ca_file)])
        assert recommended_dose(check) == 70
        plaintext = runner.invoke(app, ["health", "--target", server.target, "--timeout", "2"])
        assert plaintext.exit_code == 1
        assert "UNAVAILABLE" in plaintext.stderr


def test_a_probe_on_127_0_0_1_accepts_a_certificate_for_the_service_name_it_is_told(
        kb: KnowledgeBase, tmp_path: pathlib.Path) -> None:
    # A container's probe connects to 127.0.0.1; the certificate names the service, not the address.
    ca = trustme.CA()
    leaf = ca.issue_cert("dosecheck.internal")
    cert, key, ca_file = tmp_path / "server.pem", tmp_path / "server.key", tmp_path / "ca.pem"
    cert.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    leaf.private_key_pem.write_to_path(str(key))
    ca.cert_pem.write_to_path(str(ca_file))
    settings = Settings(host="127.0.0.1", port=0, tls_cert=cert, tls_key=key)
    with running_server(RegimenChecker.for_knowledge_base(kb), settings=settings) as server:
        told = runner.invoke(app, ["health", "--target", server.target, "--tls-ca", str(ca_file),
                                   "--tls-server-name", "dosecheck.internal"])
        assert (told.exit_code, told.stdout.strip()) == (0, "SERVING")
        untold = runner.invoke(app, ["health", "--target", server.target, "--tls-ca", str(ca_file), "--timeout", "2"])
        assert untold.exit_code == 1  # the certificate does not name 127.0.0.1
        wrong = runner.invoke(app, ["health", "--target", server.target, "--tls-ca", str(ca_file), "--timeout", "2"],
                              env={"DOSECHECK_CLIENT_TLS_SERVER_NAME": "other.internal"})
        assert wrong.exit_code == 1


def test_mtls_clients_present_their_certificate(
        kb: KnowledgeBase, pki: Pki, client_files: tuple[pathlib.Path, pathlib.Path],
        request_file: pathlib.Path) -> None:
    cert, key = client_files
    with running_server(RegimenChecker.for_knowledge_base(kb),
                        settings=tls_settings(pki, tls_client_ca=pki.ca_file)) as server:
        trusting = ["--target", server.target, "--tls-ca", str(pki.ca_file)]
        without = runner.invoke(app, ["health", *trusting, "--timeout", "2"])
        assert without.exit_code == 1, "a client without a certificate is refused in the handshake"
        with_certificate = [*trusting, "--tls-cert", str(cert), "--tls-key", str(key)]
        assert runner.invoke(app, ["health", *with_certificate]).exit_code == 0
        assert recommended_dose(runner.invoke(app, ["check", str(request_file), *with_certificate])) == 70


# Tokens


def test_check_sends_its_token_file_over_tls(
        tokens_over_tls: RunningServer, pki: Pki, keys: Keys, tmp_path: pathlib.Path,
        request_file: pathlib.Path) -> None:
    options = ["--target", tokens_over_tls.target, "--tls-ca", str(pki.ca_file)]
    token = token_file(tmp_path, keys, "dosecheck.check")
    assert recommended_dose(runner.invoke(app, ["check", str(request_file), *options, "--token-file", str(token)])) \
        == 70
    without = runner.invoke(app, ["check", str(request_file), *options])
    assert without.exit_code == ExitCode.NOT_ALL_CHECKED
    assert "UNAUTHENTICATED: a bearer token is required" in without.stderr
    # Health stays open, token or not.
    assert runner.invoke(app, ["health", *options]).exit_code == 0
    assert runner.invoke(app, ["health", *options, "--token-file", str(token)]).exit_code == 0


def test_every_option_may_come_from_the_environment(
        kb: KnowledgeBase, pki: Pki, jwks: StandIn, keys: Keys, client_files: tuple[pathlib.Path, pathlib.Path],
        tmp_path: pathlib.Path, request_file: pathlib.Path) -> None:
    settings = tls_settings(pki, tls_client_ca=pki.ca_file, audience=AUDIENCE, issuers=issuers(jwks))
    cert, key = client_files
    env = {"DOSECHECK_CLIENT_TLS_CA": str(pki.ca_file), "DOSECHECK_CLIENT_TLS_CERT": str(cert),
           "DOSECHECK_CLIENT_TLS_KEY": str(key),
           "DOSECHECK_CLIENT_TOKEN_FILE": str(token_file(tmp_path, keys, "dosecheck.check"))}
    with running_server(RegimenChecker.for_knowledge_base(kb), settings=settings) as server:
        result = runner.invoke(app, ["check", str(request_file), "--target", server.target], env=env)
        assert recommended_dose(result) == 70


def test_a_token_goes_to_a_loopback_plaintext_server_with_local_credentials(
        kb: KnowledgeBase, jwks: StandIn, keys: Keys, tmp_path: pathlib.Path, request_file: pathlib.Path) -> None:
    settings = Settings(host="127.0.0.1", port=0, audience=AUDIENCE, issuers=issuers(jwks))
    token = token_file(tmp_path, keys, "dosecheck.check")
    with running_server(RegimenChecker.for_knowledge_base(kb), settings=settings) as server:
        for target in (server.target, f"localhost:{server.server.port}"):
            result = runner.invoke(app, ["check", str(request_file), "--target", target, "--token-file", str(token)])
            assert recommended_dose(result) == 70


@pytest.mark.parametrize("command", ["health", "check", "audit"])
def test_a_token_is_never_sent_in_plaintext_off_loopback(
        command: str, keys: Keys, tmp_path: pathlib.Path, request_file: pathlib.Path) -> None:
    token = token_file(tmp_path, keys, "dosecheck.check")
    arguments = {"health": [], "check": [str(request_file)], "audit": [str(request_file)]}[command]
    result = runner.invoke(app, [command, *arguments, "--target", "dosecheck.example.org:50051",
                                 "--token-file", str(token)])
    assert result.exit_code == ExitCode.UNUSABLE, result.output
    assert "--token-file (DOSECHECK_CLIENT_TOKEN_FILE): a token is sent over TLS only" in result.stderr
    assert "dosecheck.example.org:50051 is neither" in result.stderr
    assert not list(tmp_path.glob("*.results.jsonl*")), "the audit refused before writing anything"


def test_only_targets_that_name_this_machine_are_loopback() -> None:
    loopback = ["127.0.0.1:50051", "localhost:50051", "[::1]:50051", "dns:///localhost:50051",
                "ipv4:127.0.0.1:1,127.0.0.2:2", "ipv6:[::1]:50051", "localhost"]
    others = ["dosecheck.example.org:50051", "10.0.0.1:50051", "dns:///dosecheck-headless:50051",
              "ipv4:127.0.0.1:1,10.0.0.1:2", "unix:/run/dosecheck.sock", "[::]:50051"]
    assert [t for t in loopback if not is_loopback_target(t)] == []
    assert [t for t in others if is_loopback_target(t)] == []


def test_a_token_file_is_read_again_for_each_new_channel(
        kb: KnowledgeBase, jwks: StandIn, keys: Keys, tmp_path: pathlib.Path) -> None:
    settings = Settings(host="127.0.0.1", port=0, audience=AUDIENCE, issuers=issuers(jwks))
    token = token_file(tmp_path, keys, "dosecheck.kb")
    security = ClientSecurity(token_file=token)

    def code() -> grpc.StatusCode:
        with open_channel(server.target, security) as channel:
            try:
                dosecheck_pb2_grpc.RegimenCheckerStub(channel).CheckRegimen(CHECK, timeout=10)
            except grpc.RpcError as err:
                status: grpc.StatusCode = err.code()
                return status
        return grpc.StatusCode.OK

    with running_server(RegimenChecker.for_knowledge_base(kb), settings=settings) as server:
        assert code() == grpc.StatusCode.PERMISSION_DENIED
        token_file(tmp_path, keys, "dosecheck.check")  # renewed in place, as a token agent does
        assert code() == grpc.StatusCode.OK


@pytest.mark.parametrize("command", ["health", "check"])
def test_unusable_files_exit_2_naming_the_option(
        command: str, pki: Pki, client_files: tuple[pathlib.Path, pathlib.Path], tmp_path: pathlib.Path,
        request_file: pathlib.Path) -> None:
    cert, key = client_files
    missing = tmp_path / "missing.pem"
    empty = tmp_path / "empty-token"
    empty.write_text("\n")
    cases = {
        "--tls-ca (DOSECHECK_CLIENT_TLS_CA): cannot read": ["--tls-ca", str(missing)],
        "--token-file (DOSECHECK_CLIENT_TOKEN_FILE): cannot read": ["--token-file", str(missing)],
        "must hold one token (a JWT) on one line": ["--token-file", str(empty)],
        "--tls-cert (DOSECHECK_CLIENT_TLS_CERT) and --tls-key (DOSECHECK_CLIENT_TLS_KEY) go together":
            ["--tls-cert", str(cert)],
        f"--tls-ca (DOSECHECK_CLIENT_TLS_CA): {key} holds no PEM certificate": ["--tls-ca", str(key)],
        f"{pki.key} is not the key of the certificate in {cert}": ["--tls-cert", str(cert), "--tls-key", str(pki.key)],
    }
    arguments = [str(request_file)] if command == "check" else []
    for message, options in cases.items():
        result = runner.invoke(app, [command, *arguments, "--target", f"127.0.0.1:{free_port()}", *options])
        assert result.exit_code == ExitCode.UNUSABLE, (options, result.output)
        assert message in result.stderr, (options, result.stderr)


# The audit


def test_an_audit_over_tls_with_a_token_answers_every_row(
        tokens_over_tls: RunningServer, pki: Pki, keys: Keys, tmp_path: pathlib.Path) -> None:
    rows = tmp_path / "rows.jsonl"
    rows.write_text("".join(json.dumps(REQUEST | {"requestId": f"r{i}"}) + "\n" for i in range(300)))
    options = ["--target", tokens_over_tls.target, "--tls-ca", str(pki.ca_file), "--no-progress"]

    # It asks GetKnowledgeBase first, so its token needs dosecheck.kb beside dosecheck.audit.
    audit_only = token_file(tmp_path, keys, "dosecheck.audit", "audit-only")
    refused = runner.invoke(app, ["audit", str(rows), *options, "--token-file", str(audit_only)])
    assert refused.exit_code == ExitCode.INTERRUPTED
    assert "PERMISSION_DENIED: the token does not grant dosecheck.kb" in refused.stderr

    token = token_file(tmp_path, keys, "dosecheck.audit dosecheck.kb")
    result = runner.invoke(app, ["audit", str(rows), *options, "--token-file", str(token), "--overwrite"])
    assert result.exit_code == 0, result.output
    got = [orjson.loads(line) for line in
           gzip.decompress((tmp_path / "rows.jsonl.results.jsonl.gz").read_bytes()).splitlines()]
    assert [r["line"] for r in got] == list(range(1, 301))
    assert [r["response"]["requestId"] for r in got] == [f"r{i}" for i in range(300)]
    assert all("error" not in r["response"] and r["response"]["decisions"] for r in got)


# Metrics under the secure-by-default rule


def test_metrics_off_loopback_are_refused_unless_said_insecure() -> None:
    refusal = endpoint_refusal("0.0.0.0", free_port(), allow_plaintext=False) or ""
    assert "--metrics-port" in refusal
    assert "--insecure-allow-plaintext (DOSECHECK_INSECURE_ALLOW_PLAINTEXT=true)" in refusal
    assert endpoint_refusal("0.0.0.0", free_port(), allow_plaintext=True) is None
    assert endpoint_refusal("127.0.0.1", free_port(), allow_plaintext=False) is None
    assert endpoint_refusal("localhost", free_port(), allow_plaintext=False) is None


def test_serve_with_tls_still_refuses_plaintext_metrics_on_every_interface(tmp_path: pathlib.Path, pki: Pki) -> None:
    with serve_processes(tmp_path) as start, pytest.raises(AssertionError, match="exited with 2"):
        start("--host", "0.0.0.0", "--tls-cert", str(pki.cert), "--tls-key", str(pki.key),
              "--metrics-port", str(free_port()), credentials=pki.channel_credentials())
    (log,) = tmp_path.glob("serve-*.log")
    assert "refusing to start: metrics (--metrics-port" in log.read_text()


# The verifier's cache of accepted access tokens


def verify(verifier: JwtVerifier, token: str, audience: str = AUDIENCE) -> dict[str, Any]:
    return asyncio.run(verifier.verify(f"Bearer {token}", (audience,)))


@pytest.fixture
def own_jwks(keys: Keys) -> Iterator[StandIn]:
    """A JWKS server of this test alone, whose keys it may change."""
    with stand_in() as server:
        server.routes["/jwks.json"] = (200, keys.jwks())
        yield server


def test_a_remembered_token_still_expires(own_jwks: StandIn, keys: Keys) -> None:
    verifier = JwtVerifier(issuers(own_jwks), leeway_s=0, single_use=False)
    expires = int(time.time()) + 2
    token = sign(keys.ec, "ES384", "ec-1", AUDIENCE, jku=None, exp=expires)
    assert verify(verifier, token)["exp"] == expires
    assert verify(verifier, token)["exp"] == expires
    time.sleep(max(0.0, expires - time.time()) + 0.2)
    with pytest.raises(AuthError, match="expired"):
        verify(verifier, token)


def test_a_remembered_token_is_not_accepted_for_another_audience(own_jwks: StandIn, keys: Keys) -> None:
    verifier = JwtVerifier(issuers(own_jwks), single_use=False)
    token = sign(keys.ec, "ES384", "ec-1", AUDIENCE, jku=None)
    verify(verifier, token)
    with pytest.raises(AuthError, match="another service"):
        verify(verifier, token, "another.example")


def test_a_changed_jwks_forgets_remembered_tokens(own_jwks: StandIn, keys: Keys) -> None:
    verifier = JwtVerifier(issuers(own_jwks), single_use=False, jwks_refresh_s=0)
    token = sign(keys.ec, "ES384", "ec-1", AUDIENCE, jku=None)
    verify(verifier, token)
    # The issuer withdraws key ec-1 and signs with a new key, which makes the verifier refetch.
    own_jwks.routes["/jwks.json"] = (200, {"keys": [k for k in keys.jwks()["keys"] if k["kid"] != "ec-1"]})
    with pytest.raises(AuthError, match="not in its issuer's JWKS"):
        verify(verifier, sign(keys.ec, "ES384", "ec-2", AUDIENCE, jku=None))
    with pytest.raises(AuthError, match="not in its issuer's JWKS"):
        verify(verifier, token)


def test_single_use_tokens_are_never_remembered(own_jwks: StandIn, keys: Keys) -> None:
    verifier = JwtVerifier(issuers(own_jwks))
    token = sign(keys.ec, "ES384", "ec-1", AUDIENCE, jku=None)
    verify(verifier, token)
    with pytest.raises(AuthError, match="replayed"):
        verify(verifier, token)
