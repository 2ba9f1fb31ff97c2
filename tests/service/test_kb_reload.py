"""Knowledge-base reload on SIGHUP (and `dosecheck kb reload`) in a real `dosecheck serve --workers 2`."""

from __future__ import annotations

import pathlib
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import grpc
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from typer.testing import CliRunner

from dosecheck.v1 import dosecheck_pb2 as pb
from dosecheck.v1 import dosecheck_pb2_grpc
from service.cli import app
from tests.service.helpers import clinical_request
from tests.service.processes import (
    ENV,
    StartServe,
    free_port,
    stderr_of,
    wait_until,
    wait_until_serving,
)

SITE = """
site = "Example General"
extends = "built-in"
"""
SYNONYM = """
[[synonym]]
name = "POSA DR TAB (ONC)"
drugs = ["posaconazole"]
author = "A. Pharmacist, PharmD"
reason = "Formulary item 104233"
"""
INVALID = """
[[synonym]]
name = "NO SUCH TAB"
drugs = ["no-such-drug"]
author = "A. Pharmacist, PharmD"
reason = "a typo"
"""


def _request() -> pb.CheckRegimenRequest:
    """Venetoclax with the site's catalogue name of posaconazole (instead of the generic name)."""
    request = clinical_request()
    del request.concomitant[:]
    request.concomitant.add(name="POSA DR TAB (ONC)", dose_mg=300)
    return request


def _stubs(target: str, connections: int) -> list[dosecheck_pb2_grpc.RegimenCheckerStub]:
    """Stubs on separate connections, which the kernel spreads over the workers."""
    return [
        dosecheck_pb2_grpc.RegimenCheckerStub(
            grpc.insecure_channel(target, options=[("grpc.use_local_subchannel_pool", 1)])
        )
        for _ in range(connections)
    ]


def _hashes(stubs: list[dosecheck_pb2_grpc.RegimenCheckerStub]) -> set[str]:
    return {stub.GetKnowledgeBase(pb.GetKnowledgeBaseRequest(), timeout=10).content_hash for stub in stubs}


def _reloads(metrics_port: int, outcome: str) -> float:
    text = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).text
    return sum(sample.value for family in text_string_to_metric_families(text) for sample in family.samples
               if sample.name == "dosecheck_knowledge_base_reloads_total" and sample.labels == {"outcome": outcome})


def test_sighup_swaps_in_a_valid_knowledge_base_and_refuses_an_invalid_one(
    serve: StartServe, tmp_path: pathlib.Path
) -> None:
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "site.toml").write_text(SITE)
    metrics_port = free_port()
    process, target = serve("--workers", "2", "--kb", str(kb), "--metrics-port", str(metrics_port))
    stubs = _stubs(target, 8)  # both workers, almost surely: each must reload
    (old_hash,) = _hashes(stubs)
    before = stubs[0].CheckRegimen(_request(), timeout=10)
    assert [u.name for u in before.unrecognized] == ["POSA DR TAB (ONC)"]
    assert not before.complete

    (kb / "site.toml").write_text(SITE + SYNONYM)
    process.send_signal(signal.SIGHUP)
    assert wait_until(lambda: old_hash not in _hashes(stubs), 30)
    (new_hash,) = _hashes(stubs)
    for stub in stubs:
        after = stub.CheckRegimen(_request(), timeout=10)
        assert after.complete
        assert not after.unrecognized
        assert any("posaconazole" in f.precipitant_drugs for f in after.findings)
    assert wait_until(lambda: _reloads(metrics_port, "loaded") == 2, 10)  # one per worker

    (kb / "site.toml").write_text(SITE + SYNONYM + INVALID)
    process.send_signal(signal.SIGHUP)
    assert wait_until(lambda: _reloads(metrics_port, "refused") == 2, 30)
    assert _hashes(stubs) == {new_hash}
    assert stubs[0].CheckRegimen(_request(), timeout=10).complete
    assert "knowledge-base reload refused" in stderr_of(process, tmp_path)
    assert "no-such-drug" in stderr_of(process, tmp_path)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0


def test_kb_reload_signals_the_server_named_by_its_pid_file(serve: StartServe, tmp_path: pathlib.Path) -> None:
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "site.toml").write_text(SITE)
    pid_path = tmp_path / "dosecheck.pid"
    process, target = serve("--kb", str(kb), "--pid-file", str(pid_path))
    assert int(pid_path.read_text()) == process.pid
    (stub,) = _stubs(target, 1)
    (old_hash,) = _hashes([stub])

    (kb / "site.toml").write_text(SITE + SYNONYM)
    result = CliRunner().invoke(app, ["kb", "reload", "--pid-file", str(pid_path)])
    assert result.exit_code == 0, result.output
    assert wait_until(lambda: _hashes([stub]) != {old_hash}, 30)
    assert stub.CheckRegimen(_request(), timeout=10).complete

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    assert not pid_path.exists()


def test_kb_reload_without_a_server_exits_2(tmp_path: pathlib.Path) -> None:
    result = CliRunner().invoke(app, ["kb", "reload", "--pid-file", str(tmp_path / "none.pid")])
    assert result.exit_code == 2
    assert "no server pid" in result.output


def test_a_stream_under_way_finishes_on_the_knowledge_base_it_started_with(
    serve: StartServe, tmp_path: pathlib.Path
) -> None:
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "site.toml").write_text(SITE)
    process, target = serve("--kb", str(kb))
    (stub,) = _stubs(target, 1)
    (old_hash,) = _hashes([stub])
    rows: list[pb.CheckRegimenRequest | None] = []

    def requests() -> Iterator[pb.CheckRegimenRequest]:
        yield _request()
        while not rows:  # the second row waits until the reload is done
            time.sleep(0.05)
        yield _request()

    stream = stub.AuditRegimens(requests(), timeout=30)
    first = next(stream)
    (kb / "site.toml").write_text(SITE + SYNONYM)
    process.send_signal(signal.SIGHUP)
    assert wait_until(lambda: _hashes([stub]) != {old_hash}, 30)
    rows.append(None)
    second = next(stream)

    assert first.knowledge_base_version == second.knowledge_base_version
    # The stream's rows: the old knowledge base.
    assert not first.complete
    assert not second.complete
    assert stub.CheckRegimen(_request(), timeout=10).complete  # a new call: the new one


@pytest.mark.parametrize("workers", [1, 2])
def test_a_sighup_while_the_server_starts_neither_ends_it_nor_is_lost(tmp_path: pathlib.Path, workers: int) -> None:
    # The pid file is written before the knowledge base loads: `dosecheck kb reload` may signal a server
    # still starting. It used to end it (SIGHUP's default action) or, in a worker, go unheeded.
    pid_path, port, metrics_port = tmp_path / "dosecheck.pid", free_port(), free_port()
    with open(tmp_path / "serve.log", "w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "service", "serve", "--port", str(port), "--workers", str(workers),
             "--pid-file", str(pid_path), "--metrics-port", str(metrics_port)],
            env=ENV, stdout=subprocess.DEVNULL, stderr=log, text=True)
    try:
        assert wait_until(pid_path.exists, 30)
        process.send_signal(signal.SIGHUP)
        wait_until_serving(f"127.0.0.1:{port}", process)
        assert wait_until(lambda: _reloads(metrics_port, "loaded") == workers, 30)  # each worker, once
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(30)
