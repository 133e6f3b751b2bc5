"""Assemble one agent from the settings: client, tools, orchestrator, session.

Every front end (one-shot, stdin script, and later the REPL and TUI) opens its agent here,
so they all run the same parts the same way.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from a2ia.client.base import LLMClient
from a2ia.config import Settings
from a2ia.engines.select import open_client
from a2ia.errors import ConfigError
from a2ia.orchestrator.loop import DEFAULT_SYSTEM_PROMPT, Orchestrator
from a2ia.orchestrator.session import Session
from a2ia.tools.builtin import make_builtin_server
from a2ia.tools.registry import ToolRegistry
from a2ia.tools.workspace import Workspace
from a2ia.types import ChatOptions


@dataclass
class Agent:
    orchestrator: Orchestrator
    session: Session
    client: LLMClient
    tools: ToolRegistry


@asynccontextmanager
async def open_agent(settings: Settings) -> AsyncIterator[Agent]:
    try:
        workspace = Workspace(settings.workspace)
    except NotADirectoryError as exc:
        raise ConfigError(str(exc), hint="pass an existing folder with --workspace") from None
    client = open_client(settings)
    async with client, ToolRegistry() as tools:
        await tools.add_server("a2ia", make_builtin_server(workspace))
        orchestrator = Orchestrator(
            client,
            tools,
            system_prompt=DEFAULT_SYSTEM_PROMPT.format(root=workspace.root),
            max_steps=settings.max_steps,
            options=ChatOptions(temperature=settings.temperature, seed=settings.seed),
            mode="react" if settings.react else "auto",
            fallback_window=settings.n_ctx,
        )
        yield Agent(orchestrator, Session(), client, tools)
