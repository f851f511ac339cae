"""A release: the commit tagged vX.Y.Z, built once for every platform, pushed under the
tags docker/metadata-action would give it, and kept as an OCI archive under dist/.

Everything that decides whether there may be a release is checked before anything is
built. The tree must be clean, untracked files included (they would be built in): a
release is exactly the tagged commit. HEAD must carry a version tag; when it carries
several (v2.0.0-rc.1 promoted to v2.0.0), the highest one is released. No other module
of a go.work may come along: local checkouts are not part of the tag.

With several main packages (build.main) each image is released the same way, all
built together. The archives are written before anything is pushed, so a failure
leaves nothing public.
It is the OCI image layout in a tar, with every platform, named after the release's
first reference: `docker load -i` (containerd image store) and `skopeo copy
oci-archive:FILE ...` read it. A checksum file beside it checks with `sha256sum -c`. It
is a separate export of the same build, and holds the same digests as the registry: the
build is reproducible and pushes with OCI media types (see buildx.py).

Once pushed, each platform's SBOM is made from its binary and attached to the index as
buildx attaches its own (attestations.py), with SLSA v1 provenance made from the plan
(provenance.py), in the registry and in the archive alike; with a key, cosign then signs
the index and every platform's manifest and attests the SBOMs and the provenance
(signing.py). The key is checked before anything is built.

`clean` removes what `invoke bin` and `invoke release` wrote (dist/), never registry data.
"""

from __future__ import annotations

import io
import json
import os
import tarfile
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..core import files
from ..core.command import Runner, say
from ..core.errors import UserError
from ..golang import semver, workspace
from ..golang.semver import Version
from ..golang.version import describe, now, tags_at_head, toplevel, untracked_files
from ..host.builder import buildx_version
from ..host.registry import RegistrySettings
from ..oci.layers import blob_path
from ..oci.registry_api import PlatformManifest
from . import attestations, full, planning, provenance, signing
from .full import FullBuild
from .settings import BuildSettings

ARCHIVE_SUFFIX = ".oci.tar"
# What the multiarch package leaves in the temporary directory while it works (go.work
# contexts), and how old such a directory must be to count as left behind by a kill.
TEMP_PATTERN = "multiarch-*"
STALE_AFTER = 3600  # seconds


@dataclass(frozen=True)
class Release:
    version: Version
    references: list[str]
    digest: str
    manifests: list[PlatformManifest]
    archive: Path
    checksum: Path
    signed: bool = False
    provenance: bool = False  # SLSA v1 attached to the index or attested (one platform)


def version_at_head(context: Path, dist: Path | None = None) -> Version:
    """The version HEAD is tagged with; UserError when the tree is not exactly that commit.

    Untracked files of the tasks' own do not count: what they write into `dist`, and the
    bytecode Python leaves beside tasks.py (`__pycache__`); no Go build reads either.
    """
    revision = describe(context, quiet=True)
    if revision.commit == "unknown":
        raise UserError(
            f"{context} is not in a git checkout with commits",
            "a release is made from a commit tagged vX.Y.Z",
        )
    if revision.dirty:
        raise UserError(
            "the working tree has uncommitted changes",
            "commit or stash them: a release is exactly the tagged commit",
        )
    outputs = dist.resolve() if dist is not None else None
    root = toplevel(context)
    untracked = [
        f
        for f in untracked_files(context)
        if "__pycache__" not in Path(f).parts
        and not (outputs and root and outputs in (root / f).resolve().parents)
    ]
    if untracked:
        shown = ", ".join(untracked[:3]) + (", …" if len(untracked) > 3 else "")
        raise UserError(
            f"the working tree has untracked files ({shown})",
            "commit, remove or .gitignore them: they would be built into the release",
        )
    tags = tags_at_head(context)
    version = semver.newest(tags)
    if version is None:
        named = f" (only {', '.join(tags)})" if tags else ""
        raise UserError(f"commit {revision.commit[:12]} has no version tag{named}", semver.HINT)
    return version


def release(
    base: BuildSettings,
    dist: Path,
    registry_settings: RegistrySettings,
    runner: Runner,
    environ: Mapping[str, str],
    key: signing.Key | None = None,
) -> list[Release]:
    """Check, export the OCI archives, push every tag, attach the SBOMs (to the archives
    too) and, with a key, sign; [] in a dry run."""
    context = Path(base.context).resolve()
    version = version_at_head(context, dist)
    others = workspace.resolve(context, environ).others
    if others:
        names = ", ".join(m.path or m.rel for m in others)
        raise UserError(
            f"refusing to release a build that uses local checkouts ({names}) through go.work",
            "set GOWORK=off: a release is built from the tagged module alone",
        )
    tags = version.image_tags()
    say(f"releasing {version.tag} as {', '.join(tags)}")
    settings = base.tagged(*tags).pushed().of_stage("image")
    # the binary and the labels say which tag is released, whatever `git describe` picks
    pushes = [p.at_version(version.tag) for p in planning.plan(settings, runner, environ)]
    full.ensure_registry(pushes[0], registry_settings, runner)

    archives = []
    for push in pushes:
        name = push.reference.rsplit("/", 1)[-1].rsplit(":", 1)[0]
        archives.append(dist.resolve() / f"{name}-{version}{ARCHIVE_SUFFIX}")
    # written under another name first: an interrupted export leaves no truncated archive
    partials = [a.with_name(a.name + ".partial") for a in archives]
    exports = [
        push.exported_to(f"type=oci,dest={partial}").with_references([push.reference])
        for push, partial in zip(pushes, partials, strict=True)
    ]
    checksums = [a.with_name(a.name + ".sha256") for a in archives]
    started = now()
    if not runner.dry:
        dist.resolve().mkdir(parents=True, exist_ok=True)
        for checksum in checksums:
            checksum.unlink(missing_ok=True)  # never beside an archive it does not describe
    try:
        FullBuild(runner).run(exports)
    except (UserError, KeyboardInterrupt):
        for partial in partials:
            partial.unlink(missing_ok=True)  # failed or interrupted: no half archive stays
        raise
    if not runner.dry:
        for partial, archive, checksum in zip(partials, archives, checksums, strict=True):
            partial.replace(archive)
            write_checksum(archive, checksum)

    pushed = FullBuild(runner).run(pushes)
    if runner.dry:
        signed = f", signed and attested with cosign ({key.path})" if key else ""
        say(f"[dim]then: an SPDX SBOM and SLSA v1 provenance per platform attached to each "
            f"index and archive{signed}[/]")  # fmt: skip
        return []
    run = provenance.Run(started, now(), buildx_version(runner))
    made = []
    for push, done, archive, checksum in zip(pushes, pushed, archives, checksums, strict=True):
        slsa = provenance.of_release(push, run, runner)
        published = attestations.publish(push.references, slsa)
        index = published.digest
        if published.attached is not None:
            add_attestations(archive, published.statements)
            write_checksum(archive, checksum)
        if key is not None:
            repository = push.reference.rsplit(":", 1)[0]
            signing.sign(repository, index, published.sboms, key, runner, environ,
                         published.provenance)  # fmt: skip
        attested = published.attached is not None or key is not None
        made.append(
            Release(version, push.references, index, done.manifests, archive, checksum,
                    signed=key is not None, provenance=attested)
        )  # fmt: skip
    return made


def add_attestations(archive: Path, statements: dict[str, list[bytes]]) -> None:
    """The attestations (SBOM, provenance) the registry's index got, added to the archive's
    index the same way: the archive keeps holding what the registry serves."""
    partial = archive.with_name(archive.name + ".partial")
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())

        def blob(digest: str) -> bytes:
            return tar.extractfile(blob_path(digest)).read()

        top = json.load(tar.extractfile("index.json"))
        (entry,) = top["manifests"]
        index = json.loads(blob(entry["digest"]))
        attached = attestations.attach(
            index, entry["mediaType"], statements, lambda d: json.loads(blob(d))
        )
        entry.update(digest=attached.digest, size=len(attached.index))
        new = {attached.digest: attached.index, **attached.blobs, **attached.manifests}
        with tarfile.open(partial, "w") as out:
            for member in tar:
                if member.name != "index.json":
                    out.addfile(member, tar.extractfile(member) if member.isfile() else None)
            for digest, body in new.items():
                if blob_path(digest) not in names:
                    _add(out, blob_path(digest), body)
            _add(out, "index.json", json.dumps(top).encode())
    partial.replace(archive)


def _add(tar: tarfile.TarFile, name: str, body: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode = len(body), 0o644
    tar.addfile(info, io.BytesIO(body))


def write_checksum(path: Path, checksum: Path) -> None:
    """`sha256sum`'s format: "<hex>  <name>", so `sha256sum -c` checks it from dist/."""
    checksum.write_text(f"{files.sha256(path)}  {path.name}\n")


def clean(dist: Path, context: Path, runner: Runner) -> list[Path]:
    """Remove dist/ and what a killed task left in the temporary directory; what it removed.

    Temporary build contexts (TEMP_PATTERN, owned by this user) are removed by the build
    that made them however it ends, unless it was killed outright: those are removed once
    older than STALE_AFTER, so a build running now keeps its own. Registry data is never
    touched: it lives in a Docker volume that only `invoke registry.rm --purge` deletes.
    """
    dist = files.output_dir(dist, context)
    now = time.time()
    stale = [
        path
        for path in sorted(Path(tempfile.gettempdir()).glob(TEMP_PATTERN))
        if path.is_dir()
        and not path.is_symlink()
        and path.lstat().st_uid == os.getuid()  # ours: another user's build is not
        and now - path.lstat().st_mtime > STALE_AFTER
    ]
    removed = [dist] if dist.exists() else []
    for path in removed + stale:
        runner.run(["rm", "-rf", str(path)])
    return removed + stale
