"""Assemble one agent from the settings: client, tools, orchestrator, session.

Every front end (one-shot, stdin script, and later the REPL and TUI) opens its agent here,
so they all run the same parts the same way.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio
import anyio.abc

from a2ia.cli.custom_commands import CustomCommand, load_commands
from a2ia.cli.engine_holder import EngineHolder, open_held
from a2ia.client.base import LLMClient
from a2ia.config import Settings
from a2ia.engines.engine import PullCallback, StatusCallback
from a2ia.errors import ConfigError
from a2ia.hints import setting
from a2ia.orchestrator.checkpoints import Checkpoints
from a2ia.orchestrator.compaction import Summary
from a2ia.orchestrator.context_files import ContextFile, SubfolderContext, context_block, find_context_files
from a2ia.orchestrator.events import Notice
from a2ia.orchestrator.loop import DEFAULT_SYSTEM_PROMPT, Approver, Orchestrator
from a2ia.orchestrator.sampling import Sampler
from a2ia.orchestrator.session import Session
from a2ia.orchestrator.store import SessionFile, checkpoints_dir, find_session, read_session
from a2ia.sandbox.base import Sandbox
from a2ia.sandbox.policy import make_policy
from a2ia.sandbox.support import probe
from a2ia.tools.approval import ApprovalPolicy
from a2ia.tools.builtin import make_builtin_server
from a2ia.tools.edit_preview import edit_preview
from a2ia.tools.elicitation import Elicit, elicitation_callback
from a2ia.tools.grounding import ground
from a2ia.tools.identity import BUILTIN_SERVER
from a2ia.tools.mcp_config import load_servers
from a2ia.tools.registry import ToolRegistry
from a2ia.tools.workspace import Workspace
from a2ia.trust.check import check_trust
from a2ia.types import ChatOptions

if sys.version_info < (3, 11):  # anyio brings the backport
    from exceptiongroup import BaseExceptionGroup

SamplerFor = Callable[[frozenset[str]], Sampler]
"""Makes the session's sampler, given the servers whose config allows sampling unasked."""


@dataclass
class Agent:
    settings: Settings  # as resolved: a concrete backend, the model without its prefix
    orchestrator: Orchestrator
    session: Session
    client: LLMClient
    tools: ToolRegistry
    notices: list[Notice]
    sandbox: Sandbox | None = None
    workspace: Workspace | None = None  # its folders: /add-dir adds one
    context: list[ContextFile] = field(default_factory=list)  # the context files in the system prompt
    commands: dict[str, CustomCommand] = field(default_factory=dict)  # custom commands, by name
    engine: EngineHolder | None = None  # the engine in use (/model and /backend switch it)
    engines: anyio.abc.TaskGroup | None = field(default=None, repr=False)  # where engines are held
    samplers: list[Sampler] = field(default_factory=list, repr=False)  # they use the engine in use
    report: Callable[[str], None] = field(default=lambda text: None, repr=False)  # engine status lines

    @property
    def sandbox_label(self) -> str:
        return self.sandbox.label() if self.sandbox else "no sandbox"


def open_workspace(settings: Settings) -> Workspace:
    try:
        workspace = Workspace(settings.workspace)
    except NotADirectoryError as exc:
        raise ConfigError(str(exc), hint=f"give an existing folder with {setting('workspace')}") from None
    try:
        for folder in settings.add_dirs:
            workspace.add(folder)
    except NotADirectoryError as exc:
        raise ConfigError(str(exc), hint=f"give existing folders with {setting('add_dirs')}") from None
    return workspace


def system_prompt(workspace: Workspace, context: Sequence[ContextFile] = ()) -> str:
    """The default system prompt, naming the workspace's folders, then the context files."""
    prompt = DEFAULT_SYSTEM_PROMPT.format(root=workspace.root)
    if workspace.added:
        prompt += f" You may also use these folders, by absolute path: {', '.join(map(str, workspace.added))}."
    return f"{prompt}\n\n{context_block(list(context))}" if context else prompt


def open_sandbox(settings: Settings, workspace: Workspace) -> tuple[Sandbox | None, Notice | None]:
    """The session's sandbox, or None (``sandbox = "off"``, or the machine cannot: then a notice)."""
    if settings.sandbox == "off":
        return None, None
    support = probe(settings.sandbox_backend)
    if not support.available:
        return None, Notice(level="warning", text=f"{support.detail}; shell commands run as you, and ask first")
    writable = (*settings.sandbox_writable, *map(str, workspace.added))
    policy = make_policy(settings.sandbox, workspace.root, writable, settings.sandbox_deny_read, settings.sandbox_network)
    sandbox = support.sandbox(policy)
    partial = Notice(level="warning", text=f"{support.detail}") if support.backend == "landlock" else None
    return sandbox, partial


def approval_mode(settings: Settings, sandbox: Sandbox | None) -> str:
    """The approval mode in effect: as set, else ``auto`` where commands are sandboxed, else ``ask``."""
    return settings.approval or ("auto" if sandbox is not None else "ask")


@asynccontextmanager
async def open_tools(
    settings: Settings, workspace: Workspace, sandbox: Sandbox | None = None, sampler: SamplerFor | None = None,
    elicitation: Callable[[str], Any] | None = None,
) -> AsyncIterator[ToolRegistry]:
    """The builtin server and every configured MCP server, connected concurrently. With a
    ``sampler`` (a session's, given the servers configured ``"sampling": true``) servers may
    sample; with ``elicitation`` they may ask the person for input."""
    servers = load_servers(workspace.root, settings.mcp_config, include_project=settings.project_trusted)
    sampling = sampler(frozenset(n for n, s in servers.items() if getattr(s, "sampling", False))) if sampler else None
    async with ToolRegistry(sandbox=sandbox, roots=lambda: workspace.roots, sampling=sampling.callback if sampling else None,
                            elicitation=elicitation) as tools:
        # The builtin server is added last: no configured name can take its place (mcp_config
        # also refuses the name), and its identity is its in-process object, not the name.
        await tools.add_servers({**servers, BUILTIN_SERVER.name: make_builtin_server(workspace, sandbox=sandbox)})
        yield tools


def trust_notice(settings: Settings) -> Notice | None:
    """The one line said when the workspace's own files are ignored (not trusted, changed)."""
    if settings.project_trusted:
        return None
    text = check_trust(settings.workspace, once=settings.trust).notice()
    return Notice(level="warning", text=text) if text else None


@asynccontextmanager
async def open_agent(
    settings: Settings,
    approver: Approver | None = None,
    on_status: StatusCallback | None = None,
    on_pull: PullCallback | None = None,
    elicit: Elicit | None = None,
) -> AsyncIterator[Agent]:
    """The agent, its engine made ready first (``open_engine``: selection, server start, pull).

    Engine status lines go to ``on_status`` as they happen (a server start takes minutes);
    without it they are kept as notices for the front end to show once the agent is open.
    ``elicit``: how the front end asks the person for an MCP server's input (none: declined).
    """
    workspace = open_workspace(settings)
    sandbox, no_sandbox = open_sandbox(settings, workspace)
    notices: list[Notice] = [n for n in [trust_notice(settings), no_sandbox] if n]
    report = on_status or (lambda text: notices.append(Notice(text=text)))
    try:
        async with anyio.create_task_group() as engines:
            async with _agent_in(engines, settings, workspace, sandbox, notices, report, approver, on_pull, elicit) as agent:
                yield agent
    except BaseExceptionGroup as group:  # the task group wraps what the body raised: the error itself goes on
        if len(group.exceptions) == 1:
            raise group.exceptions[0] from None
        raise


@asynccontextmanager
async def _agent_in(engines: anyio.abc.TaskGroup, settings: Settings, workspace: Workspace, sandbox: Sandbox | None,
                    notices: list[Notice], report: Callable[[str], None], approver: Approver | None,
                    on_pull: PullCallback | None, elicit: Elicit | None) -> AsyncIterator[Agent]:
    """The agent, its first engine held in ``engines`` (where a switch holds the next)."""
    holder = await open_held(engines, settings, report, on_pull)
    settings, client = holder.settings, holder.client
    assert client is not None
    samplers: list[Sampler] = []

    def sampler(allowed: frozenset[str]) -> Sampler:
        samplers.append(Sampler(client, approver, allowed=allowed, max_tokens=settings.sampling_max_tokens,
                                show=lambda notice: report(notice.text)))
        return samplers[-1]

    def elicitation(server: str) -> Any:
        return elicitation_callback(server, elicit, report)

    agent: Agent | None = None
    try:
        async with open_tools(settings, workspace, sandbox, sampler, elicitation) as tools:
            notices += [
                Notice(level="warning", text=f"MCP server {s.name!r} is not available: {s.error}")
                for s in tools.statuses()
                if s.state == "failed"
            ]
            agent = _assemble(settings, workspace, client, tools, notices, approver, sandbox)
            agent.engine, agent.engines, agent.samplers, agent.report = holder, engines, samplers, report
            try:
                yield agent
            finally:
                agent.session.close()
    finally:  # the engine in use then (a switch may have replaced the first)
        (agent.engine if agent is not None and agent.engine is not None else holder).close()


def _assemble(
    settings: Settings,
    workspace: Workspace,
    client: LLMClient,
    tools: ToolRegistry,
    notices: list[Notice],
    approver: Approver | None,
    sandbox: Sandbox | None,
) -> Agent:
    context, said = find_context_files(workspace.root, project=settings.project_trusted)
    from a2ia.cli.commands import COMMANDS  # the table imports this module: the names, once it is loaded

    commands, said_too = load_commands(workspace.root, settings.project_trusted, set(COMMANDS))
    notices += [Notice(level="warning", text=text) for text in [*said, *said_too]]
    policy = ApprovalPolicy(
        mode=approval_mode(settings, sandbox), allow=settings.allow_tools, deny=settings.deny_tools, sandboxed=sandbox is not None
    )
    orchestrator = Orchestrator(
        client,
        tools,
        system_prompt=system_prompt(workspace, context),
        max_steps=settings.max_steps,
        options=ChatOptions(temperature=settings.temperature, seed=settings.seed, max_tokens=settings.max_tokens),
        mode="react" if settings.react else "auto",
        fallback_window=settings.n_ctx,
        approval=policy,
        grounding=functools.partial(ground, root=workspace.root),
        subfolders=SubfolderContext(workspace.root) if settings.project_trusted else None,
        preview=functools.partial(edit_preview, workspace),
        locate=workspace.locate,
        vision=settings.vision,
        approver=approver,
    )
    return Agent(settings, orchestrator, open_session(settings, notices), client, tools, notices, sandbox, workspace, context,
                 commands)


def open_session(settings: Settings, notices: list[Notice]) -> Session:
    """A resumed session (``--resume``), else a new one saved as it goes (unless turned off)."""
    if settings.resume:
        path = find_session(settings.resume)
        loaded = read_session(path)
        notices.extend(Notice(level="warning", text=w) for w in loaded.warnings)
        notices.append(Notice(text=f"resumed session {loaded.header.get('id', path.stem)} ({len(loaded.messages)} messages)"))
        session = Session(id=loaded.header.get("id", path.stem), messages=loaded.messages)
        session.state.checkpoints = Checkpoints(checkpoints_dir(session.id))  # /undo reaches the turns before it
        session.state.turn = sum(m.role == "user" for m in loaded.messages)
        if loaded.summary is not None:  # the conversation goes on from its last compaction
            upto, text, said = loaded.summary
            session.state.summary = Summary(text, upto, said)
        try:
            session.file = SessionFile.reopen(path)
        except OSError as exc:
            notices.append(Notice(level="warning", text=f"cannot append to {path}: {exc.strerror}; this session goes on unsaved"))
        return session
    session = Session()
    if settings.save_sessions:
        header = {"backend": settings.backend, "model": settings.model or "default", "workspace": str(settings.workspace)}
        session.state.checkpoints = Checkpoints(checkpoints_dir(session.id))
        try:
            session.file = SessionFile.create(session.id, header)
        except OSError as exc:
            notices.append(Notice(level="warning", text=f"cannot save this session ({exc.strerror or exc}); it goes on unsaved"))
    return session
