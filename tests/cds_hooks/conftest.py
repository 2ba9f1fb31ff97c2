"""Real `dosecheck serve` processes with CDS Hooks on loopback, a JWKS server and a stand-in FHIR server."""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tests.service.processes import free_port

ROOT = pathlib.Path(__file__).resolve().parents[2]
ISSUER = "https://ehr.example.org"


@dataclass
class StandIn:
    """A tiny real HTTP server answering GETs from a path -> (status, JSON or bytes) table; it records requests."""

    routes: dict[str, tuple[int, Any]] = field(default_factory=dict)
    seen: list[tuple[str, str]] = field(default_factory=list)
    """(path with query, Authorization header)."""
    port: int = 0
    delay_s: float = 0.0
    """How long each answer waits: a slow FHIR server."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextlib.contextmanager
def stand_in() -> Iterator[StandIn]:
    state = StandIn()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.seen.append((self.path, self.headers.get("Authorization", "")))
            time.sleep(state.delay_s)
            path = self.path.split("?", 1)[0]
            status, body = state.routes.get(path, (404, {"resourceType": "OperationOutcome"}))
            data = body if isinstance(body, bytes) else json.dumps(body).encode()  # bytes: sent as they are
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Keys:
    rsa: rsa.RSAPrivateKey
    ec: ec.EllipticCurvePrivateKey
    stranger: rsa.RSAPrivateKey
    """A key no JWKS publishes."""

    def jwks(self) -> dict[str, Any]:
        rsa_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.rsa.public_key()))
        ec_jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(self.ec.public_key()))
        return {"keys": [rsa_jwk | {"kid": "rsa-1", "use": "sig"}, ec_jwk | {"kid": "ec-1", "use": "sig"}]}


@pytest.fixture(scope="session")
def keys() -> Keys:
    return Keys(rsa.generate_private_key(65537, 2048), ec.generate_private_key(ec.SECP384R1()),
                rsa.generate_private_key(65537, 2048))


@pytest.fixture(scope="session")
def jwks_server(keys: Keys) -> Iterator[StandIn]:
    with stand_in() as server:
        server.routes["/jwks.json"] = (200, keys.jwks())
        server.routes["/other-jwks.json"] = (200, keys.jwks())
        yield server


@dataclass
class Served:
    """A running `dosecheck serve` with CDS Hooks."""

    process: subprocess.Popen[str]
    base: str
    db: pathlib.Path
    client: httpx.Client
    log: pathlib.Path
    """The server's stdout and stderr."""

    def call(self, service: str, body: Any, token: str | None = None, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        content = body if isinstance(body, (str, bytes)) else json.dumps(body)
        return self.client.post(f"{self.base}/cds-services/{service}", content=content,
                                headers=headers | {"Content-Type": "application/json"}, **kwargs)


def start_serve(tmp: pathlib.Path, *flags: str, scheme: str = "http", verify: Any = True,
                wait: bool = True) -> Served:
    http_port = free_port()
    db = tmp / f"cds-{http_port}.sqlite3"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "protos")]),
           "DOSECHECK_PURE_PYTHON": "1"}
    log = tmp / f"serve-{http_port}.log"
    # A file, not a pipe: nobody reads a pipe until the end, and once 64 KiB of log fill it the server blocks.
    with log.open("w", encoding="utf-8") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "service", "serve", "--port", str(free_port()), "--http-port", str(http_port),
             "--http-db", str(db), "--log-format", "json", "--grace", "2", "--drain-delay", "0", *flags],
            env=env, stdout=sink, stderr=subprocess.STDOUT, text=True)
    served = Served(process, f"{scheme}://127.0.0.1:{http_port}", db, httpx.Client(timeout=10, verify=verify), log)
    if wait:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert process.poll() is None, log.read_text(encoding="utf-8")
            with contextlib.suppress(httpx.HTTPError):
                if served.client.get(f"{served.base}/healthz/ready").status_code == 200:
                    return served
            time.sleep(0.1)
        pytest.fail("the CDS Hooks server did not become ready")
    return served


def stop_serve(served: Served) -> str:
    served.client.close()
    if served.process.poll() is None:
        served.process.terminate()
    served.process.wait(timeout=30)
    return served.log.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def dev_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """Loopback, no issuers: development mode, calls not authenticated."""
    served = start_serve(tmp_path_factory.mktemp("dev"))
    yield served
    stop_serve(served)


@pytest.fixture(scope="session")
def secured_server(tmp_path_factory: pytest.TempPathFactory, jwks_server: StandIn) -> Iterator[Served]:
    issuers = [{"iss": ISSUER, "jku": [f"{jwks_server.url}/jwks.json", f"{jwks_server.url}/other-jwks.json"]}]
    served = start_serve(tmp_path_factory.mktemp("secured"), "--http-issuers", json.dumps(issuers))
    yield served
    stop_serve(served)


def sign(key: Any, algorithm: str, kid: str, audience: str, *, jku: str | None, **claims: Any) -> str:
    now = int(time.time())
    payload = {"iss": ISSUER, "aud": audience, "iat": now, "exp": now + 300, "jti": str(uuid.uuid4())} | claims
    headers = {"kid": kid, "typ": "JWT"} | ({"jku": jku} if jku else {})
    return jwt.encode({k: v for k, v in payload.items() if v is not None}, key, algorithm=algorithm, headers=headers)
