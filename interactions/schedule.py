"""Monitoring schedules: protocol specs -> dated events for the first cycles of a regimen."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from interactions.model import Citation, MonitoringEvent, MonitoringSchedule, MonitoringTest
from interactions.schema import DAY_LABEL, MonitoringSpec, citations_of

DEFAULT_CYCLE_LENGTH_DAYS = 28
"""The contract's default (`cycle_length_days` 0): the 28-day cycles of the labelled AML regimens."""
CYCLES_SCHEDULED = 3


@dataclass(frozen=True, slots=True, eq=False)
class Protocol:
    """A monitoring spec ready for scheduling; hashed by identity so schedules can be cached."""

    test: MonitoringTest
    reason: str
    citations: tuple[Citation, ...]
    days: tuple[tuple[int, int], ...]
    every_days: int | None
    through_cycle: int
    on_ramp_up_days: bool
    treatment_days: tuple[int, ...]
    then_every_days: int | None


def compile_protocols(specs: Iterable[MonitoringSpec]) -> tuple[Protocol, ...]:
    """Parse day labels and citations once, at load."""
    compiled = []
    for spec in specs:
        days = []
        for label in spec.days:
            match = DAY_LABEL.match(label)
            assert match is not None  # the schema accepted only labels of this form
            days.append((int(match.group(1)), int(match.group(2))))
        compiled.append(Protocol(spec.test, spec.reason, citations_of(spec.citations), tuple(days),
                                 spec.every_days, spec.through_cycle, spec.on_ramp_up_days, spec.treatment_days,
                                 spec.then_every_days))
    return tuple(compiled)


def events(drug: str, protocol: Protocol, cycle_length: int, start: date | None,
           ramp_up_days: int) -> tuple[MonitoringEvent, ...]:
    """The events of one protocol for one drug over the first cycles.

    Args:
        drug: canonical name of the drug monitored.
        protocol: what to test and when.
        cycle_length: days per cycle.
        start: day 1 of cycle 1, or None for undated events.
        ramp_up_days: length of the ramp-up in force (for `on_ramp_up_days`).

    Returns:
        Events in schedule order. Cycle days past the end of a cycle or past the scheduled cycles are left out.
        Days of treatment fall on the cycle and day the cycle length gives them: every listed day, even past
        the scheduled cycles when cycles are short, and a repeat after them up to the end of those cycles.
    """
    if protocol.treatment_days:
        # A label's weeks and months do not shrink with the cycle: "every 2 weeks for the first 3 months" runs to
        # day 71 even when 3 cycles of 14 days end on day 42. Only the open-ended repeat stops with those cycles.
        step = protocol.then_every_days
        repeats = range(protocol.treatment_days[-1] + step, CYCLES_SCHEDULED * cycle_length + 1, step) if step else ()
        days = [((day - 1) // cycle_length + 1, (day - 1) % cycle_length + 1)
                for day in (*protocol.treatment_days, *repeats)]
    else:
        if protocol.on_ramp_up_days:
            # Before the first dose, after each new ramp-up dose, and the day after the final one.
            cycle_days = [(1, day) for day in range(1, ramp_up_days + 2)] if ramp_up_days else []
        elif protocol.every_days is not None:
            last_cycle = min(protocol.through_cycle, CYCLES_SCHEDULED)
            cycle_days = [(cycle, day) for cycle in range(1, last_cycle + 1)
                          for day in range(1, cycle_length + 1, protocol.every_days)]
        else:
            cycle_days = list(protocol.days)
        days = [(cycle, day) for cycle, day in cycle_days if cycle <= CYCLES_SCHEDULED and day <= cycle_length]
    return tuple(
        MonitoringEvent(
            drug=drug,
            test=protocol.test,
            label=f"C{cycle}D{day}",
            cycle=cycle,
            day=day,
            date=(start + timedelta(days=(cycle - 1) * cycle_length + day - 1)).isoformat() if start else "",
            reason=protocol.reason,
            citations=protocol.citations,
        )
        for cycle, day in days
    )


def merged_events(schedules: Iterable[MonitoringSchedule]) -> tuple[MonitoringEvent, ...]:
    """One event per drug, test and day, by drug (in order of first appearance) and then schedule order.

    Where several schedules ask for the same test on the same day, the event joins their reasons and
    citations, in schedule order.
    """
    merged: dict[str, dict[tuple[int, int, MonitoringTest], tuple[MonitoringEvent, dict[str, None],
                                                                    dict[Citation, None]]]] = {}
    for schedule in schedules:
        per_drug = merged.setdefault(schedule.drug, {})
        for event in schedule.events:
            _, reasons, citations = per_drug.setdefault((event.cycle, event.day, event.test), (event, {}, {}))
            reasons[event.reason] = None
            citations.update(dict.fromkeys(event.citations))
    return tuple(
        first if len(reasons) == 1 and len(citations) == len(first.citations) else first._replace(
            reason=" ".join(reasons), citations=tuple(citations))
        for per_drug in merged.values() for _, (first, reasons, citations) in sorted(per_drug.items())
    )


@lru_cache(maxsize=16384)
def agent_schedules(drug: str, protocols: tuple[Protocol, ...], cycle_length: int, start: date | None,
                    ramp_up_days: int) -> tuple[MonitoringSchedule, ...]:
    """One drug's schedule per protocol (protocols of one test, reason and citations as one), in protocol order.

    Cached: the same few protocol combinations recur across requests.
    """
    days: dict[tuple[MonitoringTest, str, tuple[Citation, ...]], dict[tuple[int, int], MonitoringEvent]] = {}
    for protocol in protocols:
        found = days.setdefault((protocol.test, protocol.reason, protocol.citations), {})
        for event in events(drug, protocol, cycle_length, start, ramp_up_days):
            found.setdefault((event.cycle, event.day), event)
    return tuple(MonitoringSchedule(drug, test, citations, tuple(found[day] for day in sorted(found)), reason)
                 for (test, reason, citations), found in days.items() if found)
