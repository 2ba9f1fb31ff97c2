"""Order and list lines as pharmacy and EHR lists write them (session 18, pharmacist probe R).

A hold to come after a course's days ("venetoclax 400 mg daily x 14 days then hold", "hold after day 14") was read as
an order on hold now: HOLD 0 mg of a running venetoclax order, and beside posaconazole no reduction to 70 mg. A count a
week after a slash ("400 mg 5 days/week") was read as daily, CONTINUE, with no finding. HIV shorthand ("RTV", "EVG/c",
"E/C/F/TAF"), "Verelan PM", the trade-mark sign and an arrow typed with the en dash left lines unrecognised.
"""

from __future__ import annotations

import pytest

from interactions import Action, CheckRequest, KnowledgeBase, Medication, PatientContext, UnrecognizedReason, check
from interactions.model import CheckResult, DoseRecommendation

AZA = Medication("azacitidine", 75)
VEN_AZA = (Medication("venetoclax", 400), AZA)


def _agent(result: CheckResult, agent: str) -> DoseRecommendation:
    (dose,) = [d for d in result.doses if d.drug == agent]
    return dose


@pytest.mark.parametrize("order", [
    "venetoclax 400 mg daily x 14 days then hold",
    "venetoclax 400 mg daily x 14 days, then hold",
    "venetoclax 400 mg daily days 1-14 then hold",
    "venetoclax 400 mg daily D1-14 then hold",
    "venetoclax 400 mg daily for 2 weeks then hold",
    "venetoclax 400 mg daily, hold after 14 days",
])
def test_a_hold_to_come_after_the_course_leaves_the_order_given_and_reduced_with_posaconazole(
        default_kb: KnowledgeBase, order: str) -> None:
    assert default_kb.resolver.read(order).held is False
    result = check(default_kb, CheckRequest((Medication(order), AZA), (Medication("posaconazole 300 mg daily"),),
                                            PatientContext()))
    ven = _agent(result, "venetoclax")
    assert (ven.ordered_dose_mg, ven.recommended_dose_mg, ven.action) == (400, 70, Action.ADJUST_DOSE)
    assert [f.rule for f in ven.findings] == ["venetoclax/ven-posaconazole"]
    assert result.complete


@pytest.mark.parametrize("order", ["venetoclax 400 mg daily; hold after day 14",
                                   "venetoclax 400 mg daily, hold starting day 15",
                                   "gilteritinib 120 mg daily, hold after day 28"])
def test_a_hold_starting_on_a_day_of_the_course_is_no_hold_now(default_kb: KnowledgeBase, order: str) -> None:
    # Read HOLD 0 mg; now the order stands (the day beside the mass leaves the dose itself unread, as "(day 5)" does).
    assert default_kb.resolver.read(order).held is False
    dose = _agent(check(default_kb, CheckRequest((Medication(order),), (), PatientContext())), order.split()[0])
    assert dose.action is not Action.HOLD
    assert dose.recommended_dose_mg > 0


@pytest.mark.parametrize("order", [
    # An arrow (read "then") or "then" after no course is a change to a hold now, as before.
    "venetoclax 400 mg daily -> hold", "venetoclax 400 mg daily –> hold", "venetoclax 400 mg daily then hold",
    "venetoclax 400 mg daily, then hold",
    # A hold for a time, or on a day, stays a hold (test_medication_list_lines).
    "venetoclax 400 mg daily, hold for 7 days", "venetoclax 400 mg daily then hold x 14 days",
    "venetoclax 400 mg HOLD day 15",
])
def test_a_hold_now_is_still_a_hold(default_kb: KnowledgeBase, order: str) -> None:
    assert default_kb.resolver.read(order).held is True
    dose = _agent(check(default_kb, CheckRequest((Medication(order), AZA), (), PatientContext())), "venetoclax")
    assert (dose.recommended_dose_mg, dose.action) == (0, Action.HOLD)


@pytest.mark.parametrize("order", [
    "venetoclax 400 mg 5 days/week",
    "venetoclax 400 mg daily x 5 days/week",
    "venetoclax 400 mg daily (5 days/week)",
    "venetoclax 400 mg 5 days/wk",
    "venetoclax 400 mg daily 5 days on, 2 days off",
    "gilteritinib 120 mg daily 2 weeks on 2 weeks off",
])
def test_a_weekly_pattern_is_no_daily_count(default_kb: KnowledgeBase, order: str) -> None:
    # "5 days/week" was read as daily: the label's dose, CONTINUE, no finding; "days on ... days off" unrecognised.
    result = check(default_kb, CheckRequest((Medication(order),), (), PatientContext()))
    (dose,) = result.doses
    agent = order.split()[0]
    assert (dose.drug, dose.action, [f.rule for f in dose.findings]) == (
        agent, Action.ADJUST_DOSE, [f"{agent}/frequency-not-read"])
    assert result.complete


@pytest.mark.parametrize(("order", "agent", "mg"), [
    ("Venclexta™ 100 mg tab, take 4 tabs daily", "venetoclax", 400),
    ("VENCLEXTA™400 MG DAILY", "venetoclax", 400),
    ("Xospata™ 40 mg tablet, take 3 tablets daily", "gilteritinib", 120),
])
def test_the_trade_mark_sign_reads_as_nothing(default_kb: KnowledgeBase, order: str, agent: str, mg: float) -> None:
    # NFKC spells it "tm", glued to the brand: each line was unrecognised, the agent unchecked.
    result = check(default_kb, CheckRequest((Medication(order),), (), PatientContext()))
    (dose,) = result.doses
    assert (dose.drug, dose.ordered_dose_mg, dose.action, result.complete) == (agent, mg, Action.CONTINUE, True)


def test_a_brand_with_the_trade_mark_sign_reaches_venetoclax(default_kb: KnowledgeBase) -> None:
    result = check(default_kb, CheckRequest(VEN_AZA, (Medication("Noxafil™ 300 mg daily"),), PatientContext()))
    assert _agent(result, "venetoclax").recommended_dose_mg == 70
    assert result.complete


@pytest.mark.parametrize("line", ["posaconazole –> micafungin", "posaconazole (started 11/20) –> isavuconazole"])
def test_an_arrow_typed_with_the_en_dash_is_a_switch(default_kb: KnowledgeBase, line: str) -> None:
    # The en dash became a hyphen after "->" was read, so the arrow typed with it was never one: both drugs were read
    # as taken together. Two drugs either side of an arrow are a CONFLICT (which is taken is not guessed), as with "->".
    assert default_kb.resolver.read(line) == default_kb.resolver.read(line.replace("–>", "->"))
    assert default_kb.resolver.read(line).drugs == ()


@pytest.mark.parametrize(("line", "drugs", "venetoclax_mg"), [
    ("RTV", {"ritonavir"}, 100),
    ("RTV 100 mg PO daily", {"ritonavir"}, 100),
    ("EVG/c", {"elvitegravir", "cobicistat"}, 100),
    ("E/C/F/TAF", {"elvitegravir", "cobicistat", "emtricitabine", "tenofovir alafenamide"}, 100),
    ("E/C/F/TDF", {"elvitegravir", "cobicistat", "emtricitabine", "tenofovir disoproxil"}, 100),
    ("nirmatrelvir/r", {"nirmatrelvir", "ritonavir"}, 100),
    ("Verelan PM 240 mg daily", {"verapamil"}, 200),
])
def test_hiv_shorthand_and_verelan_pm_reach_venetoclax(default_kb: KnowledgeBase, line: str, drugs: set[str],
                                                       venetoclax_mg: float) -> None:
    # Each was unrecognised: venetoclax 400 mg left unreduced beside a booster, the check incomplete.
    assert set(default_kb.resolver.read(line).drugs) == drugs
    result = check(default_kb, CheckRequest(VEN_AZA, (Medication(line),), PatientContext()))
    ven = _agent(result, "venetoclax")
    assert (ven.recommended_dose_mg, ven.action) == (venetoclax_mg, Action.ADJUST_DOSE)
    assert result.complete


def test_cobi_alone_stays_unrecognised(default_kb: KnowledgeBase) -> None:
    # Oncology lists write "cobi" for cobimetinib as well as cobicistat: never guessed.
    result = check(default_kb, CheckRequest(VEN_AZA, (Medication("cobi"),), PatientContext()))
    assert [u.name for u in result.unrecognized] == ["cobi"]
    assert not result.complete


@pytest.mark.parametrize("order", [
    "venetoclax 400 mg daily, hold day 15 to 28",
    "venetoclax 400 mg daily, hold days 15 through 28",
    "venetoclax 400 mg daily, hold days 15 thru 28",
    "venetoclax 400 mg daily, hold on days 15-28",
    "venetoclax 400 mg daily, hold C1D15-28",
])
def test_days_off_written_as_a_range_in_words_leave_the_agent_given(default_kb: KnowledgeBase, order: str) -> None:
    # Each was HOLD 0 mg of a running order; "hold days 15-28" is the course's days off (test_medication_list_lines).
    assert default_kb.resolver.read(order).held is False
    dose = _agent(check(default_kb, CheckRequest((Medication(order, 400), AZA), (), PatientContext())), "venetoclax")
    assert (dose.recommended_dose_mg, dose.action) == (400, Action.CONTINUE)


@pytest.mark.parametrize("order", ["venetoclax 400 mg daily - hold released", "venetoclax 400 mg daily - off hold",
                                   "venetoclax 400 mg daily (off hold)", "venetoclax 400 mg daily - hold lifted"])
def test_a_hold_that_has_ended_leaves_the_order_given(default_kb: KnowledgeBase, order: str) -> None:
    # "hold released" was HOLD 0 mg (and beside posaconazole no reduction); the others were unrecognised.
    result = check(default_kb, CheckRequest((Medication(order), AZA), (Medication("posaconazole 300 mg daily"),),
                                            PatientContext()))
    ven = _agent(result, "venetoclax")
    assert (ven.ordered_dose_mg, ven.recommended_dose_mg, ven.action) == (400, 70, Action.ADJUST_DOSE)
    assert result.complete


@pytest.mark.parametrize(("order", "agent", "mg"), [
    ("venetoclax 400 mg days 1-14 daily", "venetoclax", 400),
    ("venetoclax 400 mg day 1-14 daily", "venetoclax", 400),
    ("venetoclax 400 mg for 28 days daily", "venetoclax", 400),
    ("venetoclax 400 mg x 28 days daily", "venetoclax", 400),
    ("gilteritinib 120 mg for 28 days", "gilteritinib", 120),
    ("ivosidenib 500 mg days 1-28", "ivosidenib", 500),
])
def test_the_days_of_a_course_right_after_the_mass_leave_the_dose_read(
        default_kb: KnowledgeBase, order: str, agent: str, mg: float) -> None:
    # Dose-not-read where "400 mg (Days 1-14) daily" was 400 mg: the course is no count of tablets.
    result = check(default_kb, CheckRequest((Medication(order),), (), PatientContext()))
    (dose,) = result.doses
    assert (dose.drug, dose.ordered_dose_mg, dose.action, dose.findings, result.complete) == (
        agent, mg, Action.CONTINUE, (), True)


@pytest.mark.parametrize("order", ["venetoclax 400 mg x 4 daily", "venetoclax 100 mg x 4 tabs daily",
                                   "venetoclax 100 mg x 4 doses daily", "venetoclax 100 mg day 1",
                                   "venetoclax 100 mg days 1-3 then 400 mg daily"])
def test_a_count_or_one_day_after_the_mass_still_leaves_the_dose_unread(default_kb: KnowledgeBase, order: str) -> None:
    result = check(default_kb, CheckRequest((Medication(order),), (), PatientContext()))
    (dose,) = result.doses
    assert (dose.ordered_dose_mg, [f.rule for f in dose.findings]) == (0, ["venetoclax/dose-not-read"])


# Review 1 of the changes above (fixR): each line below came back given, complete, with no hold.

@pytest.mark.parametrize(("order", "agent"), [
    ("gilteritinib 120 mg daily - hold starting now", "gilteritinib"),
    ("venetoclax 400 mg daily - HOLD starting 12/1/2026", "venetoclax"),
    ("venetoclax 400 mg daily - hold starting 2026-12-02", "venetoclax"),
    ("venetoclax 400 mg daily - hold after C1", "venetoclax"),
    ("venetoclax 400 mg daily - hold starting C2", "venetoclax"),
    ("gilteritinib 120 mg daily - hold after 1 dose", "gilteritinib"),
    ("venetoclax 400 mg daily - hold after 12/1", "venetoclax"),
])
def test_a_hold_after_or_starting_other_than_on_a_day_of_the_course_is_a_hold(
        default_kb: KnowledgeBase, order: str, agent: str) -> None:
    # "hold after"/"hold starting" were order text whatever followed: CONTINUE at the full dose (gilteritinib 120 mg,
    # no QTc hold finding; venetoclax 400 mg). Only a day of the course or a number of days is a hold to come.
    assert default_kb.resolver.read(order).held is True
    dose = _agent(check(default_kb, CheckRequest((Medication(order), AZA), (), PatientContext())), agent)
    assert (dose.recommended_dose_mg, dose.action) == (0, Action.HOLD)


# Review 3 (the lead): "held", "on hold", "holding" after or starting a day say the order is on hold now; only the
# instruction "hold" may say when a hold to come begins, written with a day in any of its forms.

@pytest.mark.parametrize(("order", "agent"), [
    ("gilteritinib 120 mg PO daily -- held after 14 days", "gilteritinib"),
    ("gilteritinib 120 mg daily; held after 2 weeks", "gilteritinib"),
    ("venetoclax 400 mg daily (held after day 14)", "venetoclax"),
    ("venetoclax 400 mg daily; on hold starting day 15", "venetoclax"),
    ("venetoclax 400 mg daily; holding starting day 22", "venetoclax"),
])
def test_a_line_saying_the_order_was_held_after_a_day_is_a_hold(
        default_kb: KnowledgeBase, order: str, agent: str) -> None:
    # Was given at the full dose, complete (gilteritinib's QTc hold finding gone), since 906bdde.
    dose = _agent(check(default_kb, CheckRequest((Medication(order), AZA), (), PatientContext())), agent)
    assert (dose.recommended_dose_mg, dose.action) == (0, Action.HOLD)


@pytest.mark.parametrize("order", ["venetoclax 400 mg daily, hold after D14",
                                   "venetoclax 400 mg daily, hold starting D15",
                                   "venetoclax 400 mg daily, hold starting on day 15"])
def test_a_hold_to_come_on_a_day_written_otherwise_leaves_the_order_given(
        default_kb: KnowledgeBase, order: str) -> None:
    # Was HOLD 0 mg since 906bdde, beside posaconazole no reduction to 70 mg, where "hold after day 14" was 70 mg.
    result = check(default_kb, CheckRequest((Medication(order), AZA), (Medication("posaconazole 300 mg daily"),),
                                            PatientContext()))
    dose = _agent(result, "venetoclax")
    assert (dose.recommended_dose_mg, dose.action, result.complete) == (70, Action.ADJUST_DOSE, True)


@pytest.mark.parametrize("order", ["venetoclax 400 mg daily - hold starting now for ANC < 500",
                                   "venetoclax 400 mg daily - hold starting 12/1 for plt < 25"])
def test_a_hold_starting_now_with_a_condition_is_not_guessed(default_kb: KnowledgeBase, order: str) -> None:
    # Was given (dose-not-read, 400 mg recommended), complete: the hold's condition was never seen.
    result = check(default_kb, CheckRequest((Medication(order), AZA), (), PatientContext()))
    assert [u.name for u in result.unrecognized] == [order]
    assert not result.complete


@pytest.mark.parametrize("order", [
    "venetoclax 400 mg daily - off hold 12/20", "venetoclax 400 mg daily - hold released 12/1",
    "venetoclax 400 mg daily - hold lifted on 12/20", "venetoclax 400 mg daily (off hold 12/20)",
])
def test_an_ended_hold_with_a_date_or_other_words_after_it_is_not_given_now(
        default_kb: KnowledgeBase, order: str) -> None:
    # Was given (dose-not-read, 70 mg with posaconazole), complete: a release dated later means on hold now.
    result = check(default_kb, CheckRequest((Medication(order), AZA), (Medication("posaconazole 300 mg daily"),),
                                            PatientContext()))
    assert [u.name for u in result.unrecognized] == [order]
    assert not result.complete


@pytest.mark.parametrize(("order", "agent"), [
    ("venetoclax 100 mg x 4 days 1-28", "venetoclax"),
    ("venetoclax 100 mg x4 days 1-28", "venetoclax"),
    ("venetoclax 100 mg x 4 day 1-14", "venetoclax"),
    ("gilteritinib 40 mg x 3 days 1-28", "gilteritinib"),
])
def test_a_count_before_the_days_of_a_course_leaves_the_dose_unread(
        default_kb: KnowledgeBase, order: str, agent: str) -> None:
    # Was read as the mass (100/40 mg ordered, CONTINUE): the number before "days 1-28" counts tablets (400/120 mg).
    result = check(default_kb, CheckRequest((Medication(order),), (), PatientContext()))
    (dose,) = result.doses
    assert (dose.ordered_dose_mg, [f.rule for f in dose.findings]) == (0, [f"{agent}/dose-not-read"])


@pytest.mark.parametrize("order", ["venetoclax 400 mg x 4 days", "venetoclax 400 mg x 28 days"])
def test_how_long_a_course_lasts_right_after_the_mass_leaves_it_read(default_kb: KnowledgeBase, order: str) -> None:
    (dose,) = check(default_kb, CheckRequest((Medication(order),), (), PatientContext())).doses
    assert (dose.ordered_dose_mg, dose.action) == (400, Action.CONTINUE)


@pytest.mark.parametrize("line", ["voriconazole 200 mg BID - 3 days off", "voriconazole 200 mg BID (3 days off)",
                                  "posaconazole 300 mg daily - 2 weeks off", "posaconazole 300 mg daily, 7 days off",
                                  "rifampin 600 mg daily - 2 weeks off"])
def test_days_off_with_no_days_on_leave_a_co_medication_unrecognised(default_kb: KnowledgeBase, line: str) -> None:
    # Was current, complete: venetoclax reduced to 100 or 70 mg beside an azole that may be paused.
    result = check(default_kb, CheckRequest(VEN_AZA, (Medication(line),), PatientContext()))
    assert [u.name for u in result.unrecognized] == [line]
    assert not result.complete
    assert _agent(result, "venetoclax").recommended_dose_mg == 400


@pytest.mark.parametrize("arrow", ["->", "-->", "—>", "——>", "- ->", "-–>", "– >", "–>", "--->"])
def test_every_spelling_of_the_arrow_is_a_switch(default_kb: KnowledgeBase, arrow: str) -> None:
    # Each but "->" and the en dash's read both drugs as taken together: venetoclax 70 mg, complete.
    line = f"posaconazole {arrow} micafungin"
    result = check(default_kb, CheckRequest(VEN_AZA, (Medication(line),), PatientContext()))
    assert [(u.name, u.reason) for u in result.unrecognized] == [(line, UnrecognizedReason.CONFLICT)]
    assert not result.complete


def test_the_arrow_glued_to_the_trade_mark_sign_is_a_switch(default_kb: KnowledgeBase) -> None:
    assert default_kb.resolver.read("posaconazole™—> micafungin").reason is UnrecognizedReason.CONFLICT


@pytest.mark.parametrize("order", ["venetoclax 400 mg daily x 14 days -> hold",
                                   "venetoclax 400 mg daily x 14 days --> hold",
                                   "venetoclax 400 mg daily days 1-14 → hold"])
def test_an_arrow_to_a_hold_after_a_course_is_a_hold_now(default_kb: KnowledgeBase, order: str) -> None:
    # Read as "x 14 days then hold", the days off to come: 400 mg, CONTINUE. An arrow is a switch (README): a hold now.
    assert default_kb.resolver.read(order).held is True
    dose = _agent(check(default_kb, CheckRequest((Medication(order), AZA), (), PatientContext())), "venetoclax")
    assert (dose.recommended_dose_mg, dose.action) == (0, Action.HOLD)


@pytest.mark.parametrize("order", ["venetoclax 400 mg daily, hold C2D1-7", "venetoclax 400 mg daily, hold C3D1-14"])
def test_a_hold_from_the_first_day_of_a_cycle_is_a_hold(default_kb: KnowledgeBase, order: str) -> None:
    # Read as the days off of a course (400 mg, CONTINUE), as "hold C1D15-28" is; a hold from a cycle's first day is
    # more often a delay of that cycle (review 1, S3): a hold, as "hold C2 D1-7" already was.
    assert default_kb.resolver.read(order).held is True
    dose = _agent(check(default_kb, CheckRequest((Medication(order), AZA), (), PatientContext())), "venetoclax")
    assert (dose.recommended_dose_mg, dose.action) == (0, Action.HOLD)
