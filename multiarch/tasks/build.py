"""`invoke build`: a multi-platform image of this Go module, pushed to a registry."""

from __future__ import annotations

import os
import time

from invoke import task
from rich.table import Table

from ..build import full, planning
from ..core.command import results, say
from ..core.errors import UserError
from ..fast import fast as fasts
from .build_options import build_settings
from .edge import at_the_edge, runner
from .options import Switches
from .proof import proof
from .registry import local_registry

FAST_HELP = (
    "when only Go source changed since the last full build, compile with the "
    "Dockerfile's go build step and replace only the binary's layer (a registry on "
    "this machine); else a full build, saying why"
)
SMOKE_HELP = (
    "prove each pushed image on every platform as `invoke smoke --no-build` does (its "
    "binary, then a run, emulated where need be, with the smoke.* settings)"
)


@task(
    klass=Switches,
    options=("build.platforms", "build.registry", "build.image", "build.main", "build.tag",
             "build.builder", "build.push", "build.load", "build.no_cache",
             "build.allow_workspace", "build.attestations"),
    help={"fast": FAST_HELP, "smoke": SMOKE_HELP},
)  # fmt: skip
@at_the_edge
def build(c, flags, fast=False, smoke=False):
    """Build the module's main packages for several platforms and push an image index each.

    Several main packages (--main ./cmd/api,./cmd/worker) build in one `buildx bake`.

    A go.work around the module (GOWORK as the go command reads it) brings its other
    modules into the build as named build contexts; the image records them in labels.
    The host's Go module settings (GOPROXY, GOPRIVATE, ...; config go.*) apply inside,
    and its netrc and go.ca reach the module download as BuildKit secrets.
    """
    settings = build_settings(c, flags)
    run = runner(c)
    prove = proof(c, {}) if smoke else None
    if prove is not None and not settings.push:
        raise UserError("--smoke proves a pushed image", "leave out --no-push")
    plans = planning.plan(settings, run, os.environ)
    full.ensure_registry(plans[0], local_registry(c).settings, run)
    started = time.monotonic()
    try:
        for result in fasts.build(run, fast).run(plans):
            show(result)
            if prove is not None and not run.dry:
                count, failed = prove(result.reference, run)
                if failed:
                    raise UserError(f"{result.reference} not proven: {failed}")
                took = time.monotonic() - started
                say(f"proven on {count} platforms {took:.2f} s after the build started")
    finally:
        if prove is not None:  # what the proofs left, once their verdicts are out
            prove.clean()


def show(result: full.Result) -> None:
    results.print(f"image:  {result.reference}\ndigest: {result.digest}")
    if result.manifests:
        table = Table("platform", "manifest digest")
        for m in result.manifests:
            table.add_row(m.platform, m.digest)
        results.print(table)
