"""AML order shorthand: development codes, ward short forms and regimen acronyms read as the drugs they name.

Each name is sourced in drugs.toml or regimens.toml; a short form that also names something else a
pharmacist might mean (IA, ida, HMA) stays unrecognised, so the check says it is incomplete.
"""

from __future__ import annotations

import pytest

from interactions import CheckRequest, KnowledgeBase, Medication, check
from interactions.model import UnrecognizedReason

CYT_DAUNO = {"cytarabine", "daunorubicin"}


@pytest.mark.parametrize(("text", "drugs"), [
    # development codes, written with a hyphen, without, and with a space where the prefix is no order text
    ("AG-120", {"ivosidenib"}), ("AG120", {"ivosidenib"}), ("AG 120", {"ivosidenib"}),
    ("AG-120 500 mg PO daily", {"ivosidenib"}), ("ivosidenib (AG-120)", {"ivosidenib"}),
    ("AG-221", {"enasidenib"}), ("AG221", {"enasidenib"}), ("AG 221", {"enasidenib"}),
    ("CC-486", {"azacitidine"}), ("CC486", {"azacitidine"}), ("CC 486 300 mg", {"azacitidine"}),
    ("PKC412", {"midostaurin"}), ("PKC-412", {"midostaurin"}), ("PKC 412", {"midostaurin"}),
    ("ASP2215", {"gilteritinib"}), ("ASP-2215 120 mg", {"gilteritinib"}),
    ("AC220", {"quizartinib"}), ("AC-220", {"quizartinib"}), ("quizartinib (AC220)", {"quizartinib"}),
    ("FT-2102", {"olutasidenib"}), ("FT2102", {"olutasidenib"}), ("FT 2102", {"olutasidenib"}),
    ("PF-04449913", {"glasdegib"}), ("PF04449913", {"glasdegib"}),
    ("BAY 43-9006", {"sorafenib"}), ("BAY43-9006", {"sorafenib"}),
    ("CMA-676", {"gemtuzumab ozogamicin"}), ("CMA676", {"gemtuzumab ozogamicin"}),
    # CC-486 is oral azacitidine (Onureg): the same drug as Onureg reads as
    ("Onureg", {"azacitidine"}),
    # ward short forms
    ("gilt", {"gilteritinib"}), ("Gilt/Ven", {"gilteritinib", "venetoclax"}),
    ("Aza/Ven/Gilt", {"azacitidine", "venetoclax", "gilteritinib"}),
    ("gilt 120 mg PO daily", {"gilteritinib"}),
    ("ivo", {"ivosidenib"}), ("Ivo/Aza", {"ivosidenib", "azacitidine"}), ("IVO + AZA", {"ivosidenib", "azacitidine"}),
    ("dauno", {"daunorubicin"}), ("dauno 90 mg/m2", {"daunorubicin"}),
    ("IDAC", {"cytarabine"}), ("intermediate-dose cytarabine", {"cytarabine"}),
])
def test_shorthand_reads_as_its_drugs(default_kb: KnowledgeBase, text: str, drugs: set[str]) -> None:
    reading = default_kb.resolver.read(text)
    assert (reading.reason, set(reading.drugs), reading.regimen) == (UnrecognizedReason.UNSPECIFIED, drugs, "")


@pytest.mark.parametrize(("text", "drugs", "regimen"), [
    ("7+3 dauno", CYT_DAUNO, "7+3"),
    ("7+3 dauno 90 mg/m2", CYT_DAUNO, "7+3"),
    ("7+3 daunorubicin", CYT_DAUNO, "7+3"),
    ("7+3 with daunorubicin", CYT_DAUNO, "7+3"),
    ("7+3 ida", {"cytarabine", "idarubicin"}, "7+3 with idarubicin"),
    ("IA 7+3", {"cytarabine", "idarubicin"}, "7+3 with idarubicin"),
    ("CLIA", {"cladribine", "idarubicin", "cytarabine"}, "CLIA"),
    ("FLAG-GO", {"fludarabine", "cytarabine", "filgrastim", "gemtuzumab ozogamicin"}, "FLAG-GO"),
    ("FLAG + GO", {"fludarabine", "cytarabine", "filgrastim", "gemtuzumab ozogamicin"}, "FLAG-GO"),
])
def test_regimen_acronym_reads_as_its_components(default_kb: KnowledgeBase, text: str, drugs: set[str],
                                                 regimen: str) -> None:
    reading = default_kb.resolver.read(text)
    assert (reading.reason, set(reading.drugs), reading.regimen) == (UnrecognizedReason.UNSPECIFIED, drugs, regimen)


@pytest.mark.parametrize("text", [
    "HMA/Ven",                 # which hypomethylating agent is not said
    "HMA + venetoclax",
    "IA",                      # also the route abbreviation of intra-articular and intra-arterial injections
    "7+3 (IA)",
    "triamcinolone 40 mg IA",  # an intra-articular injection must never gain cytarabine and idarubicin
    "ida",                     # also the IDA (iminodiacetic acid) hepatobiliary tracers
    "AC 220",                  # "AC" is order text (before meals): only AC220 and AC-220 are quizartinib
    "PF 04449913",             # "PF" is order text (preservative free)
    "ASP 2215 units IM",       # ASP is also asparaginase, dosed in units by body-surface area
])
def test_ambiguous_shorthand_stays_unrecognised(default_kb: KnowledgeBase, text: str) -> None:
    assert default_kb.resolver.read(text).reason is UnrecognizedReason.UNKNOWN


def test_ac_before_a_number_is_never_quizartinib(default_kb: KnowledgeBase) -> None:
    assert "quizartinib" not in default_kb.resolver.read("Robitussin AC 220 mL").drugs


def test_a_regimen_with_a_bare_dose_is_read_as_7_3_or_not_at_all(default_kb: KnowledgeBase) -> None:
    # "90" without a unit is the reader's to judge; whatever it says, it names no other drug.
    assert set(default_kb.resolver.read("7+3 dauno 90").drugs) in (set(), CYT_DAUNO)


@pytest.mark.parametrize(("regimen", "components"), [
    ("Gilt/Ven", {"gilteritinib", "venetoclax"}),
    ("Ivo/Aza", {"ivosidenib", "azacitidine"}),
    ("CLIA", {"cladribine", "idarubicin", "cytarabine"}),
    ("FLAG-GO", {"fludarabine", "cytarabine", "filgrastim", "gemtuzumab ozogamicin"}),
])
def test_a_check_of_shorthand_is_complete(default_kb: KnowledgeBase, regimen: str, components: set[str]) -> None:
    result = check(default_kb, CheckRequest(regimen=(Medication(regimen),)))
    assert result.complete
    assert {d.drug for d in result.doses} == components
