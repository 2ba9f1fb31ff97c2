"""The goals, judged from the raw results; the Markdown table; a JSON-able copy of everything."""

from __future__ import annotations

import dataclasses
import enum
import math
import statistics
from collections.abc import Callable
from typing import Any

from bench.load import LoadResult

MB = 1024 * 1024
SCALING_GOAL = 1.6
"""Rows/s with 2 audit workers over 1 (the answer-shape issue's bar)."""


def _median(values: list[float]) -> float:
    present = [v for v in values if v is not None and not math.isnan(v)]
    return statistics.median(present) if present else math.nan


def _pair(
    real: list[LoadResult], echo: list[LoadResult], value: Callable[[LoadResult], float | None]
) -> dict[str, Any]:
    """Medians over the rounds of one figure for real and echo, and the median of the per-round ratios."""
    ratios = [r.rate / e.rate for r, e in zip(real, echo, strict=True) if e.rate]
    return {
        "real": _median([value(r) for r in real]),  # type: ignore[misc]
        "echo": _median([value(e) for e in echo]),  # type: ignore[misc]
        "ratio_of_rates": _median(ratios),
        "ratios": ratios,
    }


def summarise(results: dict[str, Any]) -> dict[str, Any]:
    """The figures the table shows, and each goal judged.

    Args:
        results: what `bench.run` measured.

    Returns:
        `figures` (medians over rounds) and `goals` (name, measured, goal, unit, met).
    """
    eng = results["engine"]
    heavy = next(s for s in eng.shapes if s.shape == "5 + 30")
    heavy_ehr = next(s for s in eng.shapes if s.shape == "5 + 30, EHR-format names")
    unary = {}
    errors = 0
    for in_flight, runs in results["unary"].items():
        real, echo = runs["real"], runs["echo"]
        errors += sum(r.errors for r in real + echo)
        unary[in_flight] = {
            "qps": _pair(real, echo, lambda r: r.rate),
            "p50_us": _pair(real, echo, lambda r: r.p50_us),
            "p99_us": _pair(real, echo, lambda r: r.p99_us),
            "server_cpu_us": _pair(real, echo, lambda r: r.server_cpu_us),
        }
    real_s, echo_s = results["stream"]["real"], results["stream"]["echo"]
    errors += sum(r.errors for r in real_s + echo_s)
    stream = {
        "rows_per_s": _pair(real_s, echo_s, lambda r: r.rate),
        "server_cpu_us": _pair(real_s, echo_s, lambda r: r.server_cpu_us),
    }
    one, two = results["audit"]
    remote = results["remote_audit"]
    memory = results["memory"]
    errors += sum(r.errors for r in memory["load_runs"])
    figures = {"unary": unary, "stream": stream, "audit_speedup": two.rows_per_s / one.rows_per_s}
    streams = results["streams"]
    goals = [
        _goal("Engine: median per check, 5 + 30", heavy.median_us, 50, "µs", "<="),
        _goal("Engine: median per check, 5 + 30, EHR-format names (warm)", heavy_ehr.median_us, 50, "µs", "<="),
        _goal("Reading a never-seen medication string, median", eng.novel_reads.median_us, 20, "µs", "<="),
        _goal("Knowledge base load and validate", eng.load_s * 1000, 1000, "ms", "<"),
        _goal("CheckRegimen QPS real/echo, 8 in flight", unary[8]["qps"]["ratio_of_rates"], 0.90, "", ">="),
        _goal("CheckRegimen QPS real/echo, 64 in flight", unary[64]["qps"]["ratio_of_rates"], 0.90, "", ">="),
        _goal("CheckRegimen p99 latency, 8 in flight (real)", unary[8]["p99_us"]["real"] / 1000, 5, "ms", "<="),
        _goal("Audit in-process, 1 process", one.rows_per_s, 25_000, "rows/s", ">="),
        _goal("Audit in-process scaling, 2 workers / 1", figures["audit_speedup"], SCALING_GOAL, "x", ">="),
        _goal(
            f"AuditRegimens stream, real server, {streams} streams", stream["rows_per_s"]["real"], 8_000, "rows/s", ">="
        ),
        _goal("Audit output per row, plain BASIC JSON (`-o *.jsonl`)",
              results["audit_input"]["output_bytes_per_row"] / 1024, 3, "KB", "<="),
        _goal("Audit output per row, gzip (the default, `*.jsonl.gz`)",
              results["audit_input"]["gzip_output_bytes_per_row"] / 1024, 3, "KB", "<="),
        _goal("Answer to the 5 + 30 request, BASIC", results["request"]["answer_bytes"]["BASIC"] / 1024, 4, "KB", "<="),
        _goal("Answer to the 5 + 30 request, FULL", results["request"]["answer_bytes"]["FULL"] / 1024, 12, "KB", "<="),
        _goal("Server RSS growth, start-up to after all load", memory["growth"] * 100, 10, "%", "<="),
        _goal("Service calls failed during the runs", errors, 0, "calls", "<="),
    ]
    return {"figures": figures, "goals": goals, "remote_audit_rows_per_s": remote.rows_per_s}


def _goal(name: str, measured: float, goal: float, unit: str, op: str) -> dict[str, Any]:
    compare = {"<=": float.__le__, "<": float.__lt__, ">=": float.__ge__}[op]
    met = not math.isnan(measured) and compare(float(measured), float(goal))
    return {"name": name, "measured": measured, "goal": goal, "op": op, "unit": unit, "met": met}


def _num(value: float | None, digits: int = 0) -> str:
    if value is None or math.isnan(value):
        return "n/a"
    return f"{value:,.{digits}f}"


def _us(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "n/a"
    return f"{value / 1000:.2f} ms" if value >= 1000 else f"{value:.0f} µs"


def markdown(summary: dict[str, Any], results: dict[str, Any]) -> str:
    """The report: goals first, then the detail tables and the machine.

    Args:
        summary: from `summarise`.
        results: the raw results.

    Returns:
        Markdown text.
    """
    m = results["machine_before"]
    code = results["source"]["commit"] or "unknown"
    if results["source"]["modified"]:
        code += " with local changes to " + ", ".join(results["source"]["modified"])
    lines = [
        f"## dosecheck benchmark ({results['profile']['name']}): `{results['command']}`",
        "",
        f"Load generator: **{results['load_generator']}**; servers: {results['server_workers']} worker processes "
        f"(grpc.aio, SO_REUSEPORT), started fresh per run; {results['profile']['repeats']} round(s), "
        f"{results['profile']['warmup_s']:g} s warm-up + {results['profile']['duration_s']:g} s measured. "
        f"Knowledge base {results['knowledge_base']['version']} ({results['knowledge_base']['path']}). "
        f"Code: {code}; {results['build']}. "
        f"Request {results['request']['shape']}: {results['request']['request_bytes']} B, "
        f"response {results['request']['response_bytes']} B framed.",
        "",
        "| goal | measured | target | status |",
        "|---|---|---|---|",
    ]
    for goal in summary["goals"]:
        # Ratios get three decimals, so that 1.496 against 1.5 does not print as 1.50 vs 1.50.
        digits = {"": 3, "x": 3, "ms": 2, "µs": 1, "%": 1, "KB": 1}.get(goal["unit"], 0)
        unit = f" {goal['unit']}" if goal["unit"] else ""
        lines.append(
            f"| {goal['name']} | {_num(goal['measured'], digits)}{unit} | {goal['op']} {_num(goal['goal'], digits)}"
            f"{unit} | {'met' if goal['met'] else '**NOT met**'} |"
        )
    lines += ["", "Engine in-process (µs per `check()`):", "", "| shape | calls | median | p99 |", "|---|---|---|---|"]
    for shape in (*results["engine"].shapes, results["engine"].novel_reads):
        lines.append(f"| {shape.shape} | {shape.calls:,} | {shape.median_us:.1f} | {shape.p99_us:.1f} |")
    lines.append(
        f"\nKnowledge-base load and validate: {results['engine'].load_s * 1000:.1f} ms "
        f"(median of {results['engine'].loads})."
    )
    lines += [
        "",
        "CheckRegimen, real vs echo (medians over rounds; ratio = median of per-round QPS ratios):",
        "",
        "| in flight | real QPS | echo QPS | real/echo | real p50 / p99 | echo p50 / p99 "
        "| server CPU per call real / echo |",
        "|---|---|---|---|---|---|---|",
    ]
    for in_flight, f in summary["figures"]["unary"].items():
        lines.append(
            f"| {in_flight} | {_num(f['qps']['real'])} | {_num(f['qps']['echo'])} | "
            f"{_num(f['qps']['ratio_of_rates'], 2)} | {_us(f['p50_us']['real'])} / {_us(f['p99_us']['real'])} | "
            f"{_us(f['p50_us']['echo'])} / {_us(f['p99_us']['echo'])} | "
            f"{_us(f['server_cpu_us']['real'])} / {_us(f['server_cpu_us']['echo'])} |"
        )
    s = summary["figures"]["stream"]
    one, two = results["audit"]
    memory = results["memory"]
    a = results["audit_input"]
    lines += [
        "",
        f"Audits (rows of {a['shape']} drugs, {a['bytes_per_row']:,} B of JSON in, "
        f"{a['output_bytes_per_row']:,} B out per row; rows/s with start-up, parsing and writing):",
        "",
        "| run | rows/s | note |",
        "|---|---|---|",
        f"| AuditRegimens, real server, {results['streams']} streams | {_num(s['rows_per_s']['real'])} | "
        f"server CPU {_us(s['server_cpu_us']['real'])} per row |",
        f"| AuditRegimens, echo server (ceiling) | {_num(s['rows_per_s']['echo'])} | "
        f"real/echo {_num(s['rows_per_s']['ratio_of_rates'], 2)} |",
        f"| `dosecheck audit`, in-process, 1 process | {_num(one.rows_per_s)} | {one.rows:,} rows |",
        f"| `dosecheck audit`, in-process, --workers 2 | {_num(two.rows_per_s)} | "
        f"{_num(summary['figures']['audit_speedup'], 2)}x of 1 process |",
        f"| `dosecheck audit`, in-process, 1 process, `--output *.jsonl.gz` | "
        f"{_num(results['audit_gzip'].rows_per_s)} | "
        f"{a['gzip_output_bytes_per_row']:,} B out per row |",
        f"| `dosecheck audit --target` (its Python client) | {_num(summary['remote_audit_rows_per_s'])} | "
        "client and server share the cores |",
        "",
        f"Memory: server RSS ({memory['processes']} processes) {memory['after_start_bytes'] / MB:.1f} MB after "
        f"start-up, {memory['after_load_bytes'] / MB:.1f} MB after unary, stream and audit load "
        f"({memory['growth'] * 100:+.1f}%): {memory['anonymous_growth_bytes'] / MB:+.1f} MB anonymous (heaps, "
        f"caches, buffers), {memory['file_backed_growth_bytes'] / MB:+.1f} MB file-backed (library code paged in "
        "on first use).",
        "",
        f"Machine: {m['cores']} cores ({m['cpu']}), load average {m['load_average']} before, "
        f"{results['machine_after']['load_average']} after; Python {m['python']}; "
        + ", ".join(f"{k} {v}" for k, v in m["versions"].items())
        + f". Elapsed {results['elapsed_s']:.0f} s.",
    ]
    return "\n".join(lines)


def jsonable(value: Any) -> Any:
    """A copy of the results with dataclasses (and their rate properties) as dicts, keys as strings.

    Args:
        value: results, or any part of them.

    Returns:
        Something `json.dumps` accepts.
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
        for name in ("rate", "rows_per_s"):
            if hasattr(value, name):
                out[name] = getattr(value, name)
        return out
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, float) and math.isnan(value):
        return None
    return value
