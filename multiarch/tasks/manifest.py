"""`invoke manifest.build` and `invoke manifest`: one image per platform, then one tag."""

from __future__ import annotations

import os

from invoke import Collection, task
from rich.table import Table

from ..build import full, planning
from ..build import manifest as manifests
from ..core.command import results
from .build_options import build_settings
from .edge import at_the_edge, runner
from .options import Switches
from .registry import local_registry

# the joined tag, and where it goes: what both tasks take
COMMON = ("build.tag", "build.platforms", "build.registry", "build.image", "build.main")
TAG_HELP = {
    "tag": "the joined tag; each platform's image is TAG-<os>-<arch>[-<variant>] "
    "(default: git describe --tags --dirty --always)",
}


@task(
    klass=Switches,
    name="build",
    options=(*COMMON, "build.builder", "build.no_cache", "build.allow_workspace",
             "build.attestations"),
    help=TAG_HELP,
)  # fmt: skip
@at_the_edge
def build_each(c, flags):
    """Build and push one image per platform, tagged TAG-<os>-<arch>[-<variant>].

    On a machine of each architecture, `--platforms` of that one builds it natively;
    `invoke manifest` then joins them.
    """
    settings = build_settings(c, flags, push=True, load=False)
    run = runner(c)
    plans = planning.plan(settings, run, os.environ)
    full.ensure_registry(plans[0], local_registry(c).settings, run)
    pushed = manifests.build_each(plans, run)
    if pushed:
        table = Table("platform", "image", "digest")
        for one, result in pushed:
            table.add_row(str(one), result.reference, result.digest)
        results.print(table)


@task(klass=Switches, default=True, options=COMMON, help=TAG_HELP)
@at_the_edge
def create(c, flags):
    """Join the per-platform images TAG-<os>-<arch>[-<variant>] into the multi-platform TAG.

    Refuses, before writing anything, when an input is missing or holds another
    platform than its tag names. Runs `docker buildx imagetools create` on the checked
    digests: manifests only, no layers copied.
    """
    settings = build_settings(c, flags)
    for joined in manifests.create(settings, runner(c)):
        for reference in joined.references:
            results.print(f"image: {reference}")
        table = Table("platform", "manifest digest", "from")
        for m in joined.manifests:
            table.add_row(m.platform, m.digest, joined.source(m))
        results.print(table)


collection = Collection("manifest", create, build_each)
