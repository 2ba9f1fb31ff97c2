"""Session 21, helper S: monitoring the labels give in weeks or months follows the calendar, whatever the cycle length.

Such schedules were stored as cycle days (C2D1, every 14 days of each cycle), so cycles other than 28 days moved them:
- olutasidenib, 21-day cycles: the weekly liver tests and counts of "months 1 and 2" stopped at day 43 (C3D1);
  days 50 and 57 were missing (clinical-facts, olutasidenib; rezlidhia-hcp monitoring guidelines);
- glasdegib, 21-day cycles: the weekly counts and liver tests of "the first month" had no day 22 (C2D1)
  (clinical-facts, glasdegib; USPI 2.2);
- ivosidenib, 42-day cycles: the monthly ECG came on day 43 (C2D1) and then day 85, six weeks apart (clinical-facts,
  ivosidenib: "at least weekly for the first 3 weeks, then at least monthly").
They are days of treatment now (`treatment_days`), placed by the cycle length in force. With 28-day cycles, or none
given, every agent's schedule is what it was at commit 5c0f1bc.
"""

from __future__ import annotations

import pathlib
import shutil
from datetime import date, timedelta
from itertools import pairwise

import pytest
from pydantic import BaseModel, ValidationError

from interactions import CheckRequest, KnowledgeBase, Medication, PatientContext, check, load_knowledge_base
from interactions.kb_diff import FieldChange, diff
from interactions.loading import default_data_dir
from interactions.model import MonitoringEvent, MonitoringTest
from interactions.schedule import CYCLES_SCHEDULED
from interactions.schema import TREATMENT_DAY_LAST, InteractionRule, MonitoringSpec, QtcRule
from interactions.validation import CYCLE_LENGTH_RANGE_DAYS

START = "2026-01-05"

# Each agent's monitoring alone with 28-day cycles, as commit 5c0f1bc answered it: test -> cycle days.
BEFORE = {
    "venetoclax": {"ELECTROLYTES": "C1D1 C2D1 C3D1", "LIVER_FUNCTION": "C1D1 C2D1 C3D1",
                   "RENAL_FUNCTION": "C1D1 C2D1 C3D1", "BLOOD_COUNTS": "C1D1 C2D1 C3D1",
                   "TUMOR_LYSIS_LABS": "C1D1 C1D2 C1D3 C1D4"},
    "gilteritinib": {"ECG": "C1D1 C1D8 C1D15 C2D1 C3D1",
                     "ELECTROLYTES": "C1D1 C1D8 C1D15 C1D22 C2D1 C2D15 C3D1",
                     "BLOOD_COUNTS": "C1D1 C1D8 C1D15 C1D22 C2D1 C2D15 C3D1",
                     "CLINICAL_ASSESSMENT": "C1D1 C1D8 C1D15 C1D22"},
    "quizartinib": {"ECG": "C1D1 C1D8 C1D15 C1D22 C2D1 C2D8 C2D15 C2D22 C3D1 C3D8 C3D15 C3D22",
                    "ELECTROLYTES": "C1D1 C2D1 C3D1"},
    "ivosidenib": {"ECG": "C1D1 C1D8 C1D15 C1D22 C2D1 C3D1", "ELECTROLYTES": "C1D1 C1D8 C1D15 C1D22 C2D1 C3D1",
                   "CLINICAL_ASSESSMENT": "C1D1 C1D8 C1D15 C1D22"},
    "olutasidenib": {"LIVER_FUNCTION": "C1D1 C1D8 C1D15 C1D22 C2D1 C2D8 C2D15 C2D22 C3D1",
                     "BLOOD_COUNTS": "C1D1 C1D8 C1D15 C1D22 C2D1 C2D8 C2D15 C2D22 C3D1",
                     "CLINICAL_ASSESSMENT": "C1D1 C1D8 C1D15 C1D22"},
    # Enasidenib's counts and chemistries gained day 85 (C4D1) in knowledge base 2026.12.17: the last of "every 2
    # weeks for the first 3 months" (days 1-91); at 5c0f1bc they ended on day 71 (C3D15).
    "enasidenib": {"ELECTROLYTES": "C1D1 C1D15 C2D1 C2D15 C3D1 C3D15 C4D1",
                   "LIVER_FUNCTION": "C1D1 C1D15 C2D1 C2D15 C3D1 C3D15 C4D1",
                   "BLOOD_COUNTS": "C1D1 C1D15 C2D1 C2D15 C3D1 C3D15 C4D1",
                   "CLINICAL_ASSESSMENT": "C1D1 C1D8 C1D15 C1D22"},
    "glasdegib": {"ECG": "C1D1 C1D8 C2D1 C3D1", "ELECTROLYTES": "C1D1 C1D8 C1D15 C1D22 C2D1 C3D1",
                  "LIVER_FUNCTION": "C1D1 C1D8 C1D15 C1D22", "RENAL_FUNCTION": "C1D1 C1D8 C1D15 C1D22 C2D1 C3D1",
                  "BLOOD_COUNTS": "C1D1 C1D8 C1D15 C1D22"},
    "midostaurin": {"BLOOD_COUNTS": "C1D8", "CLINICAL_ASSESSMENT": "C1D8"},
    "sorafenib": {},
    "gemtuzumab ozogamicin": {"LIVER_FUNCTION": "C1D1 C1D4 C1D7 C1D8"},
}
# Co-medications whose rules add ECGs on the label's days (strong CYP3A inhibitor, QT-prolonging drugs).
QT_AND_CYP3A = ("posaconazole", "ondansetron", "levofloxacin")


def _monitoring(kb: KnowledgeBase, agent: str, cycle_length: int, start: str = START,
                co_medications: tuple[str, ...] = ()) -> tuple[MonitoringEvent, ...]:
    request = CheckRequest((Medication(agent), *(Medication(name) for name in co_medications)),
                           patient=PatientContext(cycle_start_date=start, cycle_length_days=cycle_length))
    return tuple(e for e in check(kb, request).monitoring if e.drug == agent)


def _days(events: tuple[MonitoringEvent, ...], test: MonitoringTest) -> dict[str, str]:
    return {e.label: e.date for e in events if e.test is test}


def _as_before(agent: str, start: str) -> dict[str, list[tuple[str, str]]]:
    def dated(label: str) -> str:
        cycle, day = (int(part) for part in label[1:].split("D"))
        return (date.fromisoformat(start) + timedelta(days=(cycle - 1) * 28 + day - 1)).isoformat() if start else ""

    return {test: [(label, dated(label)) for label in labels.split()] for test, labels in BEFORE[agent].items()}


@pytest.mark.parametrize("start", [START, ""], ids=["dated", "undated"])
@pytest.mark.parametrize("cycle_length", [28, 0], ids=["28-day", "unset"])
@pytest.mark.parametrize("agent", sorted(BEFORE))
def test_with_28_day_cycles_every_agent_is_monitored_as_before(default_kb: KnowledgeBase, agent: str,
                                                               cycle_length: int, start: str) -> None:
    events = _monitoring(default_kb, agent, cycle_length, start)
    by_test: dict[str, list[tuple[str, str]]] = {}
    for event in events:
        by_test.setdefault(event.test.name, []).append((event.label, event.date))
    assert by_test == _as_before(agent, start)


@pytest.mark.parametrize("cycle_length", [28, 0], ids=["28-day", "unset"])
@pytest.mark.parametrize("agent", ["glasdegib", "ivosidenib", "quizartinib"])
def test_with_28_day_cycles_ecgs_of_co_medication_rules_are_as_before(default_kb: KnowledgeBase, agent: str,
                                                                      cycle_length: int) -> None:
    ecg = _days(_monitoring(default_kb, agent, cycle_length, co_medications=QT_AND_CYP3A), MonitoringTest.ECG)
    assert list(ecg.items()) == _as_before(agent, START)["ECG"]


@pytest.mark.parametrize(("cycle_length", "labels"), [
    (21, "C1D1 C1D8 C1D15 C2D1 C2D8 C2D15 C3D1 C3D8 C3D15"),  # stopped at day 43 (C3D1) before 33b1a52
    (14, "C1D1 C1D8 C2D1 C2D8 C3D1 C3D8 C4D1 C4D8 C5D1"),  # stopped at day 36 (C3D8) before 509b8af
])
def test_olutasidenib_is_tested_weekly_through_day_57_whatever_the_cycle_length(default_kb: KnowledgeBase,
                                                                                cycle_length: int, labels: str) -> None:
    # "Weekly in months 1 and 2" (clinical-facts, olutasidenib; rezlidhia-hcp): days 1-57 every 7 days.
    events = _monitoring(default_kb, "olutasidenib", cycle_length)
    weekly = {label: (date.fromisoformat(START) + timedelta(days=7 * week)).isoformat()
              for week, label in enumerate(labels.split())}
    assert weekly[labels.split()[-1]] == "2026-03-02"
    assert _days(events, MonitoringTest.LIVER_FUNCTION) == weekly
    assert _days(events, MonitoringTest.BLOOD_COUNTS) == weekly


def test_glasdegib_with_21_day_cycles_is_tested_on_day_22(default_kb: KnowledgeBase) -> None:
    events = _monitoring(default_kb, "glasdegib", 21)
    first_month = {"C1D1": "2026-01-05", "C1D8": "2026-01-12", "C1D15": "2026-01-19", "C2D1": "2026-01-26"}
    assert _days(events, MonitoringTest.BLOOD_COUNTS) == first_month
    assert _days(events, MonitoringTest.LIVER_FUNCTION) == first_month
    # "About one week after, then monthly for the next two months": days 29 and 57.
    assert _days(events, MonitoringTest.ECG) == {"C1D1": "2026-01-05", "C1D8": "2026-01-12",
                                                 "C2D8": "2026-02-02", "C3D15": "2026-03-02"}


def test_ivosidenib_with_42_day_cycles_has_an_ecg_every_4_weeks(default_kb: KnowledgeBase) -> None:
    events = _monitoring(default_kb, "ivosidenib", 42)
    expected = {"C1D1": "2026-01-05", "C1D8": "2026-01-12", "C1D15": "2026-01-19", "C1D22": "2026-01-26",
                "C1D29": "2026-02-02", "C2D15": "2026-03-02", "C3D1": "2026-03-30", "C3D29": "2026-04-27"}
    assert _days(events, MonitoringTest.ECG) == expected
    assert _days(events, MonitoringTest.ELECTROLYTES) == expected


def test_ivosidenib_with_42_day_cycles_and_a_qt_drug_has_no_ecg_on_day_43(default_kb: KnowledgeBase) -> None:
    ecg = _days(_monitoring(default_kb, "ivosidenib", 42, co_medications=QT_AND_CYP3A), MonitoringTest.ECG)
    assert "C2D1" not in ecg
    assert ecg["C2D15"] == "2026-03-02"


def test_enasidenib_with_42_day_cycles_stops_after_the_first_3_months(default_kb: KnowledgeBase) -> None:
    labs = _days(_monitoring(default_kb, "enasidenib", 42), MonitoringTest.BLOOD_COUNTS)
    assert labs == {"C1D1": "2026-01-05", "C1D15": "2026-01-19", "C1D29": "2026-02-02", "C2D1": "2026-02-16",
                    "C2D15": "2026-03-02", "C2D29": "2026-03-16", "C3D1": "2026-03-30"}


def test_quizartinib_with_30_day_cycles_keeps_a_week_between_ecgs(default_kb: KnowledgeBase) -> None:
    ecg = _days(_monitoring(default_kb, "quizartinib", 30), MonitoringTest.ECG)
    days = [date.fromisoformat(d) for d in ecg.values()]
    assert {later - earlier for earlier, later in pairwise(days)} == {timedelta(days=7)}
    assert (ecg["C1D29"], ecg["C2D6"]) == ("2026-02-02", "2026-02-09")


def test_enasidenib_with_14_day_cycles_is_counted_every_2_weeks_through_day_85(default_kb: KnowledgeBase) -> None:
    # "Every 2 weeks for the first 3 months" (clinical-facts, enasidenib): days 1-85, not the 3 cycles' 42 days.
    events = _monitoring(default_kb, "enasidenib", 14)
    every_2_weeks = {"C1D1": "2026-01-05", "C2D1": "2026-01-19", "C3D1": "2026-02-02", "C4D1": "2026-02-16",
                     "C5D1": "2026-03-02", "C6D1": "2026-03-16", "C7D1": "2026-03-30"}
    assert _days(events, MonitoringTest.BLOOD_COUNTS) == every_2_weeks
    assert _days(events, MonitoringTest.LIVER_FUNCTION) == every_2_weeks


def test_enasidenib_with_21_day_cycles_has_its_day_71_and_85_counts(default_kb: KnowledgeBase) -> None:
    labs = _days(_monitoring(default_kb, "enasidenib", 21), MonitoringTest.BLOOD_COUNTS)
    assert list(labs.items())[-2:] == [("C4D8", "2026-03-16"), ("C5D1", "2026-03-30")]


def test_with_14_day_cycles_a_repeat_after_the_listed_days_still_ends_with_the_third_cycle(
        default_kb: KnowledgeBase) -> None:
    # Quizartinib's weekly ECG is day 1, then every 7 days: it ends with the scheduled cycles (day 36), as before.
    ecg = _days(_monitoring(default_kb, "quizartinib", 14), MonitoringTest.ECG)
    assert ecg == {"C1D1": "2026-01-05", "C1D8": "2026-01-12", "C2D1": "2026-01-19", "C2D8": "2026-01-26",
                   "C3D1": "2026-02-02", "C3D8": "2026-02-09"}


def test_cycle_tied_days_stay_on_their_cycles(default_kb: KnowledgeBase) -> None:
    # Gilteritinib's ECGs are "before the next two cycles": C2D1 and C3D1 whatever their length.
    ecg = _days(_monitoring(default_kb, "gilteritinib", 42), MonitoringTest.ECG)
    assert ecg == {"C1D1": "2026-01-05", "C1D8": "2026-01-12", "C1D15": "2026-01-19", "C2D1": "2026-02-16",
                   "C3D1": "2026-03-30"}


SPEC = {"test": "ecg", "reason": "r", "citations": [{"source": "review", "detail": "d"}]}
ONE_FORM = "exactly one of days, every_days, on_ramp_up_days or treatment_days"


@pytest.mark.parametrize(("fields", "message"), [
    ({"treatment_days": [1, 8], "days": ["C1D1"]}, ONE_FORM),
    ({"treatment_days": [1, 8], "every_days": 7}, ONE_FORM),
    ({"treatment_days": [8, 1]}, "treatment_days must rise"),
    ({"treatment_days": [0, 8]}, "treatment_days.0"),
    ({"treatment_days": [1, TREATMENT_DAY_LAST + 1]}, "treatment_days.1"),
    ({"treatment_days": ["8"]}, "treatment_days.0"),
    ({"treatment_days": [True]}, "treatment_days.0"),
    ({"treatment_days": [1.0]}, "treatment_days.0"),
    ({"treatment_days": [1], "then_every_days": "28"}, "then_every_days"),
    ({"treatment_days": [1], "then_every_days": True}, "then_every_days"),
    ({"treatment_days": [1], "then_every_days": 28.0}, "then_every_days"),
    ({"every_days": True}, "every_days"),  # read as 1, a daily test, before review revR
    ({"every_days": "7"}, "every_days"),
    ({"every_days": 7.0}, "every_days"),
    ({"every_days": 7, "through_cycle": True}, "through_cycle"),
    ({"every_days": 7, "through_cycle": "2"}, "through_cycle"),
    ({"on_ramp_up_days": "yes"}, "on_ramp_up_days"),
    ({"on_ramp_up_days": 1}, "on_ramp_up_days"),
    ({"days": ["C1D1"], "then_every_days": 28}, "then_every_days continues treatment_days"),
    ({"treatment_days": [1], "through_cycle": 2}, "through_cycle bounds every_days only"),
])
def test_a_calendar_spec_given_wrongly_is_refused(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        MonitoringSpec.model_validate(SPEC | fields)


def test_the_last_treatment_day_allowed_is_the_end_of_three_of_the_longest_cycles() -> None:
    assert CYCLES_SCHEDULED * CYCLE_LENGTH_RANGE_DAYS[1] == TREATMENT_DAY_LAST
    spec = MonitoringSpec.model_validate(SPEC | {"treatment_days": [1, TREATMENT_DAY_LAST]})
    assert spec.treatment_days == (1, TREATMENT_DAY_LAST)


def test_a_changed_calendar_schedule_is_shown_in_days_of_treatment(tmp_path: pathlib.Path,
                                                                   default_kb: KnowledgeBase) -> None:
    shutil.copytree(default_data_dir(), tmp_path / "kb")
    olutasidenib = tmp_path / "kb" / "agents" / "olutasidenib.toml"
    weekly = 'test = "liver_function"\ntreatment_days = [1, 8, 15, 22, 29, 36, 43, 50, 57]\n'
    text = olutasidenib.read_text()
    assert text.count(weekly) == 1
    olutasidenib.write_text(text.replace(weekly, weekly + "then_every_days = 28\n"))

    [change] = diff(default_kb, load_knowledge_base(tmp_path / "kb")).changes

    assert change.fields == (FieldChange(
        "monitoring", added=("liver_function treatment days 1, 8, 15, 22, 29, 36, 43, 50, 57, then every 28 days",),
        removed=("liver_function treatment days 1, 8, 15, 22, 29, 36, 43, 50, 57",)),)


QTC_RULE = {"id": "r", "severity": "major", "action": "hold", "dose_mg": 0, "recommendation": "r",
            "citations": [{"source": "review", "detail": "d"}], "qtc_above": 500}
INTERACTION = {"id": "r", "precipitant_drugs": ["posaconazole"], "mechanism": "cyp3a4_strong_inhibitor",
               "severity": "major", "action": "adjust_dose", "dose": {"max_mg": 70}, "recommendation": "r",
               "citations": [{"source": "review", "detail": "d"}]}


@pytest.mark.parametrize(("model", "fields", "field"), [
    (QtcRule, QTC_RULE | {"if_held": "no"}, "if_held"),  # read as False before review revS
    (QtcRule, QTC_RULE | {"if_held": 1}, "if_held"),
    (InteractionRule, INTERACTION | {"washout_days": True}, "washout_days"),  # read as 1 day
    (InteractionRule, INTERACTION | {"washout_days": 3.0}, "washout_days"),
])
def test_the_knowledge_base_s_numbers_and_flags_are_as_toml_types_them(model: type[BaseModel],
                                                                       fields: dict[str, object], field: str) -> None:
    model.model_validate(fields | {field: {"if_held": True, "washout_days": 3}[field]})  # the same, typed right
    with pytest.raises(ValidationError, match=field):
        model.model_validate(fields)
