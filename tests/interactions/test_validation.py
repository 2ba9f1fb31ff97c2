"""Request validation: each bad field is named the way the contract names it."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from interactions import (
    CheckRequest,
    Coding,
    InvalidRequestError,
    KnowledgeBase,
    Medication,
    PatientContext,
    check,
)
from interactions.validation import _request_violations, validate

VEN = Medication("testinib", 400)
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


@pytest.mark.parametrize(
    ("request_", "fields"),
    [
        (CheckRequest(()), ["regimen"]),
        (CheckRequest((Medication("  "),)), ["regimen[0].name"]),
        (CheckRequest((VEN, Medication("x" * 201))), ["regimen[1].name"]),
        (CheckRequest((VEN,), (Medication("plainol", -1),)), ["concomitant[0].dose_mg"]),
        (CheckRequest((Medication("testinib", math.nan),)), ["regimen[0].dose_mg"]),
        (CheckRequest((Medication("testinib", math.inf),)), ["regimen[0].dose_mg"]),
        (CheckRequest((VEN,), tuple(Medication("plainol") for _ in range(200))), ["concomitant"]),
        (CheckRequest(tuple(Medication("plainol") for _ in range(201))), ["regimen"]),
        (CheckRequest((VEN,), patient=PatientContext(cycle_start_date="2026-02-30")), ["patient.cycle_start_date"]),
        (CheckRequest((VEN,), patient=PatientContext(cycle_start_date="05/01/2026")), ["patient.cycle_start_date"]),
        (CheckRequest((VEN,), patient=PatientContext(qtc_ms=199.9)), ["patient.qtc_ms"]),
        (CheckRequest((VEN,), patient=PatientContext(qtc_ms=800.1)), ["patient.qtc_ms"]),
        (CheckRequest((VEN,), patient=PatientContext(baseline_qtc_ms=math.nan)), ["patient.baseline_qtc_ms"]),
        (CheckRequest((VEN,), patient=PatientContext(cycle_length_days=85)), ["patient.cycle_length_days"]),
        (CheckRequest((VEN,), patient=PatientContext(cycle_length_days=-1)), ["patient.cycle_length_days"]),
        (CheckRequest((Medication(""), Medication("a", -5)), patient=PatientContext(qtc_ms=5)),
         ["regimen[0].name", "regimen[1].dose_mg", "patient.qtc_ms"]),  # every violation, not the first
        (CheckRequest((VEN,), (Medication("plainol", coding=(Coding(RXNORM, ""),)),)), ["concomitant[0].coding[0]"]),
        (CheckRequest((VEN,), (Medication("plainol", coding=(Coding(RXNORM, "1" * 201),)),)),
         ["concomitant[0].coding[0].code"]),
        (CheckRequest((VEN,), (Medication("plainol", coding=(Coding(RXNORM, "1"),) * 11),)),
         ["concomitant[0].coding"]),
        (CheckRequest((VEN,), (Medication(""),)), ["concomitant[0].name"]),
        # A stop date was counted as still taken, silently, without the day of the check to count from.
        (CheckRequest((VEN,), (Medication("plainol"), Medication("plainol", stopped_on="2026-03-01"))),
         ["concomitant[1].stopped_on"]),
        (CheckRequest((VEN,), (Medication("plainol", stopped_on="2026-13-01"),)), ["concomitant[0].stopped_on"]),
    ],
)
def test_invalid_requests_name_their_fields(fixture_kb: KnowledgeBase, request_: CheckRequest,
                                            fields: list[str]) -> None:
    with pytest.raises(InvalidRequestError) as raised:
        check(fixture_kb, request_)
    assert [v.field for v in raised.value.violations] == fields


@pytest.mark.parametrize(
    "patient",
    [
        PatientContext(qtc_ms=200, baseline_qtc_ms=800, cycle_length_days=1),
        PatientContext(cycle_length_days=84, cycle_start_date="2024-02-29"),
        PatientContext(),
    ],
)
def test_boundaries_are_accepted(fixture_kb: KnowledgeBase, patient: PatientContext) -> None:
    assert check(fixture_kb, CheckRequest((VEN,), (), patient)).complete


_medications = st.lists(st.builds(
    Medication,
    name=st.one_of(st.sampled_from(["", " ", "\t\n", "x" * 200, "x" * 201, "venetoclax"]), st.text(max_size=210)),
    dose_mg=st.one_of(st.sampled_from([0.0, -0.0, 100_000.0, 100_000.1, -1e-9]), st.floats()),
    frequency=st.sampled_from(["", "daily", "f" * 200, "f" * 201]),
    held=st.booleans(),
), max_size=3)


@st.composite
def _any_requests(draw: st.DrawFn) -> CheckRequest:
    regimen = tuple(draw(_medications))
    padding = draw(st.sampled_from([0, 196, 197, 198]))  # around the 200-medication limit
    concomitant = (*draw(_medications), *(Medication("plainol") for _ in range(padding)))
    qtc = st.one_of(st.sampled_from([0.0, 199.9, 200.0, 800.0, 800.1]), st.floats())
    patient = PatientContext(draw(qtc), draw(qtc), draw(st.sampled_from(["", "2026-01-05", "2026-02-30"])),
                             draw(st.integers(-2, 90)))
    return CheckRequest(regimen, concomitant, patient, draw(st.sampled_from(["", "r" * 200, "r" * 201])))


@settings(max_examples=300, deadline=None)
@given(request_=_any_requests())
def test_the_fast_path_accepts_exactly_the_requests_with_no_violation(request_: CheckRequest) -> None:
    """`validate` answers most requests without listing violations: it must agree with the full list."""
    violations = list(_request_violations(request_))
    if violations or request_.patient.cycle_start_date == "2026-02-30":
        with pytest.raises(InvalidRequestError) as raised:
            validate(request_)
        assert raised.value.violations  # never refused without a reason
        assert [v for v in raised.value.violations if v.field != "patient.cycle_start_date"] == violations
    else:
        validate(request_)


def test_a_coded_medication_needs_no_name_and_passes_validation() -> None:
    request = CheckRequest((VEN,), (Medication("", coding=(Coding(RXNORM, "282446"),)),))
    assert validate(request) is None
