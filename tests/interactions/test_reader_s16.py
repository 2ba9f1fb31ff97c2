"""Order text whose schedule or drugs were misread in silence (s16, helper A's review of real order strings).

An interval names.toml did not list ("q36h", "q4d", "every 36 hours") was passed over as order text, and the agent
checked as given once daily; a single dose ("once", "stat", "now") and "as directed" were read as the daily dose;
"every twelve hours" was no frequency; "400 mg D3" after an agent's dose named vitamin D3 as well, a drug not taken.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from interactions import CheckRequest, KnowledgeBase, Medication, PatientContext, check
from interactions.schema import AdministrationsSpec
from tests.interactions.orders import order_outcome


@pytest.mark.parametrize(("order", "mg"), [
    # Each was CONTINUE at the dose, no finding, as if given once daily ("q4-6h", "every two days" too).
    ("gilteritinib 120 mg q36h", 120),
    ("venetoclax 400 mg q4d", 400),
    ("venetoclax 400 mg q4-6h", 400),
    ("venetoclax 400 mg every two days", 400),
    ("venetoclax 400 mg q28d", 400),  # alone, no cycle beside a daily count: once every 28 days
    # Each was dose-not-read (its hours read as a second dose), its schedule not said; or not read at all.
    ("venetoclax 400 mg every 36 hours", 400),
    ("venetoclax 400 mg q 48 hrs", 400),
    ("venetoclax 400 mg q2wks", 400),
])
def test_an_interval_that_is_no_count_a_day_is_not_read_as_daily(default_kb: KnowledgeBase, order: str,
                                                                  mg: float) -> None:
    agent = order.split()[0]
    assert order_outcome(default_kb, order) == (mg, (f"{agent}/frequency-not-read",), ())


@pytest.mark.parametrize(("order", "mg"), [
    ("venetoclax 400 mg q.24h", 400),  # was not read at all
    ("ivosidenib 500 mg q.24h", 500),
    ("midostaurin 50 mg q.12h", 50),
    ("venetoclax 400 mg q 1 day", 400),
    ("venetoclax 400 mg daily D1-28 q28d", 400),  # beside a daily count, an interval of days is the cycle
    ("venetoclax 400 mg daily every 4 weeks", 400),
    ("venetoclax 400 mg PO once every 24 hours", 400),  # "once" before a frequency is its one time
    ("venetoclax 400 mg PO once q24h", 400),
    ("venetoclax 400 mg PO daily as directed", 400),  # "as directed" beside a count a day is that count
    ("venetoclax 400 mg PO daily, take as directed with food", 400),
    ("venetoclax 400 mg daily, start now", 400),
    ("venetoclax 400 mg daily x1 week", 400),  # "x1" before a course counts it: no single dose
    ("ivosidenib 500 mg PO daily (once)", 500),  # in a bracket after "daily", "once" is its one time
])
def test_an_interval_dividing_a_day_and_a_daily_order_are_read_as_written(default_kb: KnowledgeBase, order: str,
                                                                          mg: float) -> None:
    assert order_outcome(default_kb, order) == (mg, (), ())


def test_an_interval_written_in_words_is_read(default_kb: KnowledgeBase) -> None:
    # "every twelve hours" was no frequency: venetoclax 400 mg so ordered (800 mg a day) was CONTINUE, no finding.
    result = check(default_kb, CheckRequest((Medication("venetoclax 400 mg every twelve hours"),), (),
                                            PatientContext()))
    (dose,) = result.doses
    assert [f.rule for f in dose.findings] == ["venetoclax/labelled-dose", "venetoclax/labelled-frequency"]
    (frequency,) = [f for f in dose.findings if f.rule == "venetoclax/labelled-frequency"]
    assert frequency.recommendation.startswith(
        "The order gives venetoclax twice a day (400 mg each, 800 mg a day); the label gives it once a day")


@pytest.mark.parametrize("order", [
    # Each was CONTINUE 400 mg with no finding (the last two not read at all, the check incomplete).
    "venetoclax 400 mg once", "venetoclax 400 mg stat", "venetoclax 400 mg one time", "venetoclax 400 mg now",
    "venetoclax 400 mg once only", "venetoclax 400 mg as directed",
    "venetoclax 400 mg take as directed", "venetoclax 400 mg use as directed", "venetoclax 400 mg once, then daily",
    "venetoclax 400 mg stat x 1",
])
def test_a_single_dose_or_no_schedule_is_no_daily_dose(default_kb: KnowledgeBase, order: str) -> None:
    assert order_outcome(default_kb, order) == (400, ("venetoclax/frequency-not-read",), ())


@pytest.mark.parametrize(("text", "named"), [
    ("q36h", (0,)), ("q.24h", (1,)), ("q 48 hrs", (0,)), ("every 36 hours", (0,)), ("q4-6h", (0,)), ("q2h", (12,)),
    ("every twelve hours", (2,)), ("q30min", (0,)), ("q4d", (0,)), ("daily x 14 days q21d", (1,)),
    ("as directed", (0,)), ("daily as directed", (1,)), ("BID as directed", (2,)), ("PRN as directed", (0, 0)),
    ("once", (0,)), ("once every 24 hours", (1,)), ("once weekly", (0,)), ("stat then daily", (1,)),
    ("daily (once)", (1,)), ("(once)", (0,)), ("daily stat", (1,)), ("daily once", (1, 0)),
])
def test_the_frequencies_an_interval_or_a_single_dose_names(default_kb: KnowledgeBase, text: str,
                                                            named: tuple[int, ...]) -> None:
    assert default_kb.resolver.frequencies_named(text) == named


@pytest.mark.parametrize(("order", "mg"), [
    # Each was dose-not-read: "q12h", "q24h" were no frequency to the dose's reading, as "BID" and "daily" are.
    ("Rydapt 25 mg capsule 2 caps PO q12h", 50),
    ("Rezlidhia 150mg cap 1 cap po q12h", 150),
    ("venetoclax 100 mg q24h", 100),
])
def test_a_count_of_tablets_with_an_interval_is_read(default_kb: KnowledgeBase, order: str, mg: float) -> None:
    assert order_outcome(default_kb, order) == (mg, (), ())


@pytest.mark.parametrize(("text", "drugs"), [
    # A day of an agent's ramp-up, not vitamin D3 (it came back as a second drug, cholecalciferol).
    ("venetoclax 100 mg D1, 200 mg D2, 400 mg D3", ("venetoclax",)),
    ("venetoclax 400 mg D3", ("venetoclax",)),
    # Vitamin D3 named apart, joined or with its own strength is still vitamin D3.
    ("vitamin D3 1000 units daily", ("cholecalciferol",)),
    ("D3 2000 IU", ("cholecalciferol",)),
    ("venetoclax 400 mg + D3", ("venetoclax", "cholecalciferol")),
    ("calcium carbonate 600 mg + D3", ("calcium carbonate", "cholecalciferol")),
])
def test_a_day_after_an_agents_dose_names_no_drug(default_kb: KnowledgeBase, text: str,
                                                  drugs: tuple[str, ...]) -> None:
    assert default_kb.resolver.read(text).drugs == drugs


def test_a_ramp_up_by_days_checks_no_phantom_co_medication(default_kb: KnowledgeBase) -> None:
    result = check(default_kb, CheckRequest((Medication("venetoclax 100 mg D1, 200 mg D2, 400 mg D3"),), (),
                                            PatientContext()))
    assert [d.drug for d in result.doses] == ["venetoclax"]
    assert [f.rule for f in result.findings] == ["venetoclax/dose-not-read"]


def test_words_of_a_single_dose_or_no_schedule_give_no_count_a_day() -> None:
    with pytest.raises(ValidationError, match="per_day is left out"):
        AdministrationsSpec.model_validate({"per_day": 1, "single": True, "terms": ["once"],
                                             "citations": [{"source": "ismp-abbreviations", "detail": "once"}]})


# Helper C (s16): correct order text of an EHR export or pharmacy order that came back unrecognised (the check
# incomplete) or with its dose not read.

def _with_co_medication(kb: KnowledgeBase, line: str) -> tuple[tuple[str, ...], tuple[str, ...], bool]:
    """Venetoclax 400 mg daily beside `line`: the finding rules, the unrecognised lines, and whether complete."""
    result = check(kb, CheckRequest((Medication("venetoclax 400 mg PO daily"),), (Medication(line),),
                                    PatientContext()))
    return tuple(f.rule for f in result.findings), tuple(u.name for u in result.unrecognized), result.complete


@pytest.mark.parametrize(("line", "rules"), [
    # Windows exports write the multiplication sign: each was unrecognised (complete=false), 71 of 800 audit rows.
    ("posaconazole 100 mg tab × 3", ("venetoclax/ven-posaconazole",)),
    ("posaconazole 100 mg tab ×3 daily", ("venetoclax/ven-posaconazole",)),
    ("hydroxyurea 500 mg caps × 2", ()),
])
def test_the_multiplication_sign_is_read_as_x(default_kb: KnowledgeBase, line: str, rules: tuple[str, ...]) -> None:
    assert _with_co_medication(default_kb, line) == (rules, (), True)


@pytest.mark.parametrize(("with_sign", "with_x"), [
    ("gilteritinib 40 mg × 3 daily", "gilteritinib 40 mg x 3 daily"),
    ("gilteritinib 40 mg×3 daily", "gilteritinib 40 mg x3 daily"),
    ("venetoclax 400 mg daily × 28 days", "venetoclax 400 mg daily x 28 days"),
    ("venetoclax 100 mg tab 2 × daily", "venetoclax 100 mg tab 2 x daily"),
])
def test_an_order_with_the_multiplication_sign_reads_as_with_x(default_kb: KnowledgeBase, with_sign: str,
                                                               with_x: str) -> None:
    resolver = default_kb.resolver
    assert resolver.read(with_sign).drugs == resolver.read(with_x).drugs != ()
    assert resolver.stated_dose(with_sign) == resolver.stated_dose(with_x)
    assert resolver.multiplied_dose(with_sign) == resolver.multiplied_dose(with_x)
    assert resolver.frequencies_named(with_sign) == resolver.frequencies_named(with_x)


@pytest.mark.parametrize(("order", "mg", "rules"), [
    # Each was unrecognised (complete=false): "q24", "q12" glued to "q" with the unit apart.
    ("venetoclax 400 mg q24 hours", 400, ()),
    ("Venclexta 100 mg tab, take 4 tabs PO q24 hrs", 400, ()),
    ("midostaurin 50 mg PO q12 hrs", 50, ()),
    ("ivosidenib 500 mg q.24 hours", 500, ()),
    ("venetoclax 400 mg q12 hrs", 400, ("venetoclax/labelled-dose", "venetoclax/labelled-frequency")),
    ("gilteritinib 120 mg q36 hours", 120, ("gilteritinib/frequency-not-read",)),
    ("venetoclax 400 mg q2 days", 400, ("venetoclax/frequency-not-read",)),
    # Was unrecognised ("night" alone is no order text).
    ("venetoclax 400 mg every night", 400, ()),
    # Refills written "RF": each was unrecognised.
    ("venetoclax 400 mg PO daily RF 2", 400, ()),
    ("venetoclax 400 mg PO daily #120 RF0", 400, ()),
    ("ivosidenib 250 mg tab, 2 tabs daily, RF: 3", 500, ()),
    # Was unrecognised ("water" read as a word of its own).
    ("venetoclax 400 mg daily with food and water", 400, ()),
    # Was dose-not-read beside frequency-not-read: one times 400 mg is 400 mg, whatever the 1 counts.
    ("venetoclax 400 mg x1", 400, ("venetoclax/frequency-not-read",)),
    ("venetoclax 400 mg x 1", 400, ("venetoclax/frequency-not-read",)),
])
def test_correct_order_text_is_read(default_kb: KnowledgeBase, order: str, mg: float, rules: tuple[str, ...]) -> None:
    assert order_outcome(default_kb, order) == (mg, rules, ())


def test_an_interval_without_its_unit_stays_unrecognised(default_kb: KnowledgeBase) -> None:
    # No unit: every 24 hours, days or doses is not guessed.
    assert default_kb.resolver.read("venetoclax 400 mg q24").drugs == ()


@pytest.mark.parametrize(("order", "rules"), [
    # A count after "x" that is not exactly one still says how many of the mass (or days, or doses): not read.
    ("venetoclax 100 mg x 1-2 tabs daily", ("venetoclax/dose-not-read",)),
    ("Xospata 40 mg tab x3", ("gilteritinib/dose-not-read",)),
    ("venetoclax 100 mg x 4 daily", ("venetoclax/dose-not-read",)),
])
def test_a_count_after_x_other_than_one_leaves_the_dose_unread(default_kb: KnowledgeBase, order: str,
                                                               rules: tuple[str, ...]) -> None:
    assert order_outcome(default_kb, order) == (0, rules, ())


@pytest.mark.parametrize(("text", "named"), [
    ("x 1", (0,)), ("daily x 1", (1, 0)), ("daily x 1 week", (1,)), ("q24 hours", (1,)), ("q8 hrs", (3,)),
    ("every night", (1,)),
])
def test_the_frequencies_of_correct_order_text(default_kb: KnowledgeBase, text: str, named: tuple[int, ...]) -> None:
    assert default_kb.resolver.frequencies_named(text) == named


def test_dc_is_not_read_as_discontinued(default_kb: KnowledgeBase) -> None:
    # ISMP: "D/C" is also "discharge"; the line stays unrecognised for its unknown word.
    assert default_kb.resolver.read("posaconazole DC'd 11/28").detail.startswith("\"dc'd\": not a drug")
