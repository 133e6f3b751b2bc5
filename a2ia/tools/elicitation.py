"""Elicitation: an MCP server asks the person for input (``elicitation/create``).

Form mode sends a flat JSON schema; a2ia shows it as fields (``form_fields``: text, numbers,
yes/no, one choice, several choices), reads what the person types (``read_value``), checks
the whole answer against the schema (``check_form``, jsonschema) and returns accept with the
values, decline or cancel. URL mode names a page to open (a sign-in, a payment): a2ia shows
the URL and waits for the person's word. A schema a2ia cannot show, or no one to ask (a
script), is declined and said so. The server's words are shown as text, never run.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import jsonschema
from mcp.client.session import ClientRequestContext
from mcp_types import ElicitRequestFormParams, ElicitRequestParams, ElicitResult

Kind = Literal["string", "integer", "number", "boolean", "choice", "choices"]
Action = Literal["accept", "decline", "cancel"]
MAX_FIELDS = 50


class UnrenderableSchema(ValueError):
    """A requested schema outside what MCP allows a form to be (nesting, unknown types)."""


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class FormField:
    name: str
    title: str
    description: str
    kind: Kind
    required: bool
    default: Any = None
    choices: tuple[Choice, ...] = ()

    @property
    def question(self) -> str:
        """How the field is asked: its title, what it is about, what to type."""
        about = f" ({self.description})" if self.description and self.description != self.title else ""
        if self.kind in ("choice", "choices"):
            options = ", ".join(c.value if c.label == c.value else f"{c.value} = {c.label}" for c in self.choices)
            how = f"one of: {options}" if self.kind == "choice" else f"some of, comma-separated: {options}"
        else:
            how = {"boolean": "yes or no", "integer": "a whole number", "number": "a number"}.get(self.kind, "text")
        default = f"; default {_shown(self.default)}" if self.default is not None else ""
        need = "required" if self.required else "optional"
        return f"{self.title}{about} [{how}; {need}{default}]"


def _shown(value: Any) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value).lower() if isinstance(value, bool) else str(value)


def _choices(spec: dict[str, Any]) -> tuple[Choice, ...]:
    if isinstance(spec.get("enum"), list):
        names = spec.get("enumNames") if isinstance(spec.get("enumNames"), list) else []
        return tuple(Choice(str(v), str(names[i]) if i < len(names) else str(v)) for i, v in enumerate(spec["enum"]))
    options = spec.get("oneOf") or spec.get("anyOf")
    if isinstance(options, list) and all(isinstance(o, dict) and "const" in o for o in options):
        return tuple(Choice(str(o["const"]), str(o.get("title") or o["const"])) for o in options)
    return ()


def form_fields(schema: dict[str, Any]) -> list[FormField]:
    """The fields a schema asks for, in its order; ``UnrenderableSchema`` says why not."""
    properties = schema.get("properties") if isinstance(schema, dict) else None
    if schema.get("type", "object") != "object" or not isinstance(properties, dict):
        raise UnrenderableSchema("the form is not an object with properties")
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.exceptions.SchemaError as exc:
        raise UnrenderableSchema(f"it is not valid JSON Schema: {exc.message}") from None
    if len(properties) > MAX_FIELDS:
        raise UnrenderableSchema(f"the form has {len(properties)} fields (at most {MAX_FIELDS})")
    required = set(r for r in schema.get("required") or () if isinstance(r, str)) if isinstance(schema.get("required"), list) else set()
    fields = []
    for name, spec in properties.items():
        if not isinstance(spec, dict):
            raise UnrenderableSchema(f"field {name!r} is not described")
        kind, choices = _kind(name, spec)
        title = " ".join(str(spec.get("title") or name).split())
        fields.append(FormField(str(name), title, " ".join(str(spec.get("description") or "").split()), kind,
                                name in required, spec.get("default"), choices))
    return fields


def _kind(name: str, spec: dict[str, Any]) -> tuple[Kind, tuple[Choice, ...]]:
    kind = spec.get("type")
    if kind == "array":
        items = spec.get("items")
        choices = _choices(items) if isinstance(items, dict) else ()
        if not choices:
            raise UnrenderableSchema(f"field {name!r} is a list that is not of fixed choices")
        return "choices", choices
    if kind == "string" and (choices := _choices(spec)):
        return "choice", choices
    if kind in ("string", "integer", "number", "boolean"):
        return kind, ()
    raise UnrenderableSchema(f"field {name!r} has a type a form cannot show ({kind!r})")


def read_value(field: FormField, text: str) -> Any:
    """The value the person typed for one field (``None``: left empty, no default); ``ValueError``
    says what is wrong with it."""
    typed = text.strip()
    if not typed:
        return field.default
    if field.kind == "boolean":
        if typed.lower() in ("y", "yes", "true", "1"):
            return True
        if typed.lower() in ("n", "no", "false", "0"):
            return False
        raise ValueError("answer yes or no")
    if field.kind in ("integer", "number"):
        try:
            value = int(typed) if field.kind == "integer" else float(typed)
        except ValueError:
            raise ValueError(f"{typed!r} is not {'a whole number' if field.kind == 'integer' else 'a number'}") from None
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("give a finite number")
        return value
    if field.kind in ("choice", "choices"):
        words = [w.strip() for w in typed.split(",")] if field.kind == "choices" else [typed]
        by_word = {c.value.lower(): c.value for c in field.choices} | {c.label.lower(): c.value for c in field.choices}
        unknown = [w for w in words if w.lower() not in by_word]
        if unknown:
            raise ValueError(f"{', '.join(unknown)} is not one of the choices")
        values = [by_word[w.lower()] for w in words if w]
        return values if field.kind == "choices" else values[0]
    return typed


def check_form(schema: dict[str, Any], values: dict[str, Any]) -> str | None:
    """What is wrong with the whole answer by the schema (ranges, formats, required), or ``None``."""
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
        validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
        error = jsonschema.exceptions.best_match(validator.iter_errors(values))
    except jsonschema.exceptions.SchemaError as exc:
        return f"the server's form is not valid JSON Schema: {exc.message}"
    except (TypeError, ValueError, RecursionError) as exc:  # a schema valid by the metaschema that still breaks a keyword
        return f"the server's form cannot be checked: {exc}"
    if error is None:
        return None
    where = ".".join(map(str, error.absolute_path))
    return f"{where}: {error.message}" if where else error.message


@dataclass(frozen=True)
class Elicitation:
    """What a front end shows: who asks and why, and the form's fields or the URL to open."""

    server: str
    message: str
    fields: list[FormField] = field(default_factory=list)
    url: str | None = None
    schema: dict[str, Any] = field(default_factory=dict)

    def check(self, values: dict[str, Any]) -> str | None:
        return check_form(self.schema, values)

    def check_field(self, name: str, value: Any) -> str | None:
        """One value against its own part of the schema (a range, a format), asked as it is typed."""
        spec = self.schema.get("properties", {}).get(name, {})
        problem = check_form({"type": "object", "properties": {name: spec}}, {name: value})
        return problem.split(": ", 1)[-1] if problem else None


Elicit = Callable[[Elicitation], Awaitable["tuple[Action, dict[str, Any] | None]"]]
"""A front end's way to ask (a dialog, a field per line): the action, and the values on accept."""


def elicitation_callback(server: str, elicit: Elicit | None, say: Callable[[str], None]):
    """The SDK's ``elicitation_callback`` for one server."""

    async def create(context: ClientRequestContext, params: ElicitRequestParams) -> ElicitResult:
        message = " ".join(params.message.split())
        if elicit is None:
            say(f"the MCP server {server} asked for input ({message}); declined: no one to ask here")
            return ElicitResult(action="decline")
        if not isinstance(params, ElicitRequestFormParams):
            action, _ = await elicit(Elicitation(server, message, url=params.url))
            return ElicitResult(action=action)
        try:
            fields = form_fields(params.requested_schema)
        except UnrenderableSchema as exc:
            say(f"the MCP server {server} asked for input a2ia cannot show ({exc}); declined")
            return ElicitResult(action="decline")
        action, values = await elicit(Elicitation(server, message, fields, schema=params.requested_schema))
        if action != "accept" or values is None or check_form(params.requested_schema, values) is not None:
            return ElicitResult(action="decline" if action == "accept" else action)
        return ElicitResult(action="accept", content=values)

    return create
