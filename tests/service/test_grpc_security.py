"""TLS, mTLS and bearer tokens on the gRPC port, with real certificates (trustme) and real keys.

Tokens are signed with keys published by a loopback JWKS server, as in tests/cds_hooks/test_security.py.
"""

from __future__ import annotations

import json
import pathlib
import queue
import signal
import socket
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import grpc
import jwt
import pytest
import trustme
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from dosecheck.v1 import dosecheck_pb2 as pb
from dosecheck.v1 import dosecheck_pb2_grpc
from interactions import KnowledgeBase
from service.auth import TrustedIssuer
from service.grpc_auth import exposure_refusal
from service.servicer import RegimenChecker
from service.settings import Settings
from tests.cds_hooks.conftest import ISSUER, Keys, StandIn, sign, stand_in
from tests.service.conftest import running_server
from tests.service.processes import StartServe, free_port, serve_processes, stderr_of, wait_until
from tests.service.test_metrics import _scrape, _value

AUDIENCE = "dosecheck.test.example"
CHECK = pb.CheckRegimenRequest(regimen=[pb.Medication(name="venetoclax", dose_mg=400)],
                               concomitant=[pb.Medication(name="posaconazole")])


@dataclass
class Pki:
    """A CA, the server's certificate files issued by it for 127.0.0.1, and a client certificate."""

    ca: trustme.CA
    cert: pathlib.Path
    key: pathlib.Path
    ca_file: pathlib.Path
    client: trustme.LeafCert

    def channel_credentials(self, *, client_certificate: bool = False) -> grpc.ChannelCredentials:
        if not client_certificate:
            return grpc.ssl_channel_credentials(root_certificates=self.ca.cert_pem.bytes())
        return grpc.ssl_channel_credentials(
            root_certificates=self.ca.cert_pem.bytes(), private_key=self.client.private_key_pem.bytes(),
            certificate_chain=b"".join(blob.bytes() for blob in self.client.cert_chain_pems))


def write_server_certificate(ca: trustme.CA, directory: pathlib.Path) -> tuple[pathlib.Path, pathlib.Path]:
    leaf = ca.issue_cert("127.0.0.1")
    cert, key = directory / "server.pem", directory / "server.key"
    # Written beside, then renamed: a reload never reads a half-written file.
    for path, blob in ((cert, b"".join(b.bytes() for b in leaf.cert_chain_pems)), (key, leaf.private_key_pem.bytes())):
        path.with_suffix(".new").write_bytes(blob)
        path.with_suffix(".new").rename(path)
    return cert, key


@pytest.fixture()
def pki(tmp_path: pathlib.Path) -> Pki:
    ca = trustme.CA()
    cert, key = write_server_certificate(ca, tmp_path)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return Pki(ca, cert, key, ca_file, ca.issue_cert("client.example"))


def check(channel: grpc.Channel, metadata: tuple[tuple[str, str], ...] = ()) -> pb.CheckRegimenResponse:
    response: pb.CheckRegimenResponse = dosecheck_pb2_grpc.RegimenCheckerStub(channel).CheckRegimen(
        CHECK, timeout=10, metadata=metadata)
    return response


def tls_settings(pki: Pki, **more: Any) -> Settings:
    return Settings(host="127.0.0.1", port=0, tls_cert=pki.cert, tls_key=pki.key, **more)


# TLS and mTLS


def test_a_tls_client_that_trusts_the_ca_is_served(kb: KnowledgeBase, pki: Pki) -> None:
    with (running_server(RegimenChecker.for_knowledge_base(kb), settings=tls_settings(pki)) as server,
          grpc.secure_channel(server.target, pki.channel_credentials()) as channel):
        assert check(channel).decisions[0].recommended_dose_mg == 70


def test_plaintext_to_a_tls_port_fails(kb: KnowledgeBase, pki: Pki) -> None:
    with (running_server(RegimenChecker.for_knowledge_base(kb), settings=tls_settings(pki)) as server,
          grpc.insecure_channel(server.target) as channel, pytest.raises(grpc.RpcError) as refused):
        check(channel)
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE


def test_with_a_client_ca_a_client_certificate_is_required(kb: KnowledgeBase, pki: Pki) -> None:
    settings = tls_settings(pki, tls_client_ca=pki.ca_file)
    with running_server(RegimenChecker.for_knowledge_base(kb), settings=settings) as server:
        with grpc.secure_channel(server.target, pki.channel_credentials()) as channel, \
                pytest.raises(grpc.RpcError) as refused:
            check(channel)
        assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
        with grpc.secure_channel(server.target, pki.channel_credentials(client_certificate=True)) as channel:
            assert check(channel).decisions[0].recommended_dose_mg == 70


def test_unusable_tls_files_refuse_to_start(tmp_path: pathlib.Path, pki: Pki) -> None:
    other_key = tmp_path / "other.key"
    trustme.CA().issue_cert("127.0.0.1").private_key_pem.write_to_path(str(other_key))
    with serve_processes(tmp_path) as start, pytest.raises(AssertionError, match="exited with 2"):
        start("--tls-cert", str(pki.cert), "--tls-key", str(other_key))
    (log,) = tmp_path.glob("serve-*.log")
    assert "refusing to start: TLS:" in log.read_text()
    assert "is not the key of the certificate" in log.read_text()


def served_certificate(target: str, ca_file: pathlib.Path) -> bytes:
    """The DER certificate a new TLS connection to `target` is shown (verified against `ca_file`)."""
    host, port = target.rsplit(":", 1)
    context = ssl.create_default_context(cafile=str(ca_file))
    context.set_alpn_protocols(["h2"])
    with socket.create_connection((host, int(port)), timeout=10) as raw, \
            context.wrap_socket(raw, server_hostname=host) as tls:
        der = tls.getpeercert(binary_form=True)
    assert der is not None
    return der


def certificate_renewed(target: str, ca_file: pathlib.Path, old: bytes) -> bool:
    """Whether a new TLS connection to `target` is shown a certificate other than `old`, chaining to `ca_file`."""
    try:
        return served_certificate(target, ca_file) != old
    except ssl.SSLError:
        return False


def test_sighup_makes_new_connections_see_new_certificates_and_old_calls_go_on(
        tmp_path: pathlib.Path, pki: Pki) -> None:
    renewed_ca = trustme.CA()
    both_cas = tmp_path / "both-cas.pem"
    both_cas.write_bytes(pki.ca.cert_pem.bytes() + renewed_ca.cert_pem.bytes())
    trusting_both = grpc.ssl_channel_credentials(root_certificates=both_cas.read_bytes())
    metrics_port = free_port()
    with serve_processes(tmp_path) as start:
        process, target = start("--workers", "2", "--tls-cert", str(pki.cert), "--tls-key", str(pki.key),
                                "--metrics-port", str(metrics_port), credentials=pki.channel_credentials())
        old = served_certificate(target, pki.ca_file)
        with grpc.secure_channel(target, trusting_both) as channel:
            stub = dosecheck_pb2_grpc.RegimenCheckerStub(channel)
            assert check(channel).decisions  # the connection is made with the old certificate
            rows: queue.Queue[pb.CheckRegimenRequest | None] = queue.Queue()
            stream = stub.AuditRegimens(iter(rows.get, None), timeout=60)
            rows.put(CHECK)
            assert next(stream).decisions

            write_server_certificate(renewed_ca, tmp_path)
            process.send_signal(signal.SIGHUP)
            renewed_file = tmp_path / "renewed-ca.pem"
            renewed_ca.cert_pem.write_to_path(str(renewed_file))

            assert wait_until(lambda: certificate_renewed(target, renewed_file, old), 20), \
                "no new connection was shown the new certificate"
            # Both workers (the kernel spreads connections over them) show the new one.
            assert all(served_certificate(target, renewed_file) != old for _ in range(12))
            assert wait_until(lambda: _value(_scrape(metrics_port), "dosecheck_tls_certificate_reloads_total",
                                             port="grpc", outcome="loaded") == 2, 30)  # one per worker
            # The old connection carries new calls, and the stream opened before the reload goes on.
            assert check(channel).decisions[0].recommended_dose_mg == 70
            rows.put(CHECK)
            assert next(stream).decisions
            rows.put(None)  # ends the stream
            assert list(stream) == []
        with grpc.secure_channel(target, grpc.ssl_channel_credentials(renewed_ca.cert_pem.bytes())) as channel:
            assert check(channel).decisions[0].recommended_dose_mg == 70
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0
    assert "TLS certificate reloaded" in stderr_of(process, tmp_path)


# Bearer tokens


@pytest.fixture(scope="module")
def keys() -> Keys:
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    return Keys(rsa.generate_private_key(65537, 2048), ec.generate_private_key(ec.SECP384R1()),
                rsa.generate_private_key(65537, 2048))


@pytest.fixture(scope="module")
def jwks(keys: Keys) -> Iterator[StandIn]:
    with stand_in() as server:
        server.routes["/jwks.json"] = (200, keys.jwks())
        yield server


@pytest.fixture(scope="module")
def guarded(kb: KnowledgeBase, jwks: StandIn) -> Iterator[grpc.Channel]:
    settings = Settings(host="127.0.0.1", port=0, audience=AUDIENCE,
                        issuers=(TrustedIssuer(iss=ISSUER, jku=(f"{jwks.url}/jwks.json",)),))
    with running_server(RegimenChecker.for_knowledge_base(kb), settings=settings) as server, \
            grpc.insecure_channel(server.target) as channel:
        yield channel


def bearer(keys: Keys, scope: str | None = "dosecheck.check", *, algorithm: str = "ES384", **claims: Any) -> tuple[
        tuple[str, str]]:
    key = keys.ec if algorithm.startswith("ES") else keys.rsa
    token = sign(key, algorithm, "ec-1" if algorithm.startswith("ES") else "rsa-1", claims.pop("aud", AUDIENCE),
                 jku=None, scope=scope, **claims)
    return (("authorization", f"Bearer {token}"),)


def code_of(call: Any) -> grpc.StatusCode:
    try:
        call()
    except grpc.RpcError as err:
        code: grpc.StatusCode = err.code()
        return code
    return grpc.StatusCode.OK


@pytest.mark.parametrize("algorithm", ["ES384", "RS384"])
def test_a_token_with_the_method_scope_is_served_and_may_be_reused(
        guarded: grpc.Channel, keys: Keys, algorithm: str) -> None:
    metadata = bearer(keys, "openid dosecheck.check", algorithm=algorithm)
    for _ in range(3):  # an access token: sent with every call until it expires
        assert check(guarded, metadata).decisions[0].recommended_dose_mg == 70


def test_calls_without_an_acceptable_token_are_unauthenticated(guarded: grpc.Channel, keys: Keys) -> None:
    now = int(time.time())
    hs256 = jwt.encode({"iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 300, "scope": "dosecheck.check"},
                       "a-shared-secret-of-at-least-32-bytes!!", algorithm="HS256", headers={"kid": "rsa-1"})
    stranger = sign(keys.stranger, "RS384", "rsa-1", AUDIENCE, jku=None, scope="dosecheck.check")
    cases: dict[str, tuple[tuple[str, str], ...]] = {
        "no token": (),
        "not bearer": (("authorization", "Basic dXNlcjpwYXNz"),),
        "not a JWT": (("authorization", "Bearer not-a-jwt"),),
        "shared secret": (("authorization", f"Bearer {hs256}"),),
        "signed by another key": (("authorization", f"Bearer {stranger}"),),
        "wrong audience": bearer(keys, aud="another-service"),
        "expired": bearer(keys, exp=now - 3600),
        "unknown issuer": bearer(keys, iss="https://other.example"),
        "two tokens": bearer(keys) + bearer(keys),
    }
    codes = {case: code_of(lambda m=metadata: check(guarded, m)) for case, metadata in cases.items()}
    assert codes == dict.fromkeys(cases, grpc.StatusCode.UNAUTHENTICATED)


def test_each_method_needs_its_scope(guarded: grpc.Channel, keys: Keys) -> None:
    stub = dosecheck_pb2_grpc.RegimenCheckerStub(guarded)
    kb_request = pb.GetKnowledgeBaseRequest()

    def codes(metadata: tuple[tuple[str, str], ...]) -> dict[str, grpc.StatusCode]:
        return {
            "check": code_of(lambda: check(guarded, metadata)),
            "kb": code_of(lambda: stub.GetKnowledgeBase(kb_request, timeout=10, metadata=metadata)),
            "resolve": code_of(lambda: stub.ResolveMedications(
                pb.ResolveMedicationsRequest(medications=[pb.Medication(name="venetoclax")]), timeout=10,
                metadata=metadata)),
            "audit": code_of(lambda: list(stub.AuditRegimens(iter([CHECK]), timeout=10, metadata=metadata))),
        }

    denied, ok = grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.OK
    assert codes(bearer(keys, "dosecheck.check")) == {"check": ok, "kb": denied, "resolve": denied, "audit": denied}
    assert codes(bearer(keys, "dosecheck.audit")) == {"check": denied, "kb": denied, "resolve": denied, "audit": ok}
    assert codes(bearer(keys, None, scp=["dosecheck.kb"])) == {
        "check": denied, "kb": ok, "resolve": ok, "audit": denied}
    assert codes(bearer(keys, None)) == dict.fromkeys(("check", "kb", "resolve", "audit"), denied)


def test_a_malformed_request_without_a_token_is_unauthenticated_unread(guarded: grpc.Channel) -> None:
    call = guarded.unary_unary("/dosecheck.v1.RegimenChecker/CheckRegimen")
    assert code_of(lambda: call(b"\xff\xff\xff", timeout=10)) == grpc.StatusCode.UNAUTHENTICATED


def test_health_and_reflection_stay_open(guarded: grpc.Channel) -> None:
    health: Any = health_pb2_grpc.HealthStub(guarded)
    assert health.Check(health_pb2.HealthCheckRequest(), timeout=10).status == health_pb2.HealthCheckResponse.SERVING
    (answer,) = reflection_pb2_grpc.ServerReflectionStub(guarded).ServerReflectionInfo(
        iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=10)
    assert "dosecheck.v1.RegimenChecker" in {s.name for s in answer.list_services_response.service}


def test_reflection_is_a_setting(kb: KnowledgeBase) -> None:
    settings = Settings(host="127.0.0.1", port=0, reflection=False)
    with running_server(RegimenChecker.for_knowledge_base(kb), settings=settings) as server, \
            grpc.insecure_channel(server.target) as channel:
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        assert code_of(lambda: list(stub.ServerReflectionInfo(
            iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=10))) == \
            grpc.StatusCode.UNIMPLEMENTED


# Secure by default


def test_settings_that_go_together(pki: Pki) -> None:
    with pytest.raises(ValueError, match="tls_cert and tls_key go together"):
        Settings(tls_cert=pki.cert)
    with pytest.raises(ValueError, match="needs tls_cert"):
        Settings(tls_client_ca=pki.ca_file)
    with pytest.raises(ValueError, match="need an audience"):
        Settings(issuers=[{"iss": ISSUER, "jku": ["https://ehr.example.org/jwks.json"]}])
    with pytest.raises(ValueError, match="only asymmetric"):
        Settings(jwt_algorithms=("HS256",))


def test_off_loopback_plaintext_without_tokens_is_refused_unless_said_insecure(pki: Pki) -> None:
    issuers = [{"iss": ISSUER, "jku": ["https://ehr.example.org/jwks.json"]}]
    assert exposure_refusal(Settings(host="127.0.0.1")) is None
    assert exposure_refusal(Settings(host="::1")) is None
    assert "--insecure-allow-plaintext" in (exposure_refusal(Settings(host="0.0.0.0")) or "")
    assert exposure_refusal(Settings(host="0.0.0.0", insecure_allow_plaintext=True)) is None
    assert exposure_refusal(Settings(host="0.0.0.0", tls_cert=pki.cert, tls_key=pki.key)) is None
    assert exposure_refusal(Settings(host="0.0.0.0", issuers=issuers, audience=AUDIENCE)) is None


def test_serve_on_every_interface_exits_2_without_protection(tmp_path: pathlib.Path) -> None:
    with serve_processes(tmp_path) as start, pytest.raises(AssertionError, match="exited with 2"):
        start("--host", "0.0.0.0")
    (log,) = tmp_path.glob("serve-*.log")
    assert "refusing to start: gRPC on 0.0.0.0 would serve anyone, in plaintext" in log.read_text()


def test_the_insecure_flag_serves_every_interface_and_says_so(tmp_path: pathlib.Path) -> None:
    start: StartServe
    with serve_processes(tmp_path) as start:
        process, _ = start("--host", "0.0.0.0", "--insecure-allow-plaintext")
        process.terminate()
        assert process.wait(30) == 0
    messages = [json.loads(line)["message"] for line in stderr_of(process, tmp_path).splitlines()
                if line.startswith("{")]
    assert any("plaintext without authentication" in m for m in messages)
