"""Split builds and their join, without Docker: tags, plans, and what an input holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from multiarch.build import binaries, buildx, manifest
from multiarch.build.buildx import PUSH_OUTPUT
from multiarch.build.planning import Plan
from multiarch.build.settings import BuildSettings
from multiarch.core.platforms import Platform, parse
from multiarch.dockerfile import dockerfile
from multiarch.golang import mains
from multiarch.golang.version import Revision
from multiarch.golang.workspace import resolve
from multiarch.host.builder import Builder

REV = Revision("v1.4.2", "a" * 40, False, "2026-01-01T00:00:00Z", "")


def plan(tmp_path: Path, **settings) -> Plan:
    (tmp_path / "go.mod").write_text("module example.com/hellorld\n\ngo 1.24\n")
    s = BuildSettings(context=str(tmp_path), **settings)
    return Plan(
        settings=s,
        platforms=parse(s.platforms),
        layout=resolve(tmp_path, {"GOWORK": "off"}),
        revision=REV,
        builder=Builder("", "docker", True),
        references=[f"{s.registry}/hellorld:{t}" for t in s.tag.split(",")],
        main=mains.Main(".", "example.com/hellorld", "hellorld"),
        dockerfile=dockerfile.Source(tmp_path / "Dockerfile", "FROM scratch AS image\n"),
    )


def test_suffixed_tags_name_the_platform():
    assert manifest.suffixed("1.4.2", Platform("linux", "arm", "v7")) == "1.4.2-linux-arm-v7"
    assert manifest.suffixed("e2e", Platform("linux", "amd64")) == "e2e-linux-amd64"


def test_one_plan_per_platform_each_under_its_own_tags(tmp_path):
    whole = plan(tmp_path, tag="1.4.2,latest")
    split = [one for p in whole.platforms for one in manifest.for_platform([whole], p)]
    assert [p.platforms for p in split] == [[p] for p in whole.platforms]
    reg = "localhost:5000/hellorld"
    assert [p.references for p in split] == [
        [f"{reg}:1.4.2-linux-amd64", f"{reg}:latest-linux-amd64"],
        [f"{reg}:1.4.2-linux-arm64", f"{reg}:latest-linux-arm64"],
        [f"{reg}:1.4.2-linux-arm-v7", f"{reg}:latest-linux-arm-v7"],
    ]
    argv = buildx.command(split[2], {}, None)
    assert argv[argv.index("--platform") + 1] == "linux/arm/v7"
    assert argv[argv.index("--output") + 1] == PUSH_OUTPUT


def single(os_: str, arch: str, variant: str | None = None) -> dict:
    """`imagetools inspect --format '{{json .}}'` of a single-platform image."""
    config = {"os": os_, "architecture": arch, **({"variant": variant} if variant else {})}
    media = "application/vnd.docker.distribution.manifest.v2+json"
    return {"manifest": {"mediaType": media, "digest": "sha256:1"}, "image": config}


def index(*platforms: dict) -> dict:
    entries = [{"digest": f"sha256:{n}", "platform": p} for n, p in enumerate(platforms)]
    media = "application/vnd.oci.image.index.v1+json"
    return {"manifest": {"mediaType": media, "digest": "sha256:i", "manifests": entries}}


ATTESTATION = {"os": "unknown", "architecture": "unknown"}


@pytest.mark.parametrize(
    "doc, held",
    [
        (single("linux", "amd64"), ["linux/amd64"]),
        (single("linux", "arm64", "v8"), ["linux/arm64"]),  # buildx leaves v8 out
        (single("linux", "arm", "v7"), ["linux/arm/v7"]),
        (single("windows", "amd64"), ["windows/amd64"]),
        (single("plan9", "mips"), ["plan9/mips"]),
        # an index with one platform and its provenance attestation
        (index({"os": "linux", "architecture": "arm", "variant": "v7"}, ATTESTATION),
         ["linux/arm/v7"]),
        (index({"os": "linux", "architecture": "amd64"}, {"os": "linux", "architecture": "arm64"}),
         ["linux/amd64", "linux/arm64"]),
    ],
)  # fmt: skip
def test_what_an_input_holds(doc, held):
    assert manifest.platforms_held(doc) == held


def test_binaries_go_where_buildx_puts_them(tmp_path):
    assert binaries.directory(tmp_path, Platform("linux", "arm", "v7")) == tmp_path / "linux_arm_v7"
    assert binaries.directory(tmp_path, Platform("windows", "amd64")) == (
        tmp_path / "windows_amd64"
    )


def test_binary_build_settings(tmp_path):
    base = BuildSettings(platforms="linux/amd64,windows/amd64", attestations="on")
    s = binaries.settings(base, tmp_path)
    assert (s.target, s.output) == ("binary", f"type=local,dest={tmp_path}")
    assert (s.push, s.load, s.attestations) == (False, False, "off")
    # one platform: buildx writes into dest itself, so it is given the platform's directory
    one = binaries.settings(BuildSettings(platforms="linux/arm64"), tmp_path)
    assert one.output == f"type=local,dest={tmp_path / 'linux_arm64'}"


def test_joined_names_its_references_and_where_each_manifest_came_from():
    from multiarch.oci.registry_api import PlatformManifest

    amd, arm = Platform("linux", "amd64"), Platform("linux", "arm64")
    inputs = [
        manifest.Input(amd, "r/app:1.0-linux-amd64", "sha256:a"),
        manifest.Input(arm, "r/app:1.0-linux-arm64", "sha256:b"),
    ]
    served = [
        PlatformManifest("linux/amd64", "sha256:a"),
        PlatformManifest("linux/arm64", "sha256:c"),
    ]
    joined = manifest.Joined("r/app", ["1.0", "latest"], served, inputs)
    assert joined.references == ["r/app:1.0", "r/app:latest"]
    assert [joined.source(m) for m in served] == ["r/app:1.0-linux-amd64", ""]
