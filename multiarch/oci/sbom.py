"""A Go binary's SBOM, from its own build information: no scanner, nothing guessed.

Go writes into every binary the exact list of modules it was linked from (path, version,
go.sum's hash, what replaced it), its toolchain and its build settings (`go version -m`
prints them; executable.go_build reads them). That list is the SBOM:

- the main module (the package the image describes; its version is the image's release
  version where the binary says only "(devel)"), the binary it made (by SHA-1 and SHA-256,
  as SPDX asks of files), the Go standard library of the toolchain, and one package per
  dependency, `pkg:golang/PATH@VERSION`; a replaced module is listed as what replaced
  it, naming what it replaces; a dependency's checksum is go.sum's `h1:` hash as hex
  SHA-256, as ko writes it;
- SPDX 2.3 JSON (what buildx's attestations and `cosign attest --type spdxjson` carry)
  or CycloneDX 1.6 JSON, made with the formats' own libraries (spdx-tools,
  cyclonedx-python-lib) and checked with their validators before it is used.

The document is a function of the binary, its image's platform manifest digest and the
release's time: made twice, it is the same bytes.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import io
import json
import re
import uuid
from dataclasses import dataclass

from packageurl import PackageURL

from ..core.errors import UserError
from . import executable, image_files
from .executable import GoBuild, Module
from .registry_api import RegistryAPI

SPDX = "spdx"
CYCLONEDX = "cyclonedx"
FORMATS = (SPDX, CYCLONEDX)
TOOL = "multiarch"
OCI_VERSION = "org.opencontainers.image.version"
OCI_CREATED = "org.opencontainers.image.created"


@dataclass(frozen=True)
class Subject:
    """What an SBOM describes: one platform's image, and the binary in it."""

    repository: str  # "localhost:5000/hellorld": the image, without tag or digest
    platform: str  # "linux/arm/v7"
    digest: str  # the platform's manifest digest
    binary: str  # its path in the image: "/hellorld"
    binary_sha1: str
    binary_sha256: str
    version: str  # the image's version label ("v1.4.2"), "" if none
    created: dt.datetime  # the image's creation time: the commit's, for a clean commit

    @property
    def name(self) -> str:
        return f"{self.repository}@{self.digest} ({self.platform})"


@dataclass(frozen=True)
class Binary:
    """A platform's binary as an image holds it: its build information and the subject."""

    go: GoBuild
    subject: Subject


def of_image(api: RegistryAPI, repo: str, platform: str, digest: str) -> Binary:
    """The Go build information of the entrypoint of a platform's image in a registry."""
    config = api.config(repo, digest)
    found = image_files.entrypoint(api, repo, digest)
    exe = executable.read(found.data)
    if exe.go is None:
        raise UserError(
            f"{api.host}/{repo}@{digest} ({platform}): its entrypoint {found.path} has no Go "
            "build information",
            "an SBOM is made from a Go binary's build information (Go 1.18 or newer)",
        )
    labels = (config.get("config") or {}).get("Labels") or {}
    created = _time(labels.get(OCI_CREATED) or config.get("created") or "")
    subject = Subject(
        repository=f"{api.host}/{repo}",
        platform=platform,
        digest=digest,
        binary=found.path,
        binary_sha1=hashlib.sha1(found.data).hexdigest(),
        binary_sha256=hashlib.sha256(found.data).hexdigest(),
        version=labels.get(OCI_VERSION, ""),
        created=created,
    )
    return Binary(exe.go, subject)


def _time(text: str) -> dt.datetime:
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        when = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    when = when if when.tzinfo else when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC).replace(microsecond=0)


def shipped(module: Module) -> Module:
    """The module whose code is in the binary: the replacement, for a replaced one."""
    return module.replace or module


def purl(path: str, version: str) -> str:
    """pkg:golang/golang.org/x/text@v0.14.0"""
    namespace, _, name = path.rpartition("/")
    return PackageURL("golang", namespace or None, name, version or None).to_string()


def _sha256_of_sum(go_sum: str) -> str:
    """go.sum's "h1:BASE64" as hex SHA-256 (the hash of the module's file tree); "" if none."""
    if not go_sum.startswith("h1:"):
        return ""
    try:
        raw = base64.b64decode(go_sum[3:], validate=True)
    except (binascii.Error, ValueError):
        return ""
    return raw.hex() if len(raw) == 32 else ""


def _main_version(b: Binary) -> str:
    said = b.go.module_version
    return b.subject.version if said in ("", "(devel)") and b.subject.version else said


def _stdlib_version(go: GoBuild) -> str:
    """go1.24.4 -> 1.24.4, as vulnerability databases name the standard library's versions."""
    return go.go_version.removeprefix("go").split(" ")[0]


def settings_text(go: GoBuild) -> str:
    return "\n".join(f"{key}={value}" for key, value in go.settings.items())


# --- SPDX 2.3 ------------------------------------------------------------------


def _spdx_id(kind: str, name: str, taken: set[str]) -> str:
    base = f"SPDXRef-{kind}-" + re.sub(r"[^A-Za-z0-9.]+", "-", name).strip("-")
    found, n = base, 1
    while found in taken:
        n += 1
        found = f"{base}-{n}"
    taken.add(found)
    return found


def spdx(b: Binary) -> dict:
    """The SPDX 2.3 document (JSON, as a dict), validated by spdx-tools."""
    from spdx_tools.spdx.model import (
        Actor,
        ActorType,
        Checksum,
        ChecksumAlgorithm,
        CreationInfo,
        Document,
        ExternalPackageRef,
        ExternalPackageRefCategory,
        File,
        FileType,
        Package,
        PackagePurpose,
        Relationship,
        RelationshipType,
        SpdxNoAssertion,
    )
    from spdx_tools.spdx.writer.json.json_writer import write_document_to_stream

    go, s = b.go, b.subject
    taken: set[str] = set()

    def package(module: Module, purpose, comment: str | None = None) -> Package:
        checksum = _sha256_of_sum(module.sum)
        return Package(
            spdx_id=_spdx_id("Package", module.path, taken),
            name=module.path,
            version=module.version,
            download_location=SpdxNoAssertion(),
            files_analyzed=False,
            checksums=[Checksum(ChecksumAlgorithm.SHA256, checksum)] if checksum else [],
            external_references=[
                ExternalPackageRef(
                    ExternalPackageRefCategory.PACKAGE_MANAGER,
                    "purl",
                    purl(module.path, module.version),
                )
            ],
            primary_package_purpose=purpose,
            comment=comment,
        )

    main_module = Module(go.module or go.path, _main_version(b), go.module_sum)
    main = package(
        main_module,
        PackagePurpose.APPLICATION,
        f"Go build settings of {go.path or go.module}:\n{settings_text(go)}",
    )
    stdlib = package(
        Module("stdlib", _stdlib_version(go)),
        PackagePurpose.LIBRARY,
        f"the Go standard library of {go.go_version}",
    )
    deps = []
    for dep in go.deps:
        used = shipped(dep)
        shown = dep if used.version == "(devel)" else used  # a directory has no module path
        said = f"replaces {dep.path} {dep.version}" if dep.replace else None
        if dep.replace and used.version == "(devel)":
            said = f"replaced by the directory {used.path}"
        deps.append(package(Module(shown.path, used.version, used.sum), PackagePurpose.LIBRARY,
                            said))  # fmt: skip
    binary = File(
        name="." + s.binary,
        spdx_id=_spdx_id("File", s.binary, taken),
        checksums=[
            Checksum(ChecksumAlgorithm.SHA1, s.binary_sha1),
            Checksum(ChecksumAlgorithm.SHA256, s.binary_sha256),
        ],
        file_types=[FileType.BINARY],
    )
    document = Document(
        creation_info=CreationInfo(
            spdx_version="SPDX-2.3",
            spdx_id="SPDXRef-DOCUMENT",
            name=s.name,
            document_namespace=f"https://spdx.org/spdxdocs/{TOOL}/{s.repository}/"
            f"{s.digest.replace(':', '-')}",
            creators=[Actor(ActorType.TOOL, TOOL)],
            created=s.created.replace(tzinfo=None),
            document_comment=f"the Go build information of {s.binary} in the {s.platform} "
            f"image {s.repository}@{s.digest}",
        ),
        packages=[main, stdlib, *deps],
        files=[binary],
        relationships=[
            Relationship("SPDXRef-DOCUMENT", RelationshipType.DESCRIBES, main.spdx_id),
            Relationship(binary.spdx_id, RelationshipType.GENERATED_FROM, main.spdx_id),
            Relationship(main.spdx_id, RelationshipType.DEPENDS_ON, stdlib.spdx_id),
            *(Relationship(main.spdx_id, RelationshipType.DEPENDS_ON, d.spdx_id) for d in deps),
        ],
    )
    out = io.StringIO()
    try:
        write_document_to_stream(document, out, validate=True)
    except ValueError as e:  # a bug of ours, or a build info no SPDX can hold
        raise UserError(f"the SPDX document of {s.name} does not validate: {e}") from None
    return json.loads(out.getvalue())


def spdx_modules(document: dict) -> list[tuple[str, str]]:
    """(path, version) of every Go module an SPDX document of ours lists, main module and
    standard library left out: what the binary's `dep` lines name."""
    described = {
        r["relatedSpdxElement"]
        for r in document.get("relationships", [])
        if r.get("relationshipType") == "DESCRIBES"
    }
    return sorted(
        (p["name"], p.get("versionInfo", ""))
        for p in document.get("packages", [])
        if p["SPDXID"] not in described and p["name"] != "stdlib"
    )


# --- CycloneDX 1.6 -------------------------------------------------------------


def cyclonedx(b: Binary) -> str:
    """The CycloneDX 1.6 JSON document, validated against the schema."""
    from cyclonedx.model import HashAlgorithm, HashType, Property
    from cyclonedx.model.bom import Bom, BomMetaData
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.model.tool import ToolRepository
    from cyclonedx.output.json import JsonV1Dot6
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    go, s = b.go, b.subject

    def component(module: Module, kind=ComponentType.LIBRARY, properties=()) -> Component:
        checksum = _sha256_of_sum(module.sum)
        ref = purl(module.path, module.version)
        return Component(
            name=module.path,
            version=module.version,
            type=kind,
            bom_ref=ref,
            purl=PackageURL.from_string(ref),
            hashes=[HashType(alg=HashAlgorithm.SHA_256, content=checksum)] if checksum else [],
            properties=list(properties),
        )

    properties = [
        Property(name=f"cdx:gomod:build:{_cdx_key(k)}", value=v) for k, v in go.settings.items()
    ]
    properties.append(Property(name="cdx:gomod:toolchain", value=go.go_version))
    properties.append(Property(name="cdx:gomod:binary:name", value=s.binary))
    properties.append(Property(name="cdx:gomod:binary:hash:SHA-256", value=s.binary_sha256))
    main = component(
        Module(go.module or go.path, _main_version(b), go.module_sum),
        ComponentType.APPLICATION,
        properties,
    )
    stdlib = component(Module("stdlib", _stdlib_version(go)))
    deps = []
    for dep in go.deps:
        used = shipped(dep)
        shown = dep if used.version == "(devel)" else used
        deps.append(component(Module(shown.path, used.version, used.sum)))
    bom = Bom(
        serial_number=uuid.uuid5(uuid.NAMESPACE_URL, f"{s.repository}@{s.digest}"),
        metadata=BomMetaData(
            component=main,
            timestamp=s.created,
            tools=ToolRepository(components=[Component(name=TOOL, type=ComponentType.APPLICATION)]),
            properties=[Property(name="cdx:multiarch:image", value=s.name)],
        ),
        components=[stdlib, *deps],
    )
    bom.register_dependency(main, [stdlib, *deps])
    for c in (stdlib, *deps):
        bom.register_dependency(c, [])
    text = JsonV1Dot6(bom).output_as_string(indent=2)
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    if error is not None:
        raise UserError(f"the CycloneDX document of {s.name} does not validate: {error}")
    return text


def _cdx_key(key: str) -> str:
    """GOARCH -> env:GOARCH, -trimpath -> trimpath (cyclonedx-gomod's taxonomy)."""
    return key.lstrip("-") if key.startswith("-") else f"env:{key}"
