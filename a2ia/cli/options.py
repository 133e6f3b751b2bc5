"""The main command's setting options, declared once and accepted after a subcommand too.

``a2ia-cli mcp list --mcp-config F`` works as ``a2ia-cli --mcp-config F mcp list`` does (that
is how people type it); given in both places, the one after the subcommand wins. Each
option's name is a field of ``a2ia.config.Settings``, except ``--yolo`` (``approval = yolo``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

import click

from a2ia.backends import BACKEND_CHOICES, DEFAULT_OLLAMA_MODEL, DEFAULT_OLLAMA_URL, DEFAULT_VLLM_URL
from a2ia.config import DEFAULT_MAX_STEPS

SETTING_OPTIONS: list[Callable[[Any], Any]] = [
    click.option(
        "--backend",
        type=click.Choice(BACKEND_CHOICES),
        help="Model backend. auto (default): a vLLM server that answers (or --start-server starts), else Ollama "
        "with the model, else embedded llama.cpp; each engine passed over is reported in one line. "
        "scripted = A2IA_SCRIPT replies (tests).",
    ),
    click.option(
        "-m", "--model",
        help="GGUF file (embedded), served model name (vllm/openai; default: the first served) "
        f"or Ollama model (default {DEFAULT_OLLAMA_MODEL}). A prefix picks the engine: vllm:NAME, ollama:NAME, "
        "gguf:PATH (or any *.gguf), openai:NAME. Env: A2IA_MODEL.",
    ),
    click.option("--base-url", help="OpenAI-compatible server for --backend openai, e.g. http://127.0.0.1:8080/v1."),
    click.option("--vllm-url", help=f"vLLM server for --backend vllm (default {DEFAULT_VLLM_URL})."),
    click.option("--ollama-url", help=f"Ollama server for --backend ollama (default OLLAMA_HOST or {DEFAULT_OLLAMA_URL})."),
    click.option(
        "--start-server", is_flag=True, default=None,
        help="Start the engine's server when none answers: vLLM sized to your GPU (see a2ia-cli vllm profiles), "
        "or ollama serve. Stopped again when a2ia exits.",
    ),
    click.option("--pull", is_flag=True, default=None, help="Let Ollama download the model if it does not have it."),
    click.option("--max-steps", type=click.IntRange(1, 1000), help=f"Model calls allowed per turn (default {DEFAULT_MAX_STEPS})."),
    click.option(
        "--react", is_flag=True, default=None,
        help="Prompt for tools (ReAct) instead of native function calling; automatic when the model "
        "or server cannot do tools. Env: A2IA_REACT=1.",
    ),
    click.option(
        "--approval", type=click.Choice(["ask", "auto", "auto-edit", "yolo", "plan"]),
        help="auto (default where the sandbox works): file edits and sandboxed shell commands run, the rest asks; "
        "ask (default elsewhere): tools that can change things ask first; auto-edit: file edits run, shell and "
        "other tools ask; yolo: nothing asks; plan: only read-only tools, the model answers with a plan (/go "
        "carries it out). Env: A2IA_APPROVAL.",
    ),
    click.option("--yolo", is_flag=True, default=None, help="Same as --approval yolo."),
    click.option(
        "--sandbox", type=click.Choice(["workspace-write", "read-only", "off"]),
        help="How run_shell's commands are confined (default workspace-write: writes only in the workspace and "
        "the temp dir, no network; see the README's Security model). Env: A2IA_SANDBOX.",
    ),
    click.option("-y", "--yes", is_flag=True, default=None, help="Allow, for this run, every call that would be asked about (scripts)."),
    click.option("--mcp-config", type=click.Path(dir_okay=False), help="An extra mcpServers JSON file (over the user and project ones)."),
    click.option(
        "--trust", is_flag=True, default=None,
        help="Apply this folder's .a2ia/ files for this run without trusting it for good (see: a2ia-cli trust).",
    ),
    click.option(
        "-C", "--workspace",
        type=click.Path(file_okay=False),
        help="Folder the file tools may use (default: the current folder).",
    ),
    click.option(
        "--add-dir", "add_dirs", multiple=True, type=click.Path(file_okay=False),
        help="Another folder to work in (repeat for more): the file tools reach it, sandboxed commands may write "
        "there, MCP servers get it as a root. Not from project files. Env: A2IA_ADD_DIRS (comma-separated).",
    ),
]
DEBUG_OPTION = click.option("--debug", is_flag=True, default=None, help="Log debug details and tracebacks to stderr.")


def _name(option: Callable[[Any], Any]) -> str:
    probe = option(lambda **_: None)
    return probe.__click_params__[-1].name  # type: ignore[attr-defined]


NAMED_OPTIONS: dict[str, Callable[[Any], Any]] = {_name(o): o for o in [*SETTING_OPTIONS, DEBUG_OPTION]}
"""Each option by the setting it gives (its click parameter name), in the order ``--help`` shows."""


def setting_options(exclude: Iterable[str] = ()) -> Callable[[Any], Any]:
    """Apply the setting options (but ``exclude``, which the command has its own of) to a command."""
    skipped = set(exclude)

    def apply(command: Any) -> Any:
        for name, option in reversed(NAMED_OPTIONS.items()):
            if name not in skipped:
                command = option(command)
        return command

    return apply


def settings_from(values: dict[str, Any]) -> dict[str, Any]:
    """The settings the given options say (those not given are left to the files and defaults)."""
    flags = {k: v for k, v in values.items() if v is not None and v != () and k != "yolo"}  # (): a repeatable one not given
    if values.get("yolo"):
        flags["approval"] = "yolo"
    return flags


def takes_settings(exclude: Iterable[str] = ()) -> Callable[[Any], Any]:
    """A subcommand that takes the setting options itself; they go over those before it in ``ctx.obj``."""
    skipped = tuple(exclude)
    names = set(NAMED_OPTIONS) - set(skipped)

    def wrap(command: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(command)
        def run(*args: Any, **kwargs: Any) -> Any:
            given = {name: kwargs.pop(name) for name in names if name in kwargs}
            ctx = click.get_current_context()
            ctx.obj = {**(ctx.obj or {}), **settings_from(given)}
            return command(*args, **kwargs)

        return setting_options(skipped)(run)

    return wrap
