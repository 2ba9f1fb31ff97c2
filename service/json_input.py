"""JSON from callers, refused when an object names a key twice.

RFC 8259 section 4: names within an object SHOULD be unique, and a receiver of one that repeats a name
may take either value. Every parser here silently keeps the last ({"doseMg": 400, "doseMg": 10} is a
dose of 10 mg), so a document that says two things about one field is refused instead, naming it.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

MAX_KEY_SHOWN = 100
"""Characters of each key in a path: a key can be as long as the body."""


class JsonInputError(ValueError):
    """JSON that decodes but cannot be taken as the caller meant it."""

    def __init__(self, message: str, path: str = "") -> None:
        """`path`: where in the caller's JSON (`regimen[0].doseMg`), "" for nowhere in particular."""
        super().__init__(message)
        self.path = path


class RepeatedKeyError(JsonInputError):
    """An object gives one key more than once: which of its values is meant cannot be told."""

    def __init__(self, path: str) -> None:
        """`path`: the repeated key's (`regimen[0].doseMg`)."""
        super().__init__(f"{path} is given more than once (a key repeated in one JSON object): which of its values "
                         "is meant cannot be told", path)


def loads(data: bytes | str) -> Any:
    """The JSON value of `data` as orjson decodes it (the audit's rows), refusing an object that repeats a key.

    Raises:
        orjson.JSONDecodeError: `data` is not JSON (a subclass of json.JSONDecodeError).
        RepeatedKeyError: An object repeats a key, at any depth.
        JsonInputError: It is nested too deeply to look for repeated keys.
    """
    value = orjson.loads(data)
    # Every member of every object in the text has its colon outside strings: no more keys than colons.
    # Decoding keeps each object's distinct keys, so as many of them as colons leaves no room for a repeat.
    colons = data.count(b":") if isinstance(data, bytes) else data.count(":")
    if colons and colons > _distinct_keys(value):
        _refuse_repeats(_pairs(data))  # colons inside strings, or a repeat: the pairs say which
    return value


def loads_standard(data: bytes | str) -> Any:
    """The JSON value of `data` as the standard library decodes it, refusing an object that repeats a key.

    For callers whose answers quote the standard library's syntax errors (the CLI, the CDS Hooks body, FHIR answers).

    Raises:
        json.JSONDecodeError: `data` is not JSON.
        RepeatedKeyError: An object repeats a key, at any depth.
        JsonInputError: It is nested too deeply to look for repeated keys.
    """
    # One pass, each object checked as it is built: 104-113 µs for a 9.4 KB Epic order-sign, 52-62 µs unchecked;
    # counting colons, as `loads` does, took 310 µs there, its URLs and times putting colons in strings (timeit).
    try:
        return json.loads(data, object_pairs_hook=_dict_of_distinct_keys)
    except _KeyRepeatedError:
        _refuse_repeats(_pairs(data))
    raise AssertionError("a repeated key was found in one pass and not in the other")


def _pairs(data: bytes | str) -> Any:
    """The document with each object as its (key, value) pairs, for `_refuse_repeats`."""
    try:
        return json.loads(data, object_pairs_hook=tuple)
    except RecursionError:
        raise JsonInputError("it nests arrays or objects too deeply to be read as JSON") from None


class _KeyRepeatedError(Exception):
    """An object being decoded repeats a key (named by `_refuse_repeats`)."""


def _dict_of_distinct_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object as `json.loads` builds it, or `_KeyRepeatedError` when it names a key twice."""
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise _KeyRepeatedError
    return obj


def _distinct_keys(value: Any) -> int:
    count = 0
    stack = [value]
    while stack:
        node = stack.pop()
        if type(node) is dict:
            count += len(node)
            stack.extend(node.values())
        elif type(node) is list:
            stack.extend(node)
    return count


def _refuse_repeats(document: Any) -> None:
    """Raises RepeatedKeyError naming a repeated key (an object's own before those inside it).

    `document` is as `json.loads(..., object_pairs_hook=tuple)` gives it: objects are tuples of pairs, arrays lists.
    """
    stack: list[tuple[Any, str]] = [(document, "")]
    while stack:
        node, path = stack.pop()
        children: list[tuple[Any, str]] = []
        if type(node) is tuple:
            seen: set[str] = set()
            for key, value in node:
                at = f"{path}.{key[:MAX_KEY_SHOWN]}" if path else key[:MAX_KEY_SHOWN]
                if key in seen:
                    raise RepeatedKeyError(at)
                seen.add(key)
                children.append((value, at))
        elif type(node) is list:
            children = [(value, f"{path}[{i}]") for i, value in enumerate(node)]
        stack.extend(reversed(children))
