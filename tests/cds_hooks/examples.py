"""Hook calls written for these tests, in the shapes cds-hooks.md describes (spec, PDDI-CDS, Epic, sandbox).

None is copied from a public repository: each is written from the described shape, with AML drugs
where the test is about dosecheck's answer.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
PATIENT = "pat-1"


def bundle(*resources: dict[str, Any], kind: str | None = "collection") -> dict[str, Any]:
    value: dict[str, Any] = {"resourceType": "Bundle", "entry": [{"resource": r} for r in resources]}
    if kind:
        value["type"] = kind
    return value


def order(ident: str, name: str, dose_mg: float | None = None, *, status: str = "draft",
          start: str | None = None, code: str | None = None) -> dict[str, Any]:
    """An R4 MedicationRequest as the spec's examples write it."""
    concept: dict[str, Any] = {"text": name}
    if code:
        concept["coding"] = [{"system": RXNORM, "code": code, "display": name}]
    dosage: dict[str, Any] = {"text": "once daily", "timing": {"repeat": {"frequency": 1, "period": 1,
                                                                           "periodUnit": "d"}}}
    if start:
        dosage["timing"]["repeat"]["boundsPeriod"] = {"start": start}
    if dose_mg is not None:
        dosage["doseAndRate"] = [{"doseQuantity": {"value": dose_mg, "unit": "mg",
                                                   "system": "http://unitsofmeasure.org", "code": "mg"}}]
    return {"resourceType": "MedicationRequest", "id": ident, "status": status, "intent": "order",
            "subject": {"reference": f"Patient/{PATIENT}"}, "medicationCodeableConcept": concept,
            "dosageInstruction": [dosage]}


def call(hook: str, drafts: list[dict[str, Any]], active: list[dict[str, Any]] | None = None, *,
         qtc_ms: float | None = None, prefetch: bool = True, **extra: Any) -> dict[str, Any]:
    """A hook call with the draft orders and a full prefetch (active orders, no statements, the QTc)."""
    context: dict[str, Any] = {"userId": "Practitioner/dr-1", "patientId": PATIENT, "encounterId": "enc-1",
                               "draftOrders": bundle(*drafts)}
    if hook == "order-select":
        context["selections"] = [f"MedicationRequest/{d['id']}" for d in drafts[-1:]]
    body: dict[str, Any] = {"hook": hook, "hookInstance": str(uuid.uuid4()), "context": context}
    if prefetch:
        observations = [] if qtc_ms is None else [{
            "resourceType": "Observation", "id": "qtc-1", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "8636-3"}]},
            "effectiveDateTime": "2026-01-02T09:00:00Z", "valueQuantity": {"value": qtc_ms, "unit": "ms"}}]
        body["prefetch"] = {"medicationRequests": bundle(*(active or []), kind="searchset"),
                            "medicationStatements": None, "qtc": bundle(*observations, kind="searchset"),
                            "qtcPanels": None}
    return body | extra


def venetoclax_with_posaconazole(hook: str = "order-sign") -> dict[str, Any]:
    return call(hook, [order("ven-1", "venetoclax", 400, start="2026-01-05"), order("aza-1", "azacitidine", 130)],
                [order("posa-1", "posaconazole", 300, status="active")])


def gilteritinib_with_escitalopram() -> dict[str, Any]:
    return call("order-sign", [order("gil-1", "gilteritinib", 120), order("esc-1", "escitalopram", 10)])


def unknown_medication() -> dict[str, Any]:
    return call("order-sign", [order("ven-1", "venetoclax", 400)], [order("x-1", "zorblaxin", 5, status="active")])


def spec_order_select() -> dict[str, Any]:
    """The spec's order-select shape: selections pointing into draftOrders, a MedicationRequest and a
    ServiceRequest, a Bundle of type collection, no prefetch."""
    body = call("order-select", [order("smart-MedicationRequest-103", "Acetaminophen 325 MG Oral Tablet",
                                       code="313782")], prefetch=False)
    body["context"]["draftOrders"]["entry"].append({"resource": {
        "resourceType": "ServiceRequest", "id": "proc-1", "status": "draft", "intent": "order",
        "subject": {"reference": f"Patient/{PATIENT}"}, "code": {"text": "Chest X-ray"}}})
    body["fhirServer"] = "https://fhir.example.org/r4"
    return body


def spec_order_sign() -> dict[str, Any]:
    """The Hooks Library's order-sign shape, with its R4 doseAndRate written as an object."""
    body = call("order-sign", [order("smart-MedicationRequest-104", "Venclexta 100 MG Oral Tablet", 100)])
    dosage = body["context"]["draftOrders"]["entry"][0]["resource"]["dosageInstruction"][0]
    dosage["doseAndRate"] = dosage["doseAndRate"][0]
    return body


def pddi_order_select() -> dict[str, Any]:
    """PDDI-CDS style: userId and patient at the top level, no userId in context, STU3 dosage (doseQuantity on
    the dosage), no intent, and the coordination configuration item."""
    warfarin = order("warf-1", "warfarin", 5, status="active")
    nsaid = order("nsaid-1", "ibuprofen", 400)
    for resource in (warfarin, nsaid):
        del resource["intent"]
        dosage = resource["dosageInstruction"][0]
        dosage["doseQuantity"] = dosage.pop("doseAndRate")[0]["doseQuantity"]
    body = call("order-select", [nsaid], [warfarin])
    del body["context"]["userId"]
    body["userId"] = "Practitioner/dr-1"
    body["patient"] = PATIENT
    body["extension"] = {"pddi-configuration-items": {"cache-for-order-sign-filtering": True}}
    return body


def epic_order_sign() -> dict[str, Any]:
    """Epic-shaped: no prefetch, fhirAuthorization, Epic extensions, medicationReference with a display
    only, and three typed doseAndRate entries (calculated, admin-amount, ordered) of which `ordered` counts."""
    body = call("order-sign", [order("eVen1", "x", 0)], prefetch=False)
    resource = body["context"]["draftOrders"]["entry"][0]["resource"]
    del resource["medicationCodeableConcept"]
    resource["medicationReference"] = {"reference": "Medication/eMed1", "display": "VENETOCLAX 100 MG TABLET"}
    kind = "http://epic.com/CodeSystem/dose-rate-type"
    resource["dosageInstruction"][0]["doseAndRate"] = [
        {"type": {"coding": [{"system": kind, "code": "calculated"}]},
         "doseQuantity": {"value": 350, "unit": "mg"}},
        {"type": {"coding": [{"system": kind, "code": "admin-amount"}]},
         "doseQuantity": {"value": 4, "unit": "tablet"}},
        {"type": {"coding": [{"system": kind, "code": "ordered"}]},
         "doseQuantity": {"value": 400, "unit": "mg"}}]
    route_system = "urn:oid:1.2.840.114350.1.13.0.1.7.4.698084.30"  # Epic's OID style for routes
    resource["dosageInstruction"][0]["route"] = {"coding": [{"system": route_system, "code": "15"}]}
    body["context"]["draftOrders"].pop("type")
    body["extension"] = {"com.epic.cdshooks.request.bpa-trigger-action": "23",
                         "com.epic.cdshooks.request.cds-hooks-specification-version": "1.1"}
    body["fhirAuthorization"] = {"access_token": "epic-token", "token_type": "Bearer", "expires_in": 3600,
                                 "scope": "user/MedicationRequest.read user/Observation.read",
                                 "subject": "epic-app"}
    return body


INVALID_JSON = '{"hook": "order-sign", "hookInstance": "x", "context": {"draftOrders": [,]}'


def with_fhir_server(body: dict[str, Any], url: str) -> dict[str, Any]:
    body = copy.deepcopy(body)
    body["fhirServer"] = url
    return body
