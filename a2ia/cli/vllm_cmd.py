"""``a2ia-cli vllm start|profiles``: a local vLLM server sized to the GPU, in the foreground.

``scripts/vllm_start.sh`` runs ``a2ia-cli vllm start --profile 12``, so the script, this
command and ``--start-server`` build the same ``vllm serve`` line (``engines/vllm_launch.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import shlex
import signal
import sys

import anyio
import click

from a2ia.cli.exits import describe, fail
from a2ia.config import Settings, load_settings
from a2ia.engines.gpu import find_gpus
from a2ia.engines.model_spec import parse_model_spec
from a2ia.engines.profiles import PROFILES, profile_for, serve_command
from a2ia.engines.vllm_launch import VLLMPlan, plan_vllm, start_vllm
from a2ia.errors import A2iaError
from a2ia.outcomes import exit_code_for_error

PROFILE_CHOICES = ["auto", *map(str, PROFILES)]


@click.group("vllm")
def vllm_group() -> None:
    """A local vLLM server, sized to your GPU."""


@vllm_group.command("profiles")
def profiles_command() -> None:
    """The serving profile for each GPU memory class, and the one this machine gets."""
    gpus, found = find_gpus()
    chosen, why = profile_for(gpus)
    click.echo(f"{found}\n→ {why}\n")
    click.echo(f"{'class':>6}  {'model':<32} {'context':>8} {'util':>5} {'seqs':>5}  eager")
    for gb, p in PROFILES.items():
        mark = "*" if p is chosen else " "
        click.echo(
            f"{mark}{gb:>4} GB  {p.model:<32} {p.max_model_len:>8} {p.gpu_memory_utilization:>5.2f} "
            f"{p.max_num_seqs:>5}  {'yes' if p.enforce_eager else 'no'}"
        )
    click.echo(f"\nthe command for the marked profile:\n  {shlex.join(serve_command(chosen))}")


@vllm_group.command(
    "start", context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False}
)
@click.option("--profile", type=click.Choice(PROFILE_CHOICES), default="auto", show_default=True,
              help="GPU memory class in GB; auto sizes to the smallest GPU found (12 without one).")
@click.option("-m", "--model", help="Serve this model instead of the profile's (Hugging Face name or local path).")
@click.option("--host", help="Address to listen on (default: the host of --vllm-url, 127.0.0.1).")
@click.option("--port", type=int, help="Port (default: the port of --vllm-url, 8000).")
@click.option("--tensor-parallel-size", type=click.IntRange(1, 64), help="Split the model over this many GPUs.")
@click.option("--timeout", type=float, default=900.0, show_default=True, help="Seconds to wait for the first start.")
@click.option("--dry-run", is_flag=True, help="Print the command line and exit.")
@click.argument("vllm_args", nargs=-1, type=click.UNPROCESSED)
@click.pass_context
def start_command(ctx: click.Context, profile, model, host, port, tensor_parallel_size, timeout, dry_run, vllm_args) -> None:
    """Start vLLM and keep it running until Ctrl-C. VLLM_ARGS go to `vllm serve` as they are.

    \b
    Examples:
      a2ia-cli vllm start                       # sized to the GPU
      a2ia-cli vllm start --profile 12 --port 8001
      a2ia-cli vllm start --model Qwen/Qwen2.5-7B-Instruct-AWQ --max-model-len 8192
    """
    try:
        flags = dict(ctx.obj or {})
        if tensor_parallel_size:
            flags["tensor_parallel_size"] = tensor_parallel_size
        settings = load_settings(**flags)
        if vllm_args:
            settings = settings.model_copy(update={"vllm_args": (*settings.vllm_args, *vllm_args)})
        model = parse_model_spec(model).name if model else None
        plan = plan_vllm(settings, profile_gb=None if profile == "auto" else int(profile), model=model, host=host, port=port,
                          require_installed=not dry_run)
        click.echo(f"{plan.reason}\n$ {shlex.join(plan.argv)}", err=True)
        if dry_run:
            return
        code = anyio.run(_serve, plan, settings, timeout)
    except A2iaError as exc:
        fail(describe(exc), exit_code_for_error(exc))
    except (KeyboardInterrupt, asyncio.CancelledError):  # interrupted outside the server's wait
        code = 130
    sys.exit(code)


async def _serve(plan: VLLMPlan, settings: Settings, timeout: float) -> int:
    """Start, then wait until interrupted (SIGINT, SIGTERM) or until the server dies."""
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    if task is not None:
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signal.SIGTERM, task.cancel)

    def say(text: str) -> None:
        click.echo(text, err=True)

    try:
        server = await start_vllm(plan, settings, say, startup_timeout_s=timeout)
    except asyncio.CancelledError:
        say("interrupted; vLLM stopped before it was ready")  # VLLMServer.start stops what it started
        return 130
    if server.reused:
        return 0
    try:
        say(f"ready: {server.url}  (use it: a2ia-cli --backend vllm --vllm-url {server.url}; Ctrl-C stops it)")
        while server.process is not None and server.process.poll() is None:
            await asyncio.sleep(0.5)
        say(f"error: vLLM exited (code {server.process.returncode if server.process else '?'}); "
            f"the log's last lines ({plan.log_path}):\n{server.log_tail()}")
        return 3
    except asyncio.CancelledError:
        say("stopping vLLM…")
        return 0
    finally:
        with anyio.CancelScope(shield=True):
            await server.stop()
        say("vLLM stopped")
