"""JSON-schema helpers for constrained decoding.

Grammar-constrained generation on small models only terminates reliably when every string
is bounded (measured with SmolLM2: an unbounded string field can run to ``max_tokens``).
"""

from __future__ import annotations

from typing import Any

DEFAULT_MAX_STRING = 256
GRAMMAR_MAX_STRING = 1000
"""llama.cpp's grammar sampler crashed the process (segfault) on a string with ``maxLength``
2000 (each allowed character is one more nested rule); 1000 was measured to work. Longer
bounds are lowered to this in grammars."""


def bound_strings(schema: Any, max_length: int = DEFAULT_MAX_STRING, ceiling: int = GRAMMAR_MAX_STRING) -> Any:
    """A copy of ``schema`` in which every string has a ``maxLength``: ``max_length`` where it
    had none, at most ``ceiling`` where it had a larger one."""
    if isinstance(schema, list):
        return [bound_strings(item, max_length, ceiling) for item in schema]
    if not isinstance(schema, dict):
        return schema
    bounded = {key: bound_strings(value, max_length, ceiling) for key, value in schema.items()}
    kind = schema.get("type")
    is_string = kind == "string" or (isinstance(kind, list) and "string" in kind)
    if is_string and "enum" not in schema and "const" not in schema:
        limit = schema.get("maxLength")
        bounded["maxLength"] = max_length if not isinstance(limit, int) else min(limit, ceiling)
    return bounded


def arguments_schema(input_schema: dict[str, Any] | None, max_length: int = DEFAULT_MAX_STRING) -> dict[str, Any]:
    """A tool's input schema made fit for a grammar: strings bounded, always an object."""
    schema = bound_strings(input_schema or {}, max_length)
    schema = {k: v for k, v in schema.items() if k not in ("title", "$schema")}
    if schema.get("type", "object") == "object" and "properties" not in schema:
        schema = {**schema, "type": "object", "properties": {}}
    return schema


def _argument(name: str, schema: dict[str, Any], required: bool) -> str:
    kind = schema.get("type") or next((o.get("type") for o in schema.get("anyOf", ()) if o.get("type") != "null"), None)
    detail = ", ".join(x for x in (kind if isinstance(kind, str) else None, None if required else "optional") if x)
    return f"{name} ({detail})" if detail else name


def argument_summary(input_schema: dict[str, Any] | None) -> str:
    """A tool's arguments in a few words (``path (string), limit (integer, optional)``): what a
    prompt shows where decoding is constrained by the schema itself."""
    schema = input_schema or {}
    required = set(schema.get("required", ()))
    properties = schema.get("properties") or {}
    return ", ".join(_argument(n, p if isinstance(p, dict) else {}, n in required) for n, p in properties.items())
