"""Custom commands: prompts people keep as files, run as slash commands.

``~/.config/a2ia/commands/`` (the person's own) and ``<workspace>/.a2ia/commands/`` (the
project's, in a trusted folder only: they are project files) hold one command per file, named
by its path: ``review.md`` is ``/review``, ``git/commit.toml`` is ``/git:commit``. Two formats:

- Markdown (Claude Code's): the body is the prompt; optional front matter between ``---``
  lines gives ``description`` (and ``argument-hint``); ``$ARGUMENTS`` is what follows the
  command, ``$1`` … ``$9`` its words.
- TOML (Gemini CLI's): ``prompt`` (required) and ``description``; ``{{args}}`` is what follows
  the command (``$ARGUMENTS`` works too); without a placeholder, the arguments are appended.

A project's command overrides the person's of the same name; neither may take a built-in
command's name. Gemini's ``!{…}`` shell injection is not run: the text is sent as written.
A file that cannot be read or parsed is left out, and said so.
"""

from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from a2ia.paths import PROJECT_DIR, config_dir

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

MAX_COMMAND_BYTES = 64_000
SUFFIXES = (".md", ".toml")


@dataclass(frozen=True)
class CustomCommand:
    name: str  # with its slash: /git:commit
    description: str
    template: str
    style: str  # "markdown" or "toml": how arguments go in
    source: Path
    scope: str  # "user" or "project"

    @property
    def usage(self) -> str:
        return f"{self.name} [ARGUMENTS]"

    def expand(self, arguments: str) -> str:
        """The prompt with the arguments in their places."""
        text = self.template.replace("$ARGUMENTS", arguments)
        if self.style == "toml":
            if "{{args}}" in text:
                text = text.replace("{{args}}", arguments)
            elif arguments and "$ARGUMENTS" not in self.template:
                text = f"{text.rstrip()}\n\n{arguments}"
        try:
            words = shlex.split(arguments)
        except ValueError:
            words = arguments.split()
        for index in range(9, 0, -1):  # $1..$9, longest first so $1 does not eat $10's start
            text = text.replace(f"${index}", words[index - 1] if index <= len(words) else "")
        return text.strip()


def commands_dirs(workspace: Path, project: bool) -> list[tuple[Path, str]]:
    folders = [(config_dir() / "commands", "user")]
    return folders + ([(workspace / PROJECT_DIR / "commands", "project")] if project else [])


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    """``--- key: value … ---`` at the top (the simple form those files use), and the body."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return {}, text
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise ValueError("its front matter has no closing ---") from None
    fields = {}
    for line in lines[1:end]:
        key, sep, value = line.partition(":")
        if sep and key.strip():
            fields[key.strip().lower()] = value.strip().strip("\"'")
    return fields, "\n".join(lines[end + 1 :])


def read_command(path: Path, folder: Path, scope: str) -> CustomCommand:
    """One command file; ``ValueError`` (or ``OSError``) says what is wrong with it."""
    relative = path.relative_to(folder).with_suffix("")
    name = "/" + ":".join(relative.parts)
    data = path.read_bytes()
    if len(data) > MAX_COMMAND_BYTES:
        raise ValueError(f"it is {len(data):,} bytes (at most {MAX_COMMAND_BYTES:,})")
    text = data.decode("utf-8")
    if path.suffix == ".toml":
        table = tomllib.loads(text)
        prompt = table.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            raise ValueError('it has no "prompt" string')
        description = table.get("description")
        return CustomCommand(name, str(description) if description else "", prompt, "toml", path, scope)
    fields, body = _front_matter(text)
    if not body.strip():
        raise ValueError("its prompt is empty")
    return CustomCommand(name, fields.get("description", ""), body, "markdown", path, scope)


def load_commands(workspace: Path, project: bool, taken: set[str]) -> tuple[dict[str, CustomCommand], list[str]]:
    """Every custom command (a project's over the person's), and what to tell the person."""
    found: dict[str, CustomCommand] = {}
    said: list[str] = []
    for folder, scope in commands_dirs(workspace, project):
        if not folder.is_dir():
            continue
        for path in sorted(p for p in folder.rglob("*") if p.suffix in SUFFIXES and p.is_file()):
            try:
                command = read_command(path, folder, scope)
            except (OSError, ValueError, UnicodeDecodeError) as exc:  # tomllib's error is a ValueError
                said.append(f"command file {path} left out: {exc}")
                continue
            if command.name in taken:
                said.append(f"command file {path} left out: {command.name} is a built-in command")
                continue
            found[command.name] = command
    return found, said
