"""Slash commands, one table for every front end (stdin scripts, the line REPL, the TUI).

A command gets the running ``Agent`` and the text after its name, and returns what to show
(plain text), whether the front end should stop, and a turn to run (an MCP prompt's text, as
the person's). No command talks to a terminal itself. Besides the table, every MCP server's
prompts are commands: ``/<server>:<prompt> [arguments]`` (``tools/prompts.py``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from a2ia.backends import BACKEND_CHOICES, PREFIXES
from a2ia.cli.context_cmd import context_report
from a2ia.cli.engine_holder import open_held
from a2ia.cli.init_cmd import init_agents_file
from a2ia.cli.runtime import Agent, open_session, system_prompt
from a2ia.config import Settings
from a2ia.errors import A2iaError, ConfigError, ServerRequestFailed
from a2ia.orchestrator.events import Notice
from a2ia.orchestrator.store import list_sessions
from a2ia.tools.approval import APPROVAL_MODES
from a2ia.tools.prompts import ServerPrompt, bind_arguments, missing_arguments, read_arguments


@dataclass(frozen=True)
class Outcome:
    text: str = ""
    quit: bool = False
    turn: str | None = None  # run as the person's turn (an MCP prompt's last message of theirs)
    typed: bool = False  # the turn is the person's own words (its @server:uri mentions attach)


Handler = Callable[[Agent, Settings, str], Awaitable[Outcome]]


@dataclass(frozen=True)
class Command:
    name: str
    usage: str
    help: str
    run: Handler
    sets: str | None = None  # the setting it changes for the running session (hints name it)
    asks: bool = False  # its handler takes the front end's ``ask`` too (a question on the terminal)


async def _help(agent: Agent, settings: Settings, arg: str) -> Outcome:
    rows = [(c.usage, c.help) for c in dict.fromkeys(COMMANDS.values())]  # /exit is /quit: shown once
    rows += [(p.usage, p.description or f"a prompt of the MCP server {p.server}") for p in agent.tools.prompts()]
    rows += [(c.usage, c.description or f"{OWNER[c.scope]} command ({c.source})") for c in agent.commands.values()]
    width = max(len(usage) for usage, _ in rows)
    return Outcome("\n".join(f"{usage.ljust(width)}  {text}" for usage, text in rows))


async def _tools(agent: Agent, settings: Settings, arg: str) -> Outcome:
    lines = []
    for spec in agent.tools.specs():
        mark = "read-only" if spec.annotations.read_only else "asks first" if agent.orchestrator.approval.mode != "yolo" else "runs"
        lines.append(f"{spec.name} [{spec.server}] ({mark}) {spec.description.splitlines()[0] if spec.description else ''}")
    failed = [s for s in agent.tools.statuses() if s.state == "failed"]
    lines += [f"(server {s.name} not available: {s.error})" for s in failed]
    return Outcome("\n".join(lines) or "no tools")


async def _resources(agent: Agent, settings: Settings, arg: str) -> Outcome:
    lines = []
    for resource in agent.tools.resources():
        about = " — ".join(t for t in (resource.name, resource.description) if t and t != resource.uri)
        lines.append(f"{resource.mention}  {about}".rstrip())
    for template in agent.tools.templates():
        about = " — ".join(t for t in (template.name, template.description) if t)
        lines.append(f"@{template.server}:{template.uri_template}  (template) {about}".rstrip())
    if not lines:
        return Outcome("no MCP server offers resources")
    return Outcome("\n".join([*lines, "attach one by writing its @server:uri in a message"]))


async def _add_dir(agent: Agent, settings: Settings, arg: str) -> Outcome:
    workspace = agent.workspace
    if workspace is None or not arg.strip():
        folders = ", ".join(map(str, workspace.roots)) if workspace else "none"
        return Outcome(f"the folders a2ia works in: {folders}\nadd one with /add-dir PATH")
    try:
        added = workspace.add(arg.strip())
    except NotADirectoryError as exc:
        return Outcome(str(exc))
    if not added:
        return Outcome(f"{arg.strip()} is already inside a folder a2ia works in")
    agent.orchestrator.system_prompt = system_prompt(workspace, agent.context)
    told = await agent.tools.roots_changed()
    return Outcome(
        f"added {workspace.added[-1]}: the file tools reach it, and MCP servers get it as a root"
        + (f" ({', '.join(told)} told it changed)" if told else "")
        + "\nsandboxed commands still write only where they could; to let them write there, start with --add-dir"
    )


async def _compact(agent: Agent, settings: Settings, arg: str) -> Outcome:
    return Outcome((await agent.orchestrator.compact(agent.session, arg.strip())).text)


async def _plan(agent: Agent, settings: Settings, arg: str) -> Outcome:
    agent.orchestrator.approval.set_mode("plan")
    text = "plan mode: only read-only tools; the model answers with a plan; /go carries it out"
    return Outcome(text, turn=arg.strip() or None, typed=True)


async def _go(agent: Agent, settings: Settings, arg: str) -> Outcome:
    policy = agent.orchestrator.approval
    if policy.mode != "plan":
        return Outcome("not in plan mode (/plan starts it)")
    mode = policy.leave_plan()
    return Outcome(f"approval mode: {mode}; carrying out the plan", turn=arg.strip() or GO_TURN, typed=bool(arg.strip()))


async def _undo(agent: Agent, settings: Settings, arg: str) -> Outcome:
    count = int(arg) if arg.strip().isdigit() else 1
    lines = agent.session.state.checkpoints.undo(count)
    if any(line.startswith(("restored", "removed")) for line in lines):
        agent.session.state.pending_note = "[a2ia: the person undid file changes: " + "; ".join(lines) + "]"
    return Outcome("\n".join(lines))


async def _changes(agent: Agent, settings: Settings, arg: str) -> Outcome:
    return Outcome(agent.session.state.checkpoints.listing())


async def _init(agent: Agent, settings: Settings, arg: str, ask: Ask | None = None) -> Outcome:
    return Outcome(await init_agents_file(agent, ask))


async def _context(agent: Agent, settings: Settings, arg: str) -> Outcome:
    return Outcome(await context_report(agent))


async def _model(agent: Agent, settings: Settings, arg: str) -> Outcome:
    if arg.strip():
        return Outcome(await switch_engine(agent, {"model": arg.strip()}))
    caps = await agent.client.capabilities()
    window = f"{caps.context_length:,} tokens" if caps.context_length else "unknown"
    native = ("yes" + (f", {caps.tool_format} syntax" if caps.tool_format else "")) if caps.native_tools else "no"
    return Outcome(f"model {caps.model_id} (context {window}; native tools {native}); /model NAME switches")


async def _backend(agent: Agent, settings: Settings, arg: str) -> Outcome:
    if arg.strip():
        return Outcome(await switch_engine(agent, {"backend": arg.strip(), "model": None}))
    return Outcome(f"backend {agent.settings.backend} ({type(agent.client).__name__}); /backend NAME switches")


async def switch_engine(agent: Agent, change: dict) -> str:
    """Open the engine ``change`` asks for beside the one in use; move the session to it once it
    is ready (the conversation carried over, the context budget and tool calling chosen again),
    then close the old one. A switch that fails leaves the old engine in use."""
    if agent.engines is None or agent.engine is None:
        return "this session cannot switch engines; start again with the model or backend you want"
    backend = change.get("backend", agent.settings.backend)
    model = change.get("model")
    if backend not in BACKEND_CHOICES:
        return f"unknown backend {backend!r}; the backends are: {', '.join(BACKEND_CHOICES)}"
    if model and ((":" in model and model.split(":", 1)[0] in PREFIXES) or model.endswith(".gguf")):
        backend = "auto"  # a prefixed name (ollama:NAME, gguf:PATH) picks its engine
    wanted = agent.settings.model_copy(update={"backend": backend, "model": model})
    try:
        holder = await open_held(agent.engines, wanted, agent.report, check=True)
    except A2iaError as exc:
        return f"could not switch: {exc.message}\nstill using {agent.settings.backend} / {agent.settings.model or 'its default model'}"
    old, agent.engine = agent.engine, holder
    assert holder.client is not None
    agent.client = agent.orchestrator.client = holder.client
    for sampler in agent.samplers:
        sampler.client = holder.client
    agent.settings = holder.settings
    agent.orchestrator.engine_changed(agent.session)
    old.close()
    caps = await holder.client.capabilities()
    window = f"{caps.context_length:,}-token context" if caps.context_length else "context length unknown"
    return f"now using {holder.settings.backend} / {caps.model_id} ({window}); the conversation goes on"


async def _react(agent: Agent, settings: Settings, arg: str) -> Outcome:
    orchestrator = agent.orchestrator
    turn_on = arg.strip() != "off" and (arg.strip() == "on" or orchestrator.mode != "react")
    orchestrator.set_mode("react" if turn_on else "auto")  # the session chooses again on its next turn
    return Outcome(f"tool calling: {'ReAct prompting' if turn_on else 'automatic (native where the backend has it)'}")


async def _approval(agent: Agent, settings: Settings, arg: str) -> Outcome:
    policy = agent.orchestrator.approval
    if arg.strip():
        if arg.strip() not in APPROVAL_MODES:
            return Outcome(f"approval modes are: {', '.join(APPROVAL_MODES)}")
        policy.set_mode(arg.strip())
    return Outcome(f"approval mode: {policy.mode}")


async def _clear(agent: Agent, settings: Settings, arg: str) -> Outcome:
    agent.session.close()
    notices: list[Notice] = []
    agent.session = open_session(settings.model_copy(update={"resume": None}), notices)
    return Outcome("\n".join([f"new session {agent.session.id}", *(n.text for n in notices)]))


async def _save(agent: Agent, settings: Settings, arg: str) -> Outcome:
    if agent.session.file is not None:
        return Outcome(f"this session is saved as it goes: {agent.session.file.path}")
    return Outcome(f"this session is not being saved{': ' + agent.session.save_error if agent.session.save_error else ''}")


async def _sessions(agent: Agent, settings: Settings, arg: str) -> Outcome:
    return Outcome(format_sessions() or "no saved sessions")


async def _resume(agent: Agent, settings: Settings, arg: str) -> Outcome:
    notices: list[Notice] = []
    new = open_session(settings.model_copy(update={"resume": arg.strip() or "latest"}), notices)
    agent.session.close()
    agent.session = new
    return Outcome("\n".join(n.text for n in notices))


async def _quit(agent: Agent, settings: Settings, arg: str) -> Outcome:
    return Outcome(quit=True)


def format_sessions(limit: int = 50) -> str:
    lines = []
    for info in list_sessions()[:limit]:
        prompt = info.first_prompt.replace("\n", " ")
        prompt = prompt if len(prompt) <= 60 else prompt[:59] + "…"
        lines.append(f"{info.id}  {info.created[:16].replace('T', ' ')}  {info.backend}/{info.model}  {info.messages:>3} msgs  {prompt}")
    return "\n".join(lines)


COMMANDS: dict[str, Command] = {
    c.name: c
    for c in (
        Command("/help", "/help", "these commands", _help),
        Command("/model", "/model [NAME]", "the model in use, or switch to NAME (the conversation goes on)", _model),
        Command("/backend", "/backend [NAME]", "the backend in use, or switch to NAME", _backend),
        Command("/react", "/react [on|off]", "toggle ReAct prompting for tool calls", _react, sets="react"),
        Command("/tools", "/tools", "the tools the model is offered", _tools),
        Command("/compact", "/compact [FOCUS]", "summarise the earlier turns now (the last ones are kept)", _compact),
        Command("/plan", "/plan [REQUEST]", "plan mode: read-only tools, the model answers with a plan", _plan),
        Command("/go", "/go", "leave plan mode and carry out the plan", _go),
        Command("/changes", "/changes", "what a2ia's file tools changed in this session, by turn", _changes),
        Command("/undo", "/undo [N]", "put back the file changes of the last turn (or the last N)", _undo),
        Command("/init", "/init", "draft an AGENTS.md for this folder; written once you say yes", _init, asks=True),
        Command("/context", "/context", "what the model is given (system prompt, context files, tools, conversation), in tokens", _context),
        Command("/add-dir", "/add-dir [PATH]", "work in another folder too (file tools, MCP roots)", _add_dir, sets="add_dirs"),
        Command("/resources", "/resources", "the MCP servers' resources (attach with @server:uri)", _resources),
        Command("/approval", "/approval [ask|auto|auto-edit|yolo|plan]", "show or set the approval mode", _approval, sets="approval"),
        Command("/clear", "/clear", "start a new session", _clear),
        Command("/save", "/save", "where this session is saved", _save),
        Command("/sessions", "/sessions", "the saved sessions", _sessions),
        Command("/resume", "/resume [ID|latest]", "continue a saved session", _resume),
        Command("/quit", "/quit", "leave (also /exit)", _quit),
    )
}
COMMANDS["/exit"] = COMMANDS["/quit"]


GO_TURN = "Carry out the plan above, step by step."
OWNER = {"user": "your", "project": "the project's"}
Ask = Callable[[str], Awaitable["str | None"]]
"""Asks the person for one value on their terminal (``None``: they cancelled)."""


async def run_command(line: str, agent: Agent, settings: Settings, ask: Ask | None = None) -> Outcome:
    """Run one command line; ``ask`` (a terminal's) gets a prompt's missing required arguments."""
    name, _, arg = line.strip().partition(" ")
    command = COMMANDS.get(name)
    if command is not None:
        if command.asks:
            return await command.run(agent, settings, arg, ask)  # type: ignore[call-arg]
        return await command.run(agent, settings, arg)
    prompt = agent.tools.prompt(name)
    if prompt is not None:
        return await _run_prompt(agent, prompt, arg, ask)
    custom = agent.commands.get(name)
    if custom is not None:
        return Outcome(turn=custom.expand(arg.strip()), typed=True)
    return Outcome(f"unknown command {name}; /help lists them")


async def _arguments(prompt: ServerPrompt, arg: str, ask: Ask | None) -> dict[str, str] | None:
    """The prompt's arguments: from the line, the required ones it lacks asked for (``None``: cancelled)."""
    if ask is None:
        return bind_arguments(prompt, arg)
    bound = read_arguments(prompt, arg)
    for argument in missing_arguments(prompt, bound):
        value = await ask(f"{prompt.command} {argument.name}" + (f" ({argument.description})" if argument.description else ""))
        if not value:
            return None
        bound[argument.name] = value
    return bound


async def _run_prompt(agent: Agent, prompt: ServerPrompt, arg: str, ask: Ask | None) -> Outcome:
    """The prompt's messages enter the conversation; the person's last ones are the turn."""
    try:
        arguments = await _arguments(prompt, arg, ask)
        if arguments is None:
            return Outcome(f"{prompt.command}: cancelled")
        messages = await agent.tools.get_prompt(prompt, arguments)
    except (ConfigError, ServerRequestFailed) as exc:
        return Outcome(exc.message + (f"\n  usage: {exc.hint}" if exc.hint else ""))
    # What comes before the prompt's last answer is history; the person's messages after it are the turn.
    mine_from = next((i + 1 for i in range(len(messages) - 1, -1, -1) if messages[i].role == "assistant"), 0)
    for message in messages[:mine_from]:
        agent.session.append(message)
    mine = messages[mine_from:]
    if not mine:
        return Outcome(f"{prompt.command} gave {len(messages)} message(s), none of them yours: added to the conversation")
    return Outcome(turn="\n\n".join(m.content for m in mine))


def is_command(line: str) -> bool:
    return line.startswith("/") and not line.startswith("//")


__all__ = ["COMMANDS", "Outcome", "format_sessions", "is_command", "run_command"]
