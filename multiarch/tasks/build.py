"""`invoke build`: a multi-platform image of this Go module, pushed to a registry."""

from __future__ import annotations

import os

from invoke import task
from rich.table import Table

from .. import build as builds
from ..command import results
from ..goenv import GoSettings
from .edge import at_the_edge, options, runner, section_settings
from .registry import local_registry

# Help for the options that the build tasks (build, manifest.build, bin, release) share.
BUILD_HELP = {
    "platforms": "comma-separated os/arch[/variant] (default linux/amd64,linux/arm64,linux/arm/v7)",
    "registry": "registry host[:port] to push to (default localhost:5000, the local "
    "registry, started if need be)",
    "image": "image name (default: the last element of the Go module path)",
    "tag": "image tag (default: git describe --tags --dirty --always)",
    "builder": "buildx builder (default: the default builder if it can push "
    "multi-platform images, else a docker-container builder 'multiarch')",
    "push": "push to the registry (default); --no-push only builds",
    "load": "load the image into the local image store instead (with --no-push)",
    "no-cache": "build without BuildKit's cache (Go's cache mounts stay)",
    "allow-workspace": "allow pushing a build of local go.work checkouts to a "
    "registry that is not on this machine",
    "attestations": "auto (none for a registry on this machine), on or off",
}


def build_settings(c, **flags) -> builds.BuildSettings:
    """Build settings: Invoke configuration (build.*, go.*), overridden by the flags given."""
    go = section_settings(GoSettings, c, "go")
    return builds.BuildSettings(**options(c, "build", **flags), go=go)


@task(help=BUILD_HELP)
@at_the_edge
def build(
    c,
    platforms=None,
    registry=None,
    image=None,
    tag=None,
    builder=None,
    push=True,
    load=False,
    no_cache=False,
    allow_workspace=False,
    attestations=None,
):
    """Build the module for several platforms with buildx and push one image index.

    A go.work around the module (GOWORK as the go command reads it) brings its other
    modules into the build as named build contexts; the image records them in labels.
    The host's Go module settings (GOPROXY, GOPRIVATE, ...; config go.*) apply inside,
    and its netrc and go.ca reach the module download as BuildKit secrets.
    """
    settings = build_settings(
        c,
        platforms=platforms,
        registry=registry,
        image=image,
        tag=tag,
        builder=builder,
        # a switch left at its default leaves the configured value in force
        push=None if push else False,
        load=True if load else None,
        no_cache=True if no_cache else None,
        allow_workspace=True if allow_workspace else None,
        attestations=attestations,
    )
    run = runner(c)
    plan = builds.plan(settings, run, os.environ)
    builds.ensure_registry(plan, local_registry(c).settings, run)
    result = builds.run(plan, run)
    if result is not None:
        show(result)


def show(result: builds.Result) -> None:
    results.print(f"image:  {result.reference}")
    results.print(f"digest: {result.digest}")
    if result.manifests:
        table = Table("platform", "manifest digest")
        for m in result.manifests:
            table.add_row(m.platform, m.digest)
        results.print(table)
