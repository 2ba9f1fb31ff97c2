"""Properties that hold for any request: order-independence, monotone doses, no crash on any name."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interactions import (
    Action,
    CheckRequest,
    HoldReason,
    InvalidRequestError,
    KnowledgeBase,
    Mechanism,
    Medication,
    PatientContext,
    check,
    load_knowledge_base,
)
from interactions.engine import forget
from tests.interactions.conftest import FIXTURE_KB

INHIBITOR_MECHANISMS = {Mechanism.CYP3A4_STRONG_INHIBITOR, Mechanism.CYP3A4_MODERATE_INHIBITOR,
                        Mechanism.PGP_INHIBITOR}


@pytest.fixture(scope="module", params=["fixture", "default"])
def kb(request: pytest.FixtureRequest) -> KnowledgeBase:
    return load_knowledge_base(FIXTURE_KB if request.param == "fixture" else None)

SLOW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _names(kb: KnowledgeBase) -> list[str]:
    return sorted({alias for d in kb.drugs for alias in (d.name, *d.synonyms)})


@st.composite
def requests(draw: st.DrawFn, kb: KnowledgeBase) -> CheckRequest:
    agents = sorted(kb.agents)
    others = [*_names(kb), "not-a-drug", "posaconazol"]
    regimen_names = draw(st.lists(st.sampled_from(agents), min_size=1, max_size=4, unique=True))
    regimen = tuple(Medication(n, draw(st.sampled_from([0.0, 50.0, 100.0, 400.0]))) for n in regimen_names)
    concomitant = tuple(Medication(n) for n in draw(st.lists(st.sampled_from(others), max_size=12)))
    patient = PatientContext(
        qtc_ms=draw(st.sampled_from([0.0, 450.0, 480.0, 481.0, 500.0, 501.0, 530.0])),
        baseline_qtc_ms=draw(st.sampled_from([0.0, 440.0, 470.0])),
        cycle_start_date=draw(st.sampled_from(["", "2026-03-02"])),
    )
    return CheckRequest(regimen, concomitant, patient)


def _canonical_regimen_duplicates(kb: KnowledgeBase, request: CheckRequest) -> bool:
    resolved = [c for m in request.regimen for c in (kb.resolver.resolve(m.name) or (m.name,))]
    return len(resolved) != len(set(resolved))


@SLOW
@given(data=st.data())
def test_order_of_inputs_never_changes_the_result(kb: KnowledgeBase, data: st.DataObject) -> None:
    request = data.draw(requests(kb))
    shuffled = request._replace(regimen=tuple(data.draw(st.permutations(request.regimen))),
                       concomitant=tuple(data.draw(st.permutations(request.concomitant))))
    assert check(kb, shuffled) == check(kb, request)


@SLOW
@given(data=st.data())
def test_adding_an_inhibitor_never_raises_a_dose(kb: KnowledgeBase, data: st.DataObject) -> None:
    inhibitors = sorted({m for c in kb.classes if c.mechanism in INHIBITOR_MECHANISMS for m in c.members})
    request = data.draw(requests(kb))
    inhibitor = data.draw(st.sampled_from(inhibitors))
    before = {d.drug: d.recommended_dose_mg for d in check(kb, request).doses}
    with_inhibitor = request._replace(concomitant=(*request.concomitant, Medication(inhibitor)))
    after = {d.drug: d.recommended_dose_mg for d in check(kb, with_inhibitor).doses}
    # None: no dose in mg to give (gemtuzumab ordered per m2), and a co-medication does not give it one.
    assert all(after[drug] is None if dose is None else after[drug] <= dose
               for drug, dose in before.items() if drug in after)


@SLOW
@given(data=st.data())
def test_adding_any_comedication_never_raises_or_zeroes_a_dose(kb: KnowledgeBase, data: st.DataObject) -> None:
    # Only a QTc rule (a label's "interrupt") may stop an agent, and QTc rules do not read co-medications.
    request = data.draw(requests(kb))
    other = data.draw(st.sampled_from(_names(kb)))
    before = {d.drug: d.recommended_dose_mg for d in check(kb, request).doses}
    with_other = request._replace(concomitant=(*request.concomitant, Medication(other)))
    after = {d.drug: d.recommended_dose_mg for d in check(kb, with_other).doses}
    for drug, dose in before.items():
        if drug in after:
            if dose is None:  # no dose in mg to give (gemtuzumab ordered per m2): a co-medication gives it none
                assert after[drug] is None, (drug, other)
                continue
            assert after[drug] <= dose
            assert after[drug] > 0 or dose == 0, (drug, other)


@SLOW
@given(data=st.data())
def test_rechecking_a_recommendation_returns_it_unchanged(kb: KnowledgeBase, data: st.DataObject) -> None:
    request = data.draw(requests(kb))
    first = {d.drug: d for d in check(kb, request).doses}
    # An ordered dose the engine replaced with a recommendation is ordered again, as a pharmacist would.
    regimen = []
    for medication in request.regimen:
        (drug,) = kb.resolver.resolve(medication.name) or (medication.name,)
        dose = first[drug]
        changed = dose.action is Action.ADJUST_DOSE and dose.recommended_dose_mg
        regimen.append(medication._replace(dose_mg=dose.recommended_dose_mg) if changed else medication)
    second = {d.drug: d for d in check(kb, request._replace(regimen=tuple(regimen))).doses}
    # A label's dose-reduction table (quizartinib) is read at the ordered dose's row, and its reduced
    # doses are labelled doses of other phases (26.5 mg): without the phase, which row an order stands
    # in cannot be told, so tables are left out here.
    tables = {name for name, agent in kb.agents.items()
              if any(r.dose and r.dose.table for r in agent.spec.interactions)}
    for drug, dose in first.items():
        if dose.action is Action.ADJUST_DOSE and drug not in tables:
            assert second[drug].recommended_dose_mg == dose.recommended_dose_mg, drug
            assert second[drug].ramp_up == dose.ramp_up, drug


@SLOW
@given(data=st.data())
def test_every_finding_and_changed_dose_cites_a_source(kb: KnowledgeBase, data: st.DataObject) -> None:
    result = check(kb, data.draw(requests(kb)))
    source_ids = {s.id for s in kb.sources}
    for finding in result.findings:
        assert finding.citations
        assert {c.source for c in finding.citations} <= source_ids
    for event in result.monitoring:
        assert event.citations
        assert event.reason
    for dose in (d for d in result.doses if d.drug in kb.agents):
        assert dose.citations
        assert dose.rationale


@settings(max_examples=300, deadline=None)
@given(name=st.text(max_size=250), dose=st.floats(allow_nan=True, allow_infinity=True))
def test_any_name_or_dose_is_answered_or_refused_never_crashes(kb: KnowledgeBase, name: str, dose: float) -> None:
    request = CheckRequest((Medication(sorted(kb.agents)[0], 100),), (Medication(name, dose),))
    bad_fields = set()
    if not name.strip() or len(name) > 200:
        bad_fields.add("concomitant[0].name")
    if not 0 <= dose <= 100_000:  # NaN fails this too
        bad_fields.add("concomitant[0].dose_mg")
    if bad_fields:
        with pytest.raises(InvalidRequestError) as raised:
            check(kb, request)
        assert {v.field for v in raised.value.violations} == bad_fields
        return
    result = check(kb, request)
    resolved = kb.resolver.resolve(name)
    assert result.complete is (resolved is not None)
    if resolved is None:
        assert [u.name for u in result.unrecognized] == [name]
        assert len(result.unrecognized[0].suggestions) <= 3


@st.composite
def varied_requests(draw: st.DrawFn, kb: KnowledgeBase) -> CheckRequest:
    """Requests that vary everything the engine reads besides the rules found, over so few drugs that
    the rules found often repeat: what the engine remembers per agent is then used again."""
    agents = sorted(kb.agents)[:3]
    interacting = sorted({name for agent in kb.agents.values() for name in agent.precipitants})[:3]
    regimen = tuple(Medication(
        name,
        dose_mg=draw(st.sampled_from([0.0, 600.0])),
        held=draw(st.booleans()),
        hold_reason=draw(st.sampled_from([HoldReason.UNSPECIFIED, HoldReason.QTC_PROLONGATION])),
        qtc_at_hold_ms=draw(st.sampled_from([0.0, 505.0])),
        treatment_day=draw(st.sampled_from([0, 1])),
    ) for name in draw(st.lists(st.sampled_from(agents), min_size=1, max_size=2, unique=True)))
    concomitant = tuple(Medication(n) for n in draw(st.lists(st.sampled_from(interacting), max_size=1)))
    patient = PatientContext(
        qtc_ms=draw(st.sampled_from([0.0, 450.0, 481.0, 505.0])),
        cycle_start_date=draw(st.sampled_from(["", "2026-03-02"])),
        cycle_length_days=draw(st.sampled_from([0, 21])),
        potassium_mmol_l=draw(st.sampled_from([0.0, 3.2])),
        bilirubin_uln=draw(st.sampled_from([0.0, 3.5])),
        ast_uln=draw(st.sampled_from([0.0, 1.0, 3.0])),
        alt_uln=draw(st.sampled_from([0.0, 1.0, 3.0])),
        child_pugh=draw(st.sampled_from(["", "B", "C"])),
        congenital_long_qt=draw(st.booleans()),
        wbc_10e9_l=draw(st.sampled_from([0.0, 30.0])),
    )
    return CheckRequest(regimen, concomitant, patient)


@SLOW
@given(data=st.data())
def test_what_the_engine_remembers_never_changes_an_answer(kb: KnowledgeBase, data: st.DataObject) -> None:
    # Many requests go through one memory (it also keeps what earlier examples left); each answer must
    # equal the one worked out with nothing remembered.
    batch = data.draw(st.lists(varied_requests(kb), min_size=1, max_size=20))
    answers = []
    for request in batch:
        try:
            answers.append(check(kb, request))
        except InvalidRequestError:
            answers.append(None)
    for request, answer in zip(batch, answers, strict=True):
        forget(kb)
        if answer is None:
            with pytest.raises(InvalidRequestError):
                check(kb, request)
        else:
            assert check(kb, request) == answer


def test_the_engine_remembers_a_bounded_number_of_outcomes(kb: KnowledgeBase) -> None:
    from interactions.engine import OUTCOMES_REMEMBERED

    agent = sorted(kb.agents)[0]
    # Each ordered dose is a combination of its own.
    for dose in range(1, OUTCOMES_REMEMBERED + 50):
        check(kb, CheckRequest((Medication(agent, dose / 10),)))
    assert 0 < len(kb.agents[agent].outcomes) <= OUTCOMES_REMEMBERED
