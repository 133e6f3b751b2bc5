"""Shared pieces of the engine-speed benchmarks (issue 8): statistics, the machine line, the table.

Every figure is a ratio or a difference against a raw baseline measured in the same run,
interleaved, because absolute timings on a shared 2-core machine swing by tens of percent
from one minute to the next; a ratio of two things measured side by side does not.
"""

from __future__ import annotations

import os
import platform
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass

COLUMNS = ("figure", "baseline (same run)", "a2ia", "result", "goal", "met?")


@dataclass
class Row:
    """One line of the results table."""

    figure: str
    baseline: str
    a2ia: str
    result: str
    goal: str
    met: bool | None  # None: no goal (an informative row)

    def as_dict(self) -> dict:
        return asdict(self)


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def iqr(values: Sequence[float]) -> float:
    """Interquartile range: the spread of the middle half, robust to the odd stalled run."""
    if len(values) < 2:
        return 0.0
    q = statistics.quantiles(values, n=4)
    return q[2] - q[0]


def machine() -> str:
    try:
        import llama_cpp

        engine = f", llama-cpp-python {llama_cpp.__version__}"
    except ImportError:
        engine = ""
    return (
        f"{platform.machine()} {platform.system()}, {os.cpu_count()} CPUs, "
        f"python {platform.python_version()}{engine}"
    )


def table(rows: Sequence[Row]) -> str:
    """The rows as a markdown table."""
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + " --- |" * len(COLUMNS)]
    for row in rows:
        met = "—" if row.met is None else ("yes" if row.met else "**no**")
        lines.append(f"| {row.figure} | {row.baseline} | {row.a2ia} | {row.result} | {row.goal} | {met} |")
    return "\n".join(lines)
