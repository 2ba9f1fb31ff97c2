"""s20 helper R6: dates written with a month's name, a course's "d" written apart, the gel made oral as data.

"venetoclax 400 mg daily, started Dec 1" was venetoclax and decitabine (a drug not ordered, CONTINUE), venetoclax's
400 mg unread, complete; any other month's date ("since Nov 1", "(started 12-Jan-2026)") left the whole line unknown,
venetoclax unchecked. "x 14 d" left "d" an unknown word, the line unread.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from interactions import (
    Action,
    CheckRequest,
    KnowledgeBase,
    Medication,
    PatientContext,
    UnrecognizedReason,
    check,
    load_knowledge_base,
)
from interactions.loading import default_data_dir
from interactions.reader import StatedDose
from tests.interactions.orders import POSACONAZOLE, agent_dose


def _checked_beside_posaconazole(kb: KnowledgeBase, line: str) -> tuple[bool, list[str], float | None, Action]:
    """Whether complete, the regimen's drugs and venetoclax's recommended dose and action beside posaconazole."""
    result = check(kb, CheckRequest((Medication(line),), (POSACONAZOLE,), PatientContext()))
    ven = agent_dose(result, "venetoclax")
    regimen = sorted(d.drug for d in result.doses if d.drug != "posaconazole")
    return result.complete, regimen, ven.recommended_dose_mg, ven.action


@pytest.mark.parametrize("line", [
    "venetoclax 400 mg daily, started Dec 1", "venetoclax 400 mg daily, started Dec 1st",
    "venetoclax 400 mg daily since Dec 3", "venetoclax 400 mg daily from Dec 1",
    "venetoclax 400 mg daily start date Dec 1",
    "venetoclax 400 mg daily start date: Dec 1", "venetoclax 400 mg daily (Dec 1)",
    "venetoclax 400 mg daily from Dec 1 to Dec 14",
])
def test_dec_and_a_day_after_a_word_of_a_date_or_in_a_bracket_is_a_date(default_kb: KnowledgeBase, line: str) -> None:
    # Was venetoclax and decitabine, complete, venetoclax's 400 mg unread (or the line unknown): 400 mg read, 70 mg.
    reading = default_kb.resolver.read(line)
    assert (reading.drugs, reading.reason) == (("venetoclax",), UnrecognizedReason.UNSPECIFIED)
    assert default_kb.resolver.stated_dose(line) == StatedDose(400, with_frequency=True)
    assert _checked_beside_posaconazole(default_kb, line) == (True, ["venetoclax"], 70, Action.ADJUST_DOSE)


@pytest.mark.parametrize("line", [
    "venetoclax 400 mg daily (started 12-Jan-2026)", "venetoclax 400 mg daily since Nov 1",
    "venetoclax 400 mg daily started January 5, 2026", "venetoclax 400 mg daily from 5 Jan",
    "venetoclax 400 mg daily until 28 Feb 2026", "venetoclax 400 mg daily, started on Mar 3",
    "venetoclax 400 mg daily started 1-Dec-2026", "venetoclax 400 mg daily start 12-Dec-2026",
    # Were UNKNOWN since s19 (fix R3, R4), the safe reading while a month's date was not read.
    "venetoclax 400 mg daily, Dec. 1, 2026", "venetoclax 400 mg daily started dec.31",
    "venetoclax 400 mg daily since Dec. 3rd", "venetoclax 400 mg daily, started Dec. 20",
])
def test_a_date_with_a_month_s_name_is_read_as_a_date(default_kb: KnowledgeBase, line: str) -> None:
    # Was NOT CHECKED (UNKNOWN: 'since', 'nov', 'jan' ...), complete=false, venetoclax not reduced beside posaconazole.
    assert default_kb.resolver.read(line).drugs == ("venetoclax",)
    assert _checked_beside_posaconazole(default_kb, line) == (True, ["venetoclax"], 70, Action.ADJUST_DOSE)


@pytest.mark.parametrize(("line", "azole"), [
    ("posaconazole 300 mg daily started 1-Dec-2026", "posaconazole"),
    ("posaconazole 300 mg daily 01-DEC-2026", "posaconazole"),
    ("posaconazole 300 mg daily started Dec 1, 2026", "posaconazole"),
    ("posaconazole 300 mg daily since Dec 3rd", "posaconazole"),
    ("fluconazole 400 mg daily (started 12-Dec-26)", "fluconazole"),
])
def test_a_co_medication_dated_in_december_is_read_without_decitabine(default_kb: KnowledgeBase, line: str,
                                                                       azole: str) -> None:
    # Was the azole and decitabine, complete (s19 review R), then UNKNOWN, the check incomplete: the azole now.
    assert default_kb.resolver.read(line).drugs == (azole,)
    result = check(default_kb, CheckRequest((Medication("venetoclax", 400),), (Medication(line),), PatientContext()))
    assert (result.complete, result.unrecognized) == (True, ())
    assert "decitabine" not in [d.drug for d in result.doses]
    assert agent_dose(result, "venetoclax").recommended_dose_mg < 400


@pytest.mark.parametrize(("line", "drugs"), [
    ("Ven/Dec 400", ["decitabine", "venetoclax"]), ("venetoclax + dec 20 mg/m2 D1-5", ["decitabine", "venetoclax"]),
    ("dec 20", ["decitabine"]), ("Ven/Dec 400 since Dec 3", ["decitabine", "venetoclax"]),
    ("venetoclax + dec 20 mg/m2 D1-5 (started Dec 1)", ["decitabine", "venetoclax"]),
])
def test_dec_beside_a_dose_stays_decitabine(default_kb: KnowledgeBase, line: str, drugs: list[str]) -> None:
    assert sorted(default_kb.resolver.read(line).drugs) == drugs


@pytest.mark.parametrize("line", ["posaconazole discontinued Dec 1, 2026", "posaconazole 300 mg daily stopped on Dec 1",
                                  "posaconazole 300 mg daily off hold since Dec 20"])
def test_an_end_or_a_hold_beside_a_month_s_date_is_not_guessed(default_kb: KnowledgeBase, line: str) -> None:
    # As with "discontinued 11/28" and "off hold 12/20": when it ended, or whether it is on hold till then, is unknown.
    assert default_kb.resolver.read(line).reason is UnrecognizedReason.UNKNOWN
    result = check(default_kb, CheckRequest((Medication("venetoclax", 400),), (Medication(line),), PatientContext()))
    assert not result.complete


def test_may_as_a_word_is_no_month(default_kb: KnowledgeBase) -> None:
    assert default_kb.resolver.read("posaconazole 300 mg daily, may take with food").reason \
        is UnrecognizedReason.UNKNOWN


def test_hold_until_a_date_is_a_hold_now(default_kb: KnowledgeBase) -> None:
    line = "HOLD venetoclax 400 mg until Dec 20"
    assert default_kb.resolver.read(line).held is True
    assert _checked_beside_posaconazole(default_kb, line)[2:] == (0, Action.HOLD)


@pytest.mark.parametrize("line", ["venetoclax 400 mg daily x 14 d", "venetoclax 400 mg daily x 14 d then hold",
                                  "venetoclax 400 mg daily for 14 d"])
def test_d_after_a_course_s_count_is_days(default_kb: KnowledgeBase, line: str) -> None:
    # Was UNKNOWN ('d': not a drug or order text), NOT CHECKED, complete=false.
    reading = default_kb.resolver.read(line)
    assert (reading.drugs, reading.held) == (("venetoclax",), False)
    assert _checked_beside_posaconazole(default_kb, line) == (True, ["venetoclax"], 70, Action.ADJUST_DOSE)


def test_the_forms_an_oral_word_makes_oral_are_read_from_names_toml(tmp_path: Path) -> None:
    # Was a constant in reader.py (`_MADE_ORAL`, gel alone): a curator's `made_oral` cream is now read as such.
    data = Path(shutil.copytree(default_data_dir(), tmp_path / "kb"))
    names = data / "names.toml"
    text = names.read_text()
    gel_only = 'terms = ["gel"]'
    at = text.index(gel_only, text.index('role = "made_oral"'))
    names.write_text(text[:at] + 'terms = ["gel", "cream"]' + text[at + len(gel_only):])
    kb = load_knowledge_base(data)
    assert kb.resolver.read("posaconazole oral cream").drugs == ("posaconazole",)
    assert kb.resolver.read("posaconazole rectal cream").reason is UnrecognizedReason.NOT_REVIEWED


@pytest.mark.parametrize(("line", "drugs", "reason"), [
    ("posaconazole oral gel", ("posaconazole",), UnrecognizedReason.UNSPECIFIED),
    ("posaconazole oral cream", (), UnrecognizedReason.NOT_REVIEWED),
    ("posaconazole nasal gel", (), UnrecognizedReason.NOT_REVIEWED),
])
def test_only_a_gel_is_made_oral_by_the_shipped_names_toml(default_kb: KnowledgeBase, line: str,
                                                           drugs: tuple[str, ...], reason: UnrecognizedReason) -> None:
    reading = default_kb.resolver.read(line)
    assert (reading.drugs, reading.reason) == (drugs, reason)
