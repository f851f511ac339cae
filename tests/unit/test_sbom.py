"""SBOMs from Go build information: the modules, the formats' own validators, determinism."""

from __future__ import annotations

import datetime as dt
import json

from multiarch.oci import executable, sbom

MODINFO = "\n".join(
    [
        "path\texample.com/app/cmd/app",
        "mod\texample.com/app\t(devel)\t",
        "dep\tgithub.com/google/uuid\tv1.6.0\th1:NIvaJDMOsjHA8n1jAhLSgzrAzy1Hgr+hNrb57e+94F0=",
        "dep\tgolang.org/x/text\tv0.21.0\th1:zyQAAkrwaneQ066sspRyJaG9VNi/YJ1NfzcGB3hZ/qo=",
        "=>\tgolang.org/x/text\tv0.20.0\th1:gK/Kv2otX8gz+wn7Rmb3vT96ZwuoxnQlY+HlJVj7Qug=",
        "dep\texample.com/local\tv0.0.0\t",
        "=>\t../local\t(devel)\t",
        "build\t-buildmode=exe",
        'build\t-ldflags="-s -w -X main.version=v1"',
        "build\tCGO_ENABLED=0",
        "build\tGOARCH=arm",
        "build\tGOOS=linux",
        "build\tGOARM=7",
    ]
)


def binary() -> sbom.Binary:
    go = executable._modinfo("go1.24.4", MODINFO)
    subject = sbom.Subject(
        repository="localhost:5000/app",
        platform="linux/arm/v7",
        digest="sha256:" + "a" * 64,
        binary="/app",
        binary_sha1="b" * 40,
        binary_sha256="c" * 64,
        version="v1.4.2",
        created=dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
    )
    return sbom.Binary(go, subject)


def test_the_build_info_names_every_dependency_its_replacement_and_settings():
    go = binary().go
    assert [d.path for d in go.deps] == [
        "github.com/google/uuid",
        "golang.org/x/text",
        "example.com/local",
    ]
    assert go.deps[1].replace == executable.Module(
        "golang.org/x/text", "v0.20.0", "h1:gK/Kv2otX8gz+wn7Rmb3vT96ZwuoxnQlY+HlJVj7Qug="
    )
    assert go.deps[2].replace == executable.Module("../local", "(devel)", "")
    assert go.settings["-ldflags"] == "-s -w -X main.version=v1"  # unquoted as Go does
    assert go.settings["GOARM"] == "7"
    assert (go.module, go.module_version, go.path) == (
        "example.com/app",
        "(devel)",
        "example.com/app/cmd/app",
    )


def test_spdx_lists_what_is_shipped_and_validates():
    from spdx_tools.spdx.parser.jsonlikedict.json_like_dict_parser import JsonLikeDictParser
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    document = sbom.spdx(binary())
    assert validate_full_spdx_document(JsonLikeDictParser().parse(document)) == []
    assert sbom.spdx_modules(document) == [
        ("example.com/local", "(devel)"),
        ("github.com/google/uuid", "v1.6.0"),
        ("golang.org/x/text", "v0.20.0"),  # the replacement is what the binary holds
    ]
    packages = {p["name"]: p for p in document["packages"]}
    main = packages["example.com/app"]
    assert main["versionInfo"] == "v1.4.2"  # the release's, where the binary says (devel)
    assert "GOARM=7" in main["comment"]
    locators = {r["referenceLocator"] for p in packages.values() for r in p["externalRefs"]}
    assert "pkg:golang/golang.org/x/text@v0.20.0" in locators
    assert "pkg:golang/stdlib@1.24.4" in locators
    uuid_sum = packages["github.com/google/uuid"]["checksums"][0]
    assert uuid_sum["algorithm"] == "SHA256" and len(uuid_sum["checksumValue"]) == 64
    assert document["creationInfo"]["created"] == "2026-01-02T03:04:05Z"


def test_cyclonedx_validates_and_carries_the_build_settings():
    document = json.loads(sbom.cyclonedx(binary()))
    assert document["specVersion"] == "1.6"
    props = {p["name"]: p["value"] for p in document["metadata"]["component"]["properties"]}
    assert props["cdx:gomod:build:env:GOARCH"] == "arm"
    assert props["cdx:gomod:build:ldflags"] == "-s -w -X main.version=v1"
    purls = sorted(c["purl"] for c in document["components"])
    assert "pkg:golang/github.com/google/uuid@v1.6.0" in purls


def test_the_same_binary_gives_the_same_bytes():
    assert json.dumps(sbom.spdx(binary())) == json.dumps(sbom.spdx(binary()))
    assert sbom.cyclonedx(binary()) == sbom.cyclonedx(binary())
