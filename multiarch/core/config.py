"""The settings: every default in one table, and every setting checked against it.

`DEFAULTS` is the one place a default is written. The settings dataclasses take their
defaults from it, the task layer hands it to Invoke, and the configuration block of
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

from .errors import UserError

DEFAULTS: dict[str, dict[str, object]] = {
    "registry": {
        "name": "registry",
        "port": 5000,
        "bind": "127.0.0.1",
        "expose": False,  # a bind beyond loopback must be confirmed: the registry has no auth
        "image": "registry:2",
        "volume": "",  # default: <name>-data
        "ready_timeout": 30.0,  # seconds to wait for the API (a float: INVOKE_* may say 2.5)
    },
    "build": {
        "platforms": "linux/amd64,linux/arm64,linux/arm/v7",
        "registry": "localhost:5000",
        "image": "",  # default: the binary's name, as go build names it
        "tag": "",  # default: git describe --tags --dirty --always
        "builder": "",
        "push": True,
        "load": False,
        "no_cache": False,
        "allow_workspace": False,
        "attestations": "auto",  # auto: none for a registry on this machine
        "main": ".",  # main packages, comma-separated: one image each
        "dockerfile": "",  # default: the module's Dockerfile, else multiarch's own
        "target": "image",
        "context": "",  # default: the directory of tasks.py
        # a BuildKit cache in the registry (--cache-to/--cache-from type=registry) for builds
        # on any builder but the local daemon's: auto (REGISTRY/IMAGE:buildcache), off, or a
        # reference
        "cache_registry": "auto",
        # who pushes: auto (the builder, unless it cannot reach the registry: a registry on
        # this machine seen from a remote node), builder, or client (an OCI layout comes back
        # and is pushed from here)
        "push_from": "auto",
    },
    # the builder `invoke builder.create` makes (see multiarch/host/builder_setup.py)
    "builder": {
        "name": "",
        "driver": "docker-container",  # docker-container, remote or kubernetes
        "nodes": "",  # whitespace-separated ENDPOINT=PLATFORMS, ENDPOINT or PLATFORMS
        "network": "host",  # docker-container: reaches a registry on localhost
        "config": "",  # a buildkitd.toml for each node (registry mirrors); not for remote
        "cacert": "",  # remote over tcp:// (mTLS): the CA's certificate
        "cert": "",  # the client's certificate
        "key": "",  # the client's key
        "servername": "",  # the name the server's certificate is for
        "driver_opts": "",  # more, whitespace-separated KEY=VALUE (kubernetes: namespace=ci)
    },
    # where Go modules come from ("" means: as the host has it; see multiarch/golang/goenv.py)
    "go": {
        "goproxy": "",
        "goprivate": "",
        "gonoproxy": "",
        "gonosumdb": "",
        "gonosumcheck": "",
        "gosumdb": "",
        "goinsecure": "",
        "goflags": "",
        "netrc": "",  # default: $NETRC, else ~/.netrc if there is one
        "ca": "",  # a PEM file of extra CA certificates go trusts in the build
        "network": "auto",  # auto: the host's network when GOPROXY names this machine
        "version": "",  # golang image tag (GO_VERSION); default: what go.mod/go.work ask for
    },
    "smoke": {
        "image": "",  # default: what invoke build pushes, tagged e2e
        "platforms": "",  # default: every platform in the index
        "timeout": 60.0,  # seconds each platform may run, or a server may take to answer
        "args": "",  # arguments for the entrypoint, split as a shell would
        "expect": "",  # regex for the output or HTTP body; "" checks none
        "exit": 0,  # the exit code a CLI must give
        "http": "",  # PORT[/PATH]: a server, polled until it answers 2xx
    },
    "test": {
        "platforms": "",  # default: build.platforms
        "packages": "",  # default: ./... and every other module a go.work uses
        "run": "",
        "timeout": 600.0,  # seconds each package may run on each platform
        "count": 1,
        "short": False,
        "go_image": "",  # default: the golang image the Dockerfile builds FROM
    },
    "doctor": {
        # where binfmt_misc is mounted (a container may have it elsewhere); smoke reads it
        # too, only when the daemon runs on this machine
        "binfmt_root": "/proc/sys/fs/binfmt_misc",
    },
    "bin": {
        "platforms": "linux/amd64,linux/arm64,linux/arm/v7,windows/amd64",
    },
    "dist": {
        "dir": "dist",  # binaries and release archives, relative to the module
    },
    "verify": {
        "image": "",  # default: what invoke build pushes from this checkout
        "key": "",  # cosign.pub: also check the signatures and SBOM attestations
    },
    "sign": {
        # cosign.key (its password from COSIGN_PASSWORD) or an unencrypted PKCS#8 PEM:
        # invoke release signs with it, invoke sign too; "" means release signs nothing
        "key": "",
    },
    "dev": {
        "tag": "dev",  # what each cycle pushes
        "debounce": 0.2,  # seconds without a save before a burst of saves is built
        "run": False,  # keep a container of this machine's platform running
        "args": "",  # arguments for it, split as a shell would
        "publish": "",  # its ports, comma-separated: 8080 or HOST:CONTAINER, on 127.0.0.1
    },
}

# Where Invoke reads a project's configuration, beside tasks.py, in its order.
PROJECT_FILES = ("invoke.yaml", "invoke.yml", "invoke.json")
ENV_PREFIX = "INVOKE_"
HINT = "see multiarch's docs/configuration.md for every key and its type"


def default(section: str, key: str):
    """One default, for the dataclasses that mirror a section."""
    return DEFAULTS[section][key]


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
