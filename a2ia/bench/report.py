"""``a2ia-cli bench`` results as a terminal table, as JSON, and as a PNG chart (matplotlib)."""

from __future__ import annotations

import os
import platform
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rich.table import Table

from a2ia import __version__
from a2ia.bench.measure import BackendResult, Stat
from a2ia.errors import ConfigError

COLUMNS = (
    ("TTFT ms", "ttft_ms", 1),
    ("decode tok/s", "decode_tok_s", 1),
    ("latency ms", "latency_ms", 0),
    ("conc. req/s", "concurrent_req_s", 2),
    ("conc. tok/s", "concurrent_tok_s", 1),
    ("tool trip ms", "tool_round_trip_ms", 0),
)


def cell(stat: Stat | None, digits: int) -> str:
    """``median (p25–p75)``; a dash when there is no figure."""
    if stat is None:
        return "—"
    if stat.n == 1 or stat.p25 == stat.p75:
        return f"{stat.median:.{digits}f}"
    return f"{stat.median:.{digits}f} ({stat.p25:.{digits}f}–{stat.p75:.{digits}f})"


def table(results: list[BackendResult], runs: int) -> Table:
    out = Table(title=f"a2ia bench: median (quartiles) of {runs} run{'s' if runs != 1 else ''}", title_justify="left")
    out.add_column("backend")
    out.add_column("model", overflow="fold", min_width=20, max_width=40)
    out.add_column("seq. req/s", justify="right")
    concurrency = max((r.concurrency for r in results), default=1)
    for title, _, _ in COLUMNS:
        out.add_column(title.replace("conc.", f"×{concurrency}"), justify="right")
    for r in results:
        seq = f"{r.sequential_req_s:.2f}" if r.sequential_req_s is not None else "—"
        out.add_row(r.backend, r.model, seq, *(cell(getattr(r, attr), digits) for _, attr, digits in COLUMNS))
    return out


def machine() -> dict[str, Any]:
    return {
        "a2ia": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }


def as_json(results: list[BackendResult], *, runs: int, warmup: int, max_tokens: int, skipped: list[str]) -> dict[str, Any]:
    return {
        "machine": machine(),
        "settings": {"runs": runs, "warmup": warmup, "max_tokens": max_tokens},
        "results": [asdict(r) for r in results],
        "skipped": skipped,
    }


def plot(results: list[BackendResult], path: Path) -> None:
    """Bars of the main figures per backend, the quartiles as error bars."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ConfigError(
            "--plot needs matplotlib, which is not installed",
            hint="pip install 'a2ia[plot]' (or pip install matplotlib)",
        ) from None
    figures = [c for c in COLUMNS if any(getattr(r, c[1]) for r in results)]
    fig, axes = plt.subplots(1, len(figures), figsize=(3.2 * len(figures), 3.6), squeeze=False)
    names = [r.backend for r in results]
    for ax, (title, attr, _) in zip(axes[0], figures, strict=True):
        stats = [getattr(r, attr) for r in results]
        medians = [s.median if s else 0.0 for s in stats]
        low = [s.median - s.p25 if s else 0.0 for s in stats]
        high = [s.p75 - s.median if s else 0.0 for s in stats]
        ax.bar(names, medians, yerr=[low, high], capsize=4, color="#4c78a8")
        ax.set_title(title)
        ax.tick_params(axis="x", rotation=30)
    fig.suptitle("a2ia bench (median, quartiles)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
