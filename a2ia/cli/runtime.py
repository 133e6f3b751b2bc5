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
from a2ia.engines.engine import PullCallback, StatusCallback, open_engine
from a2ia.engines.select import open_client
from a2ia.errors import ConfigError
from a2ia.orchestrator.events import Notice
from a2ia.orchestrator.loop import DEFAULT_SYSTEM_PROMPT, Approver, Orchestrator
from a2ia.orchestrator.session import Session
from a2ia.orchestrator.store import SessionFile, find_session, read_session
from a2ia.tools.approval import ApprovalPolicy
from a2ia.tools.builtin import make_builtin_server
from a2ia.tools.mcp_config import load_servers
from a2ia.tools.registry import ToolRegistry
from a2ia.tools.workspace import Workspace
from a2ia.types import ChatOptions


@dataclass
class Agent:
    settings: Settings  # as resolved: a concrete backend, the model without its prefix
    orchestrator: Orchestrator
    session: Session
    client: LLMClient
    tools: ToolRegistry
    notices: list[Notice]


def open_workspace(settings: Settings) -> Workspace:
    try:
        return Workspace(settings.workspace)
    except NotADirectoryError as exc:
        raise ConfigError(str(exc), hint="pass an existing folder with --workspace") from None


@asynccontextmanager
async def open_tools(settings: Settings, workspace: Workspace) -> AsyncIterator[ToolRegistry]:
    """The builtin server and every configured MCP server, connected concurrently."""
    servers = load_servers(workspace.root, settings.mcp_config)
    async with ToolRegistry() as tools:
        await tools.add_servers({"a2ia": make_builtin_server(workspace), **servers})
        yield tools


@asynccontextmanager
async def open_agent(
    settings: Settings,
    approver: Approver | None = None,
    on_status: StatusCallback | None = None,
    on_pull: PullCallback | None = None,
) -> AsyncIterator[Agent]:
    """The agent, its engine made ready first (``open_engine``: selection, server start, pull).

    Engine status lines go to ``on_status`` as they happen (a server start takes minutes);
    without it they are kept as notices for the front end to show once the agent is open.
    """
    workspace = open_workspace(settings)
    notices: list[Notice] = []
    report = on_status or (lambda text: notices.append(Notice(text=text)))
    async with open_engine(settings, report, on_pull) as settings:
        client = open_client(settings)
        async with client, open_tools(settings, workspace) as tools:
            notices += [
                Notice(level="warning", text=f"MCP server {s.name!r} is not available: {s.error}")
                for s in tools.statuses()
                if s.state == "failed"
            ]
            agent = _assemble(settings, workspace, client, tools, notices, approver)
            try:
                yield agent
            finally:
                agent.session.close()


def _assemble(
    settings: Settings,
    workspace: Workspace,
    client: LLMClient,
    tools: ToolRegistry,
    notices: list[Notice],
    approver: Approver | None,
) -> Agent:
    policy = ApprovalPolicy(mode=settings.approval, allow=settings.allow_tools, deny=settings.deny_tools)
    orchestrator = Orchestrator(
        client,
        tools,
        system_prompt=DEFAULT_SYSTEM_PROMPT.format(root=workspace.root),
        max_steps=settings.max_steps,
        options=ChatOptions(temperature=settings.temperature, seed=settings.seed),
        mode="react" if settings.react else "auto",
        fallback_window=settings.n_ctx,
        approval=policy,
        approver=approver,
    )
    return Agent(settings, orchestrator, open_session(settings, notices), client, tools, notices)


def open_session(settings: Settings, notices: list[Notice]) -> Session:
    """A resumed session (``--resume``), else a new one saved as it goes (unless turned off)."""
    if settings.resume:
        path = find_session(settings.resume)
        loaded = read_session(path)
        notices.extend(Notice(level="warning", text=w) for w in loaded.warnings)
        notices.append(Notice(text=f"resumed session {loaded.header.get('id', path.stem)} ({len(loaded.messages)} messages)"))
        session = Session(id=loaded.header.get("id", path.stem), messages=loaded.messages)
        try:
            session.file = SessionFile.reopen(path)
        except OSError as exc:
            notices.append(Notice(level="warning", text=f"cannot append to {path}: {exc.strerror}; this session goes on unsaved"))
        return session
    session = Session()
    if settings.save_sessions:
        header = {"backend": settings.backend, "model": settings.model or "default", "workspace": str(settings.workspace)}
        try:
            session.file = SessionFile.create(session.id, header)
        except OSError as exc:
            notices.append(Notice(level="warning", text=f"cannot save this session ({exc.strerror or exc}); it goes on unsaved"))
    return session
