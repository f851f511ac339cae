"""`invoke release`, `invoke clean`: what is shipped, and dist/ where it lands."""

from __future__ import annotations

import os
from pathlib import Path

from invoke import task

from ..build import release as releases
from ..build import signing
from ..core.command import results, say
from ..fast import fast as fasts
from .build_options import build_settings, dist_dir
from .edge import at_the_edge, runner, shown
from .options import Options, options
from .registry import local_registry


@task(
    klass=Options,
    options=("build.registry", "build.image", "build.platforms", "build.main", "build.builder",
             "build.attestations", "dist.dir"),
    help={
        "sign": "sign with this key: cosign.key (password from COSIGN_PASSWORD) or an "
        "unencrypted PKCS#8 PEM (config sign.key; default: no signature)",
    },
)  # fmt: skip
@at_the_edge
def release(c, flags, sign=None):
    """Release the commit tagged vX.Y.Z: push X.Y.Z, X.Y, X and latest, and an OCI archive.

    Tags as docker/metadata-action does: a prerelease (v2.0.0-rc.1) gets only its own
    tag, never latest; v0.y.z gets no `0`. Refuses a dirty tree, untracked files, an
    untagged HEAD and go.work checkouts. Writes dist/<image>-<version>.oci.tar (every
    platform; `docker load -i` or skopeo read it) and a sha256sum file beside it before
    pushing anything. Attaches an SPDX SBOM and SLSA v1 provenance per platform to the
    index (as buildx does) and, with --sign, signs every tag's index and platform
    manifests with cosign.
    """
    given = sign or options(c, "sign")["key"]
    key = signing.private_key(given, os.environ) if given else None
    settings = build_settings(c, flags)
    run = runner(c)
    made = releases.release(
        settings, dist_dir(c, flags), local_registry(c).settings, run, os.environ, key
    )
    for done in made:
        results.print(f"version:  {done.version.tag}")
        for reference in done.references:
            results.print(f"pushed:   {reference}")
        results.print(f"digest:   {done.digest}")
        results.print(f"platforms: {', '.join(m.platform for m in done.manifests)}")
        results.print(f"archive:  {shown(done.archive)}")
        results.print(f"checksum: {shown(done.checksum)}")
        results.print(f"sbom:     SPDX per platform{', signed' if done.signed else ''}")
        if done.provenance:
            results.print(f"provenance: SLSA v1 per platform{', signed' if done.signed else ''}")


@task(klass=Options, options=("dist.dir",))
@at_the_edge
def clean(c, flags):
    """Remove dist/, temporary build contexts a killed build left, and the fast path's
    containers and state for this module; never registry data."""
    context, run = Path(options(c, "build")["context"]), runner(c)
    removed = releases.clean(dist_dir(c, flags), context, run)
    removed += fasts.forget(context, run)
    if not removed:
        say("nothing to remove")
