"""Test oracles: independent ways to get what the code under test should produce."""

from __future__ import annotations

from dosecheck.v1 import dosecheck_pb2 as pb
from interactions import CheckRequest, Coding, HoldReason, Medication, PatientContext


def domain_request(message: pb.CheckRegimenRequest) -> CheckRequest:
    """The domain request a CheckRegimenRequest stands for, field by field (what json_format means)."""
    patient = message.patient

    def medication(m: pb.Medication) -> Medication:
        return Medication(m.name, m.dose_mg, m.frequency, m.held,
                          tuple(Coding(c.system, c.code, c.display) for c in m.coding),
                          HoldReason(m.hold_reason), m.qtc_at_hold_ms, m.treatment_day, m.stopped_on)

    return CheckRequest(
        regimen=tuple(map(medication, message.regimen)),
        concomitant=tuple(map(medication, message.concomitant)),
        patient=PatientContext(patient.qtc_ms, patient.baseline_qtc_ms, patient.cycle_start_date,
                               patient.cycle_length_days, patient.as_of_date, patient.qtc_day,
                               patient.potassium_mmol_l, patient.magnesium_mmol_l, patient.congenital_long_qt,
                               patient.bilirubin_uln, patient.ast_uln, patient.alt_uln, patient.child_pugh,
                               patient.creatinine_clearance_ml_min, patient.wbc_10e9_l),
        request_id=message.request_id,
    )
