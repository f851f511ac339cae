"""Options as the tasks read them: a task names the option entries it takes as flags
(core/options.py), whose help and `--x/--no-x` pairs are made from the entries; a section
of the Invoke configuration with the flags given over it."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from types import MappingProxyType

from invoke import Context, Task
from invoke.parser import Argument

from ..core.options import OPTIONS, Option

NOT_GIVEN: Mapping[str, object] = MappingProxyType({})


class Options(Task):
    """A task whose flags come from option entries.

    `options` names the entries the task takes ("build.platforms", ...), in the order of
    its flags: each becomes a parameter with the entry's flag name and help (the task's
    own help= may say it for this task instead). The body receives them as one mapping,
    `flags`, by option name (the value given, made the setting's: "build.no_cache" from
    --cache/--no-cache; None for one not given), after the context; its own parameters
    (task-only flags) follow."""

    def __init__(self, body, options: tuple[str, ...] = (), **kwargs):
        self.options: list[Option] = [OPTIONS[name] for name in options]
        kwargs["help"] = {**{o.attr: o.text for o in self.options}, **(kwargs.get("help") or {})}
        super().__init__(body, **kwargs)

    def argspec(self, body) -> inspect.Signature:
        """One parameter per option entry, then the body's own after `flags`."""
        own = list(super().argspec(body).parameters.values())
        if self.options:
            if not own or own[0].name != "flags":
                raise TypeError(f"{body.__name__}: a task with options takes (c, flags, ...)")
            own = own[1:]
        kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
        made = [inspect.Parameter(o.attr, kind, default=o.flag_default()) for o in self.options]
        return inspect.Signature(made + own)

    def __call__(self, c, *args, **kwargs):
        if not self.options:
            return super().__call__(c, *args, **kwargs)
        flags = {o.name: o.given(kwargs.pop(o.attr, None)) for o in self.options}
        return super().__call__(c, flags, *args, **kwargs)


class Switches(Options):
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
                attr, text = f"no_{arg.attr_name or arg.name}", f"the opposite of --{name}"
                inverse.append(
                    Argument(names=(f"no-{name}",), attr_name=attr, kind=bool, help=text)
                )
        return args + inverse

    def __call__(self, c, *args, **kwargs):
        for name in self.switches():
            kwargs[name] = False if kwargs.pop(f"no_{name}", None) else kwargs.get(name)
        return super().__call__(c, *args, **kwargs)

    def switches(self) -> list[str]:
        """The on/off parameters: those whose default in the signature is True or False."""
        params = self.argspec(self.body).parameters.values()
        return [p.name for p in params if isinstance(p.default, bool)]


def options(c: Context, section: str, flags: Mapping = NOT_GIVEN, **given) -> dict:
    """Settings of one section: Invoke configuration, overridden by the flags of that
    section (`flags`, by option name) and the values `given` (by key) that are not None."""
    merged = dict(_plain(c.config.get(section, {})))
    prefix = f"{section}."
    for name, value in flags.items():
        if name.startswith(prefix) and value is not None:
            merged[name.removeprefix(prefix)] = value
    merged.update({k: v for k, v in given.items() if v is not None})
    return merged


def _plain(value):
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value
