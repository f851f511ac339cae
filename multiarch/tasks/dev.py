"""`invoke dev`: build and push on every save, fast where it can; optionally run it."""

from __future__ import annotations

import os

from invoke import task

from ..core.command import say
from ..fast import dev as devs
from .build_options import build_settings
from .edge import at_the_edge, runner
from .options import Switches, options
from .proof import proof
from .registry import local_registry


@task(
    klass=Switches,
    options=("build.platforms", "build.main", "build.image", "dev.tag", "dev.debounce",
             "dev.run", "dev.args", "dev.publish", "smoke.expect", "smoke.exit", "smoke.http"),
    help={
        "smoke": "prove each pushed image on every platform as `invoke smoke` does (its "
        "binary, then a run, emulated where need be, with --args and smoke.*)",
        "expect": "with --smoke: regular expression the output (or HTTP body) must match",
        "exit": "with --smoke: exit code a CLI must give (default 0)",
        "http": "with --smoke: PORT[/PATH] to GET until it answers 2xx",
    },
)  # fmt: skip
@at_the_edge
def dev(c, flags, smoke=False):
    """Watch the module (and its workspace's modules); build and push each save.

    Each change is built with `invoke build --fast` where only Go source changed, else
    fully, and pushed as <image>:dev; one line per cycle says what changed, fast or full
    and why, and how long after the save the index was in the registry. A failed build
    is reported and the loop keeps watching. Ctrl-C stops it, removing the container
    --run started. With --smoke each pushed image is also proven and run on every
    platform, and the line ends with how long after the save that was, or what failed.
    """
    settings = devs.DevSettings(**options(c, "dev", flags))
    build = build_settings(c, flags, tag=settings.tag)
    # --args is the container's, and what --smoke runs each image with
    prove = proof(c, {**flags, "smoke.args": flags["dev.args"]}) if smoke else None
    say(f"watching {build.context}; Ctrl-C stops")
    registry = local_registry(c).settings
    report = lambda x: say(devs.line(x))  # noqa: E731
    devs.loop(settings, build, runner(c), os.environ, registry, report, prove)
