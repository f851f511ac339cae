"""Where library errors meet the user: one line, a non-zero exit, no traceback."""

from __future__ import annotations

import functools
import inspect
import json
import os
import signal
import sys
from collections.abc import Mapping

from invoke import Context, Task
from invoke.exceptions import Exit
from invoke.parser import Argument

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


class Switches(Task):
    """A task whose on/off options work both ways: `--push` and `--no-push`.

    Each boolean parameter gets both flags; the body receives True or False for the one
    given, and None for neither, so that the configured value stays in force."""

    def get_arguments(self, ignore_unknown_help=None) -> list[Argument]:
        args = super().get_arguments(ignore_unknown_help)
        inverse = []
        for arg in args:
            if arg.kind is bool:
                arg.default = None
                name = arg.name.replace("_", "-")
                inverse.append(
                    Argument(
                        names=(f"no-{name}",),
                        attr_name=f"no_{arg.attr_name or arg.name}",
                        kind=bool,
                        help=f"the opposite of --{name}",
                    )
                )
        return args + inverse

    def __call__(self, c, *args, **kwargs):
        for name in self.switches():
            kwargs[name] = False if kwargs.pop(f"no_{name}", None) else kwargs.get(name)
        return super().__call__(c, *args, **kwargs)

    def switches(self) -> list[str]:
        """The on/off parameters: those whose default in the signature is True or False."""
        params = inspect.signature(self.body).parameters.values()
        return [p.name for p in params if isinstance(p.default, bool)]


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
    except (TypeError, ValueError, OverflowError):
        raise UserError(f"{name} must be a number, not {value!r}", "give a number") from None


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
