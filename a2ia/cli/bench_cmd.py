"""``a2ia-cli bench``: how fast each engine answers on this machine, through a2ia's own clients."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import anyio
import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from a2ia.backends import BACKEND_CHOICES, DEFAULT_OLLAMA_MODEL
from a2ia.bench.measure import BackendResult, measure, steps_for
from a2ia.bench.report import as_json, plot, table
from a2ia.cli.exits import exiting_on_errors, fail
from a2ia.cli.options import takes_settings
from a2ia.config import Settings, load_settings
from a2ia.engines.engine import open_engine
from a2ia.engines.model_spec import parse_model_spec
from a2ia.engines.models import resolve_model
from a2ia.engines.ollama_server import OllamaServer, lists_model
from a2ia.engines.select import open_client, probe_vllm
from a2ia.errors import A2iaError
from a2ia.outcomes import EXIT_BACKEND_UNAVAILABLE
from a2ia.tools.builtin import make_builtin_server
from a2ia.tools.identity import BUILTIN_SERVER
from a2ia.tools.registry import ToolRegistry
from a2ia.tools.workspace import Workspace


async def reachable_backends(settings: Settings) -> tuple[list[Settings], list[str]]:
    """For ``--backend all``: a settings object per engine that can answer now, and why others cannot.

    A ``--model`` counts only for the engine its prefix names; the others use their defaults.
    """
    spec = parse_model_spec(settings.model)

    def for_backend(name: str) -> Settings:
        return settings.model_copy(update={"backend": name, "model": spec.name if spec.backend == name else None})

    found, skipped = [], []
    if await probe_vllm(settings) is not None:
        found.append(for_backend("vllm"))
    else:
        skipped.append(f"vllm: nothing answers at {settings.vllm_url}")
    ollama = for_backend("ollama")
    models = await OllamaServer(settings.ollama_url).models()
    wanted = ollama.model or DEFAULT_OLLAMA_MODEL
    if models is not None and lists_model(models, wanted):
        found.append(ollama)
    else:
        skipped.append("ollama: not running" if models is None else f"ollama: no {wanted} (ollama pull {wanted})")
    if settings.base_url:
        found.append(for_backend("openai"))
    embedded = for_backend("llamacpp")
    try:
        resolve_model(embedded.model)
        found.append(embedded)
    except A2iaError as exc:
        skipped.append(f"llamacpp: {exc.message}")
    return found, skipped


async def run_bench(
    settings: Settings, *, all_backends: bool, runs: int, warmup: int, concurrency: int, max_tokens: int,
    tools: bool, progress: Progress,
) -> tuple[list[BackendResult], list[str]]:
    if all_backends:
        targets, skipped = await reachable_backends(settings)
    else:
        targets, skipped = [settings], []
    for line in skipped:
        progress.console.print(f"skipped {line}", soft_wrap=True)
    results = []
    async with ToolRegistry() as registry:
        if tools:
            await registry.add_server(BUILTIN_SERVER.name, make_builtin_server(Workspace(settings.workspace)))
        for target in targets:
            label = target.backend
            task = progress.add_task(label, total=steps_for(runs, warmup, tools))
            try:
                async with open_engine(target, lambda text: progress.console.print(text, soft_wrap=True)) as resolved:
                    label = resolved.backend
                    progress.update(task, description=label)
                    async with open_client(resolved) as client:
                        results.append(await measure(
                            client, registry if tools else None, backend=label, runs=runs, warmup=warmup,
                            concurrency=concurrency, max_tokens=max_tokens,
                            tick=lambda _step, task=task: progress.advance(task),
                        ))
            except A2iaError as exc:
                if not all_backends:
                    raise
                results.append(BackendResult(label, target.model or "default", problems=[exc.message]))
    return results, skipped


@click.command("bench")
@click.option("--backend", "backend", type=click.Choice([*BACKEND_CHOICES, "all"]),
              help="Engine to measure (default: what --backend auto picks); all = every one that answers now.")
@click.option("--runs", type=click.IntRange(1, 1000), default=5, show_default=True, help="Measured runs per figure.")
@click.option("--warmup", type=click.IntRange(0, 100), default=1, show_default=True, help="Unmeasured requests first.")
@click.option("--concurrency", type=click.IntRange(1, 256), default=4, show_default=True, help="Requests at once, for throughput.")
@click.option("--max-tokens", type=click.IntRange(2, 8192), default=64, show_default=True, help="Tokens per reply.")
@click.option("--no-tools", is_flag=True, help="Skip the tool round trip.")
@click.option("--json", "as_json_output", is_flag=True, help="Print JSON instead of the table.")
@click.option("--plot", type=click.Path(dir_okay=False, path_type=Path), help="Also draw the comparison into this PNG (needs matplotlib).")
@takes_settings(exclude=("backend",))
@click.pass_context
def bench_command(ctx: click.Context, backend, runs, warmup, concurrency, max_tokens, no_tools, as_json_output, plot) -> None:
    """Measure time to first token, decode speed, latency, throughput and a tool round trip.

    \b
    Examples:
      a2ia-cli bench                          # the engine auto picks
      a2ia-cli bench --backend all --plot bench.png
      a2ia-cli --vllm-url http://127.0.0.1:8000/v1 bench --backend vllm --concurrency 16 --json
    """
    flags = dict(ctx.obj or {})
    if backend and backend != "all":
        flags["backend"] = backend
    err = Console(stderr=True)
    with exiting_on_errors():
        settings = load_settings(**flags)
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=err, transient=True) as progress:
            results, skipped = anyio.run(lambda: run_bench(
                settings, all_backends=backend == "all", runs=runs, warmup=warmup, concurrency=concurrency,
                max_tokens=max_tokens, tools=not no_tools, progress=progress,
            ))
        if plot is not None:
            _plot(results, plot, err)
    if as_json_output:
        click.echo(json.dumps(as_json(results, runs=runs, warmup=warmup, max_tokens=max_tokens, skipped=skipped), indent=2))
    else:
        out = Console()
        if not out.is_terminal:
            out = Console(width=200)  # piped: no terminal width to fit, so do not wrap
        out.print(table(results, runs))
        for result in results:
            for problem in result.problems:
                click.echo(f"warning: {result.backend}: {problem}", err=True)
    if not results:
        fail("no backend could be measured", EXIT_BACKEND_UNAVAILABLE)
    sys.exit(1 if all(r.latency_ms is None for r in results) else 0)


def _plot(results: list[BackendResult], path: Path, err: Console) -> None:
    plot(results, path)
    err.print(f"chart saved: {path}")
