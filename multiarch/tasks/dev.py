"""`invoke dev`: build and push on every save, fast where it can; optionally run it."""

from __future__ import annotations

import os

from invoke import task

from ..core.command import say
from ..core.config import default
from ..fast import dev as devs
from .build_options import BUILD_HELP, build_settings
from .edge import at_the_edge, runner
from .options import Switches, number, options
from .proof import proof
from .registry import local_registry


@task(
    klass=Switches,
    help={
        "platforms": BUILD_HELP["platforms"],
        "main": BUILD_HELP["main"],
        "image": BUILD_HELP["image"],
        "tag": f"the tag each cycle pushes (default {default('dev', 'tag')})",
        "debounce": "seconds without another save before a burst of saves is built "
        f"(default {default('dev', 'debounce'):g})",
        "run": "keep one container of this machine's platform running the newest image",
        "args": "arguments for that container, split as a shell would",
        "publish": "its ports, comma-separated: 8080 or HOST:CONTAINER (on 127.0.0.1)",
        "smoke": "prove each pushed image on every platform as `invoke smoke` does (its "
        "binary, then a run, emulated where need be, with --args and smoke.*)",
        "expect": "with --smoke: regular expression the output (or HTTP body) must match",
        "exit": "with --smoke: exit code a CLI must give (default 0)",
        "http": "with --smoke: PORT[/PATH] to GET until it answers 2xx",
    },
)
@at_the_edge
def dev(
    c,
    platforms=None,
    main=None,
    image=None,
    tag=None,
    debounce=None,
    run=False,
    args=None,
    publish=None,
    smoke=False,
    expect=None,
    exit=None,
    http=None,
):
    """Watch the module (and its workspace's modules); build and push each save.

    Each change is built with `invoke build --fast` where only Go source changed, else
    fully, and pushed as <image>:dev; one line per cycle says what changed, fast or full
    and why, and how long after the save the index was in the registry. A failed build
    is reported and the loop keeps watching. Ctrl-C stops it, removing the container
    --run started. With --smoke each pushed image is also proven and run on every
    platform, and the line ends with how long after the save that was, or what failed.
    """
    found = options(c, "dev", tag=tag, run=run, args=args, publish=publish)
    found["debounce"] = number(
        debounce if debounce is not None else found["debounce"], "--debounce (dev.debounce)"
    )
    settings = devs.DevSettings(**found)
    build = build_settings(c, platforms=platforms, main=main, image=image, tag=settings.tag)
    prove = proof(c, args=args, expect=expect, exit=exit, http=http) if smoke else None
    say(f"watching {build.context}; Ctrl-C stops")
    registry = local_registry(c).settings
    report = lambda x: say(devs.line(x))  # noqa: E731
    devs.loop(settings, build, runner(c), os.environ, registry, report, prove)
