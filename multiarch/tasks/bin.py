"""`invoke bin`: plain binaries for every platform, into dist/."""

from __future__ import annotations

import os

from invoke import task
from rich.table import Table

from ..build import binaries
from ..core.command import results
from .build_options import build_settings, dist_dir
from .edge import at_the_edge, runner, shown
from .options import Switches, options


@task(
    klass=Switches,
    name="bin",
    options=("bin.platforms", "dist.dir", "build.main", "build.builder", "build.no_cache"),
)
@at_the_edge
def bin_(c, flags):
    """Cross-compile plain binaries into dist/<os>_<arch>[_<variant>]/, Windows (.exe) included.

    Built by the Dockerfile's `binary` stage with buildx (no Go on the host), from the
    same sources, flags and go.work workspace as the image.
    """
    platforms = flags["bin.platforms"] or options(c, "bin")["platforms"]
    settings = build_settings(c, flags, platforms=platforms)
    made = binaries.build(settings, dist_dir(c, flags), runner(c), os.environ)
    if made:
        table = Table("platform", "binary", "bytes")
        for b in made:
            table.add_row(str(b.platform), shown(b.path), str(b.size))
        results.print(table)
