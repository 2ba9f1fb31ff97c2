"""Request builders and status readers shared by the service tests."""

from __future__ import annotations

import grpc
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from dosecheck.v1 import dosecheck_pb2 as pb


def clinical_request(request_id: str = "r-1") -> pb.CheckRegimenRequest:
    """Venetoclax 400 mg + azacitidine, with posaconazole among the concomitant medications."""
    return pb.CheckRegimenRequest(
        request_id=request_id,
        regimen=[pb.Medication(name="venetoclax", dose_mg=400), pb.Medication(name="azacitidine", dose_mg=130)],
        concomitant=[pb.Medication(name="posaconazole", dose_mg=300)],
        patient=pb.PatientContext(cycle_start_date="2026-01-05", cycle_length_days=28),
    )


def status_of(error: grpc.RpcError) -> status_pb2.Status:
    assert isinstance(error, grpc.Call)
    status = rpc_status.from_call(error)
    assert status is not None, f"no google.rpc.Status in {error!r}"
    return status


def violated_fields(status: status_pb2.Status) -> list[str]:
    fields = []
    for detail in status.details:
        bad_request = error_details_pb2.BadRequest()
        if detail.Unpack(bad_request):
            fields.extend(v.field for v in bad_request.field_violations)
    return fields
