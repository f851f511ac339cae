"""SBOMs attached to an image index where buildx puts its own: attestation manifests.

BuildKit's attestation storage (docs/attestations/attestation-storage.md in moby/buildkit),
which `docker buildx imagetools inspect --format '{{json .SBOM}}'` and Docker Scout read:

- each attestation is an in-toto statement (`application/vnd.in-toto+json`) whose
  subject is a platform's manifest, stored as a layer of an *attestation manifest*, the
  layer annotated with `in-toto.io/predicate-type` (`https://spdx.dev/Document`);
- one attestation manifest per platform, an entry of the index with the platform
  `unknown/unknown` and the annotations `vnd.docker.reference.type: attestation-manifest`
  and `vnd.docker.reference.digest: <the platform's manifest digest>`. Readers that do not
  know them skip `unknown/unknown` entries, as every reader of this package does.

A release adds its SLSA v1 provenance (provenance.py) to the same attestation manifest,
as a layer of its own (`https://slsa.dev/provenance/v1`). An attestation manifest the index
already has for a platform (buildx's provenance) keeps its layers and gets these added
(a layer of the same predicate type it held is replaced). The platforms' own
manifests are untouched, so their digests, which `invoke verify` compares, stay what
the build made; the index gets a new digest.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import urllib.parse
from collections.abc import Callable

from ..core.command import say
from ..oci import sbom
from ..oci.registry_api import (
    INDEX_TYPES,
    RegistryAPI,
    platform_manifests,
    platform_of,
    split_reference,
)
from ..oci.registry_api import digest as digest_of
from . import provenance as provenances

IN_TOTO = "application/vnd.in-toto+json"
STATEMENT = "https://in-toto.io/Statement/v0.1"
SPDX_PREDICATE = "https://spdx.dev/Document"
PREDICATE_TYPE = "in-toto.io/predicate-type"
REFERENCE_TYPE = "vnd.docker.reference.type"
REFERENCE_DIGEST = "vnd.docker.reference.digest"
ATTESTATION_MANIFEST = "attestation-manifest"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
UNKNOWN = {"architecture": "unknown", "os": "unknown"}


@dataclasses.dataclass(frozen=True)
class Attached:
    """An index with SBOMs attached, and what a registry or layout must hold for it."""

    index: bytes  # the new index document
    media_type: str
    blobs: dict[str, bytes]  # digest -> config or statement
    manifests: dict[str, bytes]  # digest -> attestation manifest

    @property
    def digest(self) -> str:
        return digest_of(self.index)


def subject_name(repository: str, tag: str, platform: str) -> str:
    """As BuildKit names a statement's subject: pkg:docker/HOST/NAME@TAG?platform=..."""
    quoted = urllib.parse.quote(platform, safe="")
    return f"pkg:docker/{repository}@{tag}?platform={quoted}"


def statement(
    predicate: dict, names: list[str], digest: str, predicate_type: str = SPDX_PREDICATE
) -> bytes:
    """An in-toto statement of a predicate (an SPDX document, by default) about the
    manifest `digest`."""
    algorithm, _, hexdigest = digest.partition(":")
    document = {
        "_type": STATEMENT,
        "predicateType": predicate_type,
        "subject": [{"name": name, "digest": {algorithm: hexdigest}} for name in names],
        "predicate": predicate,
    }
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


def _canonical(document: dict) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode()


def attestations_of(index: dict) -> dict[str, dict]:
    """The index's attestation entries by the manifest digest they are about."""
    return {
        entry["annotations"][REFERENCE_DIGEST]: entry
        for entry in index.get("manifests", [])
        if (entry.get("annotations") or {}).get(REFERENCE_TYPE) == ATTESTATION_MANIFEST
        and REFERENCE_DIGEST in entry["annotations"]
    }


def attach(
    index: dict,
    media_type: str,
    statements: dict[str, list[bytes]],
    manifest_of: Callable[[str], dict],
) -> Attached:
    """`index` with the statements (by the platform manifest digest they are about) in that
    platform's attestation manifest. `manifest_of` reads an existing attestation manifest."""
    new = copy.deepcopy(index)
    existing = attestations_of(index)
    blobs: dict[str, bytes] = {}
    manifests: dict[str, bytes] = {}
    for subject, bodies in statements.items():
        added = []
        for body in bodies:
            kind = json.loads(body)["predicateType"]
            added.append(
                {
                    "mediaType": IN_TOTO,
                    "digest": digest_of(body),
                    "size": len(body),
                    "annotations": {PREDICATE_TYPE: kind},
                }
            )
            blobs[digest_of(body)] = body
        replaced = {each["annotations"][PREDICATE_TYPE] for each in added}
        kept = []
        old = existing.get(subject)
        if old is not None:
            kept = [
                dict(each)
                for each in manifest_of(old["digest"]).get("layers", [])
                if (each.get("annotations") or {}).get(PREDICATE_TYPE) not in replaced
            ]
        layers = [*kept, *added]
        # BuildKit's config of an attestation manifest: there for compatibility only
        config = _canonical(
            {
                **UNKNOWN,
                "config": {},
                "rootfs": {"type": "layers", "diff_ids": [each["digest"] for each in layers]},
            }
        )
        blobs[digest_of(config)] = config
        manifest = _canonical(
            {
                "schemaVersion": 2,
                "mediaType": OCI_MANIFEST,
                "config": {"mediaType": OCI_CONFIG, "digest": digest_of(config),
                           "size": len(config)},
                "layers": layers,
            }
        )  # fmt: skip
        manifests[digest_of(manifest)] = manifest
        entry = {
            "mediaType": OCI_MANIFEST,
            "digest": digest_of(manifest),
            "size": len(manifest),
            "annotations": {REFERENCE_DIGEST: subject, REFERENCE_TYPE: ATTESTATION_MANIFEST},
            "platform": dict(UNKNOWN),
        }
        entries = new["manifests"]
        if old is not None:
            entries[entries.index(old)] = entry
        else:
            entries.append(entry)
    return Attached(_canonical(new), media_type, blobs, manifests)


def statements_of(index: dict, manifest_of, blob_of) -> dict[str, list[dict]]:
    """The statements an index's attestation manifests hold, by the platform manifest
    digest each attestation manifest is about, those of SPDX and SLSA v1 (KNOWN)."""
    found: dict[str, list[dict]] = {}
    for subject, entry in attestations_of(index).items():
        if platform_of(entry) != "unknown/unknown":
            continue
        for layer in manifest_of(entry["digest"]).get("layers", []):
            if (layer.get("annotations") or {}).get(PREDICATE_TYPE) in KNOWN:
                found.setdefault(subject, []).append(json.loads(blob_of(layer["digest"])))
    return found


KNOWN = (SPDX_PREDICATE, provenances.PREDICATE_TYPE)


@dataclasses.dataclass(frozen=True)
class Published:
    """SBOMs (and provenance) attached to a pushed image: the new index, and each
    platform's SPDX document and SLSA predicate."""

    digest: str  # the image's, now: the new index's (or the one manifest's)
    attached: Attached | None  # None for one platform's manifest: no index to attach to
    statements: dict[str, list[bytes]]  # platform manifest digest -> in-toto statements
    sboms: dict[str, tuple[str, dict]]  # platform manifest digest -> (platform, SPDX document)
    provenance: dict[str, dict]  # platform manifest digest -> SLSA v1 predicate


def publish(references: list[str], provenance: dict[str, dict] | None = None) -> Published:
    """Make each platform's SBOM from its binary in the registry, attach them, and each
    platform's SLSA v1 predicate of `provenance` (by platform), to the index the references
    name (all tags of one image), and put the new index under every tag.

    A one-platform build pushed as a single manifest has no index to attach them to: it
    is left as it is, and its SBOM goes only into cosign's attestation when it is signed.
    """
    host, repo, first = split_reference(references[0])
    api = RegistryAPI(host)
    index, digest, media_type = api.manifest(repo, first)
    if media_type not in INDEX_TYPES:
        image = read(references[0])
        say(f"{references[0]} is one platform's manifest, not an index: no attestation "
            "manifest can be attached to it; its SBOM is attested when it is signed")  # fmt: skip
        given = provenance or {}
        slsa = {d: given[p] for d, p in image.platforms.items() if p in given}
        return Published(image.digest, None, {}, image.sboms(), slsa)
    platforms = {m.digest: m.platform for m in platform_manifests(index)}
    tags = [split_reference(ref)[2] for ref in references]
    sboms, statements, slsa = {}, {}, {}
    for digest, platform in platforms.items():
        binary = sbom.of_image(api, repo, platform, digest)
        document = sbom.spdx(binary)
        sboms[digest] = (platform, document)
        names = [subject_name(f"{host}/{repo}", tag, platform) for tag in tags]
        statements[digest] = [statement(document, names, digest)]
        if platform in (provenance or {}):
            slsa[digest] = provenance[platform]
            kind = provenances.PREDICATE_TYPE
            statements[digest].append(statement(slsa[digest], names, digest, kind))
    attached = attach(index, media_type, statements, lambda d: api.manifest(repo, d)[0])
    what = "an SPDX SBOM" + (" and SLSA v1 provenance" if slsa else "")
    say(f"attaching {what} per platform to {host}/{repo} ({', '.join(platforms.values())})")
    for blob_digest, body in attached.blobs.items():
        api.put_blob(repo, blob_digest, body)
    for manifest_digest, body in attached.manifests.items():
        api.put_manifest(repo, manifest_digest, body, OCI_MANIFEST)
    for tag in tags:
        api.put_manifest(repo, tag, attached.index, media_type)
    return Published(attached.digest, attached, statements, sboms, slsa)


@dataclasses.dataclass(frozen=True)
class Image:
    """A pushed image's platforms and the SPDX SBOMs and SLSA v1 provenance its index
    carries for them."""

    repository: str  # HOST/NAME
    digest: str  # the index's (or the one manifest's)
    platforms: dict[str, str]  # manifest digest -> platform
    attached: dict[str, dict]  # manifest digest -> the SPDX document attached for it
    provenance: dict[str, dict] = dataclasses.field(default_factory=dict)  # -> SLSA predicate

    def missing(self) -> list[str]:
        """The platforms without an SBOM attestation manifest about their manifest."""
        return [p for d, p in self.platforms.items() if d not in self.attached]

    def sboms(self) -> dict[str, tuple[str, dict]]:
        """Each platform's SBOM: the one attached, else one made from its binary now."""
        host, _, repo = self.repository.partition("/")
        api = RegistryAPI(host)
        return {
            d: (p, self.attached.get(d) or sbom.spdx(sbom.of_image(api, repo, p, d)))
            for d, p in self.platforms.items()
        }


def read(reference: str) -> Image:
    """The image a reference names, with the SBOMs attached to it, as the registry has it."""
    host, repo, ref = split_reference(reference)
    api = RegistryAPI(host)
    index = api.index(repo, ref)
    if index.media_type not in INDEX_TYPES:
        config = api.config(repo, index.digest)
        platforms = {index.digest: platform_of({"platform": config})}
        return Image(f"{host}/{repo}", index.digest, platforms, {})
    doc, _, _ = api.manifest(repo, index.digest)

    def blob(digest: str) -> bytes:
        with api.blob(repo, digest) as stream:
            return stream.read()

    by_type: dict[str, dict[str, dict]] = {kind: {} for kind in KNOWN}
    for subject, found in statements_of(doc, lambda d: api.manifest(repo, d)[0], blob).items():
        for each in found:
            if subject.partition(":")[2] in _subject_digests(each):
                by_type[each["predicateType"]].setdefault(subject, each["predicate"])
    platforms = {m.digest: m.platform for m in index.manifests}
    return Image(
        f"{host}/{repo}", index.digest, platforms, by_type[SPDX_PREDICATE],
        by_type[provenances.PREDICATE_TYPE],
    )  # fmt: skip


def _subject_digests(statement_doc: dict) -> set[str]:
    return {
        value for s in statement_doc.get("subject", []) for value in s.get("digest", {}).values()
    }
