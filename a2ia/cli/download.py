"""Downloading the recommended model, with a progress bar (rich, which Textual brings)."""

from __future__ import annotations

from pathlib import Path

import anyio
import httpx
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn, TransferSpeedColumn

from a2ia.engines.models import RECOMMENDED, download_model, models_dir


async def _download(url: str, dest: Path) -> Path:
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        transient=False,
    ) as progress:
        task = progress.add_task(f"downloading {dest.name}", total=None)

        def on_progress(done: int, total: int | None) -> None:
            progress.update(task, completed=done, total=total)

        timeout = httpx.Timeout(30.0, read=120.0)
        async with httpx.AsyncClient(timeout=timeout) as client:
            return await download_model(url, dest, client=client, on_progress=on_progress)


def download_into_models_dir(url: str | None = None) -> Path:
    """Download a GGUF (the recommended one by default) into the models dir; returns its path."""
    url = url or RECOMMENDED.url
    name = httpx.URL(url).path.rsplit("/", 1)[-1] or RECOMMENDED.filename
    return anyio.run(_download, url, models_dir() / name)
