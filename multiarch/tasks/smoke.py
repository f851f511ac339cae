"""`invoke smoke`: run every platform of a pushed image and check what each says."""

from __future__ import annotations

from pathlib import Path

from invoke import task

from .. import build as builds
from .. import platforms as platform_list
from .. import smoke as smokes
from ..command import results, say
from ..config import default
from ..errors import UserError
from ..reference import check_reference
from ..registry_api import split_reference
from ..version import describe
from .build import build as build_task
from .edge import at_the_edge, number, options, runner


@task(
    help={
        "image": "reference to test (default: BUILD_REGISTRY/IMAGE:e2e)",
        "platforms": "only these os/arch[/variant] (default: every platform in the index)",
        "timeout": f"seconds each platform may run (default {default('smoke', 'timeout'):g})",
        "build": "build and push it with `invoke build` first (default); --no-build tests "
        "what the registry holds, against the version and commit its labels name",
    }
)
@at_the_edge
def smoke(c, image=None, platforms=None, timeout=None, build=True):
    """Run each platform of a pushed image, natively or under qemu, and check its output.

    The platforms come from the index in the registry. Each must exit 0 and print exactly
    its own os/arch/variant and the version and commit of the build.
    """
    settings = options(c, "smoke", image=image, platforms=platforms, timeout=timeout)
    ref = check_reference(settings["image"] or default_image(c), "--image (smoke.image)")
    split_reference(ref)
    wanted = platform_list.parse(settings["platforms"]) if settings["platforms"] else None
    seconds = number(settings["timeout"], "--timeout (smoke.timeout)")
    if not seconds > 0:
        raise UserError(
            f"--timeout (smoke.timeout) must be more than 0 seconds, not {seconds:g}",
            "give the seconds each platform may run, such as 60",
        )
    expected = None
    if build:
        host, repo, tag = split_reference(ref)
        build_task(c, registry=host, image=repo, tag=tag, platforms=settings["platforms"] or None)
        rev = describe(Path(c.config.build.context), quiet=True)
        expected = smokes.Expected(rev.version, rev.commit, "this checkout")
        say(f"expecting version {rev.version}, commit {rev.commit}: what this checkout says")
    else:
        say("not built here: expecting the version and commit each image's labels name")
    outcomes = smokes.Smoke(ref, runner(c), expected, seconds).run(wanted)
    results.print(smokes.table(ref, outcomes))
    failed = [o.platform for o in outcomes if not o.ok]
    if failed:
        raise UserError(
            f"smoke test of {ref} failed on {', '.join(failed)}", "the table above says why"
        )
    emulated = sum(o.runs != "native" for o in outcomes)
    say(f"[green]all {len(outcomes)} platforms passed[/] ({emulated} emulated)")


def default_image(c) -> str:
    """What `invoke build` pushes, tagged e2e."""
    build = builds.BuildSettings(**options(c, "build"))
    return f"{build.registry}/{builds.image_name(build)}:e2e"
