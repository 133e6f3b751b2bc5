"""What Tab completes, in every front end: a slash command's name (the table's and the MCP
servers' prompts), a prompt's argument (from its server's ``completion/complete``), and an
``@<server>:<uri>`` resource mention anywhere in the line (from the servers' listings)."""

from __future__ import annotations

from a2ia.cli.commands import COMMANDS
from a2ia.cli.runtime import Agent
from a2ia.tools.prompts import argument_at

MAX_SHOWN = 100


def command_names(agent: Agent | None) -> list[str]:
    """The table's commands, the connected servers' prompts, and the custom commands."""
    prompts = [p.command for p in agent.tools.prompts()] if agent is not None else []
    custom = list(getattr(agent, "commands", {})) if agent is not None else []
    return sorted({*COMMANDS, *prompts, *custom})


def completes(text: str) -> bool:
    """Whether Tab completes here rather than moving on: a command, or a mention being typed."""
    return text.startswith("/") or bool(text and not text[-1].isspace() and text.split()[-1].startswith("@"))


async def complete_line(agent: Agent | None, line: str) -> tuple[str, list[str]]:
    """What Tab offers at the end of ``line``: the part it replaces, and the candidates."""
    last = line.rsplit(None, 1)[-1] if line.strip() and not line[-1].isspace() else ""
    if last.startswith("@"):
        return last, mention_candidates(agent, last)
    command, space, rest = line.partition(" ")
    if not line.startswith("/"):
        return "", []
    if not space:
        return command, [name for name in command_names(agent) if name.startswith(command)]
    prompt = agent.tools.prompt(command) if agent is not None else None
    at = argument_at(prompt, rest) if prompt is not None else None
    if agent is None or prompt is None or at is None:
        return "", []
    return at.typed, [v for v in await agent.tools.complete_argument(prompt, at) if v.startswith(at.typed)]


def mention_candidates(agent: Agent | None, typed: str) -> list[str]:
    """``@se`` → ``@server:``; ``@server:no`` → that server's resource URIs and the fixed start of
    its templates (the person types the rest)."""
    if agent is None:
        return []
    tools = agent.tools
    if ":" not in typed:
        return [f"@{name}:" for name in tools.resource_servers() if f"@{name}:".startswith(typed)]
    server = typed[1:].split(":", 1)[0]
    words = [r.mention for r in tools.resources() if r.server == server]
    words += [f"@{t.server}:{t.prefix}" for t in tools.templates() if t.server == server and t.prefix]
    return sorted({w for w in words if w.startswith(typed)})[:MAX_SHOWN]
