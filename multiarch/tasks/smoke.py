"""`invoke smoke`: prove every platform of a pushed image by its binary, run it, check it."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

from invoke import task

from ..build.settings import BuildSettings
from ..core.command import results, say
from ..core.errors import UserError
from ..oci.registry_api import split_reference
from ..prove import smoke as smokes
from . import proof as proving
from . import tables
from .build import build as build_task
from .edge import at_the_edge, print_json, runner
from .options import Options, options


@task(
    klass=Options,
    options=("smoke.image", "smoke.platforms", "smoke.timeout", "smoke.args", "smoke.expect",
             "smoke.exit", "smoke.http"),
    help={
        "build": "build and push it with `invoke build` first (default); --no-build tests "
        "what the registry holds, against the version and commit its labels name",
        "json": "print one JSON document with the results instead of the table",
    },
)  # fmt: skip
@at_the_edge
def smoke(c, flags, build=True, json=False):
    """Prove each platform of a pushed image by its binary, then run it and check it.

    The platforms come from the index in the registry. Each one's entrypoint binary must
    be for that platform (ELF/PE header, Go build info); then it runs, natively or
    emulated, and must exit as --exit says and print what --expect says (or, with
    --http, answer 2xx). With several main packages (build.main), each one's image.
    """
    settings = options(c, "smoke", flags)
    refs = smokes.images(settings["image"], BuildSettings(**options(c, "build")))
    wanted = proving.platforms(settings)
    behaviour, seconds = proving.checks(settings), proving.timeout(settings)
    expected = None
    if build:
        host, repo, tag = split_reference(refs[0])
        # with --json, stdout holds only the JSON document
        with contextlib.redirect_stdout(sys.stderr) if json else contextlib.nullcontext():
            build_task(
                c,
                registry=host,
                image=repo if settings["image"] else None,
                tag=tag,
                platforms=settings["platforms"] or None,
            )
        expected = smokes.Expected.of_checkout(Path(c.config.build.context))
        if behaviour.needs_build:
            say(f"expecting {expected}: what this checkout says")
    elif behaviour.needs_build:
        say("not built here: expecting the version and commit each image's labels name")
    done = []
    where, run = proving.binfmt_root(c), runner(c)
    for tested in smokes.smoke_images(refs, run, expected, seconds, where, behaviour, wanted):
        done.append(tested)
        if not json:
            results.print(tables.smoke(tested.ref, tested.outcomes))
    summary = smokes.Summary(done)
    if json:
        print_json(summary.document)
    if summary.failures:
        raise UserError(
            f"smoke test of {'; '.join(summary.failures)}",
            "the JSON above says why" if json else "the table above says why",
        )
    images = f" of {len(refs)} images" if len(refs) > 1 else ""
    if run.dry:
        say(f"dry run: the binaries were read on {summary.passed} platforms{images}; none ran")
        return
    say(f"[green]all {summary.passed} platforms{images} passed[/] ({summary.emulated} emulated)")
