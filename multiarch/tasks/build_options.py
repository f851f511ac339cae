"""The options the build tasks share (build, manifest.build, bin, release, dev, test,
verify, sign, dockerfile): which ones each takes, and the settings made from them."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ..build.settings import BuildSettings
from ..core import files
from ..golang.goenv import GoSettings
from ..host.builder_setup import BuilderSettings
from .options import NOT_GIVEN, options


def build_settings(c, flags: Mapping = NOT_GIVEN, **given) -> BuildSettings:
    """Build settings: Invoke configuration (build.*, go.*, builder.*), overridden by the
    flags given (by option name; None: not given) and the values `given` (by key)."""
    go = GoSettings(**options(c, "go", flags))
    setup = BuilderSettings(**options(c, "builder", flags))
    return BuildSettings(**options(c, "build", flags, **given), go=go, builders=setup)


def dist_dir(c, flags: Mapping) -> Path:
    """dist.dir (or --dist), relative to the module's directory, not to where invoke runs;
    checked: inside the module and writable."""
    module = Path(options(c, "build")["context"])
    path = Path(flags.get("dist.dir") or options(c, "dist")["dir"])
    return files.output_dir(path if path.is_absolute() else module / path, module)
