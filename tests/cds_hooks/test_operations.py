"""The CDS Hooks side of operations, in real `dosecheck serve` processes: SIGHUP reloads its
knowledge base (with the gRPC side) and its TLS certificate, and /metrics counts its requests."""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import pathlib
import signal
import socket
import ssl
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import trustme

from tests.cds_hooks import examples
from tests.cds_hooks.conftest import Served, start_serve, stop_serve
from tests.cds_hooks.test_hooks import VENETOCLAX_START
from tests.service.processes import free_port, wait_until
from tests.service.test_grpc_security import certificate_renewed, served_certificate, write_server_certificate
from tests.service.test_kb_reload import INVALID, SITE, SYNONYM
from tests.service.test_metrics import _scrape, _value

SIGN = "dosecheck-order-sign"
OLD_KB = "Not checked: 1 medication not recognised (POSA DR TAB (ONC))"
"""The card of the old knowledge base, beside the start's ramp-up (VENETOCLAX_START)."""
NEW_KB = "Venetoclax: reduce to 70 mg with posaconazole"


def _site_catalogue_call() -> dict[str, Any]:
    """Venetoclax with the site's catalogue name of posaconazole, which only SYNONYM makes known."""
    return examples.call("order-sign", [examples.order("ven-1", "venetoclax", 400)],
                         [examples.order("posa-1", "POSA DR TAB (ONC)", 300, status="active")])


def _summaries(served: Served, body: dict[str, Any], **client: Any) -> list[str]:
    """The cards' summaries of a call on a new connection (the kernel spreads those over the workers)."""
    with httpx.Client(timeout=30, **client) as fresh:
        response = fresh.post(f"{served.base}/cds-services/{SIGN}", json=body)
    assert response.status_code == 200, response.text
    return [card["summary"] for card in response.json()["cards"]]


def _ready_hashes(served: Served, connections: int = 8) -> set[str]:
    return {httpx.get(f"{served.base}/healthz/ready", timeout=10).json()["knowledgeBaseHash"]
            for _ in range(connections)}


@pytest.fixture
def kb(tmp_path: pathlib.Path) -> pathlib.Path:
    """A site knowledge base the test edits."""
    directory = tmp_path / "kb"
    directory.mkdir()
    (directory / "site.toml").write_text(SITE)
    return directory


@contextlib.contextmanager
def _serving(tmp_path: pathlib.Path, *flags: str, **options: Any) -> Iterator[Served]:
    served = start_serve(tmp_path, *flags, **options)
    try:
        yield served
    finally:
        stop_serve(served)


def test_sighup_swaps_the_knowledge_base_of_hook_calls_and_refuses_an_invalid_one(
        tmp_path: pathlib.Path, kb: pathlib.Path) -> None:
    metrics_port = free_port()
    with _serving(tmp_path, "--workers", "2", "--kb", str(kb), "--metrics-port", str(metrics_port)) as served:
        (old_hash,) = _ready_hashes(served)
        assert _summaries(served, _site_catalogue_call()) == [VENETOCLAX_START, OLD_KB]

        (kb / "site.toml").write_text(SITE + SYNONYM)
        served.process.send_signal(signal.SIGHUP)
        assert wait_until(lambda: old_hash not in _ready_hashes(served), 30)
        (new_hash,) = _ready_hashes(served)
        for _ in range(8):  # both workers, almost surely
            assert _summaries(served, _site_catalogue_call()) == [NEW_KB]
        # One load per worker serves both sides: the gRPC side counted it, once per worker.
        assert wait_until(lambda: _value(_scrape(metrics_port), "dosecheck_knowledge_base_reloads_total",
                                         outcome="loaded") == 2, 10)

        (kb / "site.toml").write_text(SITE + SYNONYM + INVALID)
        served.process.send_signal(signal.SIGHUP)
        assert wait_until(lambda: _value(_scrape(metrics_port), "dosecheck_knowledge_base_reloads_total",
                                         outcome="refused") == 2, 30)
        assert _ready_hashes(served) == {new_hash}
        for _ in range(4):
            assert _summaries(served, _site_catalogue_call()) == [NEW_KB]
    assert "knowledge-base reload refused" in served.log.read_text(encoding="utf-8")


@contextlib.contextmanager
def _held_fhir_server(bundle: dict[str, Any]) -> Iterator[tuple[str, threading.Event, threading.Event]]:
    """A FHIR server that answers its one request with `bundle` only once released.

    Yields:
        Its URL, the event set when the request has arrived, and the event that releases the answer.
    """
    listener = socket.create_server(("127.0.0.1", 0))
    arrived, release = threading.Event(), threading.Event()

    def answer() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.recv(65536)
            arrived.set()
            release.wait(60)
            body = json.dumps(bundle).encode()
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\nConnection: close\r\n"
                               b"Content-Length: %d\r\n\r\n%s" % (len(body), body))

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", arrived, release
    finally:
        release.set()
        thread.join(10)
        listener.close()


def test_a_hook_call_under_way_finishes_on_the_knowledge_base_it_started_with(
        tmp_path: pathlib.Path, kb: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOSECHECK_HTTP_FHIR_TIMEOUT_S", "30")  # the held fetch outlasts the reload
    body = _site_catalogue_call()
    medication_requests = body["prefetch"].pop("medicationRequests")  # fetched from the FHIR server instead
    with (_serving(tmp_path, "--kb", str(kb)) as served,
          _held_fhir_server(medication_requests) as (url, arrived, release),
          concurrent.futures.ThreadPoolExecutor(1) as pool):
        under_way = pool.submit(_summaries, served, examples.with_fhir_server(body, url))
        assert arrived.wait(30), "the call did not reach the FHIR server"
        (old_hash,) = _ready_hashes(served, 1)
        (kb / "site.toml").write_text(SITE + SYNONYM)
        served.process.send_signal(signal.SIGHUP)
        assert wait_until(lambda: _ready_hashes(served, 1) != {old_hash}, 30)
        assert _summaries(served, _site_catalogue_call()) == [NEW_KB]  # a new call: the new one
        release.set()
        assert under_way.result(timeout=30) == [VENETOCLAX_START, OLD_KB]  # the call under way: the one it started with


def test_sighup_makes_new_https_connections_see_a_new_certificate_and_unusable_files_change_nothing(
        tmp_path: pathlib.Path) -> None:
    ca, renewed_ca = trustme.CA(), trustme.CA()
    cert, key = write_server_certificate(ca, tmp_path)
    ca_file, renewed_file, both_file = tmp_path / "ca.pem", tmp_path / "renewed-ca.pem", tmp_path / "both.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    renewed_ca.cert_pem.write_to_path(str(renewed_file))
    both_file.write_bytes(ca.cert_pem.bytes() + renewed_ca.cert_pem.bytes())
    metrics_port = free_port()
    trusting_both = ssl.create_default_context(cafile=str(both_file))
    with _serving(tmp_path, "--workers", "2", "--http-tls-cert", str(cert), "--http-tls-key", str(key),
                  "--metrics-port", str(metrics_port), scheme="https", verify=trusting_both) as served:
        target = served.base.removeprefix("https://")
        old = served_certificate(target, ca_file)
        kept = httpx.Client(timeout=10, verify=trusting_both)  # one connection, made with the old certificate
        assert kept.get(f"{served.base}/healthz/ready").status_code == 200

        write_server_certificate(renewed_ca, tmp_path)
        served.process.send_signal(signal.SIGHUP)

        assert wait_until(lambda: certificate_renewed(target, renewed_file, old), 20), \
            "no new connection was shown the new certificate"
        assert wait_until(lambda: _value(_scrape(metrics_port), "dosecheck_tls_certificate_reloads_total",
                                         port="http", outcome="loaded") == 2, 30)  # both workers
        new = served_certificate(target, renewed_file)
        assert all(served_certificate(target, renewed_file) == new for _ in range(12))
        # The connection opened before the reload goes on, with the certificate it was made with.
        response = kept.post(f"{served.base}/cds-services/{SIGN}", json=examples.venetoclax_with_posaconazole())
        assert response.json()["cards"][0]["summary"] == NEW_KB
        assert response.extensions["network_stream"].get_extra_info("ssl_object").getpeercert(True) == old
        kept.close()

        # A key that is not the certificate's: refused, and the certificate in use stays.
        trustme.CA().issue_cert("127.0.0.1").private_key_pem.write_to_path(str(key))
        served.process.send_signal(signal.SIGHUP)
        assert wait_until(lambda: _value(_scrape(metrics_port), "dosecheck_tls_certificate_reloads_total",
                                         port="http", outcome="refused") == 2, 10)
        assert all(served_certificate(target, renewed_file) == new for _ in range(12))
        assert _summaries(served, examples.venetoclax_with_posaconazole(), verify=trusting_both) == [NEW_KB]
    assert "CDS Hooks TLS certificate not reloaded, the one in use stays" in served.log.read_text(encoding="utf-8")


def test_metrics_count_hook_calls_by_route_hook_and_status_with_their_cards_and_findings(
        tmp_path: pathlib.Path) -> None:
    metrics_port = free_port()
    with _serving(tmp_path, "--metrics-port", str(metrics_port)) as served:
        assert served.call(SIGN, examples.venetoclax_with_posaconazole()).status_code == 200
        assert served.call(SIGN, examples.unknown_medication()).status_code == 200
        assert served.call("no-such-service", examples.venetoclax_with_posaconazole()).status_code == 404
        assert served.client.get(f"{served.base}/no/such/path").status_code == 404

        def flushed() -> bool:  # the counts of results are written once a second
            return _value(_scrape(metrics_port), "dosecheck_unrecognized_medications_total", reason="UNKNOWN") >= 1

        assert wait_until(flushed, 10)
        samples = _scrape(metrics_port)
    requests = "dosecheck_http_request_duration_seconds_count"
    route = "/cds-services/{service_id}"
    assert _value(samples, requests, route=route, hook="order-sign", status="200") == 2
    assert _value(samples, requests, route=route, hook="", status="404") == 1
    assert _value(samples, requests, route="unmatched", hook="", status="404") == 1
    assert _value(samples, requests, route="/healthz/ready", hook="", status="200") >= 1  # start_serve's wait
    assert _value(samples, "dosecheck_cds_hooks_cards_total", hook="order-sign", indicator="warning") >= 1
    assert _value(samples, "dosecheck_checks_total", highest_severity="MAJOR", complete="true") >= 1
    assert sum(value for (name, labels), value in samples.items()
               if name == "dosecheck_checks_total" and ("complete", "false") in labels) == 1  # the unknown name
    assert any(name == "dosecheck_findings_total" and value >= 1 for (name, _), value in samples.items())
    assert any(name == "dosecheck_dose_decisions_total" and value >= 1 for (name, _), value in samples.items())


def test_unusable_https_files_refuse_to_start_naming_the_file(tmp_path: pathlib.Path) -> None:
    cert, _ = write_server_certificate(trustme.CA(), tmp_path)
    other_key = tmp_path / "other.key"
    trustme.CA().issue_cert("127.0.0.1").private_key_pem.write_to_path(str(other_key))
    served = start_serve(tmp_path, "--http-tls-cert", str(cert), "--http-tls-key", str(other_key), wait=False)
    assert served.process.wait(timeout=60) == 2
    assert f"refusing to start: CDS Hooks TLS: {other_key} is not the key of the certificate" in stop_serve(served)
