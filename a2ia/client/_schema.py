"""JSON-schema helpers for constrained decoding.

Grammar-constrained generation on small models only terminates reliably when every string
is bounded (measured with SmolLM2: an unbounded string field can run to ``max_tokens``).
"""

from __future__ import annotations

from typing import Any

DEFAULT_MAX_STRING = 256


def bound_strings(schema: Any, max_length: int = DEFAULT_MAX_STRING) -> Any:
    """A copy of ``schema`` in which every string without a ``maxLength`` gets ``max_length``."""
    if isinstance(schema, list):
        return [bound_strings(item, max_length) for item in schema]
    if not isinstance(schema, dict):
        return schema
    bounded = {key: bound_strings(value, max_length) for key, value in schema.items()}
    kind = schema.get("type")
    is_string = kind == "string" or (isinstance(kind, list) and "string" in kind)
    if is_string and "maxLength" not in schema and "enum" not in schema and "const" not in schema:
        bounded["maxLength"] = max_length
    return bounded


def arguments_schema(input_schema: dict[str, Any] | None, max_length: int = DEFAULT_MAX_STRING) -> dict[str, Any]:
    """A tool's input schema made fit for a grammar: strings bounded, always an object."""
    schema = bound_strings(input_schema or {}, max_length)
    schema = {k: v for k, v in schema.items() if k not in ("title", "$schema")}
    if schema.get("type", "object") == "object" and "properties" not in schema:
        schema = {**schema, "type": "object", "properties": {}}
    return schema
