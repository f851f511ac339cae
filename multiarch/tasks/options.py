"""Options as the tasks read them: a section of the Invoke configuration with the flags
given over it, on/off flags both ways (`--push/--no-push`), numbers checked."""

from __future__ import annotations

import inspect
from collections.abc import Mapping

from invoke import Context, Task
from invoke.parser import Argument

from ..core.errors import UserError


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
