"""``a2ia-cli doctor``: what works on this machine, and how to fix what does not.

One line per check — ``ok``, ``warning`` (a2ia works, something could be better) or
``error`` (something asked for cannot work) — each warning and error with its fix. The exit
code is 1 when any check is an error.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass

import click

from a2ia.backends import DEFAULT_OLLAMA_MODEL
from a2ia.cli.wording import for_cli
from a2ia.config import Settings, resolve_settings
from a2ia.engines.gpu import find_gpus
from a2ia.engines.model_spec import backend_for
from a2ia.engines.ollama_server import OllamaServer, lists_model
from a2ia.engines.profiles import profile_for
from a2ia.engines.select import probe_vllm, select_backend
from a2ia.engines.vllm_launch import vllm_executable
from a2ia.errors import A2iaError


@dataclass(frozen=True)
class Check:
    level: str  # ok | warning | error
    topic: str
    text: str
    fix: str | None = None


def check_gpu() -> Check:
    gpus, found = find_gpus()
    if not gpus:
        return Check("warning", "GPU", f"{found}: vLLM needs one; Ollama and the embedded engine run on the CPU")
    return Check("ok", "GPU", f"{found} → {profile_for(gpus)[1]}")


async def check_vllm(settings: Settings) -> list[Check]:
    executable = vllm_executable(settings)
    installed = (
        Check("ok", "vLLM", f"installed: {' '.join(executable)}")
        if executable
        else Check("warning", "vLLM", "not installed", "scripts/vllm_setup.sh (needs an NVIDIA GPU)")
    )
    served = await probe_vllm(settings)
    if served is None:
        fix = "a2ia-cli --backend vllm --start-server" if executable else None
        return [installed, Check("warning", "vLLM", f"nothing answers at {settings.vllm_url}", fix)]
    return [installed, Check("ok", "vLLM", f"serves {', '.join(served) or 'no model'} at {settings.vllm_url}")]


async def check_ollama(settings: Settings) -> list[Check]:
    server = OllamaServer(settings.ollama_url)
    models = await server.models()
    if models is None:
        if shutil.which("ollama"):
            return [Check("warning", "Ollama", f"installed, not running at {server.host}", "ollama serve (or --start-server)")]
        return [Check("warning", "Ollama", "not installed", "https://ollama.com/download (optional)")]
    wanted = (settings.model if settings.backend == "ollama" else None) or DEFAULT_OLLAMA_MODEL
    listing = Check("ok", "Ollama", f"running at {server.host}: {', '.join(models) or 'no models'}")
    if lists_model(models, wanted):
        return [listing]
    return [listing, Check("warning", "Ollama", f"has no {wanted}", f"ollama pull {wanted} (or a2ia-cli --pull)")]


def check_embedded(settings: Settings) -> list[Check]:
    try:
        version = importlib.metadata.version("llama-cpp-python")
        engine = Check("ok", "llama.cpp", f"embedded engine: llama-cpp-python {version}")
    except importlib.metadata.PackageNotFoundError:
        return [Check("error", "llama.cpp", "llama-cpp-python is not installed", "scripts/install.sh")]
    from a2ia.engines.models import resolve_model

    backend, model = backend_for(settings.backend, settings.model)
    try:
        path = resolve_model(model if backend in ("auto", "llamacpp") else None)
    except A2iaError as exc:
        level = "error" if backend == "llamacpp" else "warning"
        return [engine, Check(level, "model", exc.message, exc.hint)]
    return [engine, Check("ok", "model", f"{path} ({path.stat().st_size / 1e6:.0f} MB)")]


async def check_selection(settings: Settings) -> Check:
    try:
        selection = await select_backend(settings)
    except A2iaError as exc:
        return Check("error", "backend", exc.message, exc.hint)
    return Check("ok", "backend", f"{settings.backend} → " + "; ".join(selection.lines or [selection.backend]))


async def check_mcp(settings: Settings) -> list[Check]:
    from a2ia.cli.runtime import open_sandbox, open_tools, open_workspace

    try:
        workspace = open_workspace(settings)
        async with open_tools(settings, workspace, open_sandbox(settings, workspace)[0]) as tools:
            statuses = tools.statuses()
    except A2iaError as exc:
        return [Check("error", "MCP", exc.message, exc.hint)]
    return [
        Check("ok", "MCP", f"{s.name}: {len(s.tools)} tools")
        if s.state == "connected"
        else Check("error", "MCP", f"{s.name}: {s.error or s.state}", "a2ia-cli mcp list shows its details and log")
        for s in statuses
    ]


def check_trusted_folder(settings: Settings) -> Check:
    from a2ia.cli.runtime import trust_notice

    notice = trust_notice(settings)
    if notice is not None:
        return Check("warning", "trust", notice.text, f"review them, then: a2ia-cli trust {settings.workspace}")
    return Check("ok", "trust", "this folder's .a2ia/ files apply" if settings.project_trusted else "no project files here")


def check_sandbox(settings: Settings) -> Check:
    from a2ia.cli.runtime import approval_mode, open_sandbox, open_workspace

    try:
        sandbox, missing = open_sandbox(settings, open_workspace(settings))
    except A2iaError as exc:
        return Check("error", "sandbox", exc.message, exc.hint)
    mode = approval_mode(settings, sandbox)
    if sandbox is not None:
        return Check("ok", "sandbox", f"{sandbox.policy.describe()}; approval {mode}")
    if missing is not None:
        return Check("warning", "sandbox", f"{missing.text}; approval {mode}", "install bubblewrap (see the README's Security model)")
    return Check("warning", "sandbox", f"off (sandbox = \"off\"): shell commands run as you; approval {mode}", None)


def check_data_dir() -> Check:
    from a2ia.orchestrator.store import sessions_dir

    folder = sessions_dir()
    probe = folder / f".doctor-{os.getpid()}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        return Check("error", "sessions", f"cannot write {folder}: {exc.strerror or exc}", "free space or fix permissions")
    return Check("ok", "sessions", f"saved in {folder}")


async def run_checks(flags: dict, emit: Callable[[Check], None]) -> list[Check]:
    """Every check, each emitted as soon as it is known (the slow ones come last)."""
    done: list[Check] = []

    def put(checks: Check | list[Check]) -> None:
        for check in checks if isinstance(checks, list) else [checks]:
            done.append(check)
            emit(check)

    try:
        settings, origins = resolve_settings(**flags)
    except A2iaError as exc:
        put(Check("error", "config", exc.message, exc.hint))
        return done
    changed = ", ".join(f"{k}={getattr(settings, k)} ({v})" for k, v in origins.items() if k != "api_key")
    put(Check("ok", "config", changed or "all defaults", None))
    put(check_trusted_folder(settings))
    put(check_sandbox(settings))
    put(check_gpu())
    put(await check_vllm(settings))
    put(await check_ollama(settings))
    put(check_embedded(settings))
    put(await check_selection(settings))
    put(check_data_dir())
    put(await check_mcp(settings))
    return done


def print_check(check: Check) -> None:
    colour = {"ok": "green", "warning": "yellow", "error": "red"}[check.level]
    click.echo(f"{click.style(f'{check.level:<8}', fg=colour)} {check.topic:<10} {for_cli(check.text)}")
    if check.fix:
        click.echo(f"{'':<8} {'':<10} fix: {for_cli(check.fix)}")


def doctor_exit_code(checks: list[Check]) -> int:
    return 1 if any(c.level == "error" for c in checks) else 0

