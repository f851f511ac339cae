"""`invoke manifest.build` and `invoke manifest`: one image per platform, then one tag."""

from __future__ import annotations

import os

from invoke import Collection, task
from rich.table import Table

from ..build import full, planning
from ..build import manifest as manifests
from ..core.command import results
from .build_options import BUILD_HELP, build_settings
from .edge import at_the_edge, runner
from .options import Switches
from .registry import local_registry

COMMON_HELP = {
    "tag": "the joined tag; each platform's image is TAG-<os>-<arch>[-<variant>] "
    "(default: git describe --tags --dirty --always)",
    "platforms": "comma-separated os/arch[/variant] (default: build.platforms)",
    "registry": "registry host[:port] (default: build.registry)",
    "image": BUILD_HELP["image"],
    "main": BUILD_HELP["main"],
}


@task(
    klass=Switches,
    name="build",
    help={
        **COMMON_HELP,
        **{k: BUILD_HELP[k] for k in ("builder", "cache", "allow-workspace", "attestations")},
    },
)
@at_the_edge
def build_each(c, tag=None, platforms=None, registry=None, image=None, main=None,
               builder=None, cache=True, allow_workspace=False, attestations=None):  # fmt: skip
    """Build and push one image per platform, tagged TAG-<os>-<arch>[-<variant>].

    On a machine of each architecture, `--platforms` of that one builds it natively;
    `invoke manifest` then joins them.
    """
    settings = build_settings(
        c,
        tag=tag,
        platforms=platforms,
        registry=registry,
        image=image,
        main=main,
        builder=builder,
        cache=cache,
        allow_workspace=allow_workspace,
        attestations=attestations,
        push=True,
        load=False,
    )
    run = runner(c)
    plans = planning.plan(settings, run, os.environ)
    full.ensure_registry(plans[0], local_registry(c).settings, run)
    pushed = manifests.build_each(plans, run)
    if pushed:
        table = Table("platform", "image", "digest")
        for one, result in pushed:
            table.add_row(str(one), result.reference, result.digest)
        results.print(table)


@task(default=True, help=COMMON_HELP)
@at_the_edge
def create(c, tag=None, platforms=None, registry=None, image=None, main=None):
    """Join the per-platform images TAG-<os>-<arch>[-<variant>] into the multi-platform TAG.

    Refuses, before writing anything, when an input is missing or holds another
    platform than its tag names. Runs `docker buildx imagetools create` on the checked
    digests: manifests only, no layers copied.
    """
    settings = build_settings(
        c, tag=tag, platforms=platforms, registry=registry, image=image, main=main
    )
    for joined in manifests.create(settings, runner(c)):
        for reference in joined.references:
            results.print(f"image: {reference}")
        table = Table("platform", "manifest digest", "from")
        for m in joined.manifests:
            table.add_row(m.platform, m.digest, joined.source(m))
        results.print(table)


collection = Collection("manifest", create, build_each)
