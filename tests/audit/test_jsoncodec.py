"""The JSON codec: equal to json_format on what it writes, as permissive on what it reads, never crashing."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from google.protobuf import json_format
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dosecheck.v1 import dosecheck_pb2 as pb
from interactions import (
    CheckRequest,
    InvalidRequestError,
    KnowledgeBase,
    Medication,
    PatientContext,
    check,
    load_knowledge_base,
)
from service.convert import response_from_result
from service.errors import rpc_status_for
from service.jsoncodec import decode_request, encode_error, encode_result
from tests.oracles import domain_request

KB: KnowledgeBase = load_knowledge_base()
AGENTS = ["venetoclax", "gilteritinib", "glasdegib", "ivosidenib", "quizartinib", "midostaurin", "enasidenib"]
OTHERS = [
    "azacitidine",
    "cytarabine",
    "posaconazole",
    "fluconazole",
    "isavuconazole",
    "escitalopram",
    "rifampin",
    "grapefruit juice",
    "levofloxacin",
    "ondansetron",
    "warfarin",
    "clarithromycin",
    "posaconazol",
    "unknownium",
    "Noxafil 100 mg tablet",
]

medications = st.builds(
    Medication,
    name=st.sampled_from(OTHERS + AGENTS),
    dose_mg=st.sampled_from([0.0, 10.0, 75.0, 120.0, 400.0, 600.0]),
    frequency=st.sampled_from(["", "daily"]),
    held=st.booleans(),
)
requests = st.builds(
    CheckRequest,
    regimen=st.lists(
        st.builds(Medication, name=st.sampled_from(AGENTS), dose_mg=st.sampled_from([0.0, 50.0, 120.0, 400.0])),
        min_size=1,
        max_size=3,
    ).map(tuple),
    concomitant=st.lists(medications, max_size=8).map(tuple),
    patient=st.builds(
        PatientContext,
        qtc_ms=st.sampled_from([0.0, 450.0, 480.0, 505.0]),
        baseline_qtc_ms=st.sampled_from([0.0, 430.0]),
        cycle_start_date=st.sampled_from(["", "2026-01-05"]),
        cycle_length_days=st.sampled_from([0, 28]),
    ),
    request_id=st.sampled_from(["", "r-1"]),
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(requests)
def test_encoded_results_equal_message_to_dict_of_the_service_conversion(request: CheckRequest) -> None:
    try:
        result = check(KB, request)
    except InvalidRequestError:
        return
    assert _json(encode_result(result)) == json_format.MessageToDict(response_from_result(result))


def _json(encoded: dict[str, Any]) -> Any:
    """The encoding as it is written: serialised by orjson (which copies its fragments), read back."""
    return orjson.loads(orjson.dumps(encoded))


def test_a_clinical_result_encodes_with_every_kind_of_field() -> None:
    request = CheckRequest(
        regimen=(Medication("venetoclax", 400), Medication("azacitidine", 130)),
        concomitant=(Medication("posaconazole", 300), Medication("posaconazol")),
        patient=PatientContext(cycle_start_date="2026-01-05"),
        request_id="r-1",
    )
    encoded = _json(encode_result(check(KB, request)))
    assert set(encoded) >= {"requestId", "findings", "doses", "monitoring", "unrecognized", "highestSeverity"}
    assert encoded["findings"][0]["severity"].startswith("SEVERITY_")
    assert any("rampUp" in dose for dose in encoded["doses"])
    assert encoded == json_format.MessageToDict(response_from_result(check(KB, request)))
    # Findings and events come from caches the second time: the output must be the same.
    assert _json(encode_result(check(KB, request))) == encoded


def test_an_error_encodes_as_message_to_dict_of_the_status() -> None:
    with pytest.raises(InvalidRequestError) as caught:
        check(KB, CheckRequest(regimen=(Medication("venetoclax", -1),), request_id="x"))
    error = caught.value
    expected = json_format.MessageToDict(pb.CheckRegimenResponse(request_id="x", error=rpc_status_for(error)))
    assert encode_error("x", str(error), error.violations) == expected


JSON_REQUESTS: list[dict[str, Any]] = [
    {"requestId": "a", "regimen": [{"name": "venetoclax", "doseMg": 400}]},
    {"request_id": "a", "regimen": [{"name": "venetoclax", "dose_mg": "400.5", "held": True}]},
    {"regimen": [{"name": "x", "doseMg": "NaN"}, {"name": "y", "doseMg": "-Infinity"}], "concomitant": None},
    {"regimen": [{"name": "x", "doseMg": 1e308}], "patient": {"qtcMs": 450, "cycle_length_days": "28"}},
    {"regimen": [], "patient": {"cycleLengthDays": 28.0, "cycleStartDate": "2026-01-05", "baselineQtcMs": "430"}},
    {"regimen": [{"name": None, "doseMg": None, "frequency": None, "held": None}], "patient": None},
    {"regimen": [{"name": "venetoclax", "coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                                                      "code": "1747556", "display": "venetoclax"}, {}]}]},
    {"regimen": [{"name": "gilteritinib", "held": True, "holdReason": "HOLD_REASON_PANCREATITIS", "treatmentDay": 3,
                  "qtc_at_hold_ms": "505"}],
     "concomitant": [{"name": "posaconazole", "stoppedOn": "2026-01-02", "hold_reason": 1}],
     "patient": {"asOfDate": "2026-01-05", "qtcDay": "C1D8", "potassiumMmolL": 3.9, "congenitalLongQt": False,
                 "bilirubinUln": "1.5", "childPugh": "B", "wbc10e9L": 12}},
]


@pytest.mark.parametrize("obj", JSON_REQUESTS)
def test_decoding_accepts_what_json_format_accepts_with_the_same_result(obj: dict[str, Any]) -> None:
    decoded = decode_request(obj)
    parsed = domain_request(json_format.ParseDict(obj, pb.CheckRegimenRequest()))
    assert _same_request(decoded, parsed)


def _same_request(a: CheckRequest, b: CheckRequest) -> bool:
    # NaN != NaN, so compare the representations.
    return repr(a) == repr(b) or a == b


@pytest.mark.parametrize(
    ("obj", "field"),
    [
        ([], ""),
        ({"regimen": {}}, "regimen"),
        ({"regimen": [3]}, "regimen[0]"),
        ({"regimen": [{"name": "x", "doseMg": "abc"}]}, "regimen[0].dose_mg"),
        ({"regimen": [{"name": "x", "doseMg": True}]}, "regimen[0].dose_mg"),
        ({"regimen": [{"name": "x"}, {"name": "y", "dosage": 3}]}, "regimen[1].dosage"),
        ({"concomitant": [{"name": 7}]}, "concomitant[0].name"),
        ({"concomitant": [{"name": "x", "held": "yes"}]}, "concomitant[0].held"),
        ({"regimen": [{"name": "x", "doseMg": 1, "dose_mg": 2}]}, "regimen[0].dose_mg"),
        ({"patient": {"qtcMs": [1]}}, "patient.qtc_ms"),
        ({"patient": {"cycleLengthDays": 2.5}}, "patient.cycle_length_days"),
        ({"patient": {"cycleLengthDays": 2**40}}, "patient.cycle_length_days"),
        ({"patient": {"weight": 70}}, "patient.weight"),
        ({"regimen": [{"name": "x", "coding": {}}]}, "regimen[0].coding"),
        ({"regimen": [{"name": "x", "coding": [{"code": 5}]}]}, "regimen[0].coding[0].code"),
        ({"regimen": [{"name": "x", "coding": [{"version": "1"}]}]}, "regimen[0].coding[0].version"),
        ({"regimen": [{"name": "x", "holdReason": "PANCREATITIS"}]}, "regimen[0].hold_reason"),
        ({"regimen": [{"name": "x", "treatmentDay": 1.5}]}, "regimen[0].treatment_day"),
        ({"patient": {"congenitalLongQt": "yes"}}, "patient.congenital_long_qt"),
        ({"requestId": 5}, "request_id"),
        ({"extra": 1}, "extra"),
    ],
)
def test_a_malformed_request_names_the_field(obj: object, field: str) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        decode_request(obj)
    assert field in [v.field for v in caught.value.violations]


def test_every_bad_field_is_reported_at_once() -> None:
    with pytest.raises(InvalidRequestError) as caught:
        decode_request({"regimen": [{"name": 1, "doseMg": "x"}], "patient": {"qtcMs": "y"}})
    assert [v.field for v in caught.value.violations] == ["regimen[0].name", "regimen[0].dose_mg", "patient.qtc_ms"]


def test_shared_decoded_medications_are_equal_to_fresh_ones() -> None:
    first = decode_request({"regimen": [{"name": "venetoclax", "doseMg": 400}]})
    second = decode_request({"regimen": [{"doseMg": 400.0, "name": "venetoclax"}]})
    assert first == second
    assert first.regimen[0] == Medication("venetoclax", 400.0)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8)
    | st.sampled_from(["NaN", "Infinity", "1e400", "12", " 3", "1_0"]),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "name",
                    "doseMg",
                    "dose_mg",
                    "held",
                    "frequency",
                    "regimen",
                    "concomitant",
                    "patient",
                    "requestId",
                    "qtcMs",
                    "cycleLengthDays",
                    "cycle_start_date",
                    "x",
                ]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=25,
)


@settings(max_examples=500)
@given(json_values)
def test_arbitrary_json_never_crashes_the_decoder(obj: object) -> None:
    try:
        decoded = decode_request(obj)
    except InvalidRequestError as exc:
        violations = exc.violations
        decoded = None
    if decoded is None:
        assert violations
        return
    # Whatever the decoder accepts, json_format accepts too and reads the same way.
    parsed = domain_request(json_format.ParseDict(obj, pb.CheckRegimenRequest()))
    assert _same_request(decoded, parsed)
