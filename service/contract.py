"""The contract's codec, driven by the message descriptors: answers to JSON and messages, JSON requests to the domain.

One field table per message is built from `dosecheck_pb2.DESCRIPTOR` on first use; two generic
functions walk it. `to_json` writes a value (a domain answer, whose types have the messages' field
names, or a message itself) as `json_format.MessageToDict` writes the message; `to_message` builds
the message. The BASIC view leaves out the fields the contract marks `full_view`. `decode_request`
reads a JSON request into the domain request, naming every bad field by its contract path.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from typing import Any, Final, NamedTuple, cast

from google.protobuf import json_format, message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from dosecheck.v1 import dosecheck_pb2 as pb
from interactions.model import (
    CheckRequest,
    Coding,
    FieldViolation,
    HoldReason,
    InvalidRequestError,
    Medication,
    PatientContext,
    View,
)

__all__ = ["JsonObject", "decode_request", "encode", "to_json", "to_message"]

JsonObject = dict[str, Any]

_INT32_MIN: Final = -(2**31)
_INT32_MAX: Final = 2**31 - 1


class _Written(NamedTuple):
    """How to write one field of a message, from its descriptor."""

    name: str
    json_name: str
    number: int
    repeated: bool
    message: Descriptor | None
    """The field's message type; None for a scalar or enum."""
    enum_names: dict[int, str] | None
    """An enum field's value names by number."""
    double: bool
    string: bool
    full_view: bool
    """Left out of the BASIC view."""
    optional: bool
    """A scalar with presence (proto3 `optional`): written at its default when set, left out when None or unset."""


# The contract's `full_view` field option (mypy's stubs type extensions more narrowly than protobuf allows).
_FULL_VIEW: Final[Any] = pb.full_view
_WRITTEN: dict[str, tuple[_Written, ...]] = {}


def _written(descriptor: Descriptor) -> tuple[_Written, ...]:
    fields = _WRITTEN.get(descriptor.full_name)
    if fields is None:
        fields = _WRITTEN[descriptor.full_name] = tuple(
            _Written(f.name, f.json_name, f.number, f.is_repeated, f.message_type,
                   {v.number: v.name for v in f.enum_type.values} if f.enum_type is not None else None,
                   f.type in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT),
                   f.type == FieldDescriptor.TYPE_STRING,
                   bool(f.GetOptions().Extensions[_FULL_VIEW]),
                   f.has_presence and f.message_type is None)
            for f in descriptor.fields)
    return fields


def to_json(value: Any, message_type: type[Message], view: View = View.FULL) -> JsonObject:
    """`value` in the JSON shape `json_format.MessageToDict` gives its message.

    Args:
        value: A message of `message_type`, or any value with its fields as attributes of the same
            names (a domain answer).
        message_type: The message type.
        view: BASIC leaves out every field marked `full_view`.

    Returns:
        lowerCamelCase keys, enums by name, non-finite doubles as "NaN"/"Infinity", fields at their
        default left out (an optional one only when unset).
    """
    return _walk(value, _descriptor(message_type), view is View.BASIC, json=True)


def to_message(value: Any, message_type: type[Message], view: View = View.FULL) -> Message:
    """The message of type `message_type` with `value`'s fields (see `to_json`)."""
    return message_type(**_walk(value, _descriptor(message_type), view is View.BASIC, json=False))


def encode(value: Any, message_type: type[Message], view: View = View.FULL) -> bytes:
    """`to_message(value, message_type, view).SerializeToString()`, its sub-messages encoded once each.

    The sub-messages of answers recur from request to request (a drug's schedules, a rule's
    finding), so each domain value's encoding, as one entry of its field (tag, length, message), is
    kept and the message is the concatenation of its scalar fields' encoding and those entries:
    how a repeated field looks on the wire anyway. Measured on 5 + 30 answers (warm): building the
    message and serialising it took 109 µs (FULL) and 90 µs (BASIC), this 27 and 22 µs.

    Args:
        value: a domain value with the message's fields (its sub-messages domain values too).
        message_type: the message type.
        view: BASIC leaves out every field marked `full_view`.

    Returns:
        The message's wire form (fields in another order than SerializeToString's; it parses the same).
    """
    basic = view is View.BASIC
    descriptor = _descriptor(message_type)
    entries: list[bytes] = []
    for field in _written(descriptor):
        nested = field.message
        if nested is None or nested.full_name.startswith("google.") or (basic and field.full_view):
            continue
        item = getattr(value, field.name, None)
        if item:
            entries.extend(_entry(element, field.number, nested, basic)
                           for element in (item if field.repeated else (item,)))
    head = message_type(**_walk(value, descriptor, basic, json=False, messages=False)).SerializeToString()
    return head + b"".join(entries)


_ENTRIES: dict[tuple[object, int, bool], bytes] = {}


def _entry(value: object, number: int, descriptor: Descriptor, basic: bool) -> bytes:
    key = (value, number, basic)
    entry = _ENTRIES.get(key)
    if entry is None:
        if len(_ENTRIES) >= _WRITTEN_VALUES_KEPT:
            _ENTRIES.clear()
        payload = message_factory.GetMessageClass(descriptor)(
            **_walk(value, descriptor, basic, json=False)).SerializeToString()
        entry = _ENTRIES[key] = _varint(number << 3 | 2) + _varint(len(payload)) + payload
    return entry


def _varint(number: int) -> bytes:
    out = bytearray()
    while number > 0x7F:
        out.append(number & 0x7F | 0x80)
        number >>= 7
    out.append(number)
    return bytes(out)


def _descriptor(message_type: type[Message]) -> Descriptor:
    return cast("Descriptor", message_type.DESCRIPTOR)  # the stubs type it as the C or the Python class


def _walk(value: Any, descriptor: Descriptor, basic: bool, json: bool, messages: bool = True) -> JsonObject:
    out: JsonObject = {}
    for field in _written(descriptor):
        if basic and field.full_view:
            continue
        nested = field.message
        if not messages and nested is not None and not nested.full_name.startswith("google."):
            continue
        # A domain value leaves out what it never has (an answer has no `error`); a test holds every
        # other field of each message present on its domain type.
        item = getattr(value, field.name, None)
        # Every default (0, "", false, empty) is left out, as json_format does, but for an optional field
        # that is set: a recommended dose of 0 (held) is a dose, an absent one none.
        if not item and (not field.optional or item is None
                         or (isinstance(value, Message) and not value.HasField(field.name))):
            continue
        if nested is not None:
            if not field.repeated and isinstance(value, Message) and not value.HasField(field.name):
                continue
            if nested.full_name.startswith("google."):
                # Well-known and Google types (a Status with Any details) have JSON forms of their own;
                # only error answers hold them, so json_format's speed is fine.
                item = json_format.MessageToDict(item) if json else item
            elif isinstance(value, Message):
                item = _walk(item, nested, basic, json) if not field.repeated else [
                    _walk(element, nested, basic, json) for element in item]
            elif not field.repeated:
                item = _written_value(item, nested, basic, json)
            else:
                item = [_written_value(element, nested, basic, json) for element in item]
        elif field.string and type(item) is not str and not (field.repeated and type(item[0]) is str):
            # Where the contract names another object by id (a citation), the domain may hold the object.
            item = [element.id for element in item] if field.repeated else item.id
        elif json and field.enum_names is not None:
            names = field.enum_names
            item = [names.get(number, number) for number in item] if field.repeated else names.get(item, item)
        elif json and field.double:
            item = [_double_json(number) for number in item] if field.repeated else _double_json(item)
        elif field.repeated:
            item = list(item)
        out[field.json_name if json else field.name] = item
    return out


# The parts of answers recur from request to request (a drug's schedules, a rule's finding on one
# drug): each immutable domain value is written once and its result shared, which is never mutated.
# Measured on 5 + 30 answers: 126 -> 20 µs to write one (warm), for a message or as JSON. 200 such
# answers leave about 4,100 encoded entries (about 630 B each with their keys); each cache is emptied at
# 8,192: at 16,384 a server worker grew by about 3 MB more under the benchmark's load (README, RSS).
_WRITTEN_VALUES: dict[tuple[object, bool, bool], JsonObject] = {}
_WRITTEN_VALUES_KEPT: Final = 1 << 13


def _written_value(value: object, descriptor: Descriptor, basic: bool, json: bool) -> JsonObject:
    key = (value, basic, json)
    written = _WRITTEN_VALUES.get(key)
    if written is None:
        if len(_WRITTEN_VALUES) >= _WRITTEN_VALUES_KEPT:
            _WRITTEN_VALUES.clear()
        written = _WRITTEN_VALUES[key] = _walk(value, descriptor, basic, json)
    return written


def _double_json(number: float) -> float | str:
    if math.isfinite(number):
        return number
    return "NaN" if math.isnan(number) else "Infinity" if number > 0 else "-Infinity"


# A request field under its lowerCamelCase JSON name or its proto name (json_format accepts both) ->
# the proto name, which is also how violations name it.
_REQUEST_KEYS: Final = {key: f.name for f in pb.CheckRegimenRequest.DESCRIPTOR.fields for key in (f.json_name, f.name)}


class _Violations:
    """Collects every bad field of one request, so the caller hears of all of them at once."""

    __slots__ = ("items",)

    def __init__(self) -> None:
        self.items: list[FieldViolation] = []

    def add(self, path: str, description: str) -> None:
        self.items.append(FieldViolation(field=path, description=description))


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
    view = View.UNSPECIFIED
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
        elif field == "view":
            view = cast("View", _read_view(value, field, violations))
        else:
            request_id = _string(value, field, violations)
    if violations.items:
        raise InvalidRequestError(tuple(violations.items))
    return CheckRequest(regimen=regimen, concomitant=concomitant, patient=patient, request_id=request_id, view=view)


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
        # general path below, which names every problem. Measured on the benchmark's audit rows:
        # 30.1 µs a row decoded by the general path alone, 11.5 µs with this one.
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
_ENUMS: Final[dict[str, type[enum.IntEnum]]] = {"dosecheck.v1.HoldReason": HoldReason, "dosecheck.v1.View": View}
_read_coding: Final = _decoder(Coding, _message_fields(pb.Coding, {}, _ENUMS))
_read_medication: Final = _decoder(
    Medication, _message_fields(pb.Medication, {"dosecheck.v1.Coding": _read_coding}, _ENUMS))
_read_patient: Final = _decoder(PatientContext, _message_fields(pb.PatientContext, {}, _ENUMS))
_read_view: Final = _message_fields(pb.CheckRegimenRequest, {"dosecheck.v1.Medication": _read_medication,
                                                             "dosecheck.v1.PatientContext": _read_patient},
                                    _ENUMS)["view"].read


def _medication(value: object, path: str, violations: _Violations) -> Medication:
    return cast("Medication", _read_medication(value, path, violations))


def _patient(value: object, violations: _Violations) -> PatientContext:
    return cast("PatientContext", _read_patient(value, "patient", violations))


