"""What the engine remembers between checks (agents' outcomes, duplications found) never changes an answer."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.workload import HEAVY, Workload
from interactions import (
    CheckRequest,
    CheckResult,
    InvalidRequestError,
    KnowledgeBase,
    Mechanism,
    Medication,
    PatientContext,
    check,
    load_knowledge_base,
    regimen_checks,
)
from interactions.engine import forget
from interactions.index import Numbered
from tests.interactions.conftest import FIXTURE_KB


@pytest.fixture(scope="module", params=["fixture", "default"])
def kb(request: pytest.FixtureRequest) -> KnowledgeBase:
    return load_knowledge_base(FIXTURE_KB if request.param == "fixture" else None)


def _fresh(kb: KnowledgeBase, request: CheckRequest) -> object:
    """The answer worked out with nothing remembered, or the refusal's type."""
    forget(kb)
    try:
        return check(kb, request)
    except InvalidRequestError as err:
        return type(err)


def test_numbered_bits_decode_in_numbering_order_and_leave_out_what_is_not_numbered() -> None:
    numbered = Numbered(["a", "b", "c", "d"])
    assert numbered.decode(numbered.bits(["d", "a", "b"])) == ("a", "b", "d")
    assert numbered.decode(numbered.bits_of_numbered(["d", "a", "x", "b"])) == ("a", "b", "d")
    assert numbered.bits_of_numbered(["x"]) == 0
    assert numbered.decode(0) == ()
    with pytest.raises(KeyError):  # at load, an item left out of the numbering is a bug, not nothing
        numbered.bits(["a", "x"])


def test_the_benchmark_regimens_are_answered_the_same_remembered_or_not() -> None:
    kb = load_knowledge_base()
    requests = Workload(kb).requests(HEAVY, 40) + Workload(kb, seed=7).audit_rows(40)
    forget(kb)
    first = [check(kb, r) for r in requests]
    again = [check(kb, r) for r in requests]  # every agent's outcome and every duplication is remembered now
    assert again == first
    assert kb.duplications_found
    assert all(agent.outcomes for agent in kb.agents.values() if agent.precipitants)
    assert [_fresh(kb, r) for r in requests] == first
    forget(kb)
    assert not kb.duplications_found
    assert not any(agent.outcomes for agent in kb.agents.values())


@st.composite
def crowded_requests(draw: st.DrawFn, kb: KnowledgeBase) -> CheckRequest:
    """Requests over every agent and the drugs their rules and the duplication rules name, some stopped:
    the drugs found, the duplicates and the washouts vary while the memory is used again."""
    agents = sorted(kb.agents)
    named = sorted({name for agent in kb.agents.values() for name in agent.precipitants} | kb.qt_drugs)
    duplicable = sorted({drug for rule in kb.regimen_rules.duplications for drug in rule.drugs})
    regimen = tuple(Medication(name, dose_mg=draw(st.sampled_from([0.0, 50.0, 400.0])))
                    for name in draw(st.lists(st.sampled_from(agents), min_size=1, max_size=5, unique=True)))
    concomitant = tuple(
        Medication(name, stopped_on=draw(st.sampled_from(["", "2026-02-20", "2025-06-01"])))
        for name in draw(st.lists(st.sampled_from(duplicable or named) | st.sampled_from(named), max_size=8)))
    patient = PatientContext(
        qtc_ms=draw(st.sampled_from([0.0, 450.0, 505.0])),
        cycle_start_date=draw(st.sampled_from(["", "2026-03-02"])),
        as_of_date=draw(st.sampled_from(["", "2026-03-02"])),
    )
    return CheckRequest(regimen, concomitant, patient)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_what_the_engine_remembers_of_crowded_requests_never_changes_an_answer(
        kb: KnowledgeBase, data: st.DataObject) -> None:
    batch = data.draw(st.lists(crowded_requests(kb), min_size=1, max_size=10))
    answers: list[object] = []
    for request in batch:
        try:
            answers.append(check(kb, request))
        except InvalidRequestError:
            answers.append(InvalidRequestError)
    assert [_fresh(kb, request) for request in batch] == answers
    for request, answer in zip(batch, answers, strict=True):
        if isinstance(answer, CheckResult):  # the duplications of the drugs taken, looked for in them all
            stopped_counts = bool(request.patient.as_of_date)  # without the day of the check, a stopped drug is taken
            present = {drug for m in (*request.regimen, *(m for m in request.concomitant
                                                          if not (stopped_counts and m.stopped_on)))
                       for drug in kb.resolver.resolve(m.name) or ()}
            assert [f for f in answer.findings if Mechanism.THERAPEUTIC_DUPLICATION in f.mechanisms] == \
                regimen_checks.duplications(kb, present)


def test_a_duplication_is_found_whatever_else_is_present(default_kb: KnowledgeBase) -> None:
    # The same two FLT3 inhibitors among different co-medications: one remembered duplication, named on both.
    regimen = (Medication("gilteritinib", 120), Medication("quizartinib", 26.5))
    for others in ((), ("posaconazole",), ("ondansetron", "warfarin")):
        result = check(default_kb, CheckRequest(regimen, tuple(Medication(n) for n in others)))
        duplications = [f for f in result.findings if Mechanism.THERAPEUTIC_DUPLICATION in f.mechanisms]
        assert [f.involved for f in duplications] == [("gilteritinib", "quizartinib")]
        avoided = {d.drug: d.avoid_with for d in result.doses}
        assert "quizartinib" in avoided["gilteritinib"]
        assert "gilteritinib" in avoided["quizartinib"]
