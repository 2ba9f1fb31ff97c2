"""Fast codec between the contract's JSON shape (as json_format writes it) and the domain types."""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from typing import Any, Final, NamedTuple, cast

import orjson
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from dosecheck.v1 import dosecheck_pb2 as pb
from interactions.model import (
    Action,
    CheckRequest,
    CheckResult,
    Citation,
    Coding,
    DoseRecommendation,
    FieldViolation,
    Finding,
    HoldReason,
    InvalidRequestError,
    Mechanism,
    Medication,
    MonitoringEvent,
    MonitoringTest,
    PatientContext,
    RampStep,
    Severity,
    UnrecognizedMedication,
    UnrecognizedReason,
)
from service.identity_cache import cached_by_identity

__all__ = [
    "ACTION_NAMES",
    "BAD_REQUEST_TYPE_URL",
    "MECHANISM_NAMES",
    "SEVERITY_NAMES",
    "TEST_NAMES",
    "decode_request",
    "encode_error",
    "encode_result",
    "request_id_of",
]

JsonObject = dict[str, Any]

BAD_REQUEST_TYPE_URL: Final = "type.googleapis.com/google.rpc.BadRequest"
"""How json_format names a packed `google.rpc.BadRequest` inside `Status.details`."""

_INVALID_ARGUMENT: Final = 3
_INT32_MIN: Final = -(2**31)
_INT32_MAX: Final = 2**31 - 1

# json_format accepts a field under its lowerCamelCase JSON name or its proto name; both map to
# the proto name, which is also how violations name the field.
_REQUEST_KEYS: Final = {
    "requestId": "request_id",
    "request_id": "request_id",
    "regimen": "regimen",
    "concomitant": "concomitant",
    "patient": "patient",
}

# The contract's JSON names of enum values: the enum's prefix plus the member name (SEVERITY_MAJOR),
# indexed by the member's number because the domain numbers equal the contract's.
SEVERITY_NAMES: Final = tuple(f"SEVERITY_{m.name}" for m in Severity)
ACTION_NAMES: Final = tuple(f"ACTION_{m.name}" for m in Action)
MECHANISM_NAMES: Final = tuple(f"MECHANISM_{m.name}" for m in Mechanism)
TEST_NAMES: Final = tuple(f"MONITORING_TEST_{m.name}" for m in MonitoringTest)
REASON_NAMES: Final = tuple(f"UNRECOGNIZED_REASON_{m.name}" for m in UnrecognizedReason)


class _Violations:
    """Collects every bad field of one request, so the caller hears of all of them at once."""

    __slots__ = ("items",)

    def __init__(self) -> None:
        self.items: list[FieldViolation] = []

    def add(self, path: str, description: str) -> None:
        self.items.append(FieldViolation(field=path, description=description))


def request_id_of(obj: object) -> str:
    """The request id of a parsed JSON request, or "" if it has none usable.

    Args:
        obj: What `json.loads` returned for one request, valid or not.

    Returns:
        The `requestId` (or `request_id`) string, so an error answer can still echo it.
    """
    if type(obj) is dict:
        value = obj.get("requestId", obj.get("request_id"))
        if type(value) is str:
            return value
    return ""


def decode_request(obj: object) -> CheckRequest:
    """Turn a parsed JSON `CheckRegimenRequest` into the domain request.

    Accepts what `json_format.ParseDict` accepts for this message (lowerCamelCase or proto field
    names, numbers as JSON numbers or numeric strings, `"NaN"`/`"Infinity"`, null as the default)
    and, unlike it, rejects a field given under both of its names. Clinical validation (empty
    regimen, dose ranges, dates) is the domain's `check`, not this function's.

    Args:
        obj: The value `json.loads` (or `orjson.loads`) returned for one request.

    Returns:
        The domain request.

    Raises:
        InvalidRequestError: With one violation per bad field, named by its contract path
            (`regimen[0].dose_mg`), when the JSON does not have the request's shape.
    """
    violations = _Violations()
    if type(obj) is not dict:
        violations.add("", f"a request must be a JSON object, not {_json_type(obj)}")
        raise InvalidRequestError(tuple(violations.items))
    request_id = ""
    regimen: tuple[Medication, ...] = ()
    concomitant: tuple[Medication, ...] = ()
    patient = _NO_PATIENT
    seen: set[str] = set()
    for key, value in obj.items():
        field = _REQUEST_KEYS.get(key)
        if field is None:
            violations.add(key, "unknown field")
            continue
        if field in seen:
            violations.add(field, "given twice (under its JSON name and its proto name)")
            continue
        seen.add(field)
        if value is None:
            continue
        if field == "regimen" or field == "concomitant":
            meds = _medications(value, field, violations)
            if field == "regimen":
                regimen = meds
            else:
                concomitant = meds
        elif field == "patient":
            patient = _patient(value, violations)
        else:
            request_id = _string(value, field, violations)
    if violations.items:
        raise InvalidRequestError(tuple(violations.items))
    return CheckRequest(regimen=regimen, concomitant=concomitant, patient=patient, request_id=request_id)


_NO_PATIENT: Final = PatientContext()


def _medications(value: object, field: str, violations: _Violations) -> tuple[Medication, ...]:
    if type(value) is not list:
        violations.add(field, f"must be a list of medications, not {_json_type(value)}")
        return ()
    meds: list[Medication] = []
    append = meds.append
    cache = _MEDICATIONS
    for index, item in enumerate(value):
        if type(item) is not dict:
            violations.add(f"{field}[{index}]", f"must be a medication object, not {_json_type(item)}")
            continue
        # The common shape first: known keys only, each once, with values of the right type.
        # Anything else (unknown or null keys, a key under both names, a wrong type) takes the
        # general path below, which names every problem.
        get = item.get
        name = get("name", "")
        dose = get("doseMg")
        if dose is None:
            dose = get("dose_mg", 0.0)
        frequency = get("frequency", "")
        held = get("held", False)
        if (
            type(name) is str
            and (type(dose) is float or type(dose) is int)
            and type(frequency) is str
            and type(held) is bool
            and len(item)
            == ("name" in item) + ("frequency" in item) + ("held" in item) + ("doseMg" in item or "dose_mg" in item)
            and not ("doseMg" in item and "dose_mg" in item)
            and ((type(dose) is int and -_INT_DOSE_MAX < dose < _INT_DOSE_MAX) or dose - dose == 0.0)
        ):
            key = (name, dose, frequency, held)
            med = cache.get(key)
            if med is None:
                if len(cache) >= _MEDICATIONS_KEPT:
                    cache.clear()
                med = cache[key] = Medication(name, float(dose), frequency, held)
            append(med)
            continue
        append(_medication(item, f"{field}[{index}]", violations))
    return tuple(meds)


# Medications repeat across the rows of an audit (the same drugs at the same doses), and the
# values are immutable, so decoded ones are shared: building one costs more than finding it.
_MEDICATIONS: dict[tuple[str, float, str, bool], Medication] = {}
_MEDICATIONS_KEPT: Final = 1 << 16
# Integers beyond this take the general path, which reports those too large for a double.
_INT_DOSE_MAX: Final = 2**53


class _Field(NamedTuple):
    """How to read one field of a message: its proto name (also the domain field's name) and type."""

    name: str
    read: Callable[[object, str, _Violations], object]
    repeated: bool


def _message_fields(message: type[Message], nested: dict[str, Callable[[object, str, _Violations], object]],
                    enums: dict[str, type[enum.IntEnum]]) -> dict[str, _Field]:
    """JSON and proto names -> field readers, from a message's descriptor (json_format's table)."""
    fields: dict[str, _Field] = {}
    for field in message.DESCRIPTOR.fields:
        if field.message_type is not None:
            read = nested[field.message_type.full_name]
        elif field.enum_type is not None:
            values = [(value.name, value.number) for value in field.enum_type.values]
            read = _enum_reader(values, enums[field.enum_type.full_name])
        else:
            read = _SCALAR_READERS[field.type]
        spec = _Field(field.name, read, field.is_repeated)
        fields[field.json_name] = fields[field.name] = spec
    return fields


def _enum_reader(values: list[tuple[str, int]], domain: type[enum.IntEnum]
                 ) -> Callable[[object, str, _Violations], object]:
    """An enum field read as json_format does (its value name, or its number), as the domain enum."""
    by_name = {name: domain(number) for name, number in values}
    by_number = {number: domain(number) for _, number in values}

    def read(value: object, path: str, violations: _Violations) -> object:
        found = by_name.get(value) if type(value) is str else by_number.get(value) if type(value) is int else None
        if found is None:
            violations.add(path, f"must be one of {', '.join(by_name)}, not {_describe(value)}")
            return domain(0)
        return found

    return read


def _decoder(build: Callable[..., Any], fields: dict[str, _Field]) -> Callable[[object, str, _Violations], object]:
    """A reader of one JSON object into the domain value `build(**fields)`, naming every bad field."""

    def read(value: object, path: str, violations: _Violations) -> object:
        if type(value) is not dict:
            violations.add(path, f"must be an object, not {_json_type(value)}")
            return build()
        given: dict[str, object] = {}
        for key, item in value.items():
            field = fields.get(key)
            where = f"{path}.{key}" if path else key
            if field is None:
                violations.add(where, "unknown field")
                continue
            where = f"{path}.{field.name}" if path else field.name
            if field.name in given:
                violations.add(where, "given twice (under its JSON name and its proto name)")
                continue
            if item is None:
                given[field.name] = None
                continue
            if not field.repeated:
                given[field.name] = field.read(item, where, violations)
            elif type(item) is not list:
                violations.add(where, f"must be a list, not {_json_type(item)}")
            else:
                given[field.name] = tuple(field.read(element, f"{where}[{i}]", violations)
                                          for i, element in enumerate(item))
        return build(**{name: item for name, item in given.items() if item is not None})

    return read


def _string(value: object, path: str, violations: _Violations) -> str:
    if type(value) is str:
        return value
    violations.add(path, f"must be a string, not {_json_type(value)}")
    return ""


def _bool(value: object, path: str, violations: _Violations) -> bool:
    if value is True or value is False:
        return value
    violations.add(path, f"must be true or false, not {_json_type(value)}")
    return False


def _double(value: object, path: str, violations: _Violations) -> float:
    kind = type(value)
    if kind is float:
        assert isinstance(value, float)
        if math.isfinite(value):
            return value
        violations.add(path, 'must be finite; write NaN and infinities quoted ("NaN", "Infinity")')
        return 0.0
    if kind is int:
        assert isinstance(value, int)
        try:
            return float(value)
        except OverflowError:
            violations.add(path, "number too large")
            return 0.0
    if kind is str:
        assert isinstance(value, str)
        # The protobuf JSON mapping allows numbers as strings, and spells the specials this way.
        if value == "NaN":
            return math.nan
        if value == "Infinity":
            return math.inf
        if value == "-Infinity":
            return -math.inf
        try:
            number = float(value)
        except ValueError:
            violations.add(path, f"must be a number, not {value[:40]!r}")
            return 0.0
        if math.isfinite(number):
            return number
        violations.add(path, f"must be a number, not {value[:40]!r}")
        return 0.0
    violations.add(path, f"must be a number, not {_json_type(value)}")
    return 0.0


def _int32(value: object, path: str, violations: _Violations) -> int:
    number: int | None = None
    kind = type(value)
    if kind is int:
        assert isinstance(value, int)
        number = value
    elif kind is float:
        assert isinstance(value, float)
        if value.is_integer():
            number = int(value)
    elif kind is str:
        assert isinstance(value, str)
        if " " not in value:
            try:
                number = int(value)
            except ValueError:
                try:
                    as_float = float(value)
                except ValueError:
                    as_float = math.nan
                if as_float.is_integer():
                    number = int(as_float)
    if number is None:
        violations.add(path, f"must be a whole number, not {_describe(value)}")
        return 0
    if not _INT32_MIN <= number <= _INT32_MAX:
        violations.add(path, "out of range for a 32-bit integer")
        return 0
    return number


def _describe(value: object) -> str:
    return repr(value[:40]) if isinstance(value, str) else _json_type(value)


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"[:60]
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


_SCALAR_READERS: Final[dict[int, Callable[[object, str, _Violations], object]]] = {
    FieldDescriptor.TYPE_STRING: _string,
    FieldDescriptor.TYPE_DOUBLE: _double,
    FieldDescriptor.TYPE_INT32: _int32,
    FieldDescriptor.TYPE_BOOL: _bool,
}
_ENUMS: Final[dict[str, type[enum.IntEnum]]] = {"dosecheck.v1.HoldReason": HoldReason}
_read_coding: Final = _decoder(Coding, _message_fields(pb.Coding, {}, _ENUMS))
_read_medication: Final = _decoder(
    Medication, _message_fields(pb.Medication, {"dosecheck.v1.Coding": _read_coding}, _ENUMS))
_read_patient: Final = _decoder(PatientContext, _message_fields(pb.PatientContext, {}, _ENUMS))


def _medication(value: object, path: str, violations: _Violations) -> Medication:
    return cast("Medication", _read_medication(value, path, violations))


def _patient(value: object, violations: _Violations) -> PatientContext:
    return cast("PatientContext", _read_patient(value, "patient", violations))


def encode_result(result: CheckResult) -> JsonObject:
    """The JSON shape of a result for orjson; serialised, it equals `MessageToDict(response_from_result(result))`.

    Args:
        result: What the domain's `check` returned.

    Returns:
        A dict with lowerCamelCase keys, enums by their proto names and defaults omitted. Its
        findings and monitoring events are `orjson.Fragment`s, JSON encoded once per object the
        engine returns (a result's 40 KB of them are then copied, not serialised again): serialise
        the dict with `orjson.dumps`, and read the result itself rather than the dict.
    """
    out: JsonObject = {}
    if result.request_id:
        out["requestId"] = result.request_id
    if result.findings:
        out["findings"] = _finding_json.many(result.findings)
    if result.doses:
        out["doses"] = [_dose(d) for d in result.doses]
    if result.monitoring:
        out["monitoring"] = _event_json.many(result.monitoring)
    if result.unrecognized:
        out["unrecognized"] = [_unrecognized(u) for u in result.unrecognized]
    if result.highest_severity:
        out["highestSeverity"] = SEVERITY_NAMES[result.highest_severity]
    if result.complete:
        out["complete"] = True
    if result.knowledge_base_version:
        out["knowledgeBaseVersion"] = result.knowledge_base_version
    return out


def encode_error(
    request_id: str,
    message: str,
    violations: tuple[FieldViolation, ...] = (),
    *,
    code: int = _INVALID_ARGUMENT,
) -> JsonObject:
    """The JSON shape of a response whose row could not be checked (`error` set).

    Args:
        request_id: Echoed when known, so the row can be matched.
        message: The status message.
        violations: Field violations, packed as a `google.rpc.BadRequest` detail when given.
        code: The `google.rpc.Code` number (INVALID_ARGUMENT unless said otherwise).

    Returns:
        A dict as `MessageToDict` would write a `CheckRegimenResponse` with only `error` set.
    """
    status: JsonObject = {"code": code, "message": message}
    if violations:
        status["details"] = [
            {
                "@type": BAD_REQUEST_TYPE_URL,
                "fieldViolations": [_violation(v) for v in violations],
            }
        ]
    out: JsonObject = {}
    if request_id:
        out["requestId"] = request_id
    out["error"] = status
    return out


def _violation(violation: FieldViolation) -> JsonObject:
    out: JsonObject = {}
    if violation.field:
        out["field"] = violation.field
    if violation.description:
        out["description"] = violation.description
    return out


def _citations(citations: tuple[Citation, ...]) -> list[JsonObject]:
    out: list[JsonObject] = []
    for citation in citations:
        item: JsonObject = {}
        if citation.source:
            item["source"] = citation.source
        if citation.detail:
            item["detail"] = citation.detail
        out.append(item)
    return out


@cached_by_identity()
def _finding_json(finding: Finding) -> orjson.Fragment:
    return orjson.Fragment(orjson.dumps(_finding(finding)))


def _finding(finding: Finding) -> JsonObject:
    out: JsonObject = {}
    if finding.object_drug:
        out["objectDrug"] = finding.object_drug
    if finding.precipitant_drug:
        out["precipitantDrug"] = finding.precipitant_drug
    if finding.mechanisms:
        out["mechanisms"] = [MECHANISM_NAMES[m] for m in finding.mechanisms]
    if finding.severity:
        out["severity"] = SEVERITY_NAMES[finding.severity]
    if finding.action:
        out["action"] = ACTION_NAMES[finding.action]
    if finding.recommendation:
        out["recommendation"] = finding.recommendation
    if finding.citations:
        out["citations"] = _citations(finding.citations)
    if finding.alternatives:
        out["alternatives"] = list(finding.alternatives)
    if finding.involved:
        out["involved"] = list(finding.involved)
    return out


def _dose(dose: DoseRecommendation) -> JsonObject:
    out: JsonObject = {}
    if dose.drug:
        out["drug"] = dose.drug
    if dose.ordered_dose_mg:
        out["orderedDoseMg"] = dose.ordered_dose_mg
    if dose.recommended_dose_mg:
        out["recommendedDoseMg"] = dose.recommended_dose_mg
    if dose.action:
        out["action"] = ACTION_NAMES[dose.action]
    if dose.rationale:
        out["rationale"] = dose.rationale
    if dose.ramp_up:
        out["rampUp"] = [_ramp_step(s) for s in dose.ramp_up]
    if dose.citations:
        out["citations"] = _citations(dose.citations)
    if dose.avoid_with:
        out["avoidWith"] = list(dose.avoid_with)
    return out


def _ramp_step(step: RampStep) -> JsonObject:
    out: JsonObject = {}
    if step.day:
        out["day"] = step.day
    if step.dose_mg:
        out["doseMg"] = step.dose_mg
    return out


@cached_by_identity()
def _event_json(event: MonitoringEvent) -> orjson.Fragment:
    return orjson.Fragment(orjson.dumps(_event(event)))


def _event(event: MonitoringEvent) -> JsonObject:
    out: JsonObject = {}
    if event.drug:
        out["drug"] = event.drug
    if event.test:
        out["test"] = TEST_NAMES[event.test]
    if event.label:
        out["label"] = event.label
    if event.cycle:
        out["cycle"] = event.cycle
    if event.day:
        out["day"] = event.day
    if event.date:
        out["date"] = event.date
    if event.reason:
        out["reason"] = event.reason
    if event.citations:
        out["citations"] = _citations(event.citations)
    return out


def _unrecognized(item: UnrecognizedMedication) -> JsonObject:
    out: JsonObject = {}
    if item.name:
        out["name"] = item.name
    if item.suggestions:
        out["suggestions"] = list(item.suggestions)
    if item.reason:
        out["reason"] = REASON_NAMES[item.reason]
    if item.ingredients:
        out["ingredients"] = list(item.ingredients)
    if item.detail:
        out["detail"] = item.detail
    return out
