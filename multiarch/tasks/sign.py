"""`invoke sign` and `invoke sbom`: a pushed image signed with cosign, its SBOMs written."""

from __future__ import annotations

import json
import os

from invoke import task
from rich.table import Table

from ..build import attestations, planning, signing
from ..core.command import results, say
from ..core.errors import UserError
from ..oci import sbom
from ..oci.registry_api import RegistryAPI
from .build_options import build_settings, dist_dir
from .edge import at_the_edge, runner, shown
from .options import Options, options

IMAGE_HELP = (
    "reference (default: what `invoke build` pushes from this checkout: "
    "BUILD_REGISTRY/IMAGE:<git describe>)"
)


def private_key(c, key: str | None) -> signing.Key:
    given = key or options(c, "sign")["key"]
    if not given:
        raise UserError("no key to sign with", "pass --key FILE or set sign.key")
    return signing.private_key(given, os.environ)


@task(klass=Options, options=("sign.key", "build.main"), help={"image": IMAGE_HELP})
@at_the_edge
def sign(c, flags, image=None):
    """Sign a pushed image with cosign: its index and every platform's manifest, and
    attest each platform's SPDX SBOM (the one attached to the index, else one made from
    the binary now), and the SLSA v1 provenance the index carries, on its manifest and on
    the index. No transparency log."""
    chosen = private_key(c, flags["sign.key"])
    ref = image or planning.default_image(build_settings(c, flags))
    pushed = attestations.read(ref)
    signing.sign(pushed.repository, pushed.digest, pushed.sboms(), chosen, runner(c), os.environ,
                 pushed.provenance)  # fmt: skip
    if not runner(c).dry:
        say(f"[green]signed[/] {pushed.repository}@{pushed.digest} and its "
            f"{len(pushed.platforms)} platforms")  # fmt: skip


@task(
    klass=Options,
    name="sbom",
    options=("dist.dir", "build.main"),
    help={
        "image": IMAGE_HELP,
        "format": "spdx (SPDX 2.3 JSON, default) or cyclonedx (CycloneDX 1.6 JSON)",
        "dist": "directory to write them to, relative to the module (default: dist.dir)",
    },
)
@at_the_edge
def sbom_(c, flags, image=None, format=sbom.SPDX):
    """Write each platform's SBOM of a pushed image, made from its binary's Go build
    information, to dist/<image>_<os>_<arch>[_<variant>].spdx.json (or .cdx.json)."""
    if format not in sbom.FORMATS:
        raise UserError(f"unknown SBOM format {format!r}", "use spdx or cyclonedx")
    ref = image or planning.default_image(build_settings(c, flags))
    out = dist_dir(c, flags)
    pushed = attestations.read(ref)
    host, _, repo = pushed.repository.partition("/")
    api = RegistryAPI(host)
    table = Table("platform", "SBOM", "modules")
    out.mkdir(parents=True, exist_ok=True)
    for digest, platform in pushed.platforms.items():
        binary = sbom.of_image(api, repo, platform, digest)
        name = f"{repo.rsplit('/', 1)[-1]}_{platform.replace('/', '_')}"
        if format == sbom.SPDX:
            path = out / f"{name}.spdx.json"
            path.write_text(json.dumps(sbom.spdx(binary), indent=2) + "\n")
        else:
            path = out / f"{name}.cdx.json"
            path.write_text(sbom.cyclonedx(binary) + "\n")
        table.add_row(platform, shown(path), str(len(binary.go.deps)))
    results.print(table)
