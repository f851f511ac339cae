"""`invoke bin`: plain binaries for every platform, into dist/."""

from __future__ import annotations

import os

from invoke import task
from rich.table import Table

from ..build import binaries
from ..core.command import results
from ..core.config import default
from .build_options import BUILD_HELP, DIST_HELP, build_settings, dist_dir
from .edge import at_the_edge, runner, shown
from .options import Switches, options


@task(
    klass=Switches,
    name="bin",
    help={
        "platforms": "comma-separated os/arch[/variant] (default "
        f"{default('bin', 'platforms')}; config bin.platforms)",
        "dist": DIST_HELP,
        "main": BUILD_HELP["main"],
        "builder": BUILD_HELP["builder"],
        "cache": BUILD_HELP["cache"],
    },
)
@at_the_edge
def bin_(c, platforms=None, dist=None, main=None, builder=None, cache=True):
    """Cross-compile plain binaries into dist/<os>_<arch>[_<variant>]/, Windows (.exe) included.

    Built by the Dockerfile's `binary` stage with buildx (no Go on the host), from the
    same sources, flags and go.work workspace as the image.
    """
    settings = build_settings(
        c,
        platforms=platforms or options(c, "bin")["platforms"],
        main=main,
        builder=builder,
        cache=cache,
    )
    made = binaries.build(settings, dist_dir(c, dist), runner(c), os.environ)
    if made:
        table = Table("platform", "binary", "bytes")
        for b in made:
            table.add_row(str(b.platform), shown(b.path), str(b.size))
        results.print(table)
