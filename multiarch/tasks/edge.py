"""Where library errors meet the user: one line, a non-zero exit, no traceback."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Mapping

from invoke import Context
from invoke.exceptions import Exit

from ..command import Runner
from ..errors import UserError


def at_the_edge(body):
    """Wrap a task body: a UserError or Ctrl-C becomes one line and an exit code."""

    @functools.wraps(body)
    def task_body(c, *args, **kwargs):
        try:
            return body(c, *args, **kwargs)
        except UserError as e:
            raise Exit(f"error: {e}", code=1) from None
        except KeyboardInterrupt:
            raise Exit("interrupted: stopped, and cleaned up after", code=130) from None

    return task_body


def runner(c: Context) -> Runner:
    return Runner(dry=bool(c.config.run.dry))


def options(c: Context, section: str, **flags) -> dict:
    """Settings of one section: Invoke configuration, overridden by flags given."""
    merged = dict(_plain(c.config.get(section, {})))
    merged.update({k: v for k, v in flags.items() if v is not None})
    return merged


def _plain(value):
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


def number(value, name: str, kind=float):
    """A number from a flag or the configuration; UserError when it is not one."""
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise UserError(f"{name} must be a number, not {value!r}") from None


def print_json(document: dict) -> None:
    """A task's results as one JSON document on stdout (`--json`)."""
    sys.stdout.write(json.dumps(document, indent=2) + "\n")
    sys.stdout.flush()


def confirm(question: str, refusal: str) -> None:
    """Ask a yes/no question; without a terminal, or without a yes, refuse."""
    if not sys.stdin.isatty():
        raise UserError(refusal)
    answer = input(f"{question} [y/N] ").strip().lower()
    if answer not in ("y", "yes"):
        raise UserError("not confirmed; nothing was changed")
