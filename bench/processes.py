"""Benchmark servers as subprocesses: start fresh, wait until every worker serves, read RSS and CPU, stop."""

from __future__ import annotations

import os
import pathlib
import signal
import socket
import subprocess
import sys
import time
from types import TracebackType
from typing import NamedTuple

from service.server import SERVICE_NAME

READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0
_TICK = os.sysconf("SC_CLK_TCK")


class Resident(NamedTuple):
    """Resident memory in bytes: in all, and its anonymous and file-backed parts."""

    total: int
    anonymous: int
    file_backed: int


def free_port() -> int:
    """A loopback port that was free a moment ago (the server binds it itself, with SO_REUSEPORT).

    Returns:
        The port number.
    """
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class ServerProcess:
    """`python -m bench.server` in its own process group, used as a context manager."""

    def __init__(
        self,
        kind: str,
        *,
        workers: int,
        workdir: pathlib.Path,
        kb_path: pathlib.Path | None,
        requests_file: pathlib.Path,
        port: int | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        """Describes the server; `__enter__` starts it.

        Args:
            kind: "real" or "echo".
            workers: worker processes sharing the port.
            workdir: where its log file goes.
            kb_path: the knowledge base (None = built-in).
            requests_file: the benchmark requests, gRPC-framed (the echo server's answers are built from them).
            port: the port to bind; None = a free one (a restart passes the port of the server it replaces).
            env: `DOSECHECK_*` settings to add to this process's environment (limits under test).
        """
        self.kind = kind
        self.workers = workers
        self.port = free_port() if port is None else port
        self._env = None if env is None else {**os.environ, **env}
        self.log_path = workdir / f"server-{kind}-{self.port}.log"
        self._command = [
            sys.executable,
            "-m",
            "bench.server",
            f"--{kind}",
            "--port",
            str(self.port),
            "--workers",
            str(workers),
        ]
        if kind == "echo":
            self._command += ["--requests", str(requests_file)]
        if kb_path is not None:
            self._command += ["--kb", str(kb_path)]
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def target(self) -> str:
        """host:port for a gRPC client."""
        return f"127.0.0.1:{self.port}"

    @property
    def url_base(self) -> str:
        """http://host:port for h2load and nghttp."""
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ServerProcess:
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(
                self._command, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True, env=self._env
            )
        self._wait_ready()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _wait_ready(self) -> None:
        # Each worker logs "serving ..." once its health service says SERVING; with several
        # workers on one port, a probe would reach only whichever worker the kernel picks.
        assert self._process is not None
        marker = f"serving {SERVICE_NAME} on "
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"{self.kind} server exited with {self._process.returncode}: {self._tail()}")
            if self.log_path.read_text(errors="replace").count(marker) >= self.workers:
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{self.kind} server not ready after {READY_TIMEOUT_S:.0f}s: {self._tail()}")

    def _tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-2000:]

    def pids(self) -> list[int]:
        """The supervisor and every worker process.

        Returns:
            Process ids, the supervisor first.
        """
        assert self._process is not None
        found = [self._process.pid]
        for pid in found:  # grows as children are found: a breadth-first walk
            for task in pathlib.Path(f"/proc/{pid}/task").glob("*/children"):
                try:
                    found.extend(int(child) for child in task.read_text().split())
                except OSError:
                    continue
        return found

    def memory(self) -> Resident:
        """Resident memory of the supervisor and its workers, summed, split by kind.

        Returns:
            Bytes in all, anonymous (heaps, buffers) and file-backed (library code and data mapped
            from disk, paged in as code paths are first used, shared and reclaimable).
        """
        total = anonymous = file_backed = 0
        for pid in self.pids():
            try:
                status = pathlib.Path(f"/proc/{pid}/status").read_text().splitlines()
            except OSError:
                continue
            kib = {key: int(value.split()[0]) for key, _, value in (line.partition(":") for line in status)
                   if key in ("VmRSS", "RssAnon", "RssFile")}
            # A process that has just exited (a zombie) has none of these lines.
            total += kib.get("VmRSS", 0) * 1024
            anonymous += kib.get("RssAnon", 0) * 1024
            file_backed += kib.get("RssFile", 0) * 1024
        return Resident(total, anonymous, file_backed)

    def cpu_seconds(self) -> float:
        """User plus system CPU time of the supervisor and its workers so far.

        Returns:
            Seconds.
        """
        total = 0
        for pid in self.pids():
            try:
                # The command name (field 2) may hold spaces; the fields after its ')' are fixed.
                fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / _TICK

    def stop(self) -> None:
        """SIGTERM (a graceful stop, as in production), then SIGKILL to the group if it hangs."""
        process = self._process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
