"""Prometheus metrics of a real `dosecheck serve --workers 2`: one /metrics summing both workers."""

from __future__ import annotations

import collections
import json
import pathlib
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

import grpc
import httpx
import pytest
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.parser import text_string_to_metric_families

from dosecheck.v1 import dosecheck_pb2 as pb
from dosecheck.v1 import dosecheck_pb2_grpc
from interactions import check, load_knowledge_base
from service.metrics import Metrics
from service.server import METRICS_FLUSH_S
from tests.service.helpers import clinical_request
from tests.service.processes import ENV, StartServe, descendants, free_port, stderr_of, wait_until

ROOT = pathlib.Path(__file__).resolve().parents[2]
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def _request() -> pb.CheckRegimenRequest:
    """Venetoclax with posaconazole (a finding), and a name nobody knows (not checked)."""
    request = clinical_request()
    request.concomitant.add(name="flibbertigibbet", dose_mg=1)
    return request


def _scrape(port: int) -> Samples:
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def _multiproc_dir(log: str) -> pathlib.Path:
    found = re.search(r"metrics of every worker in (\S+?)\"", log)
    assert found, log
    return pathlib.Path(found.group(1))


def test_metrics_sum_both_workers_and_their_directory_goes_at_exit(
    serve: StartServe, tmp_path: pathlib.Path
) -> None:
    ended = subprocess.Popen([sys.executable, "-c", ""])  # a process id that no process has any more
    ended.wait()
    orphan = pathlib.Path(tempfile.gettempdir()) / f"dosecheck-metrics-{ended.pid}-test"
    orphan.mkdir()
    metrics_port = free_port()
    process, target = serve("--workers", "2", "--metrics-port", str(metrics_port))
    directory = _multiproc_dir(stderr_of(process, tmp_path))
    assert not orphan.exists()  # a server killed outright left it; the next one removes it
    workers = descendants(process.pid)
    assert len(workers) == 2
    assert directory.is_dir()

    calls = 0
    # New connections until each worker has checked regimens (the kernel spreads connections, not
    # calls); a worker's counter file appears at its first flush.
    for _ in range(40):
        with grpc.insecure_channel(target, options=[("grpc.use_local_subchannel_pool", 1)]) as channel:
            stub = dosecheck_pb2_grpc.RegimenCheckerStub(channel)
            for _ in range(2):
                stub.CheckRegimen(_request(), timeout=10)
                calls += 1
        if wait_until(lambda: all((directory / f"counter_{pid}.db").exists() for pid in workers), 0.3):
            break
    assert all((directory / f"counter_{pid}.db").exists() for pid in workers), "one worker got every connection"
    with grpc.insecure_channel(target) as channel:
        stub = dosecheck_pb2_grpc.RegimenCheckerStub(channel)
        with pytest.raises(grpc.RpcError) as invalid:
            stub.CheckRegimen(pb.CheckRegimenRequest(), timeout=10)  # no regimen
        assert invalid.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        audit = list(stub.AuditRegimens(iter([_request(), pb.CheckRegimenRequest(), _request()]), timeout=10))
        assert [row.HasField("error") for row in audit] == [False, True, False]
        knowledge_base = stub.GetKnowledgeBase(pb.GetKnowledgeBaseRequest(), timeout=10)
    time.sleep(METRICS_FLUSH_S + 0.5)
    samples = _scrape(metrics_port)

    duration = "dosecheck_rpc_duration_seconds_count"
    assert _value(samples, duration, method="CheckRegimen", code="OK") == calls
    assert _value(samples, duration, method="CheckRegimen", code="INVALID_ARGUMENT") == 1
    assert _value(samples, duration, method="AuditRegimens", code="OK") == 1
    assert _value(samples, "dosecheck_stream_responses_total", method="AuditRegimens", outcome="ok") == 2
    assert _value(samples, "dosecheck_stream_responses_total", method="AuditRegimens", outcome="error") == 1
    # What the engine says about one request, times the checks made (calls and good audit rows).
    checks = calls + 2
    result = check(load_knowledge_base(None), _request())
    findings = collections.Counter((f.severity.name, m.name) for f in result.findings for m in f.mechanisms)
    assert findings
    assert result.unrecognized
    assert not result.complete
    for (severity, mechanism), count in findings.items():
        assert _value(samples, "dosecheck_findings_total", severity=severity, mechanism=mechanism) == count * checks
    assert _value(samples, "dosecheck_unrecognized_medications_total", reason="UNKNOWN") == checks
    for action, count in collections.Counter(d.action.name for d in result.doses).items():
        assert _value(samples, "dosecheck_dose_decisions_total", action=action) == count * checks
    assert _value(samples, "dosecheck_checks_total", highest_severity=result.highest_severity.name,
                  complete="false") == checks
    assert _value(samples, "dosecheck_knowledge_base_info", version=knowledge_base.version,
                  content_hash=knowledge_base.content_hash) == 1
    assert _value(samples, "dosecheck_workers_started_total") == 2

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    assert not directory.exists()


def test_a_metrics_port_in_use_refuses_to_start_with_exit_2() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "service", "serve", "--port", str(free_port()), "--metrics-port", str(port)],
            env=ENV, capture_output=True, text=True, timeout=60, check=False,
        )
    assert result.returncode == 2
    assert f"refusing to start: metrics port {port}" in result.stderr


def test_grafana_dashboard_charts_the_server_metrics() -> None:
    dashboard = json.loads((ROOT / "deploy" / "grafana-dashboard.json").read_text())
    expressions = " ".join(
        target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])
    )
    # Every metric family the server defines has a chart.
    families = {metric.name for collector in vars(Metrics()).values() if isinstance(collector, MetricWrapperBase)
                for metric in collector.describe()}
    assert len(families) >= 12
    for name in sorted(families):
        assert re.search(rf"\b{name}(_total|_count|_bucket)?\b", expressions), name
