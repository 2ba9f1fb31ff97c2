"""The server's log never names the patient, even where the FHIR client fetches with the patient's id in its URL."""

from __future__ import annotations

import pathlib

import pytest

from tests.cds_hooks import examples
from tests.cds_hooks.conftest import stand_in, start_serve, stop_serve

PATIENT = "pt-log-privacy-88231"


@pytest.mark.parametrize("level", ["info", "debug"])
def test_fetching_the_medication_list_leaves_no_patient_id_in_the_log(tmp_path: pathlib.Path, level: str) -> None:
    served = start_serve(tmp_path, "--log-level", level)
    try:
        with stand_in() as fhir:
            for listed in ("/MedicationRequest", "/MedicationStatement", "/Observation"):
                fhir.routes[listed] = (200, examples.bundle(kind="searchset"))
            body = examples.call("order-sign", [examples.order("ven-1", "venetoclax", 400)], prefetch=False)
            body = examples.with_fhir_server(body, fhir.url)
            body["context"]["patientId"] = PATIENT
            # The draft is this patient's: one for another patient is refused (400).
            body["context"]["draftOrders"]["entry"][0]["resource"]["subject"] = {"reference": f"Patient/{PATIENT}"}
            answer = served.call("dosecheck-order-sign", body)
            # The list was fetched by the patient's id: the log line it would have made is the one to look for.
            assert answer.status_code == 200, answer.text
            assert any(PATIENT in path for path, _ in fhir.seen)
    finally:
        log = stop_serve(served)
    assert "/cds-services/dosecheck-order-sign" in log  # the access log is there
    assert PATIENT not in log
