"""Split builds: one image per platform under <tag>-<os>-<arch>[-<variant>], then one
multi-platform tag joined from them.

Building each platform on its own lets each architecture be built natively on a machine
of its own (or in parallel CI jobs) instead of cross-compiling or emulating on one. The
join checks every input before it writes anything: that it exists, and that it holds
exactly the platform its tag names. `docker buildx imagetools create` checks neither and
would publish an amd64 image as arm64 without a word. The index is made from the
digests that were checked, so what was checked is what is joined; only manifests are
written, no layer is copied.

Inputs are read with `docker buildx imagetools inspect`, which uses the Docker client's
credentials, so the same check works for a local registry and for one that needs
`docker login`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..core import platforms
from ..core.command import NETWORK_TIMEOUT, Runner, last_line
from ..core.errors import UserError
from ..core.platforms import Platform
from ..golang.version import describe
from ..host import builder, docker
from ..oci.registry_api import INDEX_TYPES, PlatformManifest, platform_manifests
from . import full, planning
from .full import FullBuild, Result
from .planning import Plan
from .settings import BuildSettings, check


def suffixed(tag: str, platform: Platform) -> str:
    """The tag (or reference) a platform's own image is pushed under: "1.4.2-linux-arm-v7"."""
    return f"{tag}-{platform.slug}"


def for_platform(plans: list[Plan], target: Platform) -> list[Plan]:
    """The plans (one per main package) for one platform, pushed under suffixed tags."""
    return [
        p.for_platforms([target]).with_references([suffixed(r, target) for r in p.references])
        for p in plans
    ]


def build_each(plans: list[Plan], runner: Runner) -> list[tuple[Platform, Result]]:
    """Build and push each platform on its own, every main package of it in one build;
    [] in a dry run."""
    return [
        (target, result)
        for target in plans[0].platforms
        for result in FullBuild(runner).run(for_platform(plans, target))
    ]


@dataclass(frozen=True)
class Input:
    platform: Platform
    reference: str  # REGISTRY/IMAGE:TAG-<os>-<arch>[-<variant>]
    digest: str


def target(settings: BuildSettings) -> tuple[list[str], list[str]]:
    """The repositories (REGISTRY/IMAGE, one per main package) and the tags to join,
    defaulted as `invoke build` defaults them: each binary's name, and the git version."""
    context = Path(settings.context)
    check(settings)
    tags = planning.tag_list(settings, describe(context, quiet=bool(settings.tag)))
    return [f"{settings.registry}/{image}" for image in planning.image_names(settings)], tags


def inputs(runner: Runner, repository: str, tag: str, targets: list[Platform]) -> list[Input]:
    """Each platform's image, checked; UserError naming every input that is missing or
    holds something other than the platform its tag names."""
    docker.server_version(runner)
    builder.buildx_version(runner)
    found: list[Input] = []
    problems: list[str] = []
    for platform in targets:
        reference = f"{repository}:{suffixed(tag, platform)}"
        doc = inspect(runner, reference)
        if doc is None:
            problems.append(f"{reference} is missing")
            continue
        held = platforms_held(doc)
        if held != [str(platform)]:
            problems.append(f"{reference} holds {', '.join(held) or 'no image'}, not {platform}")
            continue
        found.append(Input(platform, reference, doc["manifest"]["digest"]))
    if problems:
        raise UserError(
            f"refusing to join {repository}:{tag}: " + "; ".join(problems),
            f"push each platform's image with `invoke manifest.build --tag {tag} "
            "--platforms <that platform>`",
        )
    return found


def inspect(runner: Runner, reference: str) -> dict | None:
    """What `imagetools inspect` says of a reference, or None when there is none such."""
    result = runner.query(
        ["docker", "buildx", "imagetools", "inspect", "--format", "{{json .}}", reference],
        check=False,
        timeout=NETWORK_TIMEOUT,
    )
    if result.returncode == 0:
        return json.loads(result.stdout)
    if "not found" in result.stderr:
        return None
    raise UserError(
        f"cannot read {reference}: {last_line(result.stderr).removeprefix('ERROR: ')}",
        "check --registry, that it runs, and `docker login` to it if it needs one",
    )


def platforms_held(doc: dict) -> list[str]:
    """The platforms an image holds: an index's entries (attestations left out), or what
    a single image's configuration says of itself, normalised as buildx names them."""
    manifest = doc.get("manifest") or {}
    if manifest.get("mediaType") in INDEX_TYPES:
        return [normalised(m.platform) for m in platform_manifests(manifest)]
    config = doc.get("image") or {}
    parts = (config.get("os", "unknown"), config.get("architecture", "unknown"))
    return [normalised("/".join([*parts, config.get("variant", "")]).rstrip("/"))]


def normalised(text: str) -> str:
    try:
        return str(platforms.parse_one(text))
    except UserError:
        return text


def join(
    runner: Runner, repository: str, tags: list[str], found: list[Input]
) -> list[PlatformManifest]:
    """Make the multi-platform tags from the checked inputs; the platforms they hold, as
    the registry serves them (empty in a dry run)."""
    argv = ["docker", "buildx", "imagetools", "create"]
    for tag in tags:
        argv += ["-t", f"{repository}:{tag}"]
    argv += [f"{repository}@{i.digest}" for i in found]
    runner.run(argv, hint="its own output above says why")
    if runner.dry:
        return []
    return full.pushed_manifests(runner, f"{repository}:{tags[0]}")


@dataclass(frozen=True)
class Joined:
    """One multi-platform image made from its per-platform inputs."""

    repository: str  # REGISTRY/IMAGE
    tags: list[str]
    manifests: list[PlatformManifest]  # as the registry serves the joined index
    inputs: list[Input]

    @property
    def references(self) -> list[str]:
        return [f"{self.repository}:{tag}" for tag in self.tags]

    def source(self, manifest: PlatformManifest) -> str:
        """The input a platform's manifest came from, "" if none of them."""
        return {i.digest: i.reference for i in self.inputs}.get(manifest.digest, "")


def create(settings: BuildSettings, runner: Runner) -> Iterator[Joined]:
    """Join the per-platform images of every repository (one per main package) into its
    multi-platform tags, every input of every image checked before any tag is written;
    each one yielded as it is made, none in a dry run."""
    repositories, tags = target(settings)
    targets = platforms.parse(settings.platforms)
    found = {r: inputs(runner, r, tags[0], targets) for r in repositories}
    for repository, checked in found.items():
        joined = join(runner, repository, tags, checked)
        if not runner.dry:
            yield Joined(repository, tags, joined, checked)
