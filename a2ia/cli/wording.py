"""How each front end names a setting that a hint points to (``a2ia.hints``).

On the command line a setting is its flag (``--max-steps``, ``--approval yolo``), or its
``A2IA_*`` variable where it has no flag. In the TUI and the REPL it is the slash command
that changes it in the running session (``/approval yolo``, ``/react on``), else its key in
``config.toml``; a setting no file may set (``trust``) is the flag for the next start.
"""

from __future__ import annotations

import functools
import json
import shlex
import typing

import click

from a2ia.hints import word


@functools.cache
def _flags() -> dict[str, tuple[str, bool]]:
    """Each setting's flag on the main command, and whether it is a switch (takes no value)."""
    from a2ia.cli.main import cli

    flags = {}
    for param in cli.params:
        if isinstance(param, click.Option) and param.name:
            longest = max(param.opts, key=len)
            flags[param.name] = (longest, param.is_flag)
    return flags


def _env(name: str, value: str | None) -> str:
    return f"A2IA_{name.upper()}={shlex.quote(value) if value is not None else '1'}"


def cli_terms(name: str, value: str | None) -> str:
    """``--max-steps``, ``--approval yolo``, ``A2IA_ALLOW_TOOLS=read_file``."""
    flag = _flags().get(name)
    if flag is None:
        return _env(name, value)
    option, switch = flag
    return option if switch or value is None else f"{option} {shlex.quote(value)}"


def toml_terms(name: str, value: str | None) -> str:
    """The setting as ``config.toml`` spells it: ``max_steps``, ``debug = true``, ``allow_tools = ["x"]``."""
    from a2ia.config import Settings

    field = Settings.model_fields.get(name)
    annotation = field.annotation if field else str
    if value is None:
        return f"{name} = true" if annotation is bool else name
    if typing.get_origin(annotation) is tuple:
        return f"{name} = {json.dumps([value])}"
    if annotation is int and value.isdigit():
        return f"{name} = {value}"
    return f"{name} = {json.dumps(value)}"


def interactive_terms(name: str, value: str | None) -> str:
    """``/approval yolo``, ``/react on``, ``max_steps in config.toml``, ``--trust (next start)``."""
    from a2ia.cli.commands import COMMANDS
    from a2ia.config import NOT_IN_FILES

    for command in COMMANDS.values():
        if command.sets == name:
            shown = "on" if value is None and _flags().get(name, ("", False))[1] else value
            return f"{command.name} {shown}" if shown else command.name
    if name in NOT_IN_FILES:
        return f"{cli_terms(name, value)} when you next start a2ia"
    return f"{toml_terms(name, value)} in config.toml"


def for_cli(text: str) -> str:
    return word(text, cli_terms)


def for_interactive(text: str) -> str:
    return word(text, interactive_terms)
