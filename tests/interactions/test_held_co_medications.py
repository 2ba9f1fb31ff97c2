"""A co-medication on hold is still counted, and the affected agent's decision says so (a ninth pharmacist review).

"posaconazole 300 mg daily - on hold" beside venetoclax gave 70 mg with nothing saying posaconazole is held. Counting
it is the cautious choice (a hold may end, and the inhibitor acts until its washout has passed), but the prescriber
must be told why 70 mg stands and how to have the stop counted (stopped_on).
"""

from __future__ import annotations

import pytest

from interactions import Action, CheckRequest, KnowledgeBase, Medication, PatientContext, check, load_knowledge_base
from interactions.model import CheckResult, Coding, DoseRecommendation

REGIMEN = (Medication("venetoclax", 400), Medication("azacitidine", 75))


def _venetoclax(result: CheckResult) -> DoseRecommendation:
    (decision,) = [d for d in result.doses if d.drug == "venetoclax"]
    return decision


@pytest.mark.parametrize("held", [Medication("posaconazole 300 mg daily - on hold"),
                                  Medication("posaconazole", 300, held=True),
                                  Medication("HOLD posaconazole 300 mg")])
def test_a_held_co_medication_is_counted_and_the_decision_says_so(default_kb: KnowledgeBase,
                                                                  held: Medication) -> None:
    venetoclax = _venetoclax(check(default_kb, CheckRequest(REGIMEN, (held, Medication("acyclovir", 400)),
                                                            PatientContext())))

    assert (venetoclax.recommended_dose_mg, venetoclax.action) == (70, Action.ADJUST_DOSE)
    said = (f"Posaconazole is listed as on hold ({held.name!r}) and is still counted: a hold may end, and it acts "
            "until its washout has passed. If it has been stopped, give the date of its last dose so that its "
            "washout is counted. ")
    assert venetoclax.notes.startswith(said)
    assert venetoclax.rationale.startswith(said)


@pytest.mark.parametrize("held", [Medication("posaconazole 300 mg daily - on hold"),
                                  Medication("posaconazole", 300, held=True)])
def test_a_drug_also_listed_as_taken_is_not_said_to_be_held(default_kb: KnowledgeBase, held: Medication) -> None:
    concomitant = (held, Medication("posaconazole", 300))
    venetoclax = _venetoclax(check(default_kb, CheckRequest(REGIMEN, concomitant, PatientContext())))
    assert venetoclax.recommended_dose_mg == 70
    assert "on hold" not in venetoclax.notes


def test_a_held_drug_no_rule_of_the_agent_speaks_of_adds_nothing(default_kb: KnowledgeBase) -> None:
    concomitant = (Medication("acyclovir 400 mg BID - on hold"),)
    venetoclax = _venetoclax(check(default_kb, CheckRequest(REGIMEN, concomitant, PatientContext())))
    assert (venetoclax.recommended_dose_mg, venetoclax.action, venetoclax.notes) == (400, Action.CONTINUE, "")


def test_a_coded_held_line_gets_the_same_note_on_a_fresh_knowledge_base_as_after_others() -> None:
    # The note hung on drugs some earlier request had resolved by name as held: a coded line (identified by its
    # code, never resolved) got none in a fresh process and the note once any other held posaconazole was read.
    kb = load_knowledge_base()
    coded = Medication("posaconazole 300 mg daily - on hold", 300,
                       coding=(Coding("http://www.nlm.nih.gov/research/umls/rxnorm", "282446"),))
    request = CheckRequest((Medication("venetoclax", 400),), (coded,), PatientContext())

    fresh = _venetoclax(check(kb, request))
    check(kb, CheckRequest(REGIMEN, (Medication("posaconazole 100 mg tab on hold"),), PatientContext()))
    warm = _venetoclax(check(kb, request))

    assert fresh == warm
    assert (fresh.recommended_dose_mg, fresh.action) == (70, Action.ADJUST_DOSE)
    assert fresh.notes.startswith(f"Posaconazole is listed as on hold ({coded.name!r}) and is still counted")
