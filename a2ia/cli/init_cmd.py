"""``/init``: a starter ``AGENTS.md`` for the workspace, drafted by the session's model from what
the folder shows (its listing, its README, its build files), and written only when the person
says yes after reading it. Without anyone to ask (a script) the draft is shown, not written.

The person read and approved what is written, so a folder whose project files applied before
(trusted, or with none) stays trusted with it; in any other folder trust is left as it was.
"""

from __future__ import annotations

from pathlib import Path

from a2ia.cli.runtime import Agent, system_prompt
from a2ia.cli.trust_prompt import record_trust
from a2ia.errors import A2iaError
from a2ia.orchestrator.context_files import find_context_files
from a2ia.trust.check import check_trust
from a2ia.types import ChatOptions, Message

BUILD_FILES = ("pyproject.toml", "package.json", "Cargo.toml", "go.mod", "Makefile", "setup.cfg", "justfile", "CMakeLists.txt")
MAX_LISTED = 80
MAX_FILE_LINES = 60
DRAFT_TOKENS = 1024
ASK = (
    "Write an AGENTS.md for the project below: the instructions a coding agent needs to work in it. "
    "Sections: Overview (what it is, in two sentences), Build and test (the exact commands), Layout "
    "(the main folders and what is in them), Conventions (style and rules the files show). Only what "
    "the files below support; under 60 lines. Reply with the file's Markdown only."
)


def _head(path: Path) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[:MAX_FILE_LINES])
    except OSError:
        return ""


def describe_workspace(root: Path) -> str:
    """What the model is shown of the folder: names at its top, the README's start, build files."""
    entries = sorted(root.iterdir(), key=lambda p: (not p.is_dir(), p.name))
    shown = [f"{p.name}/" if p.is_dir() else p.name for p in entries if not p.name.startswith(".")][:MAX_LISTED]
    parts = [f"Files at the top of {root.name}/:\n" + "\n".join(shown)]
    readme = next((p for p in entries if p.name.lower().startswith("readme") and p.is_file()), None)
    for path in ([readme] if readme else []) + [root / name for name in BUILD_FILES if (root / name).is_file()]:
        parts.append(f"--- {path.name} (first {MAX_FILE_LINES} lines) ---\n{_head(path)}")
    return "\n\n".join(parts)


def _unfenced(text: str) -> str:
    lines = text.strip().splitlines()
    if len(lines) >= 2 and lines[0].startswith("```") and lines[-1].strip() == "```":
        lines = lines[1:-1]
    return "\n".join(lines).strip() + "\n"


async def init_agents_file(agent: Agent, ask) -> str:
    """Draft, show, ask, write; what to tell the person."""
    workspace = agent.workspace
    if workspace is None:
        return "no workspace"
    target = workspace.root / "AGENTS.md"
    if target.exists():
        return f"{target} already exists; edit it, or remove it and run /init again"
    request = [Message.system(ASK), Message.user(describe_workspace(workspace.root))]
    try:
        reply = await agent.client.chat(request, (), ChatOptions(max_tokens=DRAFT_TOKENS, temperature=0.2))
    except A2iaError as exc:
        return f"/init: the model could not draft it: {exc.message}"
    draft = _unfenced(reply.content)
    if not draft.strip():
        return "/init: the model's draft was empty; nothing written"
    if ask is None:
        return f"{draft}\n(not written: no one to ask here; save it as {target} yourself, or run /init in the TUI or REPL)"
    answer = await ask(f"{draft}\nWrite this to {target}? (yes/no)")
    if (answer or "").strip().lower() not in ("y", "yes"):
        return "/init: nothing written"
    applied = check_trust(workspace.root).state in ("none", "trusted")
    target.write_text(draft, encoding="utf-8")
    if applied:
        record_trust(workspace.root)  # the person approved these exact words
    agent.context, said = find_context_files(workspace.root, project=applied or agent.settings.project_trusted)
    agent.orchestrator.system_prompt = system_prompt(workspace, agent.context)
    kept = "; the model gets it from now on" if any(f.path == target for f in agent.context) else ""
    return "\n".join([f"wrote {target} ({len(draft.splitlines())} lines){kept}", *said])
