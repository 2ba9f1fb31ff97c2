"""Request validation: each bad field is named the way the contract names it."""

from __future__ import annotations

import math

import pytest

from interactions import CheckRequest, InvalidRequestError, KnowledgeBase, Medication, PatientContext, check

VEN = Medication("testinib", 400)


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
