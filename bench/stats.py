"""Percentiles and a description of the machine a benchmark ran on."""

from __future__ import annotations

import importlib.metadata
import math
import os
import platform
import shutil
import subprocess
from collections.abc import Sequence
from typing import Any

PACKAGES = ("grpcio", "grpcio-tools", "protobuf", "pydantic", "uvloop")


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile of some values.

    Args:
        values: the sample, in any order; must not be empty.
        fraction: 0.5 for the median, 0.99 for p99.

    Returns:
        The smallest value with at least `fraction` of the sample at or below it.
    """
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def machine() -> dict[str, Any]:
    """What the figures depend on: cores, load, Python and the versions of the tools.

    Returns:
        A JSON-able description.
    """
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    versions["h2load"] = _tool_version("h2load")
    return {
        "cores": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "versions": versions,
    }


def source_state() -> dict[str, Any]:
    """Which code was measured: the commit, and the files that differed from it.

    Returns:
        `commit` and `modified` (paths), or empty values outside a git checkout.
    """

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], capture_output=True, text=True, check=False)
        return done.stdout if done.returncode == 0 else ""

    if shutil.which("git") is None:
        return {"commit": "", "modified": []}
    modified = [line[3:] for line in git("status", "--porcelain", "--untracked-files=no").splitlines()]
    return {"commit": git("rev-parse", "--short", "HEAD").strip(), "modified": modified}


def _tool_version(tool: str) -> str | None:
    path = shutil.which(tool)
    if path is None:
        return None
    out = subprocess.run([path, "--version"], capture_output=True, text=True, check=False).stdout.strip()
    # "h2load nghttp2/1.52.0": the tool's name is already the key.
    return out.splitlines()[0].removeprefix(f"{tool} ") if out else "unknown"


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"
