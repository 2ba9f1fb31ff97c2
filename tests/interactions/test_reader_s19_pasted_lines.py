"""Order and list lines as pharmacy systems and pasted lists hold them (session 19, pharmacist probe R).

A hold after a course's last day written as one day ("D14 then hold", "day 14, then hold", "C1D14 then hold", "x 14d
then hold") was read as an order on hold now: HOLD 0 mg of a venetoclax order still given, and beside posaconazole no
reduction to 70 mg (USPI Venclexta 2.4), while "D1-14 then hold" and "x 14 days then hold" were already the course's
days off to come. A switch written after a comma or semicolon ("posaconazole, then fluconazole") was read as a list of
both drugs, the drug switched from counted as taken and the check complete, while without the comma it is a CONFLICT.
"""

from __future__ import annotations

import pytest

from interactions import Action, CheckRequest, KnowledgeBase, Medication, PatientContext, UnrecognizedReason, check
from tests.interactions.orders import AZA, VEN_AZA, agent_dose


@pytest.mark.parametrize("order", [
    "venetoclax 400 mg daily D14 then hold",
    "venetoclax 400 mg daily D14, then hold",
    "venetoclax 400 mg daily day 14 then hold",
    "venetoclax 400 mg daily day 14, then hold",
    "venetoclax 400 mg daily through D14 then hold",
    "venetoclax 400 mg daily D1-D14 then hold",
    "venetoclax 400 mg daily C1D14 then hold",
    "venetoclax 400 mg daily x 14d then hold",
    "venetoclax 400 mg daily x14 days then hold",
])
def test_a_hold_after_the_course_s_last_day_leaves_the_order_given_and_reduced_with_posaconazole(
        default_kb: KnowledgeBase, order: str) -> None:
    assert default_kb.resolver.read(order).held is False
    result = check(default_kb, CheckRequest((Medication(order), AZA), (Medication("posaconazole 300 mg daily"),),
                                            PatientContext()))
    ven = agent_dose(result, "venetoclax")
    # Read HOLD 0 mg; the order stands, at 70 mg beside posaconazole (a day beside the mass may leave the dose unread).
    assert (ven.recommended_dose_mg, ven.action) == (70, Action.ADJUST_DOSE)
    assert "venetoclax/ven-posaconazole" in [f.rule for f in ven.findings]
    assert result.complete


@pytest.mark.parametrize("order", [
    # An arrow stays a switch to a hold now, after a day too; "then hold" after no course or a count stays a hold.
    "venetoclax 400 mg daily D14 -> hold", "venetoclax 400 mg daily then hold", "venetoclax 400 mg daily, then hold",
    "venetoclax 400 mg daily 14 then hold", "venetoclax 400 mg daily x 4 then hold",
])
def test_a_hold_now_after_no_course_day_is_still_a_hold(default_kb: KnowledgeBase, order: str) -> None:
    assert default_kb.resolver.read(order).held is True
    dose = agent_dose(check(default_kb, CheckRequest((Medication(order), AZA), (), PatientContext())), "venetoclax")
    assert (dose.recommended_dose_mg, dose.action) == (0, Action.HOLD)


@pytest.mark.parametrize("line", [
    "posaconazole, then fluconazole",
    "posaconazole; then fluconazole",
    "posaconazole 300 mg daily, then fluconazole 400 mg daily",
    "posaconazole, -> fluconazole",
    "posaconazole 300 mg daily, –> fluconazole",
    "rifampin, then posaconazole",
    "acyclovir, posaconazole, then fluconazole",
    "posaconazole, now fluconazole", "posaconazole; now fluconazole", "posaconazole - now fluconazole",
    # A co-medication switched to, from or beside a regimen drug stays a switch, as do "now" and an arrow between
    # regimen drugs or to a drug already named (a regimen's plan after "then": test_reader_s19_fix_r).
    "acyclovir 400 mg BID, then valacyclovir", "posaconazole, then venetoclax", "azacitidine, then posaconazole",
    "azacitidine, now venetoclax", "posaconazole + fluconazole, now fluconazole", "azacitidine, -> venetoclax",
    "7+3, -> HiDAC",
])
def test_a_switch_after_a_comma_is_a_conflict_not_both_drugs(default_kb: KnowledgeBase, line: str) -> None:
    # Read as both drugs, complete: the drug switched from counted as taken.
    reading = default_kb.resolver.read(line)
    assert (reading.drugs, reading.reason) == ((), UnrecognizedReason.CONFLICT)
    result = check(default_kb, CheckRequest(VEN_AZA, (Medication(line),), PatientContext()))
    assert not result.complete
    assert [u.name for u in result.unrecognized] == [line]


@pytest.mark.parametrize(("line", "drugs"), [
    # A list is still all its drugs; "then" within one drug's order is a change of its dose.
    ("acyclovir, posaconazole, allopurinol", ("acyclovir", "posaconazole", "allopurinol")),
    ("posaconazole 300 mg BID x 2 doses, then 300 mg daily", ("posaconazole",)),
    ("acyclovir, posaconazole 300 mg BID x2, then daily", ("acyclovir", "posaconazole")),
    ("posaconazole 300 mg BID, then posaconazole 300 mg daily", ("posaconazole",)),
    # A separator after the change of dose ends it: the next drug is the list's again.
    ("posaconazole 300 mg BID x 2 doses, then 300 mg daily; acyclovir 400 mg BID", ("posaconazole", "acyclovir")),
    ("ondansetron 8 mg IV now, posaconazole 300 mg daily", ("ondansetron", "posaconazole")),
])
def test_a_list_or_one_drug_s_change_of_dose_is_still_read(default_kb: KnowledgeBase, line: str,
                                                            drugs: tuple[str, ...]) -> None:
    assert default_kb.resolver.read(line).drugs == drugs


@pytest.mark.parametrize(("order", "agent", "mg"), [
    ("1) venetoclax 400 mg daily", "venetoclax", 400),
    ("12. venetoclax 100 mg daily", "venetoclax", 100),
    ("  2) gilteritinib 120 mg daily", "gilteritinib", 120),
    ("4. Venclexta 100 mg tablet - take 4 tablets by mouth daily", "venetoclax", 400),
])
def test_a_numbered_list_s_number_is_not_one_of_the_order_s_numbers(default_kb: KnowledgeBase, order: str,
                                                                      agent: str, mg: float) -> None:
    # The list's number made the dose unread: "12. venetoclax 100 mg daily" was recommended 400 mg (dose-not-read).
    result = check(default_kb, CheckRequest((Medication(order),), (), PatientContext()))
    dose = agent_dose(result, agent)
    assert (dose.ordered_dose_mg, dose.recommended_dose_mg, dose.action) == (mg, mg, Action.CONTINUE)
    assert result.complete


@pytest.mark.parametrize("order", ["#2 venetoclax 400 mg daily", "2 venetoclax 400 mg daily",
                                   "1)venetoclax 400 mg daily"])
def test_a_number_before_the_name_not_written_as_a_list_s_still_leaves_the_dose_unread(
        default_kb: KnowledgeBase, order: str) -> None:
    dose = agent_dose(check(default_kb, CheckRequest((Medication(order),), (), PatientContext())), "venetoclax")
    assert [f.rule for f in dose.findings] == ["venetoclax/dose-not-read"]


@pytest.mark.parametrize(("order", "agent"), [
    ("venetoclax 400 mg daily - dec to 100 mg", "venetoclax"),
    ("gilteritinib 120 mg daily - dec to 80 mg", "gilteritinib"),
])
def test_dec_for_a_decrease_is_no_decitabine_and_the_order_is_not_read(default_kb: KnowledgeBase, order: str,
                                                                        agent: str) -> None:
    # Was the agent and decitabine: a drug not ordered added to the regimen, the agent recommended at the label's dose.
    reading = default_kb.resolver.read(order)
    assert (reading.drugs, reading.reason) == ((), UnrecognizedReason.UNKNOWN)
    assert "'dec to': a change of dose" in reading.detail
    result = check(default_kb, CheckRequest((Medication(order),), (), PatientContext()))
    assert not result.complete
    assert "decitabine" not in [d.drug for d in result.doses]


@pytest.mark.parametrize("line", ["fluconazole 400 mg daily - dec to 200 mg", "fluconazole 400 mg daily, dec dose"])
def test_a_co_medication_with_a_decrease_adds_no_decitabine(default_kb: KnowledgeBase, line: str) -> None:
    result = check(default_kb, CheckRequest(VEN_AZA, (Medication(line),), PatientContext()))
    assert [u.name for u in result.unrecognized] == [line]
    assert not result.complete


@pytest.mark.parametrize(("line", "drugs"), [
    ("dec", ("decitabine",)), ("DEC 20 mg/m2 daily x 5 days", ("decitabine",)),
    ("Ven/Dec 400", ("decitabine", "venetoclax")), ("Ven + Dec", ("decitabine", "venetoclax")),
])
def test_dec_as_decitabine_is_still_read(default_kb: KnowledgeBase, line: str, drugs: tuple[str, ...]) -> None:
    assert default_kb.resolver.read(line).drugs == drugs


@pytest.mark.parametrize("order", [
    "venetoclax 400 mg daily x 14 days, 14 days off",
    "venetoclax 400 mg daily days 1-14, 14 days off",
    "venetoclax 400 mg daily D1-14, 14 days off",
    "venetoclax 400 mg daily for 14 days, then 14 days off",
    "venetoclax 400 mg daily, days off 15-28",
])
def test_days_off_after_a_course_are_read_as_a_pattern_to_confirm(default_kb: KnowledgeBase, order: str) -> None:
    # Were unrecognised (the agent unchecked); now read as "14 days on, 14 days off" is: its frequency to confirm, and
    # beside posaconazole 70 mg (USPI Venclexta 2.4).
    result = check(default_kb, CheckRequest((Medication(order), AZA), (Medication("posaconazole 300 mg daily"),),
                                            PatientContext()))
    ven = agent_dose(result, "venetoclax")
    assert (ven.recommended_dose_mg, ven.action) == (70, Action.ADJUST_DOSE)
    assert {"venetoclax/ven-posaconazole", "venetoclax/frequency-not-read"} <= {f.rule for f in ven.findings}
    assert result.complete


@pytest.mark.parametrize("line", ["voriconazole 200 mg BID - 3 days off", "venetoclax 400 mg daily - days off",
                                  "venetoclax 400 mg daily x 4, 3 days off"])
def test_days_off_alone_or_after_a_count_still_leave_the_line_unread(default_kb: KnowledgeBase, line: str) -> None:
    # Paused now? Not guessed (review 1 of s18).
    assert default_kb.resolver.read(line).reason is UnrecognizedReason.UNKNOWN


@pytest.mark.parametrize(("order", "mg"), [("• venetoclax 400 mg daily", 400), ("▪ venetoclax 100 mg daily", 100)])
def test_a_bullet_opening_the_agent_s_line_reads_as_nothing(default_kb: KnowledgeBase, order: str, mg: float) -> None:
    # Was unrecognised: venetoclax unchecked, the check incomplete.
    result = check(default_kb, CheckRequest((Medication(order), AZA), (), PatientContext()))
    dose = agent_dose(result, "venetoclax")
    assert (dose.ordered_dose_mg, dose.recommended_dose_mg, dose.action) == (mg, mg, Action.CONTINUE)
    assert result.complete


def test_a_bulleted_co_medication_reaches_venetoclax(default_kb: KnowledgeBase) -> None:
    result = check(default_kb, CheckRequest(VEN_AZA, (Medication("• fluconazole 400 mg daily"),), PatientContext()))
    ven = agent_dose(result, "venetoclax")
    # A moderate CYP3A inhibitor: venetoclax reduced by at least 50 % (USPI Venclexta 2.4).
    assert ven.recommended_dose_mg == 200
    assert [f.rule for f in ven.findings] == ["venetoclax/ven-moderate-cyp3a-inhibitor"]
    assert result.complete


def test_two_drugs_glued_by_a_bullet_are_a_conflict(default_kb: KnowledgeBase) -> None:
    assert default_kb.resolver.read("posaconazole•fluconazole").reason is UnrecognizedReason.CONFLICT
