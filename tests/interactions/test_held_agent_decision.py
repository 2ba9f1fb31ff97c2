"""An agent held by its order, beside drugs its rules speak of: the decision says the hold and the dose on resuming.

A held venetoclax 400 mg beside posaconazole was "hold, 0 mg", naming posaconazole's finding and saying nothing of
its own: a reader took the azole for the reason of the hold, and the 70 mg it calls for once venetoclax is resumed
was in that finding's text only. The hold still wins the dose (0 mg); the decision's own words now say it is the
order's and what the findings call for on resuming.
"""

from __future__ import annotations

from interactions import Action, CheckRequest, KnowledgeBase, Medication, PatientContext, check
from interactions.answer import answer
from interactions.model import DoseRecommendation

HELD = "Marked as held in the order, and no rule of this knowledge base resumes it for what is known: it stays held " \
       "until the prescriber resumes it."


def _decision(kb: KnowledgeBase, regimen: tuple[Medication, ...], *concomitant: Medication) -> DoseRecommendation:
    (decision,) = [d for d in check(kb, CheckRequest(regimen, concomitant, PatientContext())).doses
                   if d.drug == regimen[0].name]
    return decision


def test_a_held_agent_beside_an_inhibitor_says_the_hold_and_the_dose_on_resuming(default_kb: KnowledgeBase) -> None:
    regimen = (Medication("venetoclax", 400, held=True), Medication("azacitidine", 75))
    result = check(default_kb, CheckRequest(regimen, (Medication("posaconazole", 300),), PatientContext()))
    (decision,) = [d for d in answer(result).decisions if d.drug == "venetoclax"]

    assert (decision.recommended_dose_mg, decision.action) == (0, Action.HOLD)
    assert decision.rationale == f"{HELD} On resuming, its findings listed call for 70 mg."
    (finding,) = [f for f in answer(result).findings if f.id in decision.findings]
    assert finding.precipitant_drugs == ("posaconazole",)


def test_the_dose_on_resuming_is_the_most_restrictive_of_the_findings(default_kb: KnowledgeBase) -> None:
    # Letermovir (moderate: at least 50 %, 200 mg) and posaconazole (70 mg): 70 mg on resuming.
    decision = _decision(default_kb, (Medication("venetoclax", 400, held=True),),
                         Medication("letermovir", 480), Medication("posaconazole", 300))
    assert (decision.recommended_dose_mg, decision.action) == (0, Action.HOLD)
    assert decision.notes == f"{HELD} On resuming, its findings listed call for 70 mg."
    assert len(decision.findings) == 2


def test_a_held_agent_without_findings_keeps_the_hold_alone(default_kb: KnowledgeBase) -> None:
    decision = _decision(default_kb, (Medication("venetoclax", 400, held=True),), Medication("acyclovir", 400))
    assert (decision.recommended_dose_mg, decision.action, decision.findings) == (0, Action.HOLD, ())
    assert decision.rationale == HELD


def test_a_held_agent_a_finding_discontinues_says_only_the_findings_words(default_kb: KnowledgeBase) -> None:
    # The review: olutasidenib held with ALT at 25 x ULN was "discontinue ... Its findings listed hold it too.", and
    # the finding's text copied into the decision's own words.
    regimen = (Medication("olutasidenib", 150, held=True),)
    result = check(default_kb, CheckRequest(regimen, (), PatientContext(alt_uln=25)))
    (dose,) = result.doses
    assert (dose.recommended_dose_mg, dose.action) == (0, Action.DISCONTINUE)
    assert dose.notes == ""
    assert dose.rationale == (f"{dose.findings[0].recommendation} (Most restrictive of 2 findings on the olutasidenib "
                              "dose; all are listed.)")  # the discontinuing one and the one interrupting it
    (decision,) = answer(result).decisions
    assert decision.rationale == ""  # the finding it names says it


def test_a_held_agent_a_finding_holds_too_is_the_findings_hold(default_kb: KnowledgeBase) -> None:
    # Olutasidenib held by its order with ALT at 5 x ULN: the finding's hold, whose text says when to resume, is the
    # decision's; nothing is said of a dose on resuming beside it.
    result = check(default_kb, CheckRequest((Medication("olutasidenib", 150, held=True),), (),
                                            PatientContext(alt_uln=5)))
    (dose,) = result.doses
    assert (dose.recommended_dose_mg, dose.action) == (0, Action.HOLD)
    assert [f.rule for f in dose.findings] == ["olutasidenib/olu-hepatotoxicity"]
    assert (dose.notes, dose.rationale) == ("", dose.findings[0].recommendation)
