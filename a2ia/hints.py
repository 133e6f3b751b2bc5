"""Hints that name the setting which fixes a problem; each front end says how to change it.

A layer below the front ends knows *which setting* would help (``max_steps``, ``react``,
``approval = yolo``) but not how this person can change it: a flag on the command line, a
slash command in the TUI and the REPL, a key in ``config.toml``. So it writes
``setting("max_steps")`` into its hint or notice, and the front end shows the text through
``word(text, wording)``, which turns each mark into its own words (``cli/wording.py``).

A mark is ``\\x1e`` name [``=`` value] ``\\x1e``: the record separator, which no hint is
written with. Text shown without a front end (``str`` of an error, a log line) is worded by
``in_settings_terms``, as the settings file names things.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_SEP = "\x1e"
_MARK = re.compile(f"{_SEP}([a-z][a-z_]*)(?:=([^{_SEP}]*))?{_SEP}")

Wording = Callable[[str, "str | None"], str]
"""How a front end names a setting: ``(name, value)`` → text. ``value`` None means "turn it on"
for a switch, or "change it" for any other setting."""


def setting(name: str, value: str | None = None) -> str:
    """The mark for one setting (a field of ``a2ia.config.Settings``), optionally with a value."""
    if not re.fullmatch(r"[a-z][a-z_]*", name) or (value is not None and _SEP in value):
        raise ValueError(f"not a setting mark: {name!r}={value!r}")
    return f"{_SEP}{name}{_SEP}" if value is None else f"{_SEP}{name}={value}{_SEP}"


def word(text: str, wording: Wording) -> str:
    """``text`` with each setting mark put in ``wording``'s words."""
    if _SEP not in text:
        return text
    return _MARK.sub(lambda m: wording(m.group(1), m.group(2)), text).replace(_SEP, "")


def in_settings_terms(name: str, value: str | None) -> str:
    """A setting as ``config.toml`` spells it: ``max_steps``, ``approval = "yolo"``, ``react = true``."""
    if value is None:
        return name
    return f'{name} = "{value}"'


def plain(text: str) -> str:
    """``text`` worded for a reader outside any front end (an error's ``str``, a log line)."""
    return word(text, in_settings_terms)


def named_settings(text: str) -> list[tuple[str, str | None]]:
    """The settings ``text`` names, in order (for tests and ``doctor``)."""
    return [(m.group(1), m.group(2)) for m in _MARK.finditer(text)]
