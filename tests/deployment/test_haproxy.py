"""deploy/haproxy.cfg run for real, on loopback, in front of two `dosecheck serve` processes.

The configuration is the shipped file with its ports replaced and the replicas named instead of found
by Docker's DNS; its health check, balancing and retry lines are used as they are.
"""

from __future__ import annotations

import csv
import io
import json
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import threading
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from dosecheck.v1 import dosecheck_pb2_grpc
from tests.service.helpers import clinical_request
from tests.service.processes import ENV, ROOT, StartServe, free_port, wait_until

HAPROXY = shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin:/usr/local/sbin")
SHIPPED = (ROOT / "deploy" / "haproxy.cfg").read_text()
pytestmark = [
    pytest.mark.skipif(HAPROXY is None, reason="needs Debian's haproxy package (.ci/run installs it)"),
    pytest.mark.timeout(60),
]

# What a client of the balancer is advised to use (README, Deploying): retry UNAVAILABLE, a few times.
RETRYING_CLIENT = json.dumps(
    {
        "methodConfig": [
            {
                "name": [{"service": "dosecheck.v1.RegimenChecker"}],
                "retryPolicy": {
                    "maxAttempts": 4,
                    "initialBackoff": "0.1s",
                    "maxBackoff": "1s",
                    "backoffMultiplier": 2,
                    "retryableStatusCodes": ["UNAVAILABLE"],
                },
            }
        ]
    }
)


def loopback_config(template: str, *, port: int, monitor_port: int, servers: dict[str, str]) -> str:
    """deploy/haproxy.cfg listening on loopback ports, in front of `servers` (name -> host:port)."""
    replacements = {
        r"^    bind :50051 proto h2$": f"    bind 127.0.0.1:{port} proto h2",
        r"^    bind :8404$": f"    bind 127.0.0.1:{monitor_port}",
        r"^    server-template .*$": "\n".join(f"    server {name} {address}" for name, address in servers.items()),
        # Docker's DNS resolver section, up to the next section: the servers are named above.
        r"^resolvers docker\n(?:[ #].*\n|\n)*?(?=\S)": "",
    }
    config = template
    for pattern, replacement in replacements.items():
        config, count = re.subn(pattern, replacement, config, flags=re.MULTILINE)
        assert count == 1, f"deploy/haproxy.cfg no longer has one line matching {pattern!r}"
    return config


@dataclass
class Balancer:
    """A running HAProxy: its gRPC address and what its status page says about each server."""

    target: str
    monitor_port: int
    log_path: pathlib.Path

    def servers(self) -> dict[str, dict[str, str]]:
        """Each server's row of the status page (status, check_status, retries and so on)."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.monitor_port}/stats;csv", timeout=2) as answer:
            text = answer.read().decode().removeprefix("# ")
        return {row["svname"]: row for row in csv.DictReader(io.StringIO(text)) if row["pxname"] == "dosecheck"}

    def state(self, server: str) -> tuple[str, str]:
        row = self.servers()[server]
        return row["status"], row["check_status"]

    def wait_for(self, server: str, state: tuple[str, str], timeout_s: float) -> None:
        def reached() -> bool:
            try:
                return self.state(server) == state
            except OSError:  # not listening yet
                return False

        if not wait_until(reached, timeout_s):
            log = self.log_path.read_text()
            pytest.fail(f"{server} is {self.state(server)}, not {state}, after {timeout_s} s; haproxy said:\n{log}")


@contextmanager
def haproxy(tmp_path: pathlib.Path, servers: dict[str, str], template: str = SHIPPED) -> Iterator[Balancer]:
    """HAProxy with `template` (deploy/haproxy.cfg) in the foreground on free loopback ports."""
    assert HAPROXY is not None
    port, monitor_port = free_port(), free_port()
    config_path = tmp_path / "haproxy.cfg"
    config_path.write_text(loopback_config(template, port=port, monitor_port=monitor_port, servers=servers))
    log_path = tmp_path / "haproxy.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen([HAPROXY, "-f", str(config_path), "-db"], stdout=log, stderr=log)
    balancer = Balancer(f"127.0.0.1:{port}", monitor_port, log_path)
    try:
        for name in servers:
            balancer.wait_for(name, ("UP", "L7OK"), timeout_s=10)
        yield balancer
    finally:
        process.terminate()
        process.wait(10)


def test_health_check_takes_out_a_replica_that_stops_serving(serve: StartServe, tmp_path: pathlib.Path) -> None:
    """The check reads the gRPC health answer: NOT_SERVING takes a replica out while it still accepts calls."""
    _, steady = serve()
    draining, leaving = serve("--drain-delay", "30")
    with haproxy(tmp_path, {"steady": steady, "draining": leaving}) as balancer:
        draining.send_signal(signal.SIGTERM)

        # L7RSP: the check was answered, and not SERVING (a closed port would be L4CON).
        balancer.wait_for("draining", ("DOWN", "L7RSP"), timeout_s=10)
        with grpc.insecure_channel(leaving) as channel:
            health: Any = health_pb2_grpc.HealthStub(channel)  # the stubs package leaves its methods out
            answer = health.Check(health_pb2.HealthCheckRequest(service="dosecheck.v1.RegimenChecker"), timeout=2)
        assert answer.status == health_pb2.HealthCheckResponse.NOT_SERVING
        assert balancer.state("steady") == ("UP", "L7OK")


class Load:
    """CheckRegimen calls from several threads through one channel, their status codes counted."""

    def __init__(self, target: str, threads: int, *, retrying: bool) -> None:
        options = [("grpc.enable_retries", 1), ("grpc.service_config", RETRYING_CLIENT)] if retrying else []
        self._channel = grpc.insecure_channel(target, options=options)
        self._stub = dosecheck_pb2_grpc.RegimenCheckerStub(self._channel)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.codes: Counter[str] = Counter()
        self.failures: list[str] = []
        self._threads = [threading.Thread(target=self._calls, args=(i,)) for i in range(threads)]

    def _calls(self, thread: int) -> None:
        n = 0
        while not self._stop.is_set():
            request_id = f"t{thread}-{n}"
            try:
                answer = self._stub.CheckRegimen(clinical_request(request_id), timeout=10)
                code, failure = ("OK", None) if answer.request_id == request_id else ("WRONG_ANSWER", request_id)
            except grpc.RpcError as error:
                code, failure = _failure(error)
            with self._lock:
                self.codes[code] += 1
                if failure:
                    self.failures.append(failure)
            n += 1

    def calls(self) -> int:
        with self._lock:
            return sum(self.codes.values())

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(15)
        self._channel.close()


def _failure(error: grpc.RpcError) -> tuple[str, str]:
    assert isinstance(error, grpc.Call)
    return error.code().name, f"{error.code().name}: {error.details()}"


def _kill_under_load(balancer: Balancer, victim: subprocess.Popen[str], load: Load) -> dict[str, str]:
    """SIGKILLs `victim` once both replicas take calls; returns HAProxy's backend row once it is out."""
    assert wait_until(lambda: load.calls() >= 200, 20), load.codes
    served = {name: int(row["stot"]) for name, row in balancer.servers().items() if name != "BACKEND"}
    assert min(served.values()) > 0, f"both replicas take calls before the kill: {served}"

    victim.send_signal(signal.SIGKILL)
    at_kill = load.calls()
    balancer.wait_for("victim", ("DOWN", "L4CON"), timeout_s=5)
    assert wait_until(lambda: load.calls() >= at_kill + 200, 20), load.codes
    return balancer.servers()["BACKEND"]


def test_a_replica_killed_under_load_costs_no_call_and_an_audit_gets_every_row(
    serve: StartServe, tmp_path: pathlib.Path
) -> None:
    survivor_process, survivor = serve()
    victim_process, victim = serve()
    with haproxy(tmp_path, {"survivor": survivor, "victim": victim}) as balancer:
        with Load(balancer.target, 8, retrying=True) as load:
            backend = _kill_under_load(balancer, victim_process, load)
        # The calls the killed replica had taken were resent by HAProxy (retry-on empty-response),
        # those sent to it afterwards redispatched (conn-failure): the client saw none of it.
        assert load.codes.keys() == {"OK"}, (
            f"{load.failures}; haproxy resent {backend['wretr']} and redispatched {backend['wredis']} calls"
        )
        assert survivor_process.poll() is None

        # The audit's streams go through the balancer to the replica left; every row is answered once.
        rows = ROOT / "examples" / "regimens.jsonl"
        output = tmp_path / "audit.jsonl"
        audit = subprocess.run(
            [sys.executable, "-m", "service", "audit", str(rows), "-o", str(output), "--target", balancer.target,
             "--timeout", "20", "--no-progress"],
            env=ENV, capture_output=True, text=True, timeout=40,
        )
    records = [json.loads(line) for line in output.read_text().splitlines()]
    input_lines = len(rows.read_text().splitlines())
    assert [record["line"] for record in records] == list(range(1, input_lines + 1)), audit.stderr
    with_errors = sum("error" in record["response"] for record in records)
    assert audit.returncode == (1 if with_errors else 0), audit.stderr


def test_what_haproxy_does_not_resend_the_client_retry_policy_absorbs(
    serve: StartServe, tmp_path: pathlib.Path
) -> None:
    """Without HAProxy's resend of taken calls, those the kill cuts reach clients as UNAVAILABLE only.

    HAProxy resets their streams (REFUSED_STREAM), which gRPC reads as UNAVAILABLE: a client with
    the retry policy sees no failure, one without sees nothing but UNAVAILABLE.
    """
    assert SHIPPED.count("    retry-on conn-failure empty-response\n") == 1
    no_resend = SHIPPED.replace("retry-on conn-failure empty-response", "retry-on conn-failure")
    _, survivor = serve()
    victim_process, victim = serve()
    with (
        haproxy(tmp_path, {"survivor": survivor, "victim": victim}, no_resend) as balancer,
        Load(balancer.target, 4, retrying=False) as plain,
        Load(balancer.target, 8, retrying=True) as retrying,
    ):
        _kill_under_load(balancer, victim_process, retrying)

    assert retrying.codes.keys() == {"OK"}, retrying.failures
    assert plain.codes.keys() <= {"OK", "UNAVAILABLE"}, plain.failures
