"""Engine in-process: microseconds per `check()` for each request shape, and knowledge-base load time."""

from __future__ import annotations

import gc
import pathlib
import statistics
import time
from dataclasses import dataclass
from typing import Any

from bench.stats import percentile
from bench.workload import HEAVY, SHAPES, Shape, Workload
from interactions import CheckRequest, KnowledgeBase, check, load_knowledge_base
from interactions.engine import forget
from service import convert

REQUESTS_PER_SHAPE = 500
"""Distinct seeded requests per shape; every round checks all of them."""
NOVEL_READS = 5000
"""Never-seen strings read once each."""


@dataclass(frozen=True, slots=True)
class ShapeTiming:
    """Per-call times of `check()` for one request shape."""

    shape: str
    calls: int
    median_us: float
    p99_us: float


@dataclass(frozen=True, slots=True)
class EngineResult:
    """The engine's figures."""

    load_s: float
    """Median wall time of load-and-validate."""
    loads: int
    shapes: tuple[ShapeTiming, ...]
    novel_reads: ShapeTiming
    """Reading medication strings never seen before (no cache hit)."""


EHR_FORMS = ("MG PO TABS", "MG PO TBEC", "MG PO CAPS", "MG IV SOLN", "MG/5ML PO SUSP", "MG PO TB24")
"""Order-catalogue endings (strength unit, route, dose-form code) for EHR-format names."""


def ehr_name(name: str, strength: int, form: str) -> str:
    """A name as an EHR order catalogue writes it: upper case, strength, route and dose-form code."""
    return f"{name.upper()} {strength} {form}"


def ehr_requests(requests: list[CheckRequest]) -> list[CheckRequest]:
    """The same requests with every co-medication written as an order-catalogue line."""
    return [request._replace(concomitant=tuple(
        m._replace(name=ehr_name(m.name, 10 * (1 + i % 25), EHR_FORMS[i % len(EHR_FORMS)]))
        for i, m in enumerate(request.concomitant))) for request in requests]


def time_novel_reads(kb: KnowledgeBase, count: int) -> ShapeTiming:
    """Times reading `count` EHR-format strings that were never read before (each misses the cache).

    Args:
        kb: the loaded knowledge base.
        count: how many strings; each carries a strength of its own, so none repeats.

    Returns:
        Median and p99 of one read.
    """
    names = sorted({drug.name for drug in kb.drugs})
    texts = [ehr_name(names[i % len(names)], 1000 + i, EHR_FORMS[i % len(EHR_FORMS)]) for i in range(count)]
    read = kb.resolver.read
    read("WARM-UP 1 MG PO TABS")  # first-use work (the suggestion index) is not a read's cost
    samples: list[float] = []
    clock = time.perf_counter_ns
    gc.collect()
    for text in texts:
        started = clock()
        read(text)
        samples.append(clock() - started)
    return ShapeTiming("read a never-seen EHR-format string", len(samples), percentile(samples, 0.5) / 1000,
                       percentile(samples, 0.99) / 1000)


def time_load(kb_path: pathlib.Path | None, repeats: int) -> float:
    """Median seconds to load and validate the knowledge base from its files.

    Args:
        kb_path: the knowledge-base directory; None = the built-in one.
        repeats: how many loads to time.

    Returns:
        The median wall time of one load.
    """
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        load_knowledge_base(kb_path)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def time_checks(kb: KnowledgeBase, requests: list[Any], duration_s: float, remembered: bool = True) -> list[float]:
    """The times in ns of single `check()` calls over `requests`, again and again for about `duration_s`.

    At least one pass; warm the caches first. With `remembered` False, each call starts with the
    engine's memory of earlier checks emptied (outside the timing): the cost of a combination of
    findings never seen before.
    """
    samples: list[float] = []
    clock = time.perf_counter_ns
    gc.collect()
    deadline = time.perf_counter() + duration_s
    while not samples or time.perf_counter() < deadline:
        for request in requests:
            if not remembered:
                forget(kb)
            started = clock()
            check(kb, request)
            samples.append(clock() - started)
    return samples


def time_shape(kb: KnowledgeBase, shape: Shape, duration_s: float, as_proto: bool = False,
               ehr_names: bool = False, remembered: bool = True) -> ShapeTiming:
    """Times `check()` one call at a time over seeded requests of one shape for about `duration_s`.

    Args:
        kb: the loaded knowledge base.
        shape: the request shape.
        duration_s: roughly how long to keep calling.
        as_proto: pass the CheckRegimenRequest messages, as the server does, instead of domain requests.
        ehr_names: write the co-medications as order-catalogue lines ("POSACONAZOLE 100 MG PO TBEC").
        remembered: False to time every call with the engine's memory of earlier checks emptied.

    Returns:
        Median and p99 of the single-call times (warm: every string has been read once).
    """
    domain = Workload(kb).requests(shape, REQUESTS_PER_SHAPE)
    if ehr_names:
        domain = ehr_requests(domain)
    requests: list[Any] = [convert.request_to_proto(r) for r in domain] if as_proto else domain
    for request in requests:  # warm-up: first-use caches, the interpreter's specialisation
        check(kb, request)
    samples = time_checks(kb, requests, duration_s, remembered)
    label = f"{shape.label} as CheckRegimenRequest (the server's path)" if as_proto else shape.label
    if ehr_names:
        label = f"{shape.label}, EHR-format names"
    if not remembered:
        label += ", nothing remembered"
    return ShapeTiming(label, len(samples), percentile(samples, 0.5) / 1000, percentile(samples, 0.99) / 1000)


def run(kb_path: pathlib.Path | None, duration_s: float, load_repeats: int) -> EngineResult:
    """The engine benchmark.

    Args:
        kb_path: the knowledge-base directory; None = the built-in one.
        duration_s: time spent calling per shape.
        load_repeats: how many loads to time.

    Returns:
        Load time and per-shape call times.
    """
    load_s = time_load(kb_path, load_repeats)
    kb = load_knowledge_base(kb_path)
    shapes = (
        *(time_shape(kb, shape, duration_s) for shape in SHAPES),
        time_shape(kb, HEAVY, duration_s, as_proto=True),
        time_shape(kb, HEAVY, duration_s, ehr_names=True),
        time_shape(kb, HEAVY, duration_s, ehr_names=True, remembered=False),
    )
    return EngineResult(load_s, load_repeats, shapes, time_novel_reads(kb, NOVEL_READS))
