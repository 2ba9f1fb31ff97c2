"""A catalogue's product codes identify the agent, under any spelling of RxNorm's system.

A pharmacist's review (session 12): a sorafenib line carrying gilteritinib's tablet code (2105811) read as
sorafenib, complete, the code never mentioned: only ingredient codes were known, so a product code was
left to the name. Posaconazole's code on a "fluconazole" line passed too when the system was written as
HL7's OID or "RxNorm".
"""

from __future__ import annotations

import pytest

from interactions import (
    Action,
    CheckRequest,
    Coding,
    KnowledgeBase,
    Medication,
    PatientContext,
    UnrecognizedReason,
    check,
)
from interactions.identify import RXNORM

AZA = Medication("azacitidine", 75)


@pytest.mark.parametrize(("code", "drug"), [
    ("2105811", "gilteritinib"), ("2105817", "gilteritinib"), ("2105812", "gilteritinib"),
    ("2049878", "ivosidenib"), ("2049884", "ivosidenib"),
    ("1940370", "enasidenib"), ("1940376", "enasidenib"),
    ("1919088", "midostaurin"), ("1919094", "midostaurin"),
    ("597747", "sorafenib"), ("615979", "sorafenib"),
])
def test_a_product_code_alone_identifies_its_agent(default_kb: KnowledgeBase, code: str, drug: str) -> None:
    result = check(default_kb, CheckRequest((Medication("", 100, coding=(Coding(RXNORM, code),)),), (),
                                            PatientContext()))
    assert [d.drug for d in result.doses] == [drug]
    assert result.complete


def test_a_product_code_that_contradicts_the_name_is_a_conflict(default_kb: KnowledgeBase) -> None:
    line = Medication("sorafenib 200 MG Oral Tablet", 400, coding=(Coding(RXNORM, "2105811"),))
    result = check(default_kb, CheckRequest((line,), (), PatientContext()))

    (missed,) = result.unrecognized
    assert missed.reason is UnrecognizedReason.CONFLICT
    assert "2105811 (gilteritinib)" in missed.detail
    assert not result.complete
    assert result.doses[0].action is Action.UNSPECIFIED


@pytest.mark.parametrize("system", [
    RXNORM, "urn:oid:2.16.840.1.113883.6.88", "2.16.840.1.113883.6.88", "RxNorm", "RXNORM",
    "https://www.nlm.nih.gov/research/umls/rxnorm", " http://www.nlm.nih.gov/research/umls/rxnorm/ ",
])
def test_rxnorm_is_read_under_each_spelling_of_its_system(default_kb: KnowledgeBase, system: str) -> None:
    fluconazole_named_posaconazole_coded = Medication("fluconazole", coding=(Coding(system, "282446"),))
    result = check(default_kb, CheckRequest((Medication("venetoclax", 400), AZA),
                                            (fluconazole_named_posaconazole_coded,), PatientContext()))
    (missed,) = result.unrecognized
    assert missed.reason is UnrecognizedReason.CONFLICT


def test_another_system_is_left_to_the_name(default_kb: KnowledgeBase) -> None:
    ndc = Medication("fluconazole", coding=(Coding("http://hl7.org/fhir/sid/ndc", "282446"),))
    result = check(default_kb, CheckRequest((Medication("venetoclax", 400), AZA), (ndc,), PatientContext()))
    assert result.complete
    assert {f.rule for f in result.findings} >= {"venetoclax/ven-moderate-cyp3a-inhibitor"}
