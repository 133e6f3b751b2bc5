"""How a command of ``a2ia-cli`` ends when it cannot go on: one line on stderr, the exit code.

Every command runs its work inside ``exiting_on_errors``: an ``A2iaError`` is shown with its
hint in the command line's words (``wording.for_cli``) and exits with the code
``a2ia.outcomes`` gives its kind; Ctrl-C exits 130; anything else is an internal error, one
line (the traceback only with ``--debug``), exit 1.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import click

from a2ia.cli.wording import for_cli
from a2ia.errors import A2iaError
from a2ia.outcomes import EXIT_ERROR, EXIT_INTERRUPTED, exit_code_for_error


def describe(exc: A2iaError) -> str:
    """The error and its hint, as the command line says them."""
    return for_cli(exc.text_with_hint())


def fail(message: str, code: int) -> NoReturn:
    click.echo(f"error: {for_cli(message)}", err=True)
    sys.exit(code)


@contextmanager
def exiting_on_errors(interrupted: str = "interrupted") -> Iterator[None]:
    try:
        yield
    except A2iaError as exc:
        fail(describe(exc), exit_code_for_error(exc))
    except KeyboardInterrupt:
        fail(interrupted, EXIT_INTERRUPTED)
    except (click.ClickException, click.exceptions.Exit, click.Abort):
        raise  # click's own usage errors and exits
    except Exception as exc:  # last resort: a clear line, the traceback only with --debug
        logging.getLogger("a2ia").debug("unexpected error", exc_info=True)
        fail(f"internal error: {type(exc).__name__}: {exc} (run with --debug for details)", EXIT_ERROR)
