"""The settings: every default in one table, and every setting checked against it.

`DEFAULTS` is made from the option entries (options.py), where each default is written
once. The task layer hands it to Invoke, and the configuration block of
docs/configuration.md is checked against it by a test. What a setting may hold is derived
from the table too: its keys are the known settings (a typo gets a did-you-mean), the type of a
default is the type a value must have, so a key added to the table is checked with no
other change.
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Mapping
from pathlib import Path

from invoke.util import yaml

from . import options
from .errors import UserError

# {section: {key: default}}, made from the option entries (options.py)
DEFAULTS: dict[str, dict[str, object]] = options.defaults()

# Where Invoke reads a project's configuration, beside tasks.py, in its order.
PROJECT_FILES = ("invoke.yaml", "invoke.yml", "invoke.json")
ENV_PREFIX = "INVOKE_"
HINT = "see multiarch's docs/configuration.md for every key and its type"


def check_files(root: Path, environ: Mapping[str, str]) -> None:
    """What Invoke itself would stumble on with a traceback, checked first: a project
    file that is not YAML or JSON, an environment variable that is not of its setting's
    type. UserError naming the file (and line) or the variable."""
    for name in PROJECT_FILES:
        path = root / name
        if not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
            data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
        except (OSError, UnicodeDecodeError) as e:
            raise UserError(f"cannot read {path}: {e}", "fix or remove the file") from None
        except json.JSONDecodeError as e:
            raise UserError(f"{path}:{e.lineno}: not valid JSON: {e.msg}", HINT) from None
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            where = f"{path}:{mark.line + 1}" if mark else str(path)
            what = getattr(e, "problem", None) or str(e).splitlines()[0]
            raise UserError(f"{where}: not valid YAML: {what}", HINT) from None
        if data is not None and not isinstance(data, Mapping):
            raise UserError(f"{path}: must hold sections (registry:, build:, ...)", HINT)
        # what Invoke cannot even merge (a section that is not a mapping), refused here
        _check(data or {}, lambda section, key=None, path=path: str(path))
        break  # Invoke reads only the first one it finds
    for section, keys in DEFAULTS.items():
        for key, value in keys.items():
            var = f"{ENV_PREFIX}{section}_{key}".upper()
            if var in environ and not isinstance(value, str | bool):
                try:
                    type(value)(environ[var])
                except ValueError:
                    raise UserError(
                        f"environment variable {var}={environ[var]!r}: "
                        f"{section}.{key} must be {_kind(value)}",
                        f"unset it or set a number, as in {var}={value}",
                    ) from None


def check(config) -> None:
    """Every setting of ours in an Invoke configuration: a known key of the right type.

    `config` is Invoke's Config: the error names the file or variable the bad value
    came from, and the key."""
    _check(_plain(config), lambda section, key=None: _origin(config, section, key))


def _check(data: Mapping, origin) -> None:
    for section, values in data.items():
        where = origin(section)
        if section not in DEFAULTS:
            # Invoke's own sections (run, sudo, ...) and other task collections' are not
            # ours; one that looks like a typo of ours is
            meant = _mean(section, DEFAULTS)
            if meant:
                raise UserError(f"{where}: unknown section {section!r}{meant}", HINT)
            continue
        if not isinstance(values, Mapping):
            raise UserError(f"{where}: {section} must hold keys, not {values!r}", HINT)
        known = DEFAULTS[section]
        for key, value in values.items():
            where = origin(section, key)
            if key not in known:
                raise UserError(f"{where}: unknown key {section}.{key}{_mean(key, known)}", HINT)
            if not _fits(value, known[key]):
                raise UserError(
                    f"{where}: {section}.{key} must be {_kind(known[key])}, not {value!r}",
                    HINT,
                )


def _fits(value, model) -> bool:
    if isinstance(model, bool):
        return isinstance(value, bool)
    if isinstance(model, int | float):  # whole seconds or fractions: both are numbers
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, type(model))


def _kind(model) -> str:
    if isinstance(model, bool):
        return "true or false"
    if isinstance(model, int | float):
        return "a number"
    return "a string"


def _mean(word: str, choices) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.75)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _origin(config, section: str, key: str | None = None) -> str:
    """Which file or variable set a value: the highest configuration level holding it."""
    if key is not None:
        var = f"{ENV_PREFIX}{section}_{key}".upper()
        if var in os.environ:
            return f"environment variable {var}"
    for level in ("runtime", "project", "user", "system"):
        data = getattr(config, f"_{level}", None) or {}
        held = data.get(section)
        if held is not None and (key is None or (isinstance(held, Mapping) and key in held)):
            return str(getattr(config, f"_{level}_path", None) or f"{level} configuration")
    return "configuration"


def _plain(value):
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value
