"""``a2ia-cli trust [DIR]``, ``a2ia-cli trust --list``, ``a2ia-cli untrust [DIR]``."""

from __future__ import annotations

from pathlib import Path

import click

from a2ia.cli.exits import exiting_on_errors
from a2ia.cli.trust_prompt import record_trust
from a2ia.trust.store import TrustStore, real_folder, store_path


@click.command("trust")
@click.argument("folder", required=False, type=click.Path(exists=True, file_okay=False))
@click.option("--list", "listing", is_flag=True, help="List the trusted folders.")
def trust_command(folder: str | None, listing: bool) -> None:
    """Trust FOLDER (default: the current one): its .a2ia/ files take effect, for it and its
    subfolders. What they would do is shown first; a change to them later asks again."""
    store = TrustStore()
    with exiting_on_errors():
        if listing:
            entries = store.entries()
            for entry in entries:
                click.echo(f"{entry.folder}    (since {entry.trusted_at or '?'})")
            if not entries:
                click.echo(f"no trusted folders ({store_path()})")
            return
        target = real_folder(Path(folder or "."))
        entry, lines = record_trust(target, store)
    click.echo(f"trusted {entry.folder}" + ("" if lines else " (it has no project files yet)"))
    for line in lines:
        click.echo(f"  {line.render()}")


@click.command("untrust")
@click.argument("folder", required=False, type=click.Path(file_okay=False))
def untrust_command(folder: str | None) -> None:
    """Stop trusting FOLDER (default: the current one)."""
    target = real_folder(Path(folder or "."))
    with exiting_on_errors():
        store = TrustStore()
        removed = store.untrust(target)
        still = store.find(target) if not removed else None
    if removed:
        click.echo(f"no longer trusted: {target}")
    elif still is not None:
        click.echo(f"{target} is not trusted itself; it is covered by {still.folder} (a2ia-cli untrust {still.folder})")
    else:
        click.echo(f"{target} was not trusted")
