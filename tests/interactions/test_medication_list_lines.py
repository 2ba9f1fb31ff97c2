"""Lines of outpatient and discharge medication lists as a pharmacist receives them (a sixth pharmacist's review).

Days off in a course read as an order on hold now ("hold D22-28": HOLD 0 mg of a running treatment); course and
administration words that made a whole agent line unknown ("of each 28-day cycle", "on an empty stomach",
"dissolve in mouth", "prn wheeze", "then stop", "1 gtt"); a line unknown for one word beside a known drug, or a name
cut short ("posacon", "amio", "itra"), came back with no suggestion.
"""

from __future__ import annotations

import pytest

from interactions import Action, CheckRequest, KnowledgeBase, Medication, UnrecognizedReason
from tests.interactions.test_reader_s11 import _decision


@pytest.mark.parametrize("name", ["venetoclax 400 mg PO daily D1-21, hold D22-28",
                                  "venetoclax 400 mg PO daily days 1-21; hold days 22-28"])
def test_days_off_in_a_course_leave_the_agent_given(default_kb: KnowledgeBase, name: str) -> None:
    # Sixth pharmacist review, T39 and S35: read as on hold now, HOLD 0 mg for a running treatment.
    assert default_kb.resolver.read(name).held is False
    request = CheckRequest(regimen=(Medication(name, 400), Medication("azacitidine", 75)))
    dose = _decision(default_kb, request, "venetoclax")
    assert (dose.action, dose.recommended_dose_mg) == (Action.CONTINUE, 400.0)


@pytest.mark.parametrize(("name", "drug"), [
    ("venetoclax 400 mg PO daily days 1-14 of a 28-day cycle", "venetoclax"),
    ("venetoclax 400 mg PO daily for 14 days of each cycle", "venetoclax"),
    ("olutasidenib 150 mg PO BID on an empty stomach", "olutasidenib"),
    ("gemtuzumab 3 mg/m2 IV (max 4.5 mg)", "gemtuzumab ozogamicin"),
])
def test_course_and_administration_words_of_a_sig_are_order_text(default_kb: KnowledgeBase, name: str,
                                                                 drug: str) -> None:
    # Sixth pharmacist review, item 3: each line was unknown, with no suggestion.
    assert default_kb.resolver.read(name).drugs == (drug,)


def test_a_line_unknown_for_a_word_beside_a_known_drug_suggests_that_drug(default_kb: KnowledgeBase) -> None:
    line = "venetoclax 400 mg - held since admission"
    assert default_kb.resolver.read(line).reason is UnrecognizedReason.UNKNOWN
    assert default_kb.resolver.suggest(line)[0] == "venetoclax"



@pytest.mark.parametrize(("name", "drugs"), [
    ("albuterol 90 mcg 2 puffs q4h prn wheeze", ("albuterol",)),
    ("ondansetron 8 mg ODT dissolve in mouth q8h prn", ("ondansetron",)),
    ("prednisone 20 mg daily x 5 days then stop", ("prednisone",)),
])
def test_sig_words_of_a_discharge_list_are_order_text(default_kb: KnowledgeBase, name: str,
                                                      drugs: tuple[str, ...]) -> None:
    assert default_kb.resolver.read(name).drugs == drugs


@pytest.mark.parametrize("name", ["posaconazole 300 mg daily (last dose 11/20)",
                                  "ondansetron 8 mg IV q8h prn, do not give if QTc > 500"])
def test_a_stop_or_a_condition_in_the_text_is_not_passed_over(default_kb: KnowledgeBase, name: str) -> None:
    assert default_kb.resolver.read(name).reason is UnrecognizedReason.UNKNOWN


@pytest.mark.parametrize(("name", "suggested"), [
    ("posacon 300mg", "posaconazole"),
    ("amio 200 daily", "amiodarone"),
    ("itra 200 bid", "itraconazole"),
    ("posaconozole 300", "posaconazole"),  # a misspelling, as before
])
def test_a_name_cut_short_suggests_the_names_it_begins(default_kb: KnowledgeBase, name: str, suggested: str) -> None:
    assert default_kb.resolver.read(name).reason is UnrecognizedReason.UNKNOWN
    assert suggested in default_kb.resolver.suggest(name)


def test_three_letters_are_too_few_to_complete(default_kb: KnowledgeBase) -> None:
    assert default_kb.resolver.suggest("ami 200 daily") == ()


@pytest.mark.parametrize("name", ["venetoclax 400 mg HOLD x 7 days", "venetoclax 400 mg hold x1 week",
                                  "venetoclax 400 mg HOLD day 15", "venetoclax 400 mg hold d1",
                                  "venetoclax 400 mg PO daily - hold for 7 days", "venetoclax 400 mg hold for 1 week"])
def test_a_hold_for_a_time_is_a_hold(default_kb: KnowledgeBase, name: str) -> None:
    # A review of the change: any course word after "hold" was read as days off, CONTINUE 400 mg.
    assert default_kb.resolver.read(name).held is True


@pytest.mark.parametrize("text", ["1 per 0 d", "2 per 0 h", "1 per 0.0 d"])
def test_a_period_of_none_says_no_frequency(default_kb: KnowledgeBase, text: str) -> None:
    # Divided by zero: an HTTP 500 or a traceback.
    assert default_kb.resolver.administrations_per_day(text) is None


@pytest.mark.parametrize(("text", "per_day"), [("14 per 1 wk", 2), ("7 per 1 wk", 1), ("3 per 1 wk", None)])
def test_a_count_a_week_is_read_a_day_when_it_is_whole(default_kb: KnowledgeBase, text: str,
                                                       per_day: int | None) -> None:
    assert default_kb.resolver.administrations_per_day(text) == per_day


def test_a_name_cut_short_is_completed_beside_close_names(default_kb: KnowledgeBase) -> None:
    # "clar" suggested only CLAG (a regimen), not clarithromycin; "flucon 400" nothing.
    assert "clarithromycin" in default_kb.resolver.suggest("clar 500 bid")
    assert default_kb.resolver.suggest("flucon 400") == ("fluconazole",)


def test_a_hold_parameter_is_still_a_condition_of_a_running_order(default_kb: KnowledgeBase) -> None:
    reading = default_kb.resolver.read("venetoclax 400 mg PO daily, Hold for ANC < 500")
    assert (reading.drugs, reading.held) == (("venetoclax",), False)


@pytest.mark.parametrize("name", ["Mucinex Max", "Mucinex Maximum Strength"])
def test_a_brands_max_line_is_not_the_brand_alone(default_kb: KnowledgeBase, name: str) -> None:
    # Read as guaifenesin alone once "max" was order text: Fast-Max products hold four drugs.
    assert default_kb.resolver.read(name).reason is UnrecognizedReason.UNKNOWN


@pytest.mark.parametrize(("name", "drugs"), [("CsA 100 mg bid", ("cyclosporine",)),
                                             ("insulin lispro sliding scale per protocol", ("insulin",))])
def test_ward_shorthand_is_read(default_kb: KnowledgeBase, name: str, drugs: tuple[str, ...]) -> None:
    # CsA came back unknown with no suggestion; "per protocol" suggested propofol.
    assert default_kb.resolver.read(name).drugs == drugs
