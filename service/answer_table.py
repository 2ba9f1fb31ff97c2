"""An answer printed for people: short facts in tables, long texts beneath them, each source once at the end."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from dosecheck.v1 import dosecheck_pb2 as pb
from interactions.answer import avoid_text
from interactions.schema import citation_text

__all__ = ["print_answer"]


def _decision_text(decision: pb.DoseRecommendation, findings: Mapping[str, pb.Finding]) -> str:
    """The drugs to avoid, the decision's own notes, then which finding applied and which were weighed.

    The applied one is the first whose action is the decision's: a finding on the order itself (its dose or
    frequency not read) raises a decision to ADJUST_DOSE after the others, and the order's own hold is none of them
    ("Finding f2 applies" was printed for gilteritinib's QT finding, a MONITOR, beside its frequency-not-read).
    """
    said = []
    if decision.avoid_with:
        said.append(avoid_text(decision.drug, decision.avoid_with, [
            (findings[f].action, findings[f].precipitant_drugs) for f in decision.findings if f in findings]))
    if decision.rationale:
        said.append(decision.rationale)
    applied = next((f for f in decision.findings if f in findings and findings[f].action == decision.action), None)
    if applied is None and decision.findings:
        said.append(f"Findings weighed: {', '.join(decision.findings)}.")
    elif len(decision.findings) == 1:
        said.append(f"Finding {applied} applies.")
    elif decision.findings:
        said.append(f"Finding {applied} applies, the most restrictive of {', '.join(decision.findings)}.")
    return " ".join(said)


def print_answer(response: pb.CheckRegimenResponse) -> None:
    """Short facts in tables, long texts beneath them, each source once at the end, so 80 columns stay readable."""
    console = Console()
    numbers: dict[str, int] = {}

    def sources(ids: Iterable[str]) -> str:
        """Reference numbers of the Sources list, numbered by first use."""
        refs = sorted({numbers.setdefault(i, len(numbers) + 1) for i in ids})
        return escape(f"[{','.join(map(str, refs))}]") if refs else ""

    not_checked = len(response.unrecognized)
    console.print(f"[bold]Request[/bold] {escape(response.request_id or '-')}   "
                  f"[bold]knowledge base[/bold] {escape(response.knowledge_base_version)}")
    console.print(f"[bold]highest severity[/bold] {_name(pb.Severity, response.highest_severity)}   "
                  f"[bold]complete[/bold] "
                  f"{'yes' if response.complete else f'NO: {not_checked} medication(s) not checked (see the end)'}")
    decisions = _table("Decisions", "drug", "ordered mg", "recommended mg", "action", "ramp-up (day: mg)")
    for decision in response.decisions:
        decisions.add_row(
            decision.drug,
            _mg(decision.ordered_dose_mg) if decision.ordered_dose_mg else "not stated",  # 0: the request gave none
            # Absent for a drug that was not checked: no dose to give, so none is printed (never 0).
            _mg(decision.recommended_dose_mg) if decision.HasField("recommended_dose_mg") else "-",
            _name(pb.Action, decision.action) if decision.action else "NOT CHECKED",
            ", ".join(f"{s.day}: {_mg(s.dose_mg)}" for s in decision.ramp_up),
        )
    console.print(decisions)
    findings_by_id = {finding.id: finding for finding in response.findings}
    for decision in response.decisions:
        console.print(f"{decision.drug}: {escape(_decision_text(decision, findings_by_id))} "
                      f"[dim]{sources(decision.citations)}[/dim]")
    if response.findings:
        findings = _table("Findings", "id", "severity", "object", "other drugs", "mechanisms", "action")
        for finding in response.findings:
            findings.add_row(
                finding.id,
                _name(pb.Severity, finding.severity),
                finding.object_drug,
                ", ".join(finding.precipitant_drugs) or "-",
                "\n".join(_name(pb.Mechanism, m) for m in finding.mechanisms),
                _name(pb.Action, finding.action),
            )
        console.print(findings)
    for finding in response.findings:
        console.print(f"{finding.id}. {escape(finding.recommendation)} [dim]{sources(finding.citations)}[/dim]")
    schedules = _merged_schedules(response.monitoring)
    if schedules:
        monitoring = _table("Monitoring", "drug", "test", "when")
        for (drug, test), merged in schedules.items():
            monitoring.add_row(drug, _name(pb.MonitoringTest, test), ", ".join(
                f"{e.label or f'C{e.cycle}D{e.day}'} {e.date}".strip() for e in _events(merged)))
        console.print(monitoring)
        for (drug, test), merged in schedules.items():
            for schedule in merged:
                if schedule.reason:
                    console.print(f"{drug} {_name(pb.MonitoringTest, test)}: {escape(schedule.reason)} "
                                  f"[dim]{sources(schedule.citations)}[/dim]")
    if response.unrecognized:
        unrecognized = _table("Not checked, so the check is incomplete", "name", "reason", "did you mean")
        for item in response.unrecognized:
            unrecognized.add_row(item.name, _name(pb.UnrecognizedReason, item.reason),
                                 ", ".join(item.suggestions) or "-")
        console.print(unrecognized)
        for item in response.unrecognized:
            if item.detail:
                console.print(f"{escape(item.name)}: {escape(item.detail)}", highlight=False)
    if numbers:
        cited = {c.id: c for c in response.citations}
        console.print("[bold]Sources[/bold]")
        for citation_id, number in numbers.items():
            text = citation_text(cited[citation_id]) if citation_id in cited else citation_id
            console.print(escape(f"[{number}] {text}"), highlight=False)


def _merged_schedules(schedules: Iterable[pb.MonitoringSchedule]
                      ) -> dict[tuple[str, int], list[pb.MonitoringSchedule]]:
    """Schedules of one drug and test together: one row with every day, each schedule's reason beneath."""
    merged: dict[tuple[str, int], list[pb.MonitoringSchedule]] = {}
    for schedule in schedules:
        merged.setdefault((schedule.drug, schedule.test), []).append(schedule)
    return merged


def _events(schedules: Iterable[pb.MonitoringSchedule]) -> list[pb.MonitoringEvent]:
    """The union of the schedules' days, in time order."""
    by_day = {(e.cycle, e.day): e for s in schedules for e in s.events}
    return [by_day[day] for day in sorted(by_day)]


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title, title_justify="left", title_style="bold")
    for column in columns:
        # Fold rather than cut a word that does not fit: nothing is lost at 80 columns.
        table.add_column(column, overflow="fold")
    return table


def _name(enum_type: Any, value: int) -> str:
    """An enum value's name without the contract's prefix, as words a narrow column wraps: AVOID COMBINATION."""
    prefix: str = enum_type.Name(0).removesuffix("UNSPECIFIED")
    name: str = enum_type.Name(value)
    return name.removeprefix(prefix).replace("_", " ")


def _mg(value: float) -> str:
    return f"{value:g}"
