"""Where library errors meet the user: one line, a non-zero exit, no traceback."""

from __future__ import annotations

import functools
import json
import os
import signal
import sys
from pathlib import Path

from invoke import Context
from invoke.exceptions import Exit

from ..core import config
from ..core.command import Runner, Stopped, stopped_by_signals
from ..core.errors import UserError

DEBUG = "MULTIARCH_DEBUG"


def at_the_edge(body):
    """Wrap a task body: the configuration is checked first; a UserError, Ctrl-C (or
    SIGTERM, SIGHUP) or any other exception becomes one line and an exit code (1; 130,
    143, 129; 2)."""

    @functools.wraps(body)
    def task_body(c, *args, **kwargs):
        try:
            with stopped_by_signals():
                config.check(c.config)
                return body(c, *args, **kwargs)
        except UserError as e:
            raise Exit(f"error: {e}", code=1) from None
        except KeyboardInterrupt as e:
            code = 128 + (e.signum if isinstance(e, Stopped) else signal.SIGINT)
            raise Exit("interrupted: stopped, and cleaned up after", code=code) from None
        except Exit:
            raise
        except Exception as e:  # a bug of ours: one line, the traceback on request
            if os.environ.get(DEBUG) == "1":
                raise
            what = str(e).splitlines()[0] if str(e) else ""
            raise Exit(
                f"internal error: {type(e).__name__}: {what}, set {DEBUG}=1 for the traceback",
                code=2,
            ) from None

    return task_body


def runner(c: Context) -> Runner:
    return Runner(dry=bool(c.config.run.dry))


def shown(path: Path) -> str:
    """A path as the user would type it: relative to the current directory if below it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def print_json(document: dict) -> None:
    """A task's results as one JSON document on stdout (`--json`)."""
    sys.stdout.write(json.dumps(document, indent=2) + "\n")
    sys.stdout.flush()


def confirm(question: str, refusal: str, hint: str) -> None:
    """Ask a yes/no question; without a terminal, or without a yes, refuse."""
    if not sys.stdin.isatty():
        raise UserError(refusal, hint)
    answer = input(f"{question} [y/N] ").strip().lower()
    if answer not in ("y", "yes"):
        raise UserError("not confirmed; nothing was changed")
