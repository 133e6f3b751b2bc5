"""``a2ia-cli``: the command line. Parses flags and picks the front end.

Errors end a command through ``exits.exiting_on_errors``; the exit codes are ``a2ia.outcomes``'s
table (0 done, 1 error, 2 usage or configuration, 3 backend unavailable, 4 the tools stopped,
5 approval refused, 130 interrupted).
"""

from __future__ import annotations

# Start-up imports build hundreds of thousands of objects (pydantic models, the MCP SDK); the
# cyclic GC would walk them again and again while they load. Held off until the imports are
# done, then the survivors are frozen out of later collections (measured: -220 to -580 ms).
import gc

_gc_was_enabled = gc.isenabled()
gc.disable()

import functools  # noqa: E402
import importlib  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

import anyio  # noqa: E402
import click  # noqa: E402

from a2ia import __version__  # noqa: E402
from a2ia.cli.exits import exiting_on_errors  # noqa: E402
from a2ia.cli.options import setting_options, settings_from, takes_settings  # noqa: E402
from a2ia.cli.script import run_turns, script_turns  # noqa: E402
from a2ia.cli.stdin_input import decode_stdin, piped_context  # noqa: E402
from a2ia.config import load_settings  # noqa: E402
from a2ia.engines.models import RECOMMENDED, models_dir  # noqa: E402
from a2ia.errors import ConfigError, ModelNotFound  # noqa: E402

gc.freeze()
if _gc_was_enabled:
    gc.enable()


def _offer_download(exc: ModelNotFound) -> bool:
    """On a terminal, offer to fetch the recommended model; True if it was downloaded."""
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        return False
    click.echo(f"error: {exc.message}", err=True)
    size = RECOMMENDED.approx_bytes // 10**6
    if not click.confirm(f"Download {RECOMMENDED.name} (~{size} MB) into {models_dir()}?", err=True):
        return False
    from a2ia.cli.download import download_into_models_dir

    download_into_models_dir()
    return True


class LazyGroup(click.Group):
    """Subcommands whose modules are imported only when used (``bench`` brings rich and more)."""

    lazy = {
        "bench": "a2ia.cli.bench_cmd:bench_command",
        "vllm": "a2ia.cli.vllm_cmd:vllm_group",
        "trust": "a2ia.cli.trust_cmd:trust_command",
        "untrust": "a2ia.cli.trust_cmd:untrust_command",
        "config": "a2ia.cli.config_cmd:config_command",
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy:
            module, attr = self.lazy[name].split(":")
            return getattr(importlib.import_module(module), attr)
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@setting_options()
@click.option("-p", "--prompt", help="Run one turn with this prompt and exit. Piped stdin is appended as context.")
@click.option(
    "--resume", is_flag=False, flag_value="latest", default=None, metavar="[ID|latest]",
    help="Continue a saved session (the latest if no id is given). See: a2ia-cli sessions.",
)
@click.option("--output", type=click.Choice(["text", "json"]), default="text",
              help="Scripts: plain text, or JSON Lines with one object per event (see README).")
@click.option("--plain", is_flag=True, help="On a terminal: the line REPL instead of the full-screen interface.")
@click.version_option(__version__, prog_name="a2ia-cli")
@click.pass_context
def cli(ctx: click.Context, prompt, resume, output, plain, **given) -> None:
    """a2ia: a local AI agent for your terminal. The model runs on your machine and uses tools
    (list and read files in the workspace) to answer.

    \b
    Examples:
      a2ia-cli -p "What files are in this folder?"
      echo "Summarise README.md" | a2ia-cli
      a2ia-cli --model ~/models/qwen2.5-7b-instruct-q4_k_m.gguf -p "…"
      a2ia-cli --backend vllm --vllm-url http://gpu-box:8000/v1 -p "…"
      a2ia-cli --backend vllm --start-server        # starts vLLM sized to the GPU
      a2ia-cli --model ollama:qwen2.5:7b --pull -p "…"
      a2ia-cli doctor                               # what works here, and the fixes
      a2ia-cli --backend ollama --model qwen2.5:7b -p "…"
      a2ia-cli --backend openai --base-url http://127.0.0.1:8080/v1 -p "…"

    \b
    Secrets: A2IA_API_KEY is sent as a Bearer token to vllm/openai servers.
    """
    logging.basicConfig(
        level=logging.DEBUG if given.get("debug") else logging.WARNING,
        stream=sys.stderr,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not given.get("debug"):  # it logs a traceback for every failed sign-in; a2ia says what failed, once
        logging.getLogger("mcp.client.auth").setLevel(logging.CRITICAL)
    flags = settings_from({**given, "resume": resume})
    if ctx.invoked_subcommand:
        ctx.obj = flags  # subcommands read the same settings (and may take more: cli/options.py)
        return
    with exiting_on_errors():
        settings = load_settings(**flags)
        if prompt is not None:
            turns, echo = [prompt], False
            context = piped_context(sys.stdin.buffer, note=lambda line: click.echo(line, err=True))
            if context:
                turns = [f"{prompt}\n\n{context}"]
        elif not sys.stdin.isatty():
            turns = script_turns(decode_stdin(sys.stdin.buffer.read()))
            echo = len(turns) > 1
            if not turns:
                raise ConfigError("stdin was empty: there is nothing to ask", hint='a2ia-cli -p "your question"')
        else:
            sys.exit(_interactive(settings, plain, flags))
        run = functools.partial(run_turns, settings, turns, echo=echo, output=output)
        try:
            code = anyio.run(run)
        except ModelNotFound as exc:
            if settings.model or not _offer_download(exc):
                raise
            code = anyio.run(run)
    sys.exit(code)


@cli.command("pull-model")
@click.option("--url", default=None, help=f"Download this GGUF instead of {RECOMMENDED.name}.")
def pull_model(url: str | None) -> None:
    """Download the recommended model into the user's cache (with a progress bar)."""
    from a2ia.cli.download import download_into_models_dir

    with exiting_on_errors(interrupted="download interrupted; nothing was kept"):
        path = download_into_models_dir(url)
    if path.name == RECOMMENDED.filename:
        click.echo(f"saved {path}; a2ia-cli uses it by default now")
    else:
        click.echo(f"saved {path}; use it with: a2ia-cli --model {path}")


def _interactive(settings, plain: bool, flags: dict) -> int:
    """A terminal: the full-screen interface, or the line REPL where that cannot run.

    Either asks first whether to trust the folder when it has project files not trusted yet.
    """
    from a2ia.cli.trust_prompt import trust_question

    question = trust_question(settings, lambda once: load_settings(**{**flags, "trust": once or flags.get("trust")}))
    dumb = os.environ.get("TERM", "") in ("", "dumb") or not sys.stdout.isatty()
    if plain or dumb:
        from a2ia.cli.repl import run_repl

        return anyio.run(run_repl, settings, question)
    from a2ia.cli.tui.app import run_tui

    return run_tui(settings, question)


@cli.command("sessions")
def sessions_command() -> None:
    """List saved sessions, newest first: id, time, backend/model, messages, first prompt."""
    from a2ia.cli.commands import format_sessions
    from a2ia.orchestrator.store import sessions_dir

    listing = format_sessions(limit=200)
    click.echo(listing or f"no saved sessions in {sessions_dir()}")


@cli.group("mcp")
def mcp_group() -> None:
    """MCP servers: the builtin one and those in mcp.json files."""


@mcp_group.command("list")
@takes_settings()
@click.pass_context
def mcp_list(ctx: click.Context) -> None:
    """Connect to every configured MCP server and show its status, tools, prompts and resources."""
    from a2ia.cli.mcp_list import show_servers

    with exiting_on_errors():
        settings = load_settings(**(ctx.obj or {}))
        code = anyio.run(show_servers, settings)
    sys.exit(code)


@mcp_group.command("auth")
@click.argument("name")
@click.option("--wait", "wait_s", type=click.FloatRange(1, 3600), default=300, show_default=True,
              help="Seconds to wait for the sign-in to come back from the browser.")
@takes_settings()
@click.pass_context
def mcp_auth(ctx: click.Context, name: str, wait_s: float) -> None:
    """Sign in to a remote MCP server that asks for OAuth (opens your browser; the answer comes to 127.0.0.1)."""
    from a2ia.cli.mcp_auth import sign_in

    with exiting_on_errors():
        settings = load_settings(**(ctx.obj or {}))
        sys.exit(anyio.run(sign_in, settings, name, wait_s))


@mcp_group.command("logout")
@click.argument("name")
@takes_settings()
@click.pass_context
def mcp_logout(ctx: click.Context, name: str) -> None:
    """Forget the sign-in kept for a remote MCP server."""
    from a2ia.cli.mcp_auth import sign_out

    with exiting_on_errors():
        sys.exit(sign_out(load_settings(**(ctx.obj or {})), name))


@cli.command("doctor")
@takes_settings()
@click.pass_context
def doctor_command(ctx: click.Context) -> None:
    """Check this machine: GPU, engines installed and running, models, MCP servers, settings."""
    from a2ia.cli.doctor import doctor_exit_code, print_check, run_checks

    checks = anyio.run(run_checks, ctx.obj or {}, print_check)
    sys.exit(doctor_exit_code(checks))




def main() -> None:
    cli(prog_name="a2ia-cli")


def main_vllm() -> None:
    """``a2ia-cli-vllm``: ``a2ia-cli`` with ``--backend vllm`` preset."""
    cli(prog_name="a2ia-cli-vllm", default_map={"backend": "vllm"})
