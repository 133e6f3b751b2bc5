"""An MCP server's request for input, asked a line at a time (the REPL, a script on a terminal):
who asks and why, then each field with what to type; Ctrl-C cancels, ``n`` declines."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from a2ia.tools.elicitation import Action, Elicitation, read_value

AskLine = Callable[[str], Awaitable["str | None"]]  # None: the person cancelled (Ctrl-C, Ctrl-D)


async def elicit_by_lines(request: Elicitation, ask: AskLine, say: Callable[[str], None]) -> tuple[Action, dict[str, Any] | None]:
    say(f"? the MCP server {request.server} asks: {request.message}")
    if request.url is not None:
        say(f"  open this page to go on: {request.url}")
        reply = await ask("  [y] done, [n] decline")
        return ("cancel", None) if reply is None else ("accept" if reply.strip().lower() in ("y", "yes") else "decline", None)
    reply = await ask(f"  answer its {len(request.fields)} field(s)? [y] yes, [n] decline")
    if reply is None:
        return "cancel", None
    if reply.strip().lower() not in ("y", "yes"):
        return "decline", None
    values: dict[str, Any] = {}
    for field in request.fields:
        while True:
            typed = await ask(f"  {field.question}")
            if typed is None:
                return "cancel", None
            try:
                value = read_value(field, typed)
            except ValueError as exc:
                say(f"  {exc}")
                continue
            if value is None and field.required:
                say("  this one is required")
                continue
            if value is not None and (problem := request.check_field(field.name, value)) is not None:
                say(f"  {problem}")
                continue
            if value is not None:
                values[field.name] = value
            break
    if (problem := request.check(values)) is not None:
        say(f"  the answer does not fit the form ({problem}); declined")
        return "decline", None
    return "accept", values
