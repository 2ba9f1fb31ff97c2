"""Caller JSON: a key repeated in an object, at any depth, is refused naming where; anything else decodes as before."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.json_input import RepeatedKeyError, loads, loads_standard

# Keys and strings with the characters that could fool a count of colons or quotes.
_TEXT = st.text(alphabet=st.sampled_from('ab:"\\{}[],é \u2028'), max_size=6)
_SCALARS = st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False,
                                                                               allow_infinity=False) | _TEXT
_VALUES = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
                       max_leaves=25)


def _paths(value: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every object in `value` with its path, as `RepeatedKeyError` names it."""
    if isinstance(value, dict):
        return [(path, value)] + [p for key, child in value.items()
                                  for p in _paths(child, f"{path}.{key}" if path else key)]
    if isinstance(value, list):
        return [p for i, child in enumerate(value) for p in _paths(child, f"{path}[{i}]")]
    return []


def _text(value: Any, repeat: tuple[int, str] | None = None, counter: list[int] | None = None) -> str:
    """`value` as JSON; with `repeat` (n, key), the n-th object (depth first) gives its `key` a second time."""
    counter = [0] if counter is None else counter
    if isinstance(value, dict):
        index = counter[0]
        counter[0] += 1
        members = [f"{json.dumps(k)}:{_text(v, repeat, counter)}" for k, v in value.items()]
        if repeat is not None and repeat[0] == index:
            members.append(f"{json.dumps(repeat[1])} : {json.dumps(value[repeat[1]])}")
        return "{" + ", ".join(members) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_text(v, repeat, counter) for v in value) + "]"
    return json.dumps(value)


@settings(max_examples=300, deadline=None, database=None)
@given(value=_VALUES, as_bytes=st.booleans())
def test_json_without_a_repeated_key_decodes_as_orjson_and_json_decode_it(value: Any, as_bytes: bool) -> None:
    text = _text(value)
    data = text.encode() if as_bytes else text
    assert loads(data) == orjson.loads(data) == value
    assert loads_standard(data) == value


@pytest.mark.parametrize("parse", [loads, loads_standard])
@settings(max_examples=300, deadline=None, database=None)
@given(value=_VALUES.filter(lambda v: any(obj for _, obj in _paths(v))), data=st.data())
def test_a_key_repeated_at_any_depth_is_refused_naming_it(parse: Any, value: Any, data: st.DataObject) -> None:
    objects = _paths(value)
    index = data.draw(st.sampled_from([i for i, (_, obj) in enumerate(objects) if obj]))
    path, obj = objects[index]
    key = data.draw(st.sampled_from(sorted(obj)))
    with pytest.raises(RepeatedKeyError) as refused:
        parse(_text(value, (index, key)).encode())
    # The one repeated, unless an object inside it repeats one too (there is none here) or its key names collide.
    assert refused.value.path == (f"{path}.{key}" if path else key)


@pytest.mark.parametrize("parse", [loads, loads_standard])
def test_a_key_written_with_an_escape_is_the_same_key(parse: Any) -> None:
    with pytest.raises(RepeatedKeyError) as refused:
        parse(b'{"regimen": [{"name": "venetoclax", "dose\\u004dg": 400, "doseMg": 10}]}')
    assert refused.value.path == "regimen[0].doseMg"
