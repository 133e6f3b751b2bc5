"""MCP prompts as slash commands: ``/<server>:<prompt> [arguments]``.

A server's prompt is a template its author wrote for a task ("review this diff", "explain this
error"). The person runs it by name; a2ia gets it from the server with the arguments given and
its messages become the person's turn. Arguments are given in order (shell quoting), or as
``name=value``; a prompt with one argument takes the whole rest of the line, as typed.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from mcp_types import Prompt

from a2ia.errors import ConfigError


@dataclass(frozen=True)
class PromptArgument:
    name: str
    description: str
    required: bool


@dataclass(frozen=True)
class ServerPrompt:
    server: str
    name: str
    description: str
    arguments: tuple[PromptArgument, ...]

    @property
    def command(self) -> str:
        return f"/{self.server}:{self.name}"

    @property
    def usage(self) -> str:
        shown = [f"<{a.name}>" if a.required else f"[{a.name}]" for a in self.arguments]
        return " ".join([self.command, *shown])


def server_prompt(server: str, prompt: Prompt) -> ServerPrompt:
    """The prompt as a2ia shows and runs it (the server's text is the server's: shown, never run)."""
    arguments = tuple(
        PromptArgument(a.name, " ".join((a.description or "").split()), bool(a.required)) for a in prompt.arguments or ()
    )
    description = " ".join((prompt.description or prompt.title or "").split())
    return ServerPrompt(server, prompt.name, description, arguments)


def bind_arguments(prompt: ServerPrompt, text: str) -> dict[str, str]:
    """The arguments ``text`` gives the prompt; a ``ConfigError`` says what is missing or wrong."""
    bound = read_arguments(prompt, text)
    if missing := missing_arguments(prompt, bound):
        raise ConfigError(f"{prompt.command} needs {', '.join(a.name for a in missing)}", hint=prompt.usage)
    return bound


def read_arguments(prompt: ServerPrompt, text: str) -> dict[str, str]:
    """What ``text`` gives, required arguments missing or not (a front end may ask for them)."""
    raw = text.strip()
    if len(prompt.arguments) == 1:  # the whole rest of the line, as typed (quotes and all)
        only = prompt.arguments[0].name
        value = raw[len(only) + 1 :] if raw.startswith(f"{only}=") else raw
        return {only: value} if value else {}
    return _bind_words(prompt, raw)


def missing_arguments(prompt: ServerPrompt, bound: dict[str, str]) -> list[PromptArgument]:
    return [a for a in prompt.arguments if a.required and a.name not in bound]


def _bind_words(prompt: ServerPrompt, raw: str) -> dict[str, str]:
    try:
        words = shlex.split(raw)
    except ValueError as exc:  # an unclosed quote
        raise ConfigError(f"{prompt.command}: cannot read the arguments ({exc})", hint=prompt.usage) from None
    names = {a.name for a in prompt.arguments}
    bound: dict[str, str] = {}
    positional: list[str] = []
    for word in words:
        name, sep, value = word.partition("=")
        if sep and name in names:
            bound[name] = value
        else:
            positional.append(word)
    free = [a for a in prompt.arguments if a.name not in bound]
    if len(positional) > len(free):
        raise ConfigError(f"{prompt.command} takes {len(prompt.arguments)} argument(s), got more", hint=prompt.usage)
    bound.update({argument.name: word for argument, word in zip(free, positional, strict=False)})
    return bound


@dataclass(frozen=True)
class ArgumentAt:
    """The argument a half-typed line is at: its name, what is typed of it, the ones before it."""

    name: str
    typed: str
    given: dict[str, str]


def argument_at(prompt: ServerPrompt, text: str) -> ArgumentAt | None:
    """Where the end of ``text`` (the line after the command) is: ``name=val…`` or the next free
    argument by position; ``None`` past the last one. Quotes are not read here: completion offers
    plain words."""
    *done, typed = text.split(" ") if text else [""]
    names = [a.name for a in prompt.arguments]
    given: dict[str, str] = {}
    positional = 0
    for word in (w for w in done if w):
        name, sep, value = word.partition("=")
        if sep and name in names:
            given[name] = value
        else:
            positional += 1
    name, sep, value = typed.partition("=")
    if sep and name in names:
        return ArgumentAt(name, value, given)
    free = [n for n in names if n not in given]
    if positional >= len(free):
        return None
    given.update(zip(free, (w for w in done if w and "=" not in w), strict=False))
    return ArgumentAt(free[positional], typed, given)
