"""Bounded strings for grammar-constrained decoding."""

from a2ia.client.schema import GRAMMAR_MAX_STRING, arguments_schema, bound_strings


def test_every_string_gets_a_bound_and_big_bounds_are_lowered() -> None:
    schema = {
        "type": "object",
        "properties": {
            "a": {"type": "string"},
            "b": {"type": ["string", "null"]},
            "c": {"type": "string", "maxLength": 10},
            "d": {"type": "string", "maxLength": 50_000},
            "e": {"type": "string", "enum": ["x", "y"]},
            "f": {"type": "array", "items": {"type": "string"}},
            "g": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
        },
    }
    out = bound_strings(schema, 64)
    props = out["properties"]
    assert props["a"]["maxLength"] == 64 and props["b"]["maxLength"] == 64
    assert props["c"]["maxLength"] == 10 and props["d"]["maxLength"] == GRAMMAR_MAX_STRING
    assert "maxLength" not in props["e"]
    assert props["f"]["items"]["maxLength"] == 64 and props["g"]["anyOf"][0]["maxLength"] == 64
    assert "maxLength" not in schema["properties"]["a"], "the input is not modified"


def test_arguments_schema_is_always_an_object() -> None:
    assert arguments_schema(None) == {"type": "object", "properties": {}}
    assert arguments_schema({"title": "X", "type": "object"}) == {"type": "object", "properties": {}}
