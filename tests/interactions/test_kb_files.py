"""The shipped knowledge-base files themselves: each validates, cross-references hold, facts are in."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from interactions.reader import normalise
from interactions.schema import (
    AgentFile,
    CitationSpec,
    ClassesFile,
    DrugsFile,
    ManifestFile,
    MonitoringSpec,
    NamesFile,
    RegimensFile,
)

DATA = Path(__file__).resolve().parents[2] / "interactions" / "data"
AGENT_FILES = sorted((DATA / "agents").glob("*.toml"))


def _load(path: Path) -> dict[str, Any]:
    with path.open("rb") as handle:
        return tomllib.load(handle)


MANIFEST = ManifestFile.model_validate(_load(DATA / "manifest.toml"))
NAMES = NamesFile.model_validate(_load(DATA / "names.toml"))
DRUGS = DrugsFile.model_validate(_load(DATA / "drugs.toml"))
CLASSES = ClassesFile.model_validate(_load(DATA / "classes.toml"))
AGENTS = {path.name: AgentFile.model_validate(_load(path)) for path in AGENT_FILES}
REGIMENS = RegimensFile.model_validate(_load(DATA / "regimens.toml"))
DRUG_NAMES = {d.name for d in DRUGS.drugs}
CLASS_MEMBERS = {c.id: set(c.members) for c in CLASSES.classes}

# --- what clinical-facts.md names (kept here so that a change to either side shows in review) ----

TARGETED_AGENTS = {
    "venetoclax", "gilteritinib", "quizartinib", "ivosidenib", "olutasidenib", "enasidenib",
    "glasdegib", "midostaurin", "sorafenib", "gemtuzumab ozogamicin",
}
PARTNERS = {"azacitidine", "decitabine", "cytarabine"}
FACT_CLASSES: dict[str, set[str]] = {
    "cyp3a4_strong_inhibitor": {
        "posaconazole", "voriconazole", "itraconazole", "ketoconazole", "clarithromycin", "ritonavir",
        "cobicistat", "indinavir", "nelfinavir", "saquinavir", "tipranavir", "nefazodone", "idelalisib",
        "conivaptan", "diltiazem", "telithromycin", "grapefruit",
    },
    "cyp3a4_moderate_inhibitor": {
        "fluconazole", "isavuconazole", "erythromycin", "ciprofloxacin", "letermovir", "aprepitant",
        "netupitant", "verapamil", "dronedarone", "amiodarone", "cyclosporine", "cimetidine",
        "crizotinib", "imatinib", "fosamprenavir",
    },
    "cyp3a4_strong_inducer": {
        "rifampin", "carbamazepine", "phenytoin", "fosphenytoin", "st john's wort", "enzalutamide",
        "apalutamide", "mitotane", "rifapentine",
    },
    "cyp3a4_moderate_inducer": {
        "efavirenz", "etravirine", "rifabutin", "bosentan", "modafinil", "nafcillin", "dexamethasone",
        "phenobarbital", "primidone",
    },
    "pgp_inhibitor": {
        "azithromycin", "clarithromycin", "erythromycin", "itraconazole", "ketoconazole", "posaconazole",
        "isavuconazole", "ritonavir", "cobicistat", "amiodarone", "carvedilol", "dronedarone",
        "quinidine", "ranolazine", "ticagrelor", "verapamil", "cyclosporine", "captopril", "lapatinib",
    },
    "pgp_inducer": {"rifampin", "carbamazepine", "phenytoin", "st john's wort", "apalutamide"},
    "qt_prolonging": {
        "levofloxacin", "moxifloxacin", "ciprofloxacin", "azithromycin", "clarithromycin", "erythromycin",
        "fluconazole", "voriconazole", "posaconazole", "ketoconazole", "ondansetron", "granisetron",
        "dolasetron", "citalopram", "escitalopram", "haloperidol", "droperidol", "methadone", "amiodarone",
        "sotalol", "dofetilide", "quinidine", "arsenic trioxide", "nilotinib", "quizartinib",
        "gilteritinib", "ivosidenib", "glasdegib", "midostaurin", "sorafenib",
    },
    "serotonergic_receptor": {"escitalopram", "fluoxetine", "sertraline"},
    "food_cyp3a": {"grapefruit", "seville orange", "starfruit"},
}
NO_INTERACTION_DRUGS = {
    "acyclovir", "valacyclovir", "levofloxacin", "ondansetron", "micafungin", "caspofungin",
    "anidulafungin", "allopurinol", "pantoprazole", "sulfamethoxazole/trimethoprim",
}
OTHER_FACT_DRUGS = {"warfarin", "digoxin", "lopinavir", "nirmatrelvir"}
FACT_NAMES = {  # brand, salt and abbreviation -> canonical, from clinical-facts.md
    "Venclexta": "venetoclax", "Venclyxto": "venetoclax", "VEN": "venetoclax", "Xospata": "gilteritinib",
    "Vanflyta": "quizartinib", "Tibsovo": "ivosidenib", "Rezlidhia": "olutasidenib", "Idhifa": "enasidenib",
    "Daurismo": "glasdegib", "Rydapt": "midostaurin", "Nexavar": "sorafenib",
    "Mylotarg": "gemtuzumab ozogamicin", "GO": "gemtuzumab ozogamicin", "AZA": "azacitidine",
    "DEC": "decitabine", "DAC": "decitabine", "LDAC": "cytarabine", "Ara-C": "cytarabine",
    "Noxafil": "posaconazole", "Vfend": "voriconazole", "Sporanox": "itraconazole", "Tolsura": "itraconazole",
    "Biaxin": "clarithromycin", "Norvir": "ritonavir", "Cardizem": "diltiazem", "Diflucan": "fluconazole",
    "isavuconazonium sulfate": "isavuconazole", "Cresemba": "isavuconazole", "Cipro": "ciprofloxacin",
    "Prevymis": "letermovir", "Emend": "aprepitant", "Akynzeo": "netupitant", "rifampicin": "rifampin",
    "Rifadin": "rifampin", "Tegretol": "carbamazepine", "Dilantin": "phenytoin",
    "grapefruit juice": "grapefruit",
}
COMBINATIONS = {"paxlovid": {"nirmatrelvir", "ritonavir"}, "kaletra": {"lopinavir", "ritonavir"}}


def _all_citations() -> Iterator[tuple[str, CitationSpec]]:
    for drug in DRUGS.drugs:
        for c in (*drug.reviewed, *(c for code in drug.codes for c in code.citations)):
            yield f"drugs.toml {drug.name}", c
    for i, combination in enumerate(DRUGS.combinations):
        for c in combination.citations:
            yield f"drugs.toml combination[{i}]", c
    for where, citations in NAMES.cited():
        for c in citations:
            yield f"names.toml {where}", c
    for spec in CLASSES.classes:
        for c in spec.citations:
            yield f"classes.toml {spec.id}", c
    for joint in CLASSES.joint_effects:
        for c in joint.citations:
            yield f"classes.toml {joint.name}", c
    for regimen in REGIMENS.regimens:
        for c in regimen.citations:
            yield f"regimens.toml {regimen.name}", c
    for file, agent in AGENTS.items():
        for where, dose in [("standard_dose", agent.standard_dose), *(
                (f"dose_variants[{i}]", v) for i, v in enumerate(agent.dose_variants))]:
            for c in dose.citations:
                yield f"{file} {where}", c
        for rule in agent.interactions:
            for c in rule.citations:
                yield f"{file} {rule.id}", c
            for m in rule.monitoring:
                for c in m.citations:
                    yield f"{file} {rule.id} monitoring", c
        for qtc in agent.qtc_rules:
            for c in (*qtc.citations, *(c for m in qtc.monitoring for c in m.citations)):
                yield f"{file} {qtc.id}", c
        for patient_rule in agent.patient_rules:
            for c in (*patient_rule.citations, *(c for m in patient_rule.monitoring for c in m.citations)):
                yield f"{file} {patient_rule.id}", c
        for m in agent.monitoring:
            for c in m.citations:
                yield f"{file} monitoring {m.test.name.lower()}", c


# --- each file validates ------------------------------------------------------------------------

@pytest.mark.parametrize(("relative", "model"), [
    ("manifest.toml", ManifestFile), ("names.toml", NamesFile), ("drugs.toml", DrugsFile),
    ("classes.toml", ClassesFile),
    *((f"agents/{p.name}", AgentFile) for p in AGENT_FILES),
])
def test_file_validates_with_its_model(relative: str, model: type[BaseModel]) -> None:
    model.model_validate(_load(DATA / relative))


def test_there_is_one_agent_file_per_targeted_agent() -> None:
    assert {a.drug for a in AGENTS.values()} == TARGETED_AGENTS
    assert len(AGENTS) == len(TARGETED_AGENTS)


def test_agent_kinds_match_the_agent_files() -> None:
    kinds = {d.name: d.kind for d in DRUGS.drugs}
    assert {name for name, kind in kinds.items() if kind == "agent"} == TARGETED_AGENTS
    partners = {name for name, kind in kinds.items() if kind == "partner"}
    assert partners >= PARTNERS
    assert {n for n, k in kinds.items() if k == "food"} == {"grapefruit", "seville orange", "starfruit"}


def test_manifest_has_a_version_and_every_required_source() -> None:
    ids = {s.id for s in MANIFEST.sources}
    assert MANIFEST.version
    assert {"review", "fda-ddi", "uspi-venclexta", "uspi-xospata", "uspi-vanflyta", "uspi-tibsovo",
            "uspi-rezlidhia", "uspi-idhifa", "uspi-daurismo", "uspi-rydapt", "uspi-nexavar",
            "uspi-mylotarg"} <= ids


# --- cross references ---------------------------------------------------------------------------

def test_every_citation_names_a_source_of_the_manifest() -> None:
    ids = {s.id for s in MANIFEST.sources}
    unknown = [(where, c.source) for where, c in _all_citations() if c.source not in ids]
    assert unknown == []


def test_every_source_of_the_manifest_is_cited() -> None:
    cited = {c.source for _, c in _all_citations()}
    assert {s.id for s in MANIFEST.sources} - cited == set()


def test_review_citations_give_a_reference_or_section() -> None:
    for where, c in _all_citations():
        if c.source == "review":
            assert "ref" in c.detail or "section" in c.detail, where


def test_every_referenced_drug_is_in_the_dictionary() -> None:
    referenced: list[tuple[str, str]] = []
    for combination in DRUGS.combinations:
        referenced += [(f"combination {combination.name}", d) for d in combination.components]
    for spec in CLASSES.classes:
        referenced += [(f"class {spec.id}", d) for d in (*spec.members, *spec.member_notes)]
    for file, agent in AGENTS.items():
        referenced.append((file, agent.drug))
        for dose in (agent.standard_dose, *agent.dose_variants):
            referenced += [(f"{file} with_any", d) for d in dose.with_any]
        for rule in agent.interactions:
            referenced += [(f"{file} {rule.id}", d) for d in rule.precipitant_drugs]
    assert [(where, d) for where, d in referenced if d not in DRUG_NAMES] == []


def test_every_precipitant_class_exists() -> None:
    for file, agent in AGENTS.items():
        for rule in agent.interactions:
            assert not rule.precipitant_class or rule.precipitant_class in CLASS_MEMBERS, (file, rule.id)


def test_no_name_or_synonym_is_used_twice() -> None:
    owners: dict[str, str] = {}
    clashes = []
    entries = [(d.name, (d.name, *d.synonyms)) for d in DRUGS.drugs]
    entries += [(c.name, (c.name, *c.synonyms)) for c in DRUGS.combinations]
    for owner, aliases in entries:
        for alias in aliases:
            key = normalise(alias)
            if owners.setdefault(key, owner) != owner:
                clashes.append((alias, owners[key], owner))
    assert clashes == []


def test_canonical_names_are_lower_case() -> None:
    # Synonyms may hold digits: digit-led names (6-MP, 5-FU) are drug names the reader matches whole.
    for drug in DRUGS.drugs:
        assert drug.name == drug.name.lower(), drug.name


def test_juice_is_not_a_vocabulary_word() -> None:
    # "grapefruit juice" is a synonym of grapefruit: the food must never be read as a dose form.
    assert "juice" not in {normalise(t) for v in NAMES.vocabularies for t in v.terms}


def test_every_rule_and_qtc_rule_id_is_unique_within_its_agent() -> None:
    for file, agent in AGENTS.items():
        ids = [r.id for r in agent.interactions] + [q.id for q in agent.qtc_rules]
        assert len(ids) == len(set(ids)), file


# --- the facts of clinical-facts.md are in the data ---------------------------------------------

@pytest.mark.parametrize("class_id", sorted(FACT_CLASSES))
def test_class_holds_every_member_named_in_the_facts(class_id: str) -> None:
    assert FACT_CLASSES[class_id] - CLASS_MEMBERS[class_id] - set(MOVED_TO_A_STRONGER_CLASS) == set()


# Where sources disagree the more conservative class is kept, with the disagreement in a member note.
MOVED_TO_A_STRONGER_CLASS = {"phenobarbital": "cyp3a4_strong_inducer", "primidone": "cyp3a4_strong_inducer"}


@pytest.mark.parametrize(("drug", "class_id"), sorted(MOVED_TO_A_STRONGER_CLASS.items()))
def test_a_drug_moved_to_a_stronger_class_says_why(drug: str, class_id: str) -> None:
    spec = next(c for c in CLASSES.classes if c.id == class_id)
    assert drug in spec.members
    assert "verify" in spec.member_notes[drug]


def test_isavuconazole_is_never_a_qt_prolonger() -> None:
    assert "isavuconazole" not in CLASS_MEMBERS["qt_prolonging"]
    assert "isavuconazole" in CLASS_MEMBERS["cyp3a4_moderate_inhibitor"]


def test_no_interaction_drugs_are_recognised_and_carry_no_cyp_or_pgp_class() -> None:
    cyp_pgp = set().union(*(CLASS_MEMBERS[c] for c in (
        "cyp3a4_strong_inhibitor", "cyp3a4_moderate_inhibitor", "cyp3a4_strong_inducer",
        "cyp3a4_moderate_inducer", "pgp_inhibitor", "pgp_inducer")))
    assert NO_INTERACTION_DRUGS <= DRUG_NAMES
    assert NO_INTERACTION_DRUGS & cyp_pgp == set()


def test_every_drug_named_in_the_facts_is_in_the_dictionary() -> None:
    named = TARGETED_AGENTS | PARTNERS | NO_INTERACTION_DRUGS | OTHER_FACT_DRUGS
    named |= set().union(*FACT_CLASSES.values())
    assert named - DRUG_NAMES == set()


@pytest.mark.parametrize(("alias", "canonical"), sorted(FACT_NAMES.items()))
def test_brand_salt_and_abbreviation_of_the_facts_is_a_synonym(alias: str, canonical: str) -> None:
    # A brand of a fixed combination (Akynzeo: netupitant and palonosetron) names the combination.
    owners = [(d.name, (d.name,), d.synonyms) for d in DRUGS.drugs]
    owners += [(c.name, c.components, c.synonyms) for c in DRUGS.combinations]
    named = [components for name, components, synonyms in owners
             if normalise(alias) in {normalise(s) for s in (name, *synonyms)}]
    assert len(named) == 1
    assert canonical in named[0]


@pytest.mark.parametrize(("product", "components"), sorted(COMBINATIONS.items()))
def test_combination_products_of_the_facts(product: str, components: set[str]) -> None:
    combination = next(c for c in DRUGS.combinations if c.name == product)
    assert set(combination.components) == components


def test_ritonavir_boosted_products_are_strong_inhibitors_through_ritonavir() -> None:
    assert "ritonavir" in CLASS_MEMBERS["cyp3a4_strong_inhibitor"]
    for combination in DRUGS.combinations:
        if "ritonavir" in combination.components:
            assert combination.citations


def test_every_qt_labelled_agent_has_a_qt_burden_rule() -> None:
    qt_agents = CLASS_MEMBERS["qt_prolonging"] & TARGETED_AGENTS
    for agent in AGENTS.values():
        if agent.drug in qt_agents:
            assert any(r.precipitant_class == "qt_prolonging" for r in agent.interactions), agent.drug


def test_class_member_notes_record_the_source_disagreements() -> None:
    notes = {c.id: c.member_notes for c in CLASSES.classes}
    for drug in ("diltiazem", "conivaptan", "grapefruit"):
        assert "moderate" in notes["cyp3a4_strong_inhibitor"][drug]
    for drug in ("st john's wort", "rifapentine"):
        assert drug in notes["cyp3a4_strong_inducer"]
    assert "differentiation syndrome" in notes["cyp3a4_moderate_inducer"]["dexamethasone"]
    assert "verify" in notes["pgp_inhibitor"]["captopril"]


def test_label_and_review_disagreement_is_stated_where_the_label_wins() -> None:
    gilteritinib = next(a for a in AGENTS.values() if a.drug == "gilteritinib")
    resume = next(q for q in gilteritinib.qtc_rules if q.id == "gil-qtc-resume")
    assert "< 480" in resume.recommendation
    assert "label" in resume.recommendation


def test_monitoring_days_are_within_a_28_day_cycle() -> None:
    specs: list[MonitoringSpec] = []
    for agent in AGENTS.values():
        specs += [*agent.monitoring, *(m for r in agent.interactions for m in r.monitoring)]
    for spec in specs:
        for label in spec.days:
            assert 1 <= int(label.split("D")[1]) <= 28, label


def test_a_combination_reviewed_as_one_drug_names_at_least_two_ingredients() -> None:
    from pydantic import ValidationError

    entry = {"name": "x/y", "kind": "comedication", "reviewed": [{"source": "s", "detail": "d"}]}
    assert DrugsFile.model_validate({"drug": [{**entry, "ingredients": ["x", "y"]}]}).drugs[0].ingredients == ("x", "y")
    for ingredients in (["x"], ["x", "x"]):
        with pytest.raises(ValidationError, match="at least two different ingredients"):
            DrugsFile.model_validate({"drug": [{**entry, "ingredients": ingredients}]})
    # No two in the dictionary have the same ingredients (test_reader_corpus reads each back from them).
    combined = [frozenset(d.ingredients) for d in DRUGS.drugs if d.ingredients]
    assert len(combined) == len(set(combined)) >= 9
