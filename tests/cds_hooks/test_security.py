"""Tokens verified with real keys from a loopback JWKS URL; start-up refusals; TLS; CORS."""

from __future__ import annotations

import json
import pathlib
import ssl
import time
from typing import Any

import jwt
import pytest
import trustme

from tests.cds_hooks import examples
from tests.cds_hooks.conftest import ISSUER, Keys, Served, StandIn, sign, start_serve, stop_serve

SIGN = "dosecheck-order-sign"


def audience(served: Served) -> str:
    return f"{served.base}/cds-services/{SIGN}"


@pytest.mark.parametrize(("algorithm", "kid"), [("RS384", "rsa-1"), ("ES384", "ec-1")])
def test_rs384_and_es384_tokens_from_an_allowed_jku_are_accepted(
        secured_server: Served, jwks_server: StandIn, keys: Keys, algorithm: str, kid: str) -> None:
    key = keys.rsa if algorithm.startswith("RS") else keys.ec
    token = sign(key, algorithm, kid, audience(secured_server), jku=f"{jwks_server.url}/jwks.json")
    response = secured_server.call(SIGN, examples.venetoclax_with_posaconazole(), token)
    assert response.status_code == 200, response.text
    assert response.json()["cards"][0]["summary"] == "Venetoclax: reduce to 70 mg with posaconazole"


def test_a_token_without_jku_is_checked_against_the_issuers_configured_jwks(
        secured_server: Served, keys: Keys) -> None:
    token = sign(keys.rsa, "RS384", "rsa-1", audience(secured_server), jku=None)
    assert secured_server.call(SIGN, examples.venetoclax_with_posaconazole(), token).status_code == 200


def _unsigned(served: Served) -> str:
    now = int(time.time())
    return jwt.encode({"iss": ISSUER, "aud": audience(served), "iat": now, "exp": now + 300, "jti": "none-1"},
                      key=None, algorithm="none", headers={"kid": "rsa-1"})


def _rejections(served: Served, jwks: StandIn, keys: Keys) -> dict[str, str | None]:
    jku = f"{jwks.url}/jwks.json"
    aud = audience(served)
    replayed = sign(keys.rsa, "RS384", "rsa-1", aud, jku=jku)
    assert served.call(SIGN, examples.venetoclax_with_posaconazole(), replayed).status_code == 200
    return {
        "no token": None,
        "alg none": _unsigned(served),
        "shared secret (HS256)": jwt.encode({"iss": ISSUER, "aud": aud, "iat": int(time.time()),
                                             "exp": int(time.time()) + 300, "jti": "hs-1"},
                                            "a-shared-secret-of-at-least-32-bytes!!", algorithm="HS256",
                                            headers={"kid": "rsa-1"}),
        "jku not allowed": sign(keys.rsa, "RS384", "rsa-1", aud, jku="https://attacker.example/jwks.json"),
        "unknown issuer": sign(keys.rsa, "RS384", "rsa-1", aud, jku=jku, iss="https://other.example"),
        "signed by another key": sign(keys.stranger, "RS384", "rsa-1", aud, jku=jku),
        "unknown kid": sign(keys.rsa, "RS384", "rsa-9", aud, jku=jku),
        "wrong aud": sign(keys.rsa, "RS384", "rsa-1", "sand_man", jku=jku),
        "expired": sign(keys.rsa, "RS384", "rsa-1", aud, jku=jku, exp=int(time.time()) - 3600),
        "no jti": sign(keys.rsa, "RS384", "rsa-1", aud, jku=jku, jti=None),
        "replayed jti": replayed,
        "RSA key, EC algorithm": sign(keys.ec, "ES384", "rsa-1", aud, jku=jku),
    }


def test_every_rejection_is_401_with_an_operation_outcome(
        secured_server: Served, jwks_server: StandIn, keys: Keys) -> None:
    for case, token in _rejections(secured_server, jwks_server, keys).items():
        response = secured_server.call(SIGN, examples.venetoclax_with_posaconazole(), token)
        assert response.status_code == 401, (case, response.text)
        assert response.json()["resourceType"] == "OperationOutcome", case
        assert response.headers["www-authenticate"] == "Bearer", case


def test_feedback_needs_a_token_too_and_discovery_does_not(secured_server: Served) -> None:
    feedback = {"feedback": [{"card": "c", "outcome": "accepted", "outcomeTimestamp": "2026-01-01T00:00:00Z"}]}
    response = secured_server.client.post(f"{secured_server.base}/cds-services/{SIGN}/feedback", json=feedback)
    assert response.status_code == 401
    assert secured_server.client.get(f"{secured_server.base}/cds-services").status_code == 200


def test_no_cors_headers_unless_origins_are_configured(secured_server: Served) -> None:
    response = secured_server.client.get(f"{secured_server.base}/cds-services",
                                         headers={"Origin": "https://sandbox.cds-hooks.org"})
    assert "access-control-allow-origin" not in response.headers


def test_refuses_to_serve_unauthenticated_beyond_loopback(tmp_path: pathlib.Path) -> None:
    served = start_serve(tmp_path, "--host", "0.0.0.0", wait=False)
    assert served.process.wait(timeout=60) == 2
    assert "refusing to start" in stop_serve(served)


def test_tls_cors_and_the_development_mode_log_line(tmp_path: pathlib.Path) -> None:
    ca = trustme.CA()
    certificate = ca.issue_cert("127.0.0.1")
    cert, key, ca_file = tmp_path / "cert.pem", tmp_path / "key.pem", tmp_path / "ca.pem"
    certificate.cert_chain_pems[0].write_to_path(str(cert))
    certificate.private_key_pem.write_to_path(str(key))
    ca.cert_pem.write_to_path(str(ca_file))
    served = start_serve(tmp_path, "--http-tls-cert", str(cert), "--http-tls-key", str(key),
                         "--http-cors-origin", "https://sandbox.cds-hooks.org", scheme="https",
                         verify=ssl.create_default_context(cafile=str(ca_file)))
    try:
        response = served.client.options(f"{served.base}/cds-services/{SIGN}", headers={
            "Origin": "https://sandbox.cds-hooks.org", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type"})
        assert response.headers["access-control-allow-origin"] == "https://sandbox.cds-hooks.org"
        answer: dict[str, Any] = served.call(SIGN, examples.venetoclax_with_posaconazole()).json()
        assert answer["cards"][0]["summary"].startswith("Venetoclax")
    finally:
        log = stop_serve(served)
    messages = [json.loads(line)["message"] for line in log.splitlines() if line.startswith("{")]
    assert any("NOT authenticated" in m and "loopback" in m for m in messages)
