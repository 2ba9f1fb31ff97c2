"""CheckRegimen end to end through a real server: a clinical answer, and every kind of bad input."""

from __future__ import annotations

import math
from typing import Any

import grpc
import pytest
from google.rpc import code_pb2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dosecheck.v1 import dosecheck_pb2 as pb
from tests.service.helpers import clinical_request, status_of, violated_fields


def test_venetoclax_with_posaconazole_is_reduced_to_70_mg_with_a_ramp_up(stub: Any) -> None:
    response = stub.CheckRegimen(clinical_request("order-17"), timeout=10)

    assert response.request_id == "order-17"
    assert not response.HasField("error")
    assert response.complete
    assert response.knowledge_base_version
    venetoclax = next(d for d in response.decisions if d.drug == "venetoclax")
    assert venetoclax.ordered_dose_mg == 400
    assert venetoclax.recommended_dose_mg == 70
    assert venetoclax.action == pb.ACTION_ADJUST_DOSE
    assert [(s.day, s.dose_mg) for s in venetoclax.ramp_up] == [(1, 10), (2, 20), (3, 50), (4, 70)]
    assert {d.drug for d in response.decisions} == {"venetoclax", "azacitidine"}
    # The decision names the finding applied; the finding names its rule and the drugs it found.
    findings = {f.id: f for f in response.findings}
    interaction = findings[venetoclax.findings[0]]
    assert (interaction.rule, interaction.object_drug) == ("venetoclax/ven-posaconazole", "venetoclax")
    assert list(interaction.precipitant_drugs) == ["posaconazole"]
    assert pb.MECHANISM_CYP3A4_STRONG_INHIBITOR in interaction.mechanisms
    assert interaction.severity >= pb.SEVERITY_MAJOR
    assert venetoclax.rationale == ""  # nothing the finding it lists does not say
    # Citations are named by id and spelt out once (FULL is the default view).
    assert response.view == pb.VIEW_FULL
    cited = {c.id: c for c in response.citations}
    assert len(cited) == len(response.citations)
    assert set(venetoclax.citations) | set(interaction.citations) <= set(cited)
    assert any(cited[i].source == "uspi-venclexta" for i in venetoclax.citations)
    # Monitoring as schedules: the ramp-up's tumour lysis labs once, then its days.
    (tls,) = [m for m in response.monitoring if m.test == pb.MONITORING_TEST_TUMOR_LYSIS_LABS]
    assert tls.drug == "venetoclax"
    assert tls.reason
    assert [e.label for e in tls.events] == ["C1D1", "C1D2", "C1D3", "C1D4", "C1D5"]
    assert response.highest_severity >= pb.SEVERITY_MAJOR


def test_the_basic_view_has_codes_numbers_and_ids_and_no_texts(stub: Any) -> None:
    request = clinical_request()
    full = stub.CheckRegimen(request, timeout=10)
    request.view = pb.VIEW_BASIC
    basic = stub.CheckRegimen(request, timeout=10)

    assert basic.view == pb.VIEW_BASIC
    assert not basic.citations
    assert not any(d.rationale for d in basic.decisions)
    assert not any(f.recommendation for f in basic.findings)
    assert not any(m.reason or any(e.label for e in m.events) for m in basic.monitoring)
    # Everything else is the FULL answer's.
    assert [(d.drug, d.recommended_dose_mg, list(d.findings), list(d.citations)) for d in basic.decisions] == [
        (d.drug, d.recommended_dose_mg, list(d.findings), list(d.citations)) for d in full.decisions]
    assert [(f.id, f.rule, list(f.precipitant_drugs)) for f in basic.findings] == [
        (f.id, f.rule, list(f.precipitant_drugs)) for f in full.findings]
    assert basic.ByteSize() < full.ByteSize() / 2


def test_an_unknown_view_is_invalid_argument_naming_the_field(stub: Any) -> None:
    request = clinical_request()
    request.view = 7  # type: ignore[assignment]  # an open enum takes any number on the wire
    with pytest.raises(grpc.RpcError) as caught:
        stub.CheckRegimen(request, timeout=10)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "view: unknown view 7" in (caught.value.details() or "")


def test_unrecognised_names_make_the_answer_incomplete_with_suggestions(stub: Any) -> None:
    request = clinical_request()
    request.concomitant.add(name="posaconazol")
    request.concomitant.add(name="zzqx-not-a-drug")

    response = stub.CheckRegimen(request, timeout=10)

    assert not response.complete
    unrecognized = {u.name: list(u.suggestions) for u in response.unrecognized}
    assert set(unrecognized) == {"posaconazol", "zzqx-not-a-drug"}
    assert "posaconazole" in unrecognized["posaconazol"]


def test_a_partner_ordered_without_a_dose_has_no_recommended_dose_never_0(stub: Any) -> None:
    request = pb.CheckRegimenRequest(regimen=[pb.Medication(name="venetoclax", dose_mg=400),
                                              pb.Medication(name="azacitidine"),
                                              pb.Medication(name="decitabine", dose_mg=20)])

    response = stub.CheckRegimen(request, timeout=10)

    decisions = {d.drug: d for d in response.decisions}
    azacitidine, decitabine = decisions["azacitidine"], decisions["decitabine"]
    assert (azacitidine.action, azacitidine.HasField("recommended_dose_mg")) == (pb.ACTION_CONTINUE, False)
    assert (decitabine.action, decitabine.recommended_dose_mg) == (pb.ACTION_CONTINUE, 20)
    assert response.complete


def test_an_unrecognised_regimen_drug_has_no_recommended_dose_and_a_held_one_has_0(stub: Any) -> None:
    request = pb.CheckRegimenRequest(regimen=[pb.Medication(name="venetoclx", dose_mg=400),
                                              pb.Medication(name="gilteritinib", dose_mg=120, held=True)])

    response = stub.CheckRegimen(request, timeout=10)

    assert not response.complete
    held, unknown = response.decisions
    assert (held.drug, held.action, held.HasField("recommended_dose_mg"), held.recommended_dose_mg) == (
        "gilteritinib", pb.ACTION_HOLD, True, 0)
    # Not checked: no dose at all (absent, not 0), no action; the name is in `unrecognized`.
    assert (unknown.drug, unknown.action, unknown.HasField("recommended_dose_mg")) == (
        "venetoclx", pb.ACTION_UNSPECIFIED, False)
    assert [u.name for u in response.unrecognized] == ["venetoclx"]


def test_get_knowledge_base_describes_sources_drugs_and_classes(stub: Any) -> None:
    info = stub.GetKnowledgeBase(pb.GetKnowledgeBaseRequest(), timeout=10)

    assert info.version
    assert info.content_hash.startswith("sha256:")
    assert info.sources
    assert "venetoclax" in {d.name for d in info.drugs}
    assert any(c.mechanism == pb.MECHANISM_CYP3A4_STRONG_INHIBITOR for c in info.classes)
    strong = next(c for c in info.classes if c.mechanism == pb.MECHANISM_CYP3A4_STRONG_INHIBITOR)
    assert "posaconazole" in strong.members
    assert strong.citations


def _bad(mutate: Any) -> pb.CheckRegimenRequest:
    request = clinical_request()
    mutate(request)
    return request


BAD_REQUESTS = {
    "empty regimen": (_bad(lambda r: r.ClearField("regimen")), "regimen"),
    "blank name": (_bad(lambda r: setattr(r.regimen[0], "name", "   ")), "regimen[0].name"),
    "name over 200 characters": (_bad(lambda r: setattr(r.concomitant[0], "name", "x" * 201)),
                                 "concomitant[0].name"),
    "negative dose": (_bad(lambda r: setattr(r.regimen[1], "dose_mg", -1)), "regimen[1].dose_mg"),
    "NaN dose": (_bad(lambda r: setattr(r.regimen[0], "dose_mg", math.nan)), "regimen[0].dose_mg"),
    "infinite dose": (_bad(lambda r: setattr(r.concomitant[0], "dose_mg", math.inf)), "concomitant[0].dose_mg"),
    "more than 200 medications": (
        _bad(lambda r: r.concomitant.extend(pb.Medication(name="ondansetron") for _ in range(200))),
        "concomitant",
    ),
    "invalid date": (_bad(lambda r: setattr(r.patient, "cycle_start_date", "2026-02-30")),
                     "patient.cycle_start_date"),
    "not an ISO date": (_bad(lambda r: setattr(r.patient, "cycle_start_date", "05/01/2026")),
                        "patient.cycle_start_date"),
    "QTc below 200": (_bad(lambda r: setattr(r.patient, "qtc_ms", 150)), "patient.qtc_ms"),
    "QTc above 800": (_bad(lambda r: setattr(r.patient, "qtc_ms", 801)), "patient.qtc_ms"),
    "cycle length above 84": (_bad(lambda r: setattr(r.patient, "cycle_length_days", 85)),
                              "patient.cycle_length_days"),
    "negative cycle length": (_bad(lambda r: setattr(r.patient, "cycle_length_days", -3)),
                              "patient.cycle_length_days"),
}


@pytest.mark.parametrize(("request_", "field"), BAD_REQUESTS.values(), ids=BAD_REQUESTS.keys())
def test_bad_input_is_invalid_argument_naming_the_field(stub: Any, request_: pb.CheckRegimenRequest,
                                                        field: str) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        stub.CheckRegimen(request_, timeout=10)

    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    status = status_of(raised.value)
    assert status.code == code_pb2.INVALID_ARGUMENT
    assert field in violated_fields(status)


def test_every_violation_is_reported_not_just_the_first(stub: Any) -> None:
    request = clinical_request()
    request.regimen[0].name = ""
    request.concomitant[0].dose_mg = -5
    request.patient.qtc_ms = 900

    with pytest.raises(grpc.RpcError) as raised:
        stub.CheckRegimen(request, timeout=10)

    assert set(violated_fields(status_of(raised.value))) == {
        "regimen[0].name", "concomitant[0].dose_mg", "patient.qtc_ms"}


names = st.text(max_size=250)
doses = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([0.0, 70.0, 400.0, -0.0, 1e300])
medications = st.builds(pb.Medication, name=names | st.sampled_from(["venetoclax", "Posaconazole 300mg"]),
                        dose_mg=doses, held=st.booleans())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(regimen=st.lists(medications, max_size=4), concomitant=st.lists(medications, max_size=6),
       qtc=st.floats(allow_nan=True, allow_infinity=True), cycle_length=st.integers(-(2**31), 2**31 - 1),
       start=st.text(max_size=12))
def test_arbitrary_requests_are_answered_or_rejected_never_internal(
    stub: Any, regimen: list[pb.Medication], concomitant: list[pb.Medication], qtc: float, cycle_length: int,
    start: str,
) -> None:
    request = pb.CheckRegimenRequest(
        regimen=regimen, concomitant=concomitant,
        patient=pb.PatientContext(qtc_ms=qtc, cycle_length_days=cycle_length, cycle_start_date=start),
    )
    outcome = _answer_or_error(stub, request)
    if isinstance(outcome, grpc.RpcError):
        assert outcome.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert violated_fields(status_of(outcome))
    else:
        assert outcome.knowledge_base_version


def _answer_or_error(stub: Any, request: pb.CheckRegimenRequest) -> pb.CheckRegimenResponse | grpc.RpcError:
    try:
        response: pb.CheckRegimenResponse = stub.CheckRegimen(request, timeout=10)
    except grpc.RpcError as error:
        return error
    return response
