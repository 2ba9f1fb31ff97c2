"""Reading medications, orders and the QTc out of the FHIR JSON that EHRs actually send.

Real requests stray from R4 (cds-hooks.md §14): STU3 `doseQuantity` on the dosage, `doseAndRate`
as an object, several typed `doseAndRate` entries of which the `ordered` one counts (Epic),
`medicationReference` with only a display, R5 `medication.concept`, Bundles without a type. The
FHIR model classes reject those shapes, so this module reads plain JSON defensively: every access
checks its type, and anything unreadable is treated as absent, never as an error of ours; but a dose
value that is not a number is passed on as one the engine refuses, since "no dose" would misstate the order.

It also remembers where each value was read from, so that what the engine refuses (a negative dose)
is reported at that element of what the EHR sent (`violation_issue`).
"""

from __future__ import annotations

import datetime
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import partial
from itertools import pairwise
from typing import Any, NamedTuple, TypeGuard

from interactions import Coding, FieldViolation, Medication
from interactions.reader import MedicationReader
from interactions.schema import RXNORM
from service.cds_hooks.wire import Issue, json_kind

LOINC = "http://loinc.org"
_LOINC_SYSTEMS = frozenset({LOINC, "urn:oid:2.16.840.1.113883.6.1"})
"""LOINC's URI, and its OID, which interfaces converted from HL7 v2 or CDA still send (FHIR R4 terminologies page)."""
_QTC_KINDS = {"8636-3": "QTc", "76634-5": "QTcF", "76635-2": "QTcB"}
QTC_CODES = frozenset(_QTC_KINDS)
"""LOINC QTc: unspecified method, Fridericia, Bazett (LOINC 8636-3 says to use the other two for a
named formula)."""
_QTC_PREFERRED = {"76634-5": 2, "8636-3": 1, "76635-2": 0}
"""Which QTc of one ECG (of one instant: an ECG panel's components) is used: Fridericia's, as the agents' labels
judge QTcF (gilteritinib USPI 2.3, quizartinib's label), then one of no stated method, then Bazett's."""
MEDICATION_ORDERS = frozenset({"MedicationRequest", "MedicationOrder"})
"""R4/STU3 orders, and DSTU2's MedicationOrder."""
MEDICATION_USES = frozenset({"MedicationStatement", "MedicationUsage"})
"""R4 statements, and R5's name for them."""
VOID = frozenset({"cancelled", "entered-in-error", "not-taken", "revoked"})
"""Orders, statements and Observations that never happened: withdrawn before any dose, recorded in error, or
not taken. They are left out."""
ENDED = frozenset({"completed", "stopped", "ended"})
"""Orders and statements taken until they ended (R4 `completed`/`stopped`, R5 `ended`): a drug stopped days ago
still acts during its washout, so they are read with the date of their end (`EndDate`)."""
HELD = frozenset({"on-hold", "suspended"})
NOT_YET_GIVEN = frozenset({"draft", "intended"})
"""Listed orders and statements that say the medication has not been given yet: an order not yet signed (R4
MedicationRequest `draft`, "not yet actionable"), a statement that it may be taken in the future (R4
MedicationStatement `intended`). Counted with the others for interactions, but none makes a draft of the same
agent a continuation: the patient has had none of it."""
MAX_CODINGS = 10
MAX_TEXT = 200
_ISO_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})")
_FIELD_NAME = re.compile(r"^[a-z_]+")
"""The engine's field of a medication or of the patient, out of a violation's path (`coding` of `coding[1].code`)."""
_MG_PER_UNIT = {"mg": 1.0, "milligram": 1.0, "milligrams": 1.0, "g": 1000.0, "gram": 1000.0, "grams": 1000.0,
                "mcg": 0.001, "ug": 0.001, "µg": 0.001, "microgram": 0.001, "micrograms": 0.001}
_DOSE_UNITS = frozenset({"{pill}", "{pills}", "{tbl}", "{tab}", "{tablet}", "{tablets}", "{cap}", "{capsule}",
                         "{capsules}", "pill", "pills", "tab", "tabs", "tablet", "tablets", "cap", "caps", "capsule",
                         "capsules", "ortab", "orcap"})
"""Units (a Quantity's code or unit, lower case) that count dose units, each one tablet or capsule: UCUM
annotations (the cds-hooks sandbox's `{pill}`), the words EHRs write (Epic's `tablet`), and HL7 v3
orderableDrugForm codes (`TAB`, `ORTAB`, `CAP`, `ORCAP`, as a strength's denominator). A dose in them is read in
mg only by a strength per unit that is certain (`_mg_per_dose_unit`); one not read so is compared with the agent's
other orders by its count whatever the spelling (`dose_units_as_compared`)."""
_UNIT_WORD_END = re.compile(r"[\s,;(]+")
"""Where a unit's first word ends, for `dose_units_as_compared` ("Tablet, film coated", "tab(s)")."""
_PERIOD_UNITS: dict[str, tuple[str, float]] = {
    "h": ("h", 1.0), "d": ("d", 1.0), "wk": ("wk", 1.0), "s": ("h", 1 / 3600), "min": ("h", 1 / 60),
    "mo": ("d", 30.4375), "a": ("d", 365.25), **dict.fromkeys(("hr", "hrs", "hour", "hours"), ("h", 1.0)),
    **dict.fromkeys(("day", "days"), ("d", 1.0)), **dict.fromkeys(("week", "weeks"), ("wk", 1.0))}
"""A `Timing.repeat.periodUnit` (lower case) -> the unit the knowledge base's reader reads a period in (h, d, wk) and
what one of it is in that unit. FHIR R4's units of time are UCUM's s, min, h, d, wk, mo, a (a month and a year as
UCUM's mean Julian ones, 30.4375 and 365.25 days); some EHRs write the word instead (`day`, `hours`)."""
_STRENGTHS = ("strength", "strengthRatio", "strengthQuantity", "strengthCodeableConcept", "amount")
"""Where a Medication's ingredient states its strength: R4, R5's choices (only a Ratio is read), STU3."""
_NUMBER = re.compile(r"\d+(?:\.\d+)?|\.\d+")
_WORD = re.compile(r"\s*([^\W\d_]+)")
_NOT_ONE_STRENGTH = re.compile(r"[/+&]|\b(?:per|ml|l|liters?|litres?|pack|pak|kit|starter|starting)\b",
                               re.IGNORECASE)
"""What makes the one number of a medication's name other than the mass of one ingredient in one tablet: a
ratio or a combination (`10 MG/ML`, `per`, `+`, `&`), a volume, a pack or kit (a starter pack's name can give
only one of its strengths)."""


class _UnreadableError(Exception):
    """A value that cannot be read, at its element of the resource (`dosageInstruction[0].timing.repeat.frequency`)."""

    def __init__(self, element: str, description: str, schedule: str = "as directed") -> None:
        self.element = element
        self.description = description
        self.schedule = schedule  # what a repeat not read for it is said to give, in names.toml's words (`_frequency`)
        super().__init__(f"{element}: {description}")


class Found(NamedTuple):
    """A resource and where it is in the hook call."""

    at: str
    """Its FHIRPath in the call (`context.draftOrders.entry[0].resource`); "" when it was fetched from the
    FHIR server, not sent."""
    resource: dict[str, Any]
    full_url: str = ""
    """Its Bundle entry's `fullUrl` (`urn:uuid:…`, an absolute URL), which references in the call may name it by;
    "" when it came in no Bundle or without one."""


class EndDate(NamedTuple):
    """An end an order or statement gives: when it was last taken at the latest, or when it is planned to end."""

    date: str
    """ISO date, or "" when the resource gives none."""
    element: str
    """The element it was read from (`dosageInstruction[0].timing.repeat.boundsPeriod.end`, `meta.lastUpdated`),
    or ""."""


class QtcReading(NamedTuple):
    """The latest QTc of the Observations, and the newer one that could not be read, if any."""

    ms: float
    """0 when none could be read."""
    date: str
    """ISO date of `ms`, or ""."""
    kind: str
    """QTcF, QTcB or QTc (method not stated), from the LOINC code."""
    unreadable: str
    """A newer QTc Observation whose value could not be read, said for people (`Observation/q1 of 2026-11-30:
    valueString 'QTc 512 ms'`); "" when there is none."""
    unsorted: bool = False
    """The QTcs it is the latest of are a search the EHR's server did not sort: a newer one may not have been sent."""
    panels_missed: str = ""
    """Why the QTcs given as ECG panels' components could not be searched for (a newer one may be among them), or
    ""."""
    undated_lower: str = ""
    """Where no QTc has a date, the lower ones than `ms` (the highest), said for people; or ""."""


class OrderedMedication(NamedTuple):
    """A medication read from an order or statement, with what the cards need to point back to it."""

    reference: str
    """`MedicationRequest/<id>`, or "" when the resource has no id."""
    resource: Mapping[str, Any]
    """The resource as received."""
    medication: Medication
    label: str
    """How to name it to people: its name, else its code."""
    start_date: str
    """When the order starts (ISO date), or ""."""
    dose_as_sent: str
    """The dose as the order states it when it is not a mass (`4 {pill}`), else "": `medication.dose_mg` is then
    0, unless it is a count of tablets or capsules read in mg by `mg_per_dose_unit`."""
    mg_per_dose_unit: float
    """The strength per tablet or capsule by which `dose_as_sent` was read in mg (`4 {pill}` x 100 mg), else 0."""
    at: str
    """Where the resource is in the hook call (`Found.at`)."""
    paths: Mapping[str, str]
    """The engine's field (`name`, `coding`, `dose_mg`, `frequency`, `cycle_start_date`) -> the element of the
    resource it was read from (`dosageInstruction[0].doseAndRate[0].doseQuantity.value`)."""
    stop: EndDate | None = None
    """For a listed order or statement that has ended (`ENDED`): when, at the latest; None while it is taken."""
    planned_end: EndDate | None = None
    """For a listed order or statement still current (not `ENDED`): the end its period gives, if any. One that
    has passed makes it look stale; it is still counted as taken, as its status says."""
    doses_per_day: int | None = None
    """How many doses a day its frequency gives, where the knowledge base's reading says."""
    dose_note: str = ""
    """How several dosage instructions were read as one dose, for people; "" for one."""
    on_hold: bool = False
    """A draft order whose status is on hold: checked as if given, its card speaking of when it is resumed."""
    steps_mg: tuple[float, ...] = ()
    """Each dosage instruction's dose in mg (0 where not read), in the order they apply."""
    parts: tuple[OrderedMedication, ...] = ()
    """The other orders of the agent given together with this one, as products of other strengths, whose doses
    its own `medication.dose_mg` adds up (`hooks._given_together`); () for an order on its own."""
    named_mg: float = 0.0
    """For an agent's order whose fields give no dose, the dose the engine reads from its name ("Aza/Ven 400",
    "venetoclax 400 mg daily": 400), else 0 (`hooks._sort`): its dose beside the agent's other orders (`dose_read`)."""
    drugs: tuple[str, ...] = ()
    """The drugs of the knowledge base it names, as identified once (`hooks._sort`): several for "Aza/Ven 400", whose
    update or removal is never offered for one of them (it would give them that dose too, or remove them); () when not
    identified (yet) or not recognised."""
    starts_at: str = ""
    """When it starts as sent, with its time and offset if it has them ("2026-12-03T01:00:00+09:00"): the element
    `start_date` is read from, else a statement's `effectiveDateTime`; "" when none (`starts_later`)."""


def found_in(value: object, at: str) -> list[Found]:
    """The resources of a Bundle (of any type, or none), of a list of resources, or one resource.

    Args:
        value: the JSON value.
        at: its FHIRPath in the hook call (`prefetch.medicationRequests`), or "" when it is not in the call.

    Returns:
        Each resource with its own path in the call ("" when `at` is "").
    """
    def inside(suffix: str) -> str:
        return f"{at}{suffix}" if at else ""

    if isinstance(value, list):
        return [Found(inside(f"[{i}]"), item) for i, item in enumerate(value) if _is_resource(item)]
    if not isinstance(value, dict):
        return []
    if is_bundle(value):
        entries = value.get("entry")
        if not isinstance(entries, list):
            return []
        return [Found(inside(f".entry[{i}].resource"), e["resource"], _text(e.get("fullUrl")))
                for i, e in enumerate(entries) if isinstance(e, dict) and _is_resource(e.get("resource"))]
    return [Found(at, value)] if _is_resource(value) else []


def is_bundle(value: Mapping[str, Any]) -> bool:
    """A Bundle, or what a client sends as one without saying so (an object with `entry` and no resourceType)."""
    return value.get("resourceType") == "Bundle" or ("entry" in value and "resourceType" not in value)


# Read loosely: a reference an EHR wrote out of FHIR's rules (`patient/other-9`, a trailing slash, an id over 64
# characters) still names a patient, and was taken as the call's patient when the strict pattern missed it.
_PATIENT_REFERENCE = re.compile(r"(?:^|/)Patient/([^/]+)(?:/_history(?:/[^/]*)?)?/?$", re.IGNORECASE)


def other_patient(resource: Mapping[str, Any], patient_id: str) -> tuple[str, str]:
    """(element, reference) of a resource's patient (`subject`; DSTU2's `patient`) when it is not `patient_id`.

    Else ("", ""): the call's patient (`Patient/<id>`, an absolute URL or a version of it), or no patient it names by id
    (none given, a Bundle's `urn:uuid:`, an identifier alone), which is taken to be the call's as before.
    """
    for key in ("subject", "patient"):
        value = resource.get(key)
        reference = _text(value.get("reference")) if isinstance(value, dict) else ""
        if (named := _PATIENT_REFERENCE.search(reference)) and named.group(1) != patient_id:
            return f"{key}.reference", reference
    return "", ""


def medication_index(resources: Iterable[Found]) -> dict[str, Mapping[str, Any]]:
    """Medication resources by `Medication/<id>` and by their Bundle entry's fullUrl, for orders naming theirs.

    A Bundle's entries may reference one another by fullUrl (FHIR R4 Bundle, "Resolving references in Bundles"):
    an EHR that builds draftOrders from unsaved orders names their Medication `urn:uuid:…`, with no id to go by.
    """
    index: dict[str, Mapping[str, Any]] = {}
    for found in resources:
        if found.resource.get("resourceType") != "Medication":
            continue
        if isinstance(identifier := found.resource.get("id"), str):
            index[f"Medication/{identifier}"] = found.resource
        if found.full_url:
            index[found.full_url] = found.resource
    return index


def read_medications(resources: Iterable[Found], medications: Mapping[str, Mapping[str, Any]],
                     frequencies: MedicationReader, *, listed: bool) -> list[OrderedMedication]:
    """The medication orders and statements among `resources`, but those that never happened (`VOID`).

    Args:
        resources: any FHIR resources; those that are not medication orders or statements are skipped.
        medications: Medication resources by reference, to name orders that only reference theirs.
        frequencies: the knowledge base's reader of frequency texts.
        listed: they are the patient's medication list, whose ended orders and statements (`ENDED`) get their
            `stop`; not for the draft orders (whatever their status says, they are being placed now).

    Returns:
        One entry per order or statement, in order.
    """
    read = []
    for at, resource, _ in _orders_and_statements(resources):
        kind = resource.get("resourceType")
        status = _text(resource.get("status")).lower()
        name, codings, named_at, product = _medication_named(resource, medications)
        dosage_element = "dosageInstruction" if kind in MEDICATION_ORDERS else "dosage"
        dosage, dosage_at = _first(resource.get(dosage_element), dosage_element)
        label = name or (f"{_short_system(codings[0].system)} {codings[0].code}" if codings else "unnamed medication")
        identifier = resource.get("id")
        reference = f"{kind}/{identifier}" if isinstance(identifier, str) and identifier else ""
        dosages = _read_dosages(resource.get(dosage_element), dosage_element, partial(_mg_per_dose_unit, name, product),
                                frequencies)
        dose, dose_at, dose_as_sent, per_unit, frequency, frequency_at, dose_note, steps_mg = (
            _beside_name(dosages, name, frequencies) if codings else dosages)
        start_sent, start_at = _start_date(resource, dosage, dosage_at)
        start = start_sent[:10]
        # A draft on hold is still being placed: checked at the dose to give once it is resumed, and said so.
        on_hold = status in HELD and not listed
        medication = Medication(name, dose, frequency, status in HELD and listed, codings)
        paths = {"name": named_at, "coding": f"{named_at}.coding", "dose_mg": dose_at, "frequency": frequency_at,
                 "cycle_start_date": start_at}
        stop = _end_date(resource, kind) if listed and status in ENDED else None
        end = _period_end(resource, kind) if listed and stop is None else None
        read.append(OrderedMedication(reference, resource, medication, label, start, dose_as_sent, per_unit, at,
                                      {field: path for field, path in paths.items() if path}, stop,
                                      end if end and end.date else None,
                                      frequencies.administrations_per_day(frequency) if frequency else None,
                                      dose_note, on_hold, steps_mg,
                                      starts_at=start_sent or _text(resource.get("effectiveDateTime"))))
    return read


class _DosageRead(NamedTuple):
    """The dose and frequency an order's dosage instructions give, each with the element it was read from."""

    dose: float
    dose_at: str
    dose_as_sent: str
    per_unit: float
    frequency: str
    frequency_at: str
    note: str
    """How several instructions were read, for people; "" for one."""
    steps_mg: tuple[float, ...]
    """Each instruction's dose in mg (0 where not read), in the order they apply: a ramp-up shows in them."""


def _read_dosages(value: object, at: str, mg_per_unit: Callable[[], float],
                  frequencies: MedicationReader) -> _DosageRead:
    """The dose and frequency of an order's dosage instructions (`dosageInstruction`, a statement's `dosage`).

    One instruction is read as it is. Several are steps when they say when each applies (bounds or a count) and
    these, or their `sequence`s, differ (a ramp-up, a step up, days 1-7 then from day 8): read at the highest dose
    among them, so that the checked dose is never below a step the order gives. Else they are given together: the
    same dose in each is that dose as often as they add up to (50 mg at 08:00 and 50 mg at 20:00: 50 mg twice a
    day; a `sequence` without bounds says no time apart); different doses are not one dose and are left unread,
    said as sent.
    """
    dosages = _dosages(value, at)
    read = sorted(((_beside_text(_dose_mg(dosage, path, mg_per_unit), dosage, frequencies),
                    _frequency(dosage, path, frequencies), dosage)
                   for dosage, path in dosages), key=lambda entry: _when(entry[2]))
    if not read:
        return _DosageRead(0.0, "", "", 0.0, "", "", "", ())
    doses = [entry[0][0] for entry in read]
    (dose, dose_at, as_sent, per_unit), (frequency, frequency_at), _ = read[0]
    if len(read) == 1:
        return _DosageRead(dose, dose_at, as_sent, per_unit, frequency, frequency_at, "", (dose,))
    shown = " + ".join(f"{d:g} mg" if d else (entry[0][2] or "no dose") for d, entry in zip(doses, read, strict=True))
    bounds = [json.dumps(_bounds(dosage), sort_keys=True) for _, _, dosage in read]
    sequences = {_sequence(dosage) for _, _, dosage in read}
    if any(b != "{}" for b in bounds) and (len(set(bounds)) > 1 or len(sequences) > 1):
        highest = max(range(len(read)), key=lambda i: doses[i])
        (dose, dose_at, as_sent, per_unit), (frequency, frequency_at), _ = read[highest]
        return _DosageRead(dose, dose_at, as_sent, per_unit, frequency, frequency_at, (
            f"{len(read)} dosage instructions in sequence ({shown}): the highest dose, "
            f"{dose:g} mg, is the one checked."), tuple(doses))
    # An instruction saying how often in what is no daily count (a repeat not read, "QOD") adds up to no count a day:
    # counted as once, the order was checked at a count it does not give. Its frequency is said, for the engine.
    unread = next((entry[1] for entry in read if entry[1][0] and not frequencies.administrations_per_day(entry[1][0])),
                  None)
    if dose > 0 and all(d == dose for d in doses) and unread is not None:
        return _DosageRead(dose, dose_at, as_sent, per_unit, *unread, (
            f"{len(read)} dosage instructions given together ({shown}): how often one is given is not read."),
            tuple(doses))
    if dose > 0 and all(d == dose for d in doses):
        times = sum(frequencies.administrations_per_day(entry[1][0]) or 1 if entry[1][0] else 1 for entry in read)
        return _DosageRead(dose, dose_at, as_sent, per_unit, f"{times} per 1 d", at, (
            f"{len(read)} dosage instructions given together ({shown}): read as {dose:g} mg {times} times a day."),
            tuple(doses))
    return _DosageRead(0.0, "", shown[:MAX_TEXT], 0.0, frequency, frequency_at, (
        f"{len(read)} dosage instructions given together ({shown}): different doses, not read as one dose."),
        tuple(doses))


def _dosages(value: object, at: str) -> list[tuple[Mapping[str, Any], str]]:
    """Dosage instructions, each with its path: an array's (`at[i]`), or one sent as an object (STU3-era, `at`)."""
    return [(value, at)] if isinstance(value, dict) else [(d, f"{at}[{i}]") for i, d in _indexed_dicts(value)]


def _bounds(dosage: Mapping[str, Any]) -> dict[str, Any]:
    """When an instruction applies: its timing's bounds and count, as sent ({} when it does not say)."""
    repeat = _repeat(dosage)
    return {key: repeat[key] for key in ("boundsPeriod", "boundsDuration", "boundsRange", "count", "countMax")
            if key in repeat}


def _when(dosage: Mapping[str, Any]) -> tuple[int, str]:
    """An instruction's place in time: its `sequence`, then its bounds' start (those without, first)."""
    period = _bounds(dosage).get("boundsPeriod")
    start = _text(period.get("start")) if isinstance(period, dict) else ""
    return _sequence(dosage) or 0, start


def _sequence(dosage: Mapping[str, Any]) -> int | None:
    sequence = dosage.get("sequence")
    return sequence if isinstance(sequence, int) and not isinstance(sequence, bool) else None


def unresolved_references(resources: Iterable[Found], medications: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The Medication references of the orders and statements among `resources` that resolve to nothing.

    Neither to a contained Medication nor to one of `medications`; a contained reference (`#id`) is never
    among them, since it can only be in the resource itself. Those that never happened (`VOID`) are left out.
    """
    return [reference for resource in (found.resource for found in _orders_and_statements(resources))
            if (reference := medication_reference(resource)) and not reference.startswith("#")
            and _resolve(reference, resource, medications) is None]


def medication_reference(resource: Mapping[str, Any]) -> str:
    """The reference to a Medication resource an order or statement names its medication by (R4 or R5), or ""."""
    reference = _medication_elements(resource)[2]
    target = reference.get("reference") if isinstance(reference, dict) else None
    return target if isinstance(target, str) else ""


def misshapen_medication(resource: Mapping[str, Any]) -> str:
    """Why an order's or statement's medication element cannot be read at all, for people, or "".

    Its CodeableConcept or Reference sent as another JSON type (an array, a number); a CodeableConcept sent as a
    string is read as its text (`_concept_name`), so it is not among them.
    """
    concept, concept_at, reference, reference_at = _medication_elements(resource)
    for value, at, kind in ((concept, concept_at, "CodeableConcept"), (reference, reference_at, "Reference")):
        if value is not None and not isinstance(value, dict) and not (kind == "CodeableConcept"
                                                                      and isinstance(value, str)):
            return f"{at} is {json_kind(value)}, not a {kind} (a JSON object)"
    return ""


def violation_issue(violation: FieldViolation, read_from: Mapping[str, OrderedMedication]) -> Issue:
    """An engine's field violation, told at the element of the EHR's resource its value was read from.

    Args:
        violation: as the engine names it (`regimen[0].dose_mg`, `patient.cycle_start_date`).
        read_from: the order or statement behind each part of the engine's request, by the engine's name
            for that part (`regimen[0]`, `concomitant[2]`, `patient` for the order the cycle start is from).

    Returns:
        The issue, with FHIRPath expressions rooted at the resource and at the call (when it was sent in
        it), and diagnostics naming the resource; a violation of no known element says only what is wrong.
    """
    part, _, rest = violation.field.partition(".")
    ordered = read_from.get(part)
    field = _FIELD_NAME.match(rest)
    element = ordered.paths.get(field.group(0)) if ordered is not None and field is not None else None
    if ordered is None or (element is None and part == "patient"):
        return Issue("invalid", f"the orders cannot be checked ({violation.field}): {violation.description}")
    # No element (a field fhir_in does not fill): the resource as a whole.
    return _issue_at(str(ordered.resource.get("resourceType")), ordered.reference, ordered.label, ordered.at,
                     element or "", violation.description)


def _issue_at(kind: str, reference: str, label: str, at: str, element: str, description: str) -> Issue:
    """What is wrong at an element of an order or statement (`element`, "" for the whole resource), as an issue.

    Its FHIRPath expressions are rooted at the resource and at the call (when it was sent in it, at `at`); the
    diagnostics name the resource (`MedicationRequest/ven-1 (venetoclax)`, "a MedicationRequest" without an id).
    """
    path = f".{element}" if element else ""
    expressions = (f"{kind}{path}", *((f"{at}{path}",) if at else ()))
    where = f"at {at}{path}" if at else f"from the FHIR server, at {kind}{path}"
    return Issue("value", f"{reference or 'a ' + kind} ({label}) {where}: {description}", expressions)


def latest_qtc(resources: Iterable[Mapping[str, Any]]) -> QtcReading:
    """The most recent QTc among Observations (their value or an ECG's component), in ms, with its date and kind.

    A QTc Observation newer than it whose value cannot be read (`valueString`, a unit that is no time) is
    named in `unreadable`: the check then goes without it, and the cards say so. Of QTcs taken at one instant (an
    ECG panel giving QTcF and QTcB), the QTcF is used (`_QTC_PREFERRED`), whatever their order. A QTc with no date
    (no effective[x] nor issued) above the latest dated one is named in `unreadable` too: whether it is newer cannot
    be told (a QTc of 520 ms with no date beside one of 430 ms dated was passed over, gilteritinib started, no card).
    Where none has a date, the highest is used and the lower ones named in `undated_lower`: which is the latest cannot
    be told either (the last one listed was used: 520 ms then 430 ms started gilteritinib with no card, the other
    order said "do not start").
    """
    latest: tuple[float, int, str, float, str] = (-math.inf, -1, "", 0.0, "")
    unread: tuple[float, str] = (-math.inf, "")
    undated: list[tuple[float, int, str, str]] = []  # of each undated Observation: ms, preference, kind, said
    for resource in resources:
        if resource.get("resourceType") != "Observation" or _text(resource.get("status")).lower() in VOID:
            continue
        when = _observation_time(resource)
        instant = _instant(when)
        here: tuple[float, int, str, str] | None = None  # this undated Observation's QTc, its QTcF before its QTcB
        for measured in (resource, *_dicts(resource.get("component"))):
            code = _qtc_code(measured.get("code"))
            if not code:
                continue
            value = _milliseconds(measured.get("valueQuantity"))
            if value and instant == -math.inf:
                if here is None or _QTC_PREFERRED[code] >= here[1]:
                    here = (value, _QTC_PREFERRED[code], _QTC_KINDS[code],
                            f"{_observation_named(resource)}: {_QTC_KINDS[code]} {value:g} ms with no date")
            elif value and (instant, _QTC_PREFERRED[code]) >= latest[:2]:
                latest = (instant, _QTC_PREFERRED[code], when, value, _QTC_KINDS[code])
            elif not value and instant >= unread[0]:
                unread = (instant, _unreadable_value(resource, measured, when))
        if here:
            undated.append(here)
    highest = max(undated, default=None)
    others = ""
    if highest and latest[0] == -math.inf:
        latest = (-math.inf, highest[1], "", highest[0], highest[2])
        others = "; ".join(dict.fromkeys(said for value, _, _, said in undated if value < highest[0]))[:MAX_TEXT]
    newer = unread[1] if unread[1] and unread[0] >= latest[0] else ""
    if not newer and highest and highest[0] > latest[3]:
        newer = f"{highest[3]}, whether it is newer cannot be told"
    return QtcReading(latest[3], latest[2][:10], latest[4], newer, undated_lower=others)


def voided_qtc(resources: Iterable[Mapping[str, Any]]) -> str:
    """The newest void QTc Observation (`VOID`) when the QTcs hold no other, said for people; else "".

    Said as `Observation/q9 of 2026-11-30: status entered-in-error`.

    A search for the latest QTc only (`_count=1`) whose one result was recorded in error hides the valid QTcs
    taken before it: the search must be read whole (`prefetch`), and a check without them says so.
    """
    void: tuple[float, str] = (-math.inf, "")
    for resource in resources:
        if resource.get("resourceType") != "Observation" or not any(
                _qtc_code(measured.get("code")) for measured in (resource, *_dicts(resource.get("component")))):
            continue
        status = _text(resource.get("status")).lower()
        if status not in VOID:
            return ""
        when = _observation_time(resource)
        if _instant(when) >= void[0]:
            identifier = resource.get("id")
            named = f"Observation/{identifier}" if isinstance(identifier, str) and identifier else "an Observation"
            void = (_instant(when), f"{named}{f' of {when[:10]}' if when else ''}: status {status}")
    return void[1]


def _instant(when: str) -> float:
    """A FHIR dateTime as seconds since the epoch, to order Observations by when they were taken; -inf if none.

    The EHR's times carry their offsets (`2026-11-30T20:00:00-05:00` is after `2026-11-30T23:00:00Z`): compared as
    text, a later QTc was taken for an earlier one. A time without an offset is read as UTC, a date alone as its
    midnight UTC, a year and month as its first day.
    """
    match = _ISO_DATE.match(when) or _ISO_DATE.match(f"{when[:7]}-01" if len(when) == 7 else "")
    for text in (when, match.group(1)) if match else ():
        try:
            moment = datetime.datetime.fromisoformat(text)
        except ValueError:
            continue  # not a dateTime as a whole (a time out of range): its date, else nothing
        return (moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)).timestamp()
    return -math.inf


def _unreadable_value(resource: Mapping[str, Any], measured: Mapping[str, Any], when: str) -> str:
    """An Observation whose QTc cannot be read, and what it holds instead, for people."""
    held = next(((key, value) for key, value in measured.items() if key.startswith("value")), None)
    shown = "no value" if held is None else f"{held[0]} {str(held[1])[:60]!r}"
    return f"{_observation_named(resource)}{f' of {when[:10]}' if when else ''}: {shown}"


def _observation_named(resource: Mapping[str, Any]) -> str:
    identifier = resource.get("id")
    return f"Observation/{identifier}" if isinstance(identifier, str) and identifier else "an Observation"


def _medication_named(resource: Mapping[str, Any], medications: Mapping[str, Mapping[str, Any]],
                      ) -> tuple[str, tuple[Coding, ...], str, Mapping[str, Any] | None]:
    """The name and codes of the medication an order or statement is about, and the element they are in.

    Also the Medication resource it references (contained, sent or fetched), if any, for its strength.
    """
    concept, concept_at, reference, reference_at = _medication_elements(resource)
    name, codings = _concept_name(concept)
    named_at, target = concept_at, None
    if isinstance(reference, dict):
        if not (name or codings):
            named_at = reference_at
        target = _resolve(reference.get("reference"), resource, medications)
        if target is not None:
            target_name, target_codings = _concept_name(target.get("code"))
            name = name or target_name
            codings = codings or target_codings
        name = name or _text(reference.get("display"))[:MAX_TEXT] or _ingredients_named(target)
    return name, codings, named_at, target


def _ingredients_named(medication: Mapping[str, Any] | None) -> str:
    """A Medication with no code named by its ingredients ("nirmatrelvir / ritonavir"), or "".

    Every ingredient must be named: a combination read without one of its drugs would drop it.
    """
    if medication is None:
        return ""
    names = []
    for ingredient in _dicts(medication.get("ingredient")):
        concept, item = ingredient.get("itemCodeableConcept"), ingredient.get("itemReference")
        named = _concept_name(concept)[0] if concept is not None else (
            _text(item.get("display")) if isinstance(item, dict) else "")
        if not named:
            return ""
        names.append(named)
    return " / ".join(names)[:MAX_TEXT] if len(" / ".join(names)) <= MAX_TEXT else ""


def _medication_elements(resource: Mapping[str, Any]) -> tuple[object, str, object, str]:
    """The CodeableConcept and the Reference an order or statement gives its medication in, each with its path."""
    concept, concept_at = resource.get("medicationCodeableConcept"), "medicationCodeableConcept"
    reference, reference_at = resource.get("medicationReference"), "medicationReference"
    r5 = resource.get("medication")
    if isinstance(r5, dict):  # R5 CodeableReference: {concept} or {reference}
        if not concept:
            concept, concept_at = ((r5.get("concept"), "medication.concept") if r5.get("concept")
                                   else (r5 if "coding" in r5 or "text" in r5 else None, "medication"))
        if not reference:
            reference, reference_at = r5.get("reference"), "medication.reference"
    return concept, concept_at, reference, reference_at


def _resolve(reference: object, resource: Mapping[str, Any], medications: Mapping[str, Mapping[str, Any]],
             ) -> Mapping[str, Any] | None:
    """The Medication a reference points at, or None.

    A contained one; else one of `medications` by the reference as written (one fetched), else without its version
    (`Medication/123/_history/2`, a versioned reference R4 allows: the Medication sent in the call was not found by
    it, and the order named no medication), by it whole and by its `Medication/<id>` tail (one sent in the call).
    """
    if not isinstance(reference, str):
        return None
    if reference.startswith("#"):
        return next((c for c in _dicts(resource.get("contained"))
                     if c.get("resourceType") == "Medication" and c.get("id") == reference[1:]), None)
    unversioned = reference.split("/_history/")[0]
    return next((found for key in (reference, unversioned, "/".join(unversioned.rsplit("/", 2)[-2:]))
                 if (found := medications.get(key)) is not None), None)


def _concept_name(concept: object) -> tuple[str, tuple[Coding, ...]]:
    """A CodeableConcept's name (its text, else a coding's display, RxNorm first) and its codes.

    A string where the CodeableConcept should be (`"medicationCodeableConcept": "venetoclax 100 MG Oral Tablet"`)
    is read as its text: the order does name its drug, only in the wrong shape, and a drug it names must be
    checked (read as no name, it would be reported as naming none).
    """
    if isinstance(concept, str):
        return _text(concept)[:MAX_TEXT], ()
    if not isinstance(concept, dict):
        return "", ()
    codings = [c for c in _dicts(concept.get("coding"))
               if _text(c.get("system")) and _text(c.get("code"))]
    codings.sort(key=lambda c: c.get("system") != RXNORM)
    name = _text(concept.get("text")) or next((_text(c.get("display")) for c in codings if _text(c.get("display"))),
                                              "")
    kept = tuple(Coding(_text(c["system"]), _text(c["code"]), _text(c.get("display")))
                 for c in codings[:MAX_CODINGS]
                 if max(len(_text(c["system"])), len(_text(c["code"])), len(_text(c.get("display")))) <= MAX_TEXT)
    return name[:MAX_TEXT], kept


def _dose_mg(dosage: Mapping[str, Any] | None, at: str,
             mg_per_unit: Callable[[], float]) -> tuple[float, str, str, float]:
    """The dose in mg: the `ordered` doseAndRate entry when typed, else the first; STU3 doseQuantity.

    A value that is not a number ("four", true, or 1e400, which JSON reads as infinity) is passed on as
    NaN or infinity, for the engine to refuse at its element: read as "no dose", the card would say none
    was ordered. A numeric string ("400") is read as its number. A positive count of tablets or capsules
    (`4 {pill}`) is read as that many times `mg_per_unit()`, the medication's certain strength per unit, if any
    (worked out only for such a dose). A dose range whose ends are one quantity (`400 mg-400 mg`, as order entry
    writes a fixed dose in a range field) is that dose.

    Returns:
        The dose (0 when none is stated in a unit of mass, nor as a count read by a strength), the path of the
        value it was read from ("" when there is none), the quantity as sent when it has a value in a unit that
        is not a mass (`4 {pill}`), and the strength per unit it was read by (else 0).
    """
    if dosage is None:
        return 0.0, "", "", 0.0
    raw = dosage.get("doseAndRate")
    entries = [(f"{at}.doseAndRate", raw)] if isinstance(raw, dict) else [
        (f"{at}.doseAndRate[{i}]", e) for i, e in _indexed_dicts(raw)]
    chosen = next((e for e in entries if _is_ordered(e[1].get("type"))), entries[0] if entries else None)
    if chosen is not None and not _is_ordered(chosen[1].get("type")) and len(masses := _masses(entries)) > 1:
        # Doses that no `ordered` type tells apart: the first was taken (gilteritinib 120 mg and 240 mg, checked at
        # 120 mg, no card). Which is meant is not guessed, as for a dose field and a text (`_beside_text`).
        said = f"{TWO_DOSES}{' and '.join(f'{mg:g} mg' for mg in masses)} in doseAndRate"
        return 0.0, "", said[:MAX_TEXT], 0.0
    candidates = ((f"{chosen[0]}.doseQuantity", chosen[1].get("doseQuantity")) if chosen else ("", None),
                  (f"{chosen[0]}.doseRange.low", _one_quantity(chosen[1].get("doseRange"))) if chosen else ("", None),
                  (f"{at}.doseQuantity", dosage.get("doseQuantity")),
                  (f"{at}.doseSimpleQuantity", dosage.get("doseSimpleQuantity")))
    path, quantity = next(((p, q) for p, q in candidates if q), ("", None))
    value = _value(quantity)
    if value is None:
        return 0.0, "", _unread_dose(chosen[1] if chosen else {}, dosage), 0.0
    if not isinstance(quantity, dict):  # not a Quantity at all: refused at the element itself
        return value, path, "", 0.0
    factor = _factor(quantity, _MG_PER_UNIT)
    if factor is None and math.isfinite(value):
        unit = _text(quantity.get("unit")) or _text(quantity.get("code")) or "(no unit)"
        as_sent = f"{value:g} {unit}"[:MAX_TEXT]
        per_unit = mg_per_unit() if value > 0 and _counts_dose_units(quantity) else 0.0
        return round(value * per_unit, 6), f"{path}.value", as_sent, per_unit
    return round(value * (factor or 1.0), 6), f"{path}.value", "", 0.0


def _masses(entries: Sequence[tuple[str, Mapping[str, Any]]]) -> list[float]:
    """The distinct doses in mg of the doseAndRate entries that give one in a unit of mass, in their order."""
    masses: list[float] = []
    for _, entry in entries:
        quantity = entry.get("doseQuantity")
        value, factor = _value(quantity), _factor(quantity, _MG_PER_UNIT)
        if value is not None and factor is not None and math.isfinite(mg := round(value * factor, 6)) and all(
                abs(mg - seen) > 0.05 for seen in masses):
            masses.append(mg)
    return masses


TWO_DOSES = "two doses: "
"""How a dose that the dose field and the dosage's text disagree on is said (`_beside_text`): no dose read."""
ONE_DOSE_FOR_SEVERAL = "one dose of "
"""How a draft's one dose in mg for several drugs, an agent among them, is said (`hooks._as_the_engine_reads`): no
dose read."""


def _beside_text(dose: tuple[float, str, str, float], dosage: Mapping[str, Any],
                 reader: MedicationReader) -> tuple[float, str, str, float]:
    """A dose read by `_dose_mg`, or none read when the dosage's text states another one, both said as sent.

    Venetoclax 70 mg in the dose field beside posaconazole, with the text "Take 400 mg by mouth once daily", was
    "give 70 mg", the text never seen; the label printed from it says 400 mg. Which of the two is meant is not
    guessed: the dose is not read, so the card says so and gives the dose to give. A text's dose is read as an
    order's name's is (`MedicationReader.stated_dose`: a total, a count of tablets of a stated strength, one mass);
    a dose a day ("400 mg/day") is left aside, as it may be given in several doses, and so is a tablet's strength
    that the dose field counts tablets of.
    """
    mg, _, _, per_unit = dose
    if not mg > 0 or not math.isfinite(mg):
        return dose
    for key in ("text", "patientInstruction"):
        text = _text(dosage.get(key))[:MAX_TEXT]
        stated = reader.stated_dose(text) if text else None
        if stated is None or stated.per_day or any(abs(stated.mg - same) <= 0.05 for same in (mg, per_unit)):
            continue
        said = f"{TWO_DOSES}{mg:g} mg in the dose field, {stated.mg:g} mg in the {key} ('{text}')"
        return 0.0, "", said[:MAX_TEXT], 0.0
    return dose


def _beside_name(read: _DosageRead, name: str, reader: MedicationReader) -> _DosageRead:
    """A coded order's dosage read, or no dose read when its name states another dose (a total or one "daily").

    The engine compares an agent's dose field with the dose its name states only for an order with no code, as a
    coded product's name (an RxNorm display) is its strength: "venetoclax 100 mg daily" with an RxNorm coding and 10
    mg in the dose field was "give 10 mg with posaconazole", the 100 mg unsaid. A name that says how often, or a
    total, states a dose, not a strength ("Venetoclax 100 MG Oral Tablet" does neither); which of the two is meant is
    not guessed, as for a dosage's text (`_beside_text`).
    """
    stated = reader.stated_dose(name) if name and len(name) < MAX_TEXT else None
    if (stated is None or stated.per_day or not (stated.total or (stated.with_frequency and not stated.with_form))
            or not read.dose > 0 or not math.isfinite(read.dose)
            or any(abs(stated.mg - same) <= 0.05 for same in (read.dose, read.per_unit, *read.steps_mg))):
        return read
    said = f"{TWO_DOSES}{read.dose:g} mg in the dose field, {stated.mg:g} mg in the name ('{name}')"
    return read._replace(dose=0.0, dose_at="", dose_as_sent=said[:MAX_TEXT], per_unit=0.0)


def _one_quantity(dose_range: object) -> Mapping[str, Any] | None:
    """The low end of a Range whose high end is the same quantity (value and unit), else None."""
    if not isinstance(dose_range, dict):
        return None
    low, high = dose_range.get("low"), dose_range.get("high")
    if not isinstance(low, dict) or not isinstance(high, dict) or _value(low) is None:
        return None
    return low if (_value(low), _units(low)) == (_value(high), _units(high)) else None


def _unread_dose(entry: Mapping[str, Any], dosage: Mapping[str, Any]) -> str:
    """What an order states of its dose when it gives no dose quantity, as sent, for people; else "".

    A dose range or a rate ("100-800 mg", "400 mg/d"), else a text with a number in it (a sig: "Take 8 tablets
    (800 mg total)"): none is one dose in mg, and saying "no dose ordered" of them would be untrue.
    """
    low_high = entry.get("doseRange")
    if isinstance(low_high, dict):
        low, high = low_high.get("low"), low_high.get("high")
        said = (f"{_quantity_text(low)}-{_quantity_text(high)}" if isinstance(low, dict) and isinstance(high, dict)
                else f"at least {_quantity_text(low)}" if isinstance(low, dict)
                else f"up to {_quantity_text(high)}" if isinstance(high, dict) else "a dose range")
        return said[:MAX_TEXT]
    rate = entry.get("rateQuantity")
    if isinstance(rate, dict):
        return f"a rate of {_quantity_text(rate)}"[:MAX_TEXT]
    ratio = entry.get("rateRatio")
    if isinstance(ratio, dict):
        return f"a rate of {_quantity_text(ratio.get('numerator'))} per {_quantity_text(ratio.get('denominator'))}"[
            :MAX_TEXT]
    text = _text(dosage.get("text")) or _text(dosage.get("patientInstruction"))
    return f"'{text[:MAX_TEXT]}'" if any(character.isdigit() for character in text) else ""


def _quantity_text(quantity: object) -> str:
    if not isinstance(quantity, dict):
        return "?"
    value = _value(quantity)
    unit = _text(quantity.get("unit")) or _text(quantity.get("code"))
    return f"{value:g} {unit}".strip() if value is not None else "?"


def _mg_per_dose_unit(name: str, product: Mapping[str, Any] | None) -> float:
    """The mass of a medication's one ingredient in one tablet or capsule, or 0 when that is not certain.

    A Medication resource that lists ingredients decides: exactly one, whose strength is a Ratio of a mass to
    1 tablet or capsule, and that the name does not contradict; one stating no strength leaves it to the
    name; several (a combination), or a strength of another shape (per mL), give none. Else the name's
    (`strength_in_name`).
    """
    # A name cut at MAX_TEXT may have lost a second strength.
    from_name = strength_in_name(name) if len(name) < MAX_TEXT else 0.0
    ingredients = list(_dicts(product.get("ingredient"))) if product is not None else []
    if not ingredients:
        return from_name
    if len(ingredients) > 1:
        return 0.0
    ratio = next((ingredients[0][key] for key in _STRENGTHS if key in ingredients[0]), None)
    if ratio is None:
        return from_name
    denominator = ratio.get("denominator") if isinstance(ratio, dict) else None
    per_unit = (_in_unit(ratio.get("numerator"), _MG_PER_UNIT)
                if isinstance(ratio, dict) and _value(denominator) == 1 and _counts_dose_units(denominator) else 0.0)
    return per_unit if per_unit > 0 and from_name in (0.0, per_unit) else 0.0


def strength_in_name(text: str) -> float:
    """The strength in mg per tablet or capsule that a medication's name gives for certain, else 0.

    Only a name with exactly one number, followed by a unit of mass, and nothing of `_NOT_ONE_STRENGTH`:
    "Venetoclax 100 MG Oral Tablet", "VENCLEXTA 10 mg tablet", but never "10 MG/ML", "5-325 MG", two strengths,
    or a starter pack.
    """
    numbers = list(_NUMBER.finditer(text))
    if len(numbers) != 1 or _NOT_ONE_STRENGTH.search(text):
        return 0.0
    unit = _WORD.match(text, numbers[0].end())
    factor = _MG_PER_UNIT.get(unit.group(1).lower()) if unit else None
    mg = round(float(numbers[0].group()) * factor, 6) if factor else 0.0
    return mg if math.isfinite(mg) else 0.0


def product_strength(ordered: OrderedMedication) -> float:
    """The strength per tablet or capsule of an order's product, or 0 when it is not known for certain."""
    return ordered.mg_per_dose_unit or strength_in_name(ordered.label)


def times_of_day(ordered: OrderedMedication) -> frozenset[str]:
    """The times of the day an order's dosage instructions give (`when` MORN, `timeOfDay` 08:00:00), as sent."""
    return frozenset(str(entry) for dosage in _dosages_of(ordered)
                     for key in ("when", "timeOfDay") for entry in _list(_repeat(dosage).get(key)))


def limited_in_time(ordered: OrderedMedication) -> bool:
    """Whether an order gives a number of doses or an end (`count`, `boundsDuration`, `boundsPeriod.end`): a step."""
    for dosage in _dosages_of(ordered):
        bounds = _bounds(dosage)
        period = bounds.get("boundsPeriod")
        if {"count", "countMax", "boundsDuration"} & bounds.keys() or (isinstance(period, dict) and period.get("end")):
            return True
    return False


def dose_read(ordered: OrderedMedication) -> float:
    """An order's dose in mg: its field's, else the one its name states (`named_mg`), else 0.

    Compared with the agent's other orders, a dose in the name only ("Aza/Ven 400") was 0: below every step of a
    ramp-up, the course was dated from its own day, and its 400 mg was never a day of the ramp-up skipped.
    """
    return ordered.medication.dose_mg or ordered.named_mg


def course_first(checked: OrderedMedication, others: Iterable[OrderedMedication], as_of: str, *,
                 assumed: float) -> OrderedMedication:
    """The first order of the course that `checked` ends: a ramp-up written as one order a day, or a step each.

    Back from `checked`, an order of a lower dose given until the day before the next one starts (its
    `boundsPeriod.end`, else its own start day: one order a day, as the AML ramp-up's days 1-3 are, USPI 2.2) is the
    step before it. Any other draft is none: the earliest of them all dated venetoclax 400 mg starting in 7 days from
    a 100 mg draft of 3 days ago, the ramp-up and its update all in the past. A draft starting before `as_of` (the
    day of the check, ISO) is no step either: a draft has never been given, so its course cannot have begun before
    today (chained, a 100 mg draft of days ago beside 400 mg today was 'keep 400 mg', the ramp-up and its tumour
    lysis labs all in the past: 400 mg from the first dose). Where the drafts were written at a time of the EHR's own
    day (`_written_on`), that day is today: `as_of`, the earliest date on Earth, is the EHR's yesterday each morning in
    Europe, and a 100 mg draft of that yesterday beside 400 mg today dated the ramp-up from it (review 3 of s18).

    An order naming several drugs and stating no dose counts at `assumed`, the labelled dose in force the engine assumes
    for it (`_course_mg`): taken as 0 mg, "Aza/Ven" after venetoclax 100 and 200 mg drafts of the two days before had
    no step before it, and the course (its update, its tumour lysis labs) was dated from its day, two days late
    (review revC6b, must-fix 1).
    """
    today = max((day for order in (checked, *others) if (day := _written_on(order, as_of))), default=as_of)
    dated = [other for other in others if other.start_date[:10] >= today]
    first = checked
    while before := _step_before(first, dated, assumed):
        first = before
    return first


_LOCAL_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?[+-]\d{2}:\d{2}$")
"""A dateTime at a time of its own time zone's day (an offset, not "Z", which says nothing of the EHR's day)."""


def _written_on(ordered: OrderedMedication, as_of: str) -> str:
    """The EHR's day an order was written (its `authoredOn` at a local time), when it can be today; else "".

    A day more than two after `as_of` (the earliest date on Earth) is today nowhere: a mistyped date, not used.
    """
    written = _LOCAL_TIME.match(_text(ordered.resource.get("authoredOn")))
    if written is None or written.group(1) < as_of:
        return ""
    try:
        ahead = (datetime.date.fromisoformat(written.group(1)) - datetime.date.fromisoformat(as_of)).days
    except ValueError:
        return ""
    return written.group(1) if ahead <= 2 else ""


def _step_before(step: OrderedMedication, dated: list[OrderedMedication], assumed: float) -> OrderedMedication | None:
    """The order of a lower dose given until the day before `step` starts (see `course_first`), or None."""
    day_before = _day_before(step.start_date)
    return next((o for o in dated if day_before and _last_day(o) == day_before
                 and _course_mg(o, assumed) < _course_mg(step, assumed)), None)


def _course_mg(ordered: OrderedMedication, assumed: float) -> float:
    """An order's dose as a step of its course: its dose read, or `assumed` for one naming several drugs stating none.

    "Aza/Ven" stating none is at `assumed`; a single-drug "venetoclax" stating none stays 0 mg, a ramp-up's first
    step: at 400 mg assumed, before a 200 mg draft the next day, it was none, and the course started a day late
    (review revFinal, should-fix 1).
    """
    if len(ordered.drugs) > 1 and not ordered.dose_as_sent:
        return dose_read(ordered) or assumed
    return dose_read(ordered)


def _day_before(day: str) -> str:
    """The ISO day before `day`, or "" when `day` is no date (none, or "2026-02-30")."""
    try:
        return (datetime.date.fromisoformat(day) - datetime.timedelta(days=1)).isoformat()
    except ValueError:
        return ""


def _last_day(ordered: OrderedMedication) -> str:
    """The last day an order is given (ISO): the end of its bounds, else its start day."""
    ends = [match.group(1) for dosage in _dosages_of(ordered)
            if isinstance(period := _bounds(dosage).get("boundsPeriod"), dict)
            and (match := _ISO_DATE.match(_text(period.get("end"))))]
    return max(ends, default=ordered.start_date)


def _dosages_of(ordered: OrderedMedication) -> list[Mapping[str, Any]]:
    """An order's dosage instructions (a statement's `dosage`)."""
    element = "dosageInstruction" if ordered.resource.get("resourceType") in MEDICATION_ORDERS else "dosage"
    return [dosage for dosage, _ in _dosages(ordered.resource.get(element), element)]


def _repeat(dosage: Mapping[str, Any]) -> Mapping[str, Any]:
    """A dosage instruction's `timing.repeat`, or {}."""
    timing = dosage.get("timing")
    repeat = timing.get("repeat") if isinstance(timing, dict) else None
    return repeat if isinstance(repeat, dict) else {}


def _counts_dose_units(quantity: object) -> bool:
    """Whether a Quantity counts tablets or capsules: it has a code or unit, and each it has is one of `_DOSE_UNITS`."""
    if not isinstance(quantity, dict):
        return False
    stated = [unit for unit in _units(quantity) if unit]
    return bool(stated) and all(unit in _DOSE_UNITS for unit in stated)


def dose_units_as_compared(as_sent: str) -> str:
    """A dose as sent in a unit that is not a mass (`OrderedMedication.dose_as_sent`), as compared with another.

    A count of tablets or capsules (`_DOSE_UNITS`) is that count of dose units whatever the EHR's spelling: compared
    as sent, "4 tablet" beside an active order of "4 tab" of the same product was no duplicate (review revR,
    should-fix 4). A tablet and a capsule are alike too: each agent comes in one form (venetoclax tablets, midostaurin
    capsules), so "4 capsule" of a tablet is that order mis-entered, and "4 {pill}" is either; both given, the
    patient takes twice the count. Any other (`4 mL`, a text) is as sent, case folded.
    """
    value, _, unit = as_sent.partition(" ")
    # By the unit's first word: an EHR's form description ("Tablet, film coated", "tablet (oral)") is a tablet too
    # (review revT, must-fix 2: beside an active "4 tab", no card).
    word = _UNIT_WORD_END.split(unit.strip(), maxsplit=1)[0]
    return f"{value} dose units" if value and _unit_word(word) in _DOSE_UNITS else as_sent.casefold()


def _is_ordered(kind: object) -> bool:
    if not isinstance(kind, dict):
        return False
    return _text(kind.get("text")).lower() == "ordered" or any(
        _text(c.get("code")).lower() == "ordered" for c in _dicts(kind.get("coding")))


def _in_unit(quantity: object, factors: Mapping[str, float]) -> float:
    """A Quantity's value converted by its unit (`code` first, then `unit`); 0 when either is unusable."""
    value, factor = _value(quantity), _factor(quantity, factors)
    if value is None or factor is None or not math.isfinite(value):
        return 0.0
    return round(value * factor, 6)


def _value(quantity: object) -> float | None:
    """A Quantity's value: None when it has none, NaN when it (or the Quantity) is not a number or numeric string."""
    if not isinstance(quantity, dict):
        return None if quantity is None else math.nan
    value = quantity.get("value")
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return math.nan
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else math.nan


def _factor(quantity: object, factors: Mapping[str, float]) -> float | None:
    """The factor of a Quantity's unit (`code` first, then `unit`), or None when neither is one of `factors`."""
    if not isinstance(quantity, dict):
        return None
    return next((factors[unit] for unit in _units(quantity) if unit in factors), None)


def _units(quantity: Mapping[str, Any]) -> tuple[str, str]:
    """A Quantity's `code` and `unit`, lower case ("" for one it does not have), each without a plural's "(s)".

    EHRs write a unit that may be plural so ("mg(s)", "tab(s)", "cap(s)"): it is the unit it names, not one
    unknown ("400 mg(s), which is not a dose in mg").
    """
    return _unit_word(_text(quantity.get("code"))), _unit_word(_text(quantity.get("unit")))


def _unit_word(unit: str) -> str:
    """A unit as `_units` reads it: lower case, without a plural's "(s)" (`tab(s)` is `tab`)."""
    return unit.lower().removesuffix("(s)")


def _milliseconds(quantity: object) -> float:
    value = _in_unit(quantity, {"ms": 1.0, "msec": 1.0, "millisecond": 1.0, "milliseconds": 1.0, "s": 1000.0})
    if not value and isinstance(quantity, dict) and not quantity.get("unit") and not quantity.get("code"):
        value = _in_unit({"value": quantity.get("value"), "unit": "ms"}, {"ms": 1.0})  # unitless: ms by convention
    return value


def _frequency(dosage: Mapping[str, Any] | None, at: str, frequencies: MedicationReader) -> tuple[str, str]:
    """How often, and the path of the element it was read from.

    Timing says it in several places (`code`, `repeat`, the dosage's `text`) that may disagree: of daily counts,
    the one giving the most doses a day is kept, as the engine keeps the more often of an order's
    field and name (an order coded "daily" whose `repeat` says twice a day is checked twice a day). A part naming a
    schedule that is no daily count ("QOD", "every other day", "1 per 1 wk") is never hidden behind
    a daily one: both are said ("QOD, 1 per 1 d"), so the engine says the frequency is not read. Else the first
    that says anything.
    """
    if dosage is None:
        return "", ""
    timing = dosage.get("timing")
    timing = timing if isinstance(timing, dict) else {}
    said: list[tuple[str, str]] = []
    code = timing.get("code")
    if isinstance(code, dict):
        coded = _text(code.get("text")) or next(
            (_text(c.get("display")) or _timing_code(c) for c in _dicts(code.get("coding"))), "")
        if coded:
            said.append((coded[:MAX_TEXT], f"{at}.timing.code"))
    repeat = timing.get("repeat")
    if isinstance(repeat, dict):
        try:
            if per_period := _per_period(repeat, f"{at}.timing.repeat"):
                said.append((per_period, f"{at}.timing.repeat"))
        except _UnreadableError as error:
            # No schedule read, said as names.toml's "as directed" (no schedule named): an agent's frequency not read,
            # to confirm, unless its code or text says how often, which it gives way to. Refusing the call (400) lost
            # every card, even for an order already on the patient's list that the clinician cannot mend.
            said.append((f"Timing.repeat not read ({error.element.rsplit('.', 1)[-1]}): {error.schedule}",
                         error.element))
    if not said and (events := _events_per_day(timing.get("event"))):
        said.append((events, f"{at}.timing.event"))
    text = _text(dosage.get("text"))[:MAX_TEXT]
    if text:
        said.append((text, f"{at}.text"))
    per_day = frequencies.administrations_per_day
    frequency, path = max(said, key=lambda candidate: per_day(candidate[0]) or 0, default=("", ""))
    # Words naming no schedule ("use as directed") are no daily count alone but give way to one beside them, as in an
    # order's text ("daily as directed"). A repeat's "N per P unit" is read only as a whole field, so alone.
    # Events that are no count a day (every other day) are a schedule of their own too, never hidden behind a text's
    # "once daily" (they were: no card).
    unread = [part for part in said if (0 in frequencies.frequencies_named(part[0]) if part[1].endswith(".repeat")
                                        else not per_day(part[0]) if part[1].endswith(".event")
                                        else frequencies.names_schedule_of_its_own(part[0]))]
    if unread and per_day(frequency):
        # A daily count won over a schedule that is no daily count: a QOD order whose repeat says once a day was
        # checked as daily with no card. The engine reads a repeat's "N per P unit" only as a whole field, not
        # within a longer text: where the joined text no longer names a schedule that is no daily count (a repeat
        # "1 per 1 wk" beside the text "400 mg daily"), that repeat alone is the frequency.
        joined = ", ".join(part for part, _ in [*unread, (frequency, path)])[:MAX_TEXT]
        frequency, path = (joined, at) if 0 in frequencies.frequencies_named(joined) else unread[0]
    # As needed is no schedule of an agent's (names.toml reads "PRN" so): said beside whatever timing it has, which a
    # structured order gives apart from its timing (R4 `asNeededBoolean`, `asNeededCodeableConcept`; R5 `asNeeded`,
    # `asNeededFor`).
    if (dosage.get("asNeededBoolean") is True or dosage.get("asNeeded") is True
            or isinstance(dosage.get("asNeededCodeableConcept"), dict) or any(_dicts(dosage.get("asNeededFor")))):
        return (f"PRN, {frequency}" if frequency else "PRN")[:MAX_TEXT], path or f"{at}.asNeeded[x]"
    return frequency, path


_TIMING_ABBREVIATIONS = frozenset({"http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation",
                                   "http://hl7.org/fhir/timing-abbreviation", "urn:oid:2.16.840.1.113883.5.1022"})
"""The systems of HL7's timing abbreviations (R4 `Timing.code`: BID, Q12H, WK...), as R4, STU3 and HL7 v3 name them."""
_NO_DAILY_COUNT = {"WK": "weekly", "MO": "monthly"}
"""Those of HL7's timing abbreviations that give no daily count, as words the knowledge base's reader knows: sent
alone, the code "WK" was a frequency it did not know, and gilteritinib 120 mg weekly was checked as the label's once
a day with no card. (The others, BID to Q8H, it reads as codes; AM, PM and BED are once a day, as read.)"""


def _timing_code(coding: Mapping[str, Any]) -> str:
    """A `Timing.code` coding's code, or the words for one of HL7's abbreviations that is no daily count."""
    code = _text(coding.get("code"))
    return _NO_DAILY_COUNT.get(code, code) if _text(coding.get("system")) in _TIMING_ABBREVIATIONS else code


def _per_period(repeat: Mapping[str, Any], at: str) -> str:
    """A `Timing.repeat` as the knowledge base's reader reads it ("N per P unit", in h, d or wk), or "" for no count.

    Its period in any of FHIR's units of time, or the word for one (`_PERIOD_UNITS`), and its numbers sent as numeric
    strings or whole decimals (`"2"`, `2.0`), are read as what they say: left unread, "2 per 1 day" or a `frequency`
    of "2" was no daily count the reader knew, and a twice-daily agent was checked, and its dose updated, as once a
    day with no word said.

    Raises:
        _UnreadableError: a count, period or unit that is none (`frequency` "two", a `period` of 0, `periodUnit`
            "fortnight"): how often the medication is given cannot be read, and read as absent it was once a day.
    """
    days = _days_of_week(repeat, at)
    every, per_day = _every_period(repeat, at, days)
    if 0 < days < len(_WEEKDAYS) and per_day and float(per_day).is_integer():
        # Given on some days of the week only ("1 per 1 d" on Mondays): as many a week, no daily count. Read as its
        # period alone, gilteritinib 120 mg on Mondays was the label's once a day, with no card. The count on its days
        # is `on_its_days`.
        return f"{int(per_day) * days} per 1 wk"
    return every


def _every_period(repeat: Mapping[str, Any], at: str, days: int) -> tuple[str, float]:
    """A `Timing.repeat`'s count in its period ("2 per 1 d", "" for none), and how many a day that is (0 if none).

    `days`: on how many days of the week it is given (`_days_of_week`), a dose on each of them if it says no count.
    """
    times = _times_per_period(repeat, at) or (1 if days else 0)
    if not times:
        return "", 0.0
    period = _number(repeat, "period", at, whole=False) or 1.0
    key = "periodUnit" if "periodUnit" in repeat or "periodUnits" not in repeat else "periodUnits"  # DSTU2's name
    sent = repeat.get(key)
    unit = "d" if sent is None else sent.strip().lower() if isinstance(sent, str) else ""
    if unit not in _PERIOD_UNITS:
        raise _UnreadableError(f"{at}.{key}", f"{json.dumps(sent)} is no unit of time (s, min, h, d, wk, mo, a): "
                                             "how often the medication is given cannot be read")
    written, factor = _PERIOD_UNITS[unit]
    per_day = times / (period * factor) if written == "d" else times * 24 / (period * factor) if written == "h" else 0
    return f"{times} per {round(period * factor, 6):g} {written}"[:MAX_TEXT], per_day


def on_its_days(ordered: OrderedMedication) -> tuple[str, int]:
    """How often an order is given on its days ("2 per 1 d", 2), where its frequency is their count a week; or ("", 0).

    Its frequency is read from a `Timing.repeat` giving it on some days of the week only (`dayOfWeek`, `_per_period`):
    "2 per 1 wk" for twice a day on Mondays, a frequency to confirm. The count a day on those days is kept for an
    agent whose label gives fewer (`hooks._on_its_days`).
    """
    at = ordered.paths.get("frequency", "")
    element = "dosageInstruction" if ordered.resource.get("resourceType") in MEDICATION_ORDERS else "dosage"
    for dosage, path in _dosages(ordered.resource.get(element), element):
        repeat = _repeat(dosage)
        if at == f"{path}.timing.repeat" and repeat.get("dayOfWeek") is not None:
            try:
                days = _days_of_week(repeat, at)
                _, per_day = _every_period(repeat, at, days)
            except _UnreadableError:
                return "", 0
            if 0 < days < len(_WEEKDAYS) and per_day and float(per_day).is_integer():
                return f"{int(per_day)} per 1 d", int(per_day)
    return "", 0


_WEEKDAYS = {day: day[:3] for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")}
"""English days of the week -> FHIR's codes for them (`Timing.repeat.dayOfWeek`: mon to sun)."""


def _days_of_week(repeat: Mapping[str, Any], at: str) -> int:
    """How many days of the week a `Timing.repeat` gives its doses on (`dayOfWeek`), or 0 when it does not say.

    A day is read in any case, as its code or its English name ("MON", "Monday"): not a code, such a day left the
    repeat unread, which gave way to a text "once daily", so gilteritinib 120 mg on Mondays was daily, with no card.

    Raises:
        _UnreadableError: an entry that is no day of the week ("M", 1): on which days is not read, but on some days
            a week, a schedule of its own that a text "once daily" does not hide (names.toml reads "a week" so).
    """
    days = _list(repeat.get("dayOfWeek"))
    codes = [_WEEKDAYS.get(folded, folded) for day in days if isinstance(day, str) and (folded := day.strip().lower())]
    if len(codes) < len(days) or not set(codes) <= set(_WEEKDAYS.values()):
        raise _UnreadableError(f"{at}.dayOfWeek", f"{json.dumps(days)[:MAX_TEXT]} holds no day of the week (mon to "
                                                  "sun): on which days the medication is given cannot be read",
                               "on some days a week")
    return len(set(codes))


def _events_per_day(value: object) -> str:
    """How often a `Timing.event` list (the dates or instants of each dose) gives a dose: "N per 1 d", or "" for none.

    Read only where no code or repeat says how often: gilteritinib 120 mg at 08:00 and 20:00 of one day, events
    alone, was read as once a day (120 mg a day, no card; 240 mg given). Instants are read by the day from the first
    dose, not by the calendar dates they are written on (13:00Z and 01:00Z the next day, 08:00 and 20:00 in New York,
    counted by the date as written were 1 then 1, once a day): see `_doses_a_day`. Dates alone are N a day when each
    of consecutive days has N. Any other spread (every other day, 2 then 1 a day later) is no daily count, said as
    names.toml's "as directed" (a schedule not read: for an agent, "frequency not read: confirm it"), as are events
    that are no date, and dates mixed with instants.
    """
    events = _list(value)
    if not events:
        return ""
    read = [when for event in events if isinstance(event, str) and (when := _event_time(event))]
    if len(read) < len(events):
        return f"Timing.event not read ({len(events) - len(read)} of {len(events)} not a date): as directed"
    instants = [when for when in read if isinstance(when, datetime.datetime)]
    if not instants:
        counts = {day: read.count(day) for day in sorted(set(read))}
        if len(set(counts.values())) == 1 and all((b - a).days == 1 for a, b in pairwise(counts)):
            return f"{read.count(read[0])} per 1 d"
        return f"Timing.event not read ({len(read)} doses on {len(counts)} days, not a count a day): as directed"
    if len(instants) == len(read) and len({when.tzinfo is None for when in instants}) == 1:
        if per_day := _doses_a_day(sorted(instants)):
            return f"{per_day} per 1 d"
        return f"Timing.event not read ({len(read)} doses, not the same doses each day): as directed"
    return f"Timing.event not read ({len(read)} doses, dates and times of day mixed): as directed"


_SPACING_SLACK = datetime.timedelta(hours=1)
"""How far a dose may be from the same time a day later: a change of the clocks (08:00 EST, then 08:00 EDT 23 hours
on)."""


def _doses_a_day(instants: list[datetime.datetime]) -> int:
    """N, the doses at `instants` (in order) within a day of the first, when each dose comes again a day later; else 0.

    Doses of one day are as many a day however they are spaced (08:00 and 16:00: twice, where 24 hours over their
    8-hour gap made them three times; review 3 of s18), as long as each recurs a day on (a day give or take the
    slack: q8h from 22:00, 13:00Z and 01:00Z over several days). Every other day, a second day with other times,
    and doses at one instant are none.
    """
    if len(set(instants)) < len(instants):
        return 0
    day = datetime.timedelta(days=1)
    per_day = sum(1 for when in instants if when < instants[0] + day - _SPACING_SLACK)
    later = zip(instants, instants[per_day:], strict=False)
    return per_day if all(abs(then - first - day) <= _SPACING_SLACK for first, then in later) else 0


def _event_time(when: str) -> datetime.date | None:
    """A FHIR date (a `date`) or dateTime (a `datetime`, with its time zone if it gives one); None if it is neither."""
    try:
        if "T" in when:
            return datetime.datetime.fromisoformat(when)
        return datetime.date.fromisoformat(when) if len(when) == len("2026-12-01") else None
    except ValueError:  # "2026-02-30"
        return None


_ANY_MEAL = frozenset({"AC", "PC", "C"})
"""`Timing.repeat.when` codes of a meal not named (FHIR: before, after, at a meal). A prescription's "ac" is most
often before each meal: gilteritinib 120 mg "AC" with no count beside it was read as once a day, no card, where it may
be 360 mg a day. (ACM, CD, PCV and the like name one meal: once a day, as read.)"""


def _times_per_period(repeat: Mapping[str, Any], at: str) -> int:
    """How many doses a `Timing.repeat` gives in its period, or 0 when it does not say.

    Its `frequency`, or up to `frequencyMax` (the most it allows), or one for each of its `timeOfDay` or `when`
    entries (08:00 and 20:00, MORN and EVE: twice a day), the most of them.

    Raises:
        _UnreadableError: `when` names a meal that may be each meal (AC, PC, C) and nothing else counts the doses.
    """
    counts = [int(value) for key in ("frequency", "frequencyMax") if (value := _number(repeat, key, at, whole=True))]
    when = repeat.get("when")
    if (not counts and not _list(repeat.get("timeOfDay")) and isinstance(when, list)
            and _ANY_MEAL.intersection(entry for entry in when if isinstance(entry, str))):
        raise _UnreadableError(f"{at}.when", f"{json.dumps(when)[:MAX_TEXT]} gives a dose at a meal, often each meal "
                                             "(\"ac\": before meals): how often the medication is given cannot be read")
    counts += [len(entries) for key in ("timeOfDay", "when") if isinstance(entries := repeat.get(key), list)]
    # A period alone is once in it (R4 Timing: frequency defaults to 1): "every 12 hours".
    return max(counts, default=1 if repeat.get("period") is not None else 0)


def _number(repeat: Mapping[str, Any], key: str, at: str, *, whole: bool) -> float:
    """A positive number of a `Timing.repeat` (a whole one for a count), also sent as a numeric string; 0 if absent.

    Raises:
        _UnreadableError: it is there but is no such number.
    """
    value = repeat.get(key)
    if value is None:
        return 0.0
    number = _value({"value": value})
    if number is None or not math.isfinite(number) or number <= 0 or (whole and number != int(number)):
        kind = "whole number of doses" if whole else "length of time"
        raise _UnreadableError(f"{at}.{key}", f"{json.dumps(value)} is no {kind} above 0: how often the medication "
                                             "is given cannot be read")
    return number


def _start_date(resource: Mapping[str, Any], dosage: Mapping[str, Any] | None, at: str) -> tuple[str, str]:
    """When the order starts: its dosage's bounds, else its dispense validity, else a statement's period.

    Returns:
        The start as sent (an ISO date, maybe with a time) and the path of the element it was read from, or ("", "").
    """
    candidates = []
    if dosage is not None and isinstance(dosage.get("timing"), dict):
        repeat = dosage["timing"].get("repeat")
        if isinstance(repeat, dict) and isinstance(repeat.get("boundsPeriod"), dict):
            candidates.append((repeat["boundsPeriod"].get("start"), f"{at}.timing.repeat.boundsPeriod.start"))
    dispense = resource.get("dispenseRequest")
    if isinstance(dispense, dict) and isinstance(dispense.get("validityPeriod"), dict):
        candidates.append((dispense["validityPeriod"].get("start"), "dispenseRequest.validityPeriod.start"))
    if isinstance(resource.get("effectivePeriod"), dict):
        candidates.append((resource["effectivePeriod"].get("start"), "effectivePeriod.start"))
    for candidate, path in candidates:
        if _ISO_DATE.match(_text(candidate)):
            return _text(candidate), path
    return "", ""


class Clock(NamedTuple):
    """When a hook call is checked: the instant, and the EHR's date then (a date sent without a time is a day there)."""

    now: datetime.datetime
    """Aware."""
    earliest: datetime.date
    """The day of the check for counting days since a stop: the earliest date on Earth (UTC-12), whatever the EHR's
    zone, since stop dates are read as sent, each in its own offset (`2026-11-30T23:07Z` is the 30th), and counted
    from the EHR's own today one sent in UTC was a day older east of it: a washout passed a day early (review revU,
    must-fix 1)."""
    latest: datetime.date
    """The EHR's date at the latest: its time zone's when configured, else the latest on Earth (UTC+14)."""


def clock_at(now: datetime.datetime, zone: datetime.tzinfo | None) -> Clock:
    """The clock of a check at `now` (aware) for an EHR in `zone` (`DOSECHECK_HTTP_TIME_ZONE`), None when unknown.

    The call says nothing of the EHR's time zone, which is somewhere from UTC-12 to UTC+14: unknown, its date is
    taken at whichever end is the safer for each use (`starts_later`, `hooks._as_of`).
    """
    latest = now.astimezone(zone).date() if zone is not None else (now + datetime.timedelta(hours=14)).date()
    return Clock(now, (now - datetime.timedelta(hours=12)).date(), latest)


def starts_later(ordered: OrderedMedication, clock: Clock) -> str:
    """The day an order or statement starts (its EHR's date) when that is surely after `clock.now`, else "".

    "" means begun, no start, or one that cannot be read as a date ("2026-13-45": counted as begun).

    A start with a time and an offset (or Z) is an instant, compared with `clock.now`. A date alone is the EHR's
    local date: to come when after the EHR's date (`clock.latest`). With the EHR's time zone unknown that is the
    latest date on Earth (UTC+14): compared with the earliest (UTC-12), an order dated the site's own today read as
    future for hours every day east of it (Europe until about 13:00 local), and a course under way re-signed under
    its id was rewritten into a ramp-up; but an order dated tomorrow then counts as begun from 10:00 UTC (a
    quizartinib draft beside it was no start, and QTcF 460 ms "monitor", not "do not start"), which the EHR's zone
    configured ends.
    """
    sent = ordered.starts_at
    try:
        instant = datetime.datetime.fromisoformat(sent) if "T" in sent else None
    except ValueError:
        instant = None  # a time that cannot be read ("T24:00:00Z"): its date is still the EHR's (review revC9)
    if instant is not None and instant.tzinfo is not None:
        return sent[:10] if instant > clock.now else ""
    try:
        day = datetime.date.fromisoformat(sent[:10])
    except ValueError:
        return ""
    return sent[:10] if day > clock.latest else ""


def _observation_time(resource: Mapping[str, Any]) -> str:
    period = resource.get("effectivePeriod")
    end = period.get("end") or period.get("start") if isinstance(period, dict) else None
    return _text(resource.get("effectiveDateTime") or resource.get("effectiveInstant") or end
                 or resource.get("issued"))


def _qtc_code(code: object) -> str:
    """The LOINC QTc code of a CodeableConcept (LOINC by its URI or its OID; a coding with no system), or ""."""
    if not isinstance(code, dict):
        return ""
    return next((_text(c.get("code")) for c in _dicts(code.get("coding"))
                 if _text(c.get("code")) in QTC_CODES and _text(c.get("system"), LOINC) in _LOINC_SYSTEMS), "")


def _end_date(resource: Mapping[str, Any], kind: object) -> EndDate:
    """When an ended order or statement was last taken, at the latest, and the element that says so.

    The latest of its period's ends (`_period_end`) and, for a statement, its `effectiveDateTime`: a dose may be
    taken until the last (a stopped order's planned end may be after the day of the check; `hooks` takes the day
    of the check then). Without any, `meta.lastUpdated`: the order changed to its ended status at the latest then.
    """
    latest = _period_end(resource, kind)
    if kind not in MEDICATION_ORDERS and (match := _ISO_DATE.match(_text(resource.get("effectiveDateTime")))):
        latest = max(latest, EndDate(match.group(1), "effectiveDateTime"))
    if latest.date:
        return latest
    meta = resource.get("meta")
    updated = _ISO_DATE.match(_text(meta.get("lastUpdated"))) if isinstance(meta, dict) else None
    return EndDate(updated.group(1), "meta.lastUpdated") if updated else EndDate("", "")


def dosage_end(ordered: OrderedMedication) -> str:
    """The day an order's dosages end (the latest `boundsPeriod.end`; a statement's `effectivePeriod.end`), or "".

    Not an order's dispensing window's end (`validityPeriod.end`), which `planned_end` may be: it ends no taking.
    """
    return _period_end(ordered.resource, ordered.resource.get("resourceType"), dispensing=False).date[:10]


def _period_end(resource: Mapping[str, Any], kind: object, *, dispensing: bool = True) -> EndDate:
    """The end an order or statement gives its period, and the element it is in, or ("", "").

    FHIR R4 puts the end of a MedicationRequest in its dosages' `timing.repeat.boundsPeriod.end` and in
    `dispenseRequest.validityPeriod.end` (the latest of them counts; the second only with `dispensing`), and that of
    a MedicationStatement in `effectivePeriod.end`.
    """
    candidates: list[tuple[object, str]] = []
    if kind in MEDICATION_ORDERS:
        for i, dosage in _indexed_dicts(resource.get("dosageInstruction")):
            timing = dosage.get("timing")
            repeat = timing.get("repeat") if isinstance(timing, dict) else None
            bounds = repeat.get("boundsPeriod") if isinstance(repeat, dict) else None
            if isinstance(bounds, dict):
                candidates.append((bounds.get("end"), f"dosageInstruction[{i}].timing.repeat.boundsPeriod.end"))
        dispense = resource.get("dispenseRequest") if dispensing else None
        validity = dispense.get("validityPeriod") if isinstance(dispense, dict) else None
        if isinstance(validity, dict):
            candidates.append((validity.get("end"), "dispenseRequest.validityPeriod.end"))
    else:
        period = resource.get("effectivePeriod")
        if isinstance(period, dict):
            candidates.append((period.get("end"), "effectivePeriod.end"))
    dated = [EndDate(match.group(1), path) for value, path in candidates if (match := _ISO_DATE.match(_text(value)))]
    return max(dated, default=EndDate("", ""))


def _short_system(system: str) -> str:
    """RxNorm's name, a URL's last part, an OID's last arc ("OID …698288"): short enough to leave the code seen."""
    if system == RXNORM:
        return "RxNorm"
    if system.startswith("urn:oid:"):
        return f"OID …{system.rsplit('.', 1)[-1]}"
    return system.rstrip("/").rsplit("/", 1)[-1]


def _orders_and_statements(resources: Iterable[Found]) -> Iterator[Found]:
    """The medication orders and statements among `resources`, but those that never happened (`VOID`).

    An order marked `doNotPerform` (R4: a request that the medication not be given) is not a medication taken, nor
    an STU3 statement whose `taken` is `n` (R4 says it by the status `not-taken` instead).
    """
    for found in resources:
        kind = found.resource.get("resourceType")
        if ((kind in MEDICATION_ORDERS or kind in MEDICATION_USES) and found.resource.get("doNotPerform") is not True
                and _text(found.resource.get("status")).lower() not in VOID
                and _text(found.resource.get("taken")).lower() != "n"):
            yield found


def _first(value: object, at: str) -> tuple[Mapping[str, Any] | None, str]:
    """An object, or the first object of a list, with its path (`at`, or `at[i]`)."""
    if isinstance(value, dict):
        return value, at
    index, first = next(_indexed_dicts(value), (0, None))
    return first, f"{at}[{index}]"


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _dicts(value: object) -> Iterator[Mapping[str, Any]]:
    return (item for _, item in _indexed_dicts(value))


def _indexed_dicts(value: object) -> Iterator[tuple[int, Mapping[str, Any]]]:
    """The objects of a list, with their index in it (other items skipped)."""
    if isinstance(value, list):
        yield from ((i, item) for i, item in enumerate(value) if isinstance(item, dict))


def _is_resource(value: object) -> TypeGuard[dict[str, Any]]:
    return isinstance(value, dict) and isinstance(value.get("resourceType"), str)


def _text(value: object, default: str = "") -> str:
    return value.strip() if isinstance(value, str) else default
