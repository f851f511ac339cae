"""Verification of a pushed image: its commit rebuilt from git, compared platform by platform.

The image's labels name its commit (`org.opencontainers.image.revision`) and what went
into the build besides the tree: the version linked into the binary, the time (which is
its SOURCE_DATE_EPOCH) and the source URL. The commit is checked out in a temporary git
worktree and built from there with no BuildKit cache, into an OCI layout on disk
(nothing is pushed), for the platforms the image has; then each platform's manifest
digest is compared with the registry's. Where they differ, both images are read layer by
layer and the files that differ are named.

An image built from local go.work checkouts, or from a tree with uncommitted changes, is
refused before anything is built: no commit holds what went into it.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..build import attestations, planning, provenance, signing
from ..build.full import FullBuild
from ..build.planning import WORKSPACE_LABEL
from ..build.settings import BuildSettings
from ..core.command import Runner, say
from ..core.errors import UserError
from ..golang.version import Revision, has_commit, toplevel
from ..oci import layers
from ..oci.layers import File
from ..oci.registry_api import RegistryAPI, platform_of, split_reference

OCI = "org.opencontainers.image"
HINT = "verify an image that `invoke build` pushed from a clean commit"


@dataclass(frozen=True)
class Image:
    """The image to verify, as the registry serves it."""

    reference: str
    digest: str
    platforms: dict[str, str]  # platform -> manifest digest, attestations left out
    labels: dict[str, str]
    source: layers.Remote


@dataclass(frozen=True)
class Plan:
    image: Image
    revision: Revision  # what the labels say the image was built from
    root: Path  # the git checkout holding the commit
    module_dir: Path  # the module's directory in it, relative
    settings: BuildSettings  # the rebuild's: no cache, no push, no attestations


@dataclass(frozen=True)
class Platform:
    platform: str
    pushed: str  # manifest digest in the registry
    rebuilt: str  # manifest digest of the rebuild; "" when the rebuild lacks the platform
    files: list[tuple[str, File | None, File | None]]  # (path, pushed, rebuilt)
    config: list[str]  # keys of the image configuration that differ

    @property
    def same(self) -> bool:
        return self.pushed == self.rebuilt


@dataclass(frozen=True)
class Report:
    plan: Plan
    rebuilt_digest: str
    platforms: list[Platform]

    @property
    def differing(self) -> list[Platform]:
        return [p for p in self.platforms if not p.same]


def signed(ref: str, public: Path, runner: Runner, commit: str) -> attestations.Image:
    """The image's SBOM per platform in its index, and cosign's signatures and SPDX
    attestations by `public` on the index and each platform; its SLSA v1 provenance, when
    the index carries it, attested too and naming `commit`; UserError naming what lacks.
    What was checked, read from the registry."""
    pushed = attestations.read(ref)
    missing = pushed.missing()
    if missing:
        raise UserError(
            f"{ref} carries no SBOM attestation for {', '.join(missing)} in its index",
            "release it with `invoke release`, which attaches them",
        )
    provenance.check_commit(pushed.provenance, pushed.platforms, commit)
    signing.check(pushed.repository, pushed.digest, pushed.platforms, public, runner,
                  pushed.provenance)  # fmt: skip
    return pushed


def read(reference: str) -> Image:
    """The image's platforms and labels, from the registry's API."""
    host, repo, ref = split_reference(reference)
    api = RegistryAPI(host)
    index = api.index(repo, ref)
    source = layers.Remote(api, repo)
    first = index.manifests[0].digest
    config = layers.config(source, source.manifest(first))
    if index.platforms == ["unknown"]:  # one manifest, no index: its config names it
        platforms = {platform_of({"platform": config}): first}
    else:
        platforms = {m.platform: m.digest for m in index.manifests}
    labels = (config.get("config") or {}).get("Labels") or {}
    return Image(reference, index.digest, platforms, labels, source)


def revision(image: Image) -> Revision:
    """What the labels say the image was built from; UserError when no commit holds it."""
    labels = image.labels

    def refuse(why: str) -> UserError:
        return UserError(f"{image.reference} cannot be verified: {why}", HINT)

    if WORKSPACE_LABEL in labels:
        raise refuse(
            f"it was built from local go.work checkouts ({WORKSPACE_LABEL}), not from one commit"
        )
    commit = labels.get(f"{OCI}.revision", "")
    if len(commit) != 40:
        raise refuse(f"its {OCI}.revision label names no commit ({commit or 'none'})")
    version = labels.get(f"{OCI}.version", "")
    if version.endswith("-dirty"):
        raise refuse(f"it was built from a tree with uncommitted changes (version {version})")
    created = labels.get(f"{OCI}.created", "")
    try:
        dt.datetime.fromisoformat(created)
    except ValueError:
        raise refuse(f"its {OCI}.created label is not a time ({created or 'none'})") from None
    return Revision(version, commit, False, created, labels.get(f"{OCI}.source", ""))


def plan(base: BuildSettings, reference: str) -> Plan:
    """Read the image and check it can be verified here; nothing is built yet."""
    image = read(reference)
    rev = revision(image)
    context = Path(base.context).resolve()
    root = toplevel(context)
    if root is None:
        raise UserError(
            f"{context} is not in a git checkout", "run verify in the image's repository"
        )
    if not has_commit(root, rev.commit):
        raise UserError(
            f"commit {rev.commit} ({reference}'s revision) is not in the repository at {root}",
            "git fetch it, or run verify in the repository the image was built from",
        )
    settings = (
        base.for_platforms(",".join(image.platforms))
        .tagged("verify")
        .kept()
        .without_cache()
        .without_attestations()
    )
    return Plan(image, rev, root, context.relative_to(root), settings)


def run(p: Plan, runner: Runner, environ: Mapping[str, str]) -> Report | None:
    """Rebuild the commit in a temporary worktree and compare; None in a dry run."""
    with tempfile.TemporaryDirectory(prefix="multiarch-verify-") as tmp:
        worktree, out = Path(tmp) / "src", Path(tmp) / "rebuilt"
        git = ["git", "-C", str(p.root), "worktree"]
        runner.run([*git, "add", "--detach", str(worktree), p.revision.commit], capture=True)
        if runner.dry:
            say("[dim]dry run: the rebuild is planned in that worktree, which is not made[/]")
            return None
        try:
            rebuilt = _rebuild(p, worktree / p.module_dir, out, runner, environ)
        finally:
            runner.run([*git, "remove", "--force", str(worktree)], capture=True)
        return compare(p, rebuilt)


def _rebuild(p: Plan, context: Path, out: Path, runner, environ) -> layers.Layout:
    settings = p.settings.in_context(str(context)).exported_to(f"type=oci,tar=false,dest={out}")
    # an image without the workspace label was built from the module alone
    plans = planning.plan(settings, runner, {**environ, "GOWORK": "off"})
    rebuild = _of_image(plans, p.image)
    # the version, time and source its labels name, whatever git says of the commit now
    # (a tag added since, another origin URL)
    FullBuild(runner).run([rebuild.of_revision(p.revision)])
    return layers.Layout(out)


def _of_image(plans: list[planning.Plan], image: Image) -> planning.Plan:
    """The plan of the main package that made the image: the one its title label names
    (the binary), when build.main names several."""
    if len(plans) == 1:
        return plans[0]
    title = image.labels.get(f"{OCI}.title", "")
    for plan in plans:
        if plan.main.binary == title:
            return plan
    commands = ", ".join(plan.main.package for plan in plans)
    raise UserError(
        f"{image.reference} is titled {title!r}, which none of build.main ({commands}) builds",
        "pass --main with the main package that built it",
    )


def compare(p: Plan, rebuilt: layers.Layout) -> Report:
    """Each platform's digests, and where they differ, the files and settings that do."""
    digest, platforms = rebuilt.image()
    pushed_source = p.image.source
    compared = []
    for platform, pushed in p.image.platforms.items():
        mine = platforms.get(platform, "")
        files: list = []
        config: list[str] = []
        if mine and mine != pushed:
            theirs_m, mine_m = pushed_source.manifest(pushed), rebuilt.manifest(mine)
            files = layers.differences(
                layers.files(theirs_m, pushed_source.blob), layers.files(mine_m, rebuilt.blob)
            )
            config = layers.config_differences(
                layers.config(pushed_source, theirs_m), layers.config(rebuilt, mine_m)
            )
        compared.append(Platform(platform, pushed, mine, files, config))
    return Report(p, digest, compared)
