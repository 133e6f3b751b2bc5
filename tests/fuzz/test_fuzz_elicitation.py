"""Fuzzed elicitation forms: any requested schema a server sends becomes fields or an
``UnrenderableSchema``, any typed text a value or a ``ValueError``, and any answer is checked
against the schema without raising (a broken schema is said to be one)."""

from __future__ import annotations

import pytest
from fuzz_support import cases, json_objects, json_values, or_junk
from hypothesis import given, settings
from hypothesis import strategies as st

from a2ia.tools.elicitation import UnrenderableSchema, check_form, form_fields, read_value

pytestmark = pytest.mark.fuzz

_choice = st.fixed_dictionaries({"const": json_values}, optional={"title": or_junk(st.text(max_size=8))})
_property = st.one_of(
    st.fixed_dictionaries({"type": or_junk(st.sampled_from(["string", "integer", "number", "boolean", "array", "object"]))},
                          optional={"title": or_junk(st.text(max_size=10)), "enum": or_junk(st.lists(json_values, max_size=4)),
                                    "oneOf": or_junk(st.lists(_choice, max_size=3)), "default": json_values,
                                    "minimum": or_junk(st.integers()), "format": or_junk(st.sampled_from(["email", "uri", "date"])),
                                    "items": or_junk(st.fixed_dictionaries({}, optional={"enum": st.lists(json_values, max_size=3),
                                                                                        "anyOf": st.lists(_choice, max_size=3)}))}),
    json_objects,
)
_schema = st.one_of(
    st.fixed_dictionaries({"type": st.just("object"), "properties": st.dictionaries(st.text(max_size=6), _property, max_size=5)},
                          optional={"required": or_junk(st.lists(st.text(max_size=6), max_size=3))}),
    json_objects,
)


@settings(max_examples=cases(0.5))
@given(_schema, st.text(max_size=20))
def test_any_form_is_shown_or_refused_and_any_answer_read_or_refused(schema: dict, typed: str) -> None:
    try:
        fields = form_fields(schema)
    except UnrenderableSchema:
        return
    values = {}
    for field in fields:
        assert isinstance(field.question, str)
        try:
            value = read_value(field, typed)
        except ValueError:
            continue
        if value is not None:
            values[field.name] = value
    assert check_form(schema, values) is None or isinstance(check_form(schema, values), str)
