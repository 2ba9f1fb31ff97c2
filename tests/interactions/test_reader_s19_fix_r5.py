"""Fixer R5 of session 19: two readings fe3e769 (fixer R4) made too wide, found by review 5.

A local dose-form word ("ointment", "cream", "gel") beside any other route word stopped being local: "diltiazem 2%
rectal ointment" (anal fissure), "ketoconazole nasal ointment" cut venetoclax to 100 mg, complete, as if taken by mouth
(the rules are about systemic exposure); only an oral word ("oral gel", "gel caps") makes such a form one taken by
mouth. "Dec." and a day after a joiner ("venetoclax 400 mg daily; Dec. 1 start") added decitabine to the regimen,
complete: review 3's bug back; a joiner alone does not make it decitabine, a dose, course, range, route or unit after
the day does.
"""

from __future__ import annotations

import pytest

from interactions import Action, CheckRequest, KnowledgeBase, Medication, PatientContext, UnrecognizedReason, check
from tests.interactions.orders import AZA, agent_dose

VEN_400 = Medication("venetoclax", 400)
POSACONAZOLE = Medication("posaconazole 300 mg daily")
"""A strong CYP3A inhibitor: venetoclax beside it is 70 mg (USPI Venclexta 2.4)."""


@pytest.mark.parametrize(("line", "drug"), [
    ("diltiazem 2% rectal ointment", "diltiazem"), ("diltiazem 2% rectal cream", "diltiazem"),
    ("diltiazem 2% rectal gel", "diltiazem"), ("ketoconazole nasal ointment", "ketoconazole"),
    ("rifampin nasal ointment", "rifampin"), ("ketoconazole nasal gel", "ketoconazole"),
    ("ketoconazole 2% vaginal cream", "ketoconazole"), ("erythromycin urethral gel", "erythromycin"),
])
def test_a_rectal_nasal_or_vaginal_local_form_is_still_local(default_kb: KnowledgeBase, line: str, drug: str) -> None:
    # Was (fe3e769) read as taken by mouth: venetoclax 100 mg ADJUST_DOSE, complete (diltiazem, ketoconazole), or an
    # inducer finding (rifampin); the ointment's systemic exposure is not what the rules are about.
    result = check(default_kb, CheckRequest((VEN_400, AZA), (Medication(line),), PatientContext()))
    ven = agent_dose(result, "venetoclax")
    assert (ven.recommended_dose_mg, ven.action, ven.avoid_with, result.findings) == (400, Action.CONTINUE, (), ())
    assert not result.complete
    (unread,) = result.unrecognized
    assert (unread.reason, unread.ingredients) == (UnrecognizedReason.NOT_REVIEWED, (drug,))


@pytest.mark.parametrize("line", ["venetoclax 400 mg daily; Dec. 1 start", "venetoclax 400 mg daily & Dec. 1",
                                  "venetoclax 400 mg daily / Dec. 1", "venetoclax 400 mg daily + Dec. 1",
                                  "venetoclax 400 mg daily and Dec. 1", "venetoclax 400 mg daily w/ Dec. 1",
                                  "Ven 400/Dec. 20", "venetoclax 400 mg daily and dec. 20"])
def test_dec_and_a_day_after_a_joiner_alone_is_a_date(default_kb: KnowledgeBase, line: str) -> None:
    # Was (fe3e769) venetoclax and decitabine, complete=true: a drug not ordered added to the regimen. "Ven 400/Dec.
    # 20" may be decitabine 20 mg/m2 too: unknown, the check incomplete, rather than a drug perhaps not ordered.
    reading = default_kb.resolver.read(line)
    assert (reading.drugs, reading.reason) == ((), UnrecognizedReason.UNKNOWN)
    result = check(default_kb, CheckRequest((Medication(line),), (POSACONAZOLE,), PatientContext()))
    assert not result.complete
    assert "decitabine" not in [d.drug for d in result.doses]


@pytest.mark.parametrize("line", ["Ven 400/Dec. 20 mg/m2", "venetoclax 400 mg daily + Dec. 20 mg/m2 D1-5",
                                  "ven 400 & dec. 20 x 5d", "venetoclax 400 mg daily w/ dec. 20 IV"])
def test_dec_and_a_day_before_a_dose_or_course_is_decitabine(default_kb: KnowledgeBase, line: str) -> None:
    assert sorted(default_kb.resolver.read(line).drugs) == ["decitabine", "venetoclax"]
    result = check(default_kb, CheckRequest((Medication(line),), (POSACONAZOLE,), PatientContext()))
    assert (result.complete, result.unrecognized) == (True, ())
    ven = agent_dose(result, "venetoclax")
    assert (ven.recommended_dose_mg, ven.action) == (70, Action.ADJUST_DOSE)
