"""`invoke dockerfile`: the default Dockerfile and .dockerignore, written into the module."""

from __future__ import annotations

from pathlib import Path

from invoke import task

from ..dockerfile import dockerfile as dockerfiles
from ..golang import mains
from .build_options import build_settings
from .edge import at_the_edge, runner
from .options import Options


@task(klass=Options, name="dockerfile", options=("build.main",))
@at_the_edge
def write(c, flags):
    """Write multiarch's default Dockerfile and a .dockerignore for Go into the module.

    For customising: the tasks then use that Dockerfile. With one main package its
    entrypoint names the binary; with several it keeps ${BINARY}, filled in per build.
    Refuses to overwrite either file.
    """
    settings = build_settings(c, flags)
    context = Path(settings.context)
    binaries = [m.binary for m in mains.of_module(settings.main, context)]
    dockerfiles.write(context, binaries, runner(c).dry)
