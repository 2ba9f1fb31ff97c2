"""What review R of session 19 left in the reader's change, mended (fixer R2).

Since 78a23bf (kept by d0b67ec), "then" after a list's comma or semicolon was a switch even in a regimen's plan:
"azacitidine 75 mg/m2 D1-7, then venetoclax 400 mg D1-28" was a CONFLICT, venetoclax unchecked and the check incomplete,
where it had read both drugs. And a course's last day glued to a drug's name ("vitamin D3 then hold") ended the course,
so the hold was no hold.
"""

from __future__ import annotations

import pytest

from interactions import Action, CheckRequest, KnowledgeBase, Medication, PatientContext, UnrecognizedReason, check
from tests.interactions.orders import VEN_AZA, agent_dose

POSACONAZOLE = (Medication("posaconazole 300 mg daily"),)


@pytest.mark.parametrize("order", [
    "azacitidine 75 mg/m2 D1-7, then venetoclax 400 mg D1-28",
    "azacitidine 75 mg/m2 D1-7; then venetoclax 400 mg D1-28",
    "azacitidine, then venetoclax 400 mg daily",
])
def test_a_regimen_s_plan_after_then_checks_venetoclax_against_posaconazole(default_kb: KnowledgeBase,
                                                                             order: str) -> None:
    # Was a CONFLICT: venetoclax unchecked beside posaconazole, complete=false. USPI Venclexta 2.4: 70 mg.
    result = check(default_kb, CheckRequest((Medication(order),), POSACONAZOLE, PatientContext()))
    ven = agent_dose(result, "venetoclax")
    assert (ven.recommended_dose_mg, ven.action) == (70, Action.ADJUST_DOSE)
    assert "venetoclax/ven-posaconazole" in [f.rule for f in ven.findings]
    assert {d.drug for d in result.doses} == {"azacitidine", "venetoclax"}
    assert result.complete
    assert not result.unrecognized


@pytest.mark.parametrize(("line", "drugs"), [
    # Regimen drugs (agents and their regimens' partners) on both sides of "then": the plan, all its drugs.
    ("7+3, then HiDAC", {"daunorubicin", "cytarabine"}),
    ("Aza/Ven, then HiDAC", {"azacitidine", "venetoclax", "cytarabine"}),
    # Drugs after "then" already named before it: none is dropped unsaid.
    ("daunorubicin + cytarabine, then cytarabine", {"daunorubicin", "cytarabine"}),
    ("acyclovir 400 mg BID, posaconazole 300 mg BID x 2 doses, then posaconazole 300 mg daily",
     {"acyclovir", "posaconazole"}),
    # "then" is the plan of the list's item right before it: a co-medication listed earlier is no drug switched.
    ("posaconazole 300 mg daily; azacitidine, then venetoclax 400 mg daily", {"posaconazole", "azacitidine",
                                                                             "venetoclax"}),
])
def test_then_to_regimen_drugs_or_drugs_already_named_reads_every_drug(default_kb: KnowledgeBase, line: str,
                                                                       drugs: set[str]) -> None:
    reading = default_kb.resolver.read(line)
    assert (set(reading.drugs), reading.reason) == (drugs, UnrecognizedReason.UNSPECIFIED)


def test_a_list_then_a_change_of_its_azole_s_dose_reduces_venetoclax(default_kb: KnowledgeBase) -> None:
    # Was a CONFLICT: posaconazole unchecked beside venetoclax 400 mg, complete=false. USPI Venclexta 2.4: 70 mg.
    line = "acyclovir 400 mg BID, posaconazole 300 mg BID x 2 doses, then posaconazole 300 mg daily"
    result = check(default_kb, CheckRequest(VEN_AZA, (Medication(line),), PatientContext()))
    ven = agent_dose(result, "venetoclax")
    assert (ven.recommended_dose_mg, ven.action) == (70, Action.ADJUST_DOSE)
    assert result.complete


@pytest.mark.parametrize("line", ["vitamin D3 then hold", "vitamin D3, then hold"])
def test_a_drug_s_name_ending_in_a_day_is_no_course_before_then_hold(default_kb: KnowledgeBase, line: str) -> None:
    # "D3" of "vitamin D3" was read as a course's last day: the hold was the course's days off to come, no hold.
    reading = default_kb.resolver.read(line)
    assert (reading.drugs, reading.held) == (("cholecalciferol",), True)
