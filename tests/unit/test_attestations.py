"""SBOMs attached to an index as buildx attaches its attestations."""

from __future__ import annotations

import json

from multiarch.build import attestations
from multiarch.oci.registry_api import digest, platform_manifests

AMD, ARM = "sha256:" + "1" * 64, "sha256:" + "2" * 64
INDEX = {
    "schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.index.v1+json",
    "manifests": [
        {"mediaType": attestations.OCI_MANIFEST, "digest": AMD, "size": 1,
         "platform": {"architecture": "amd64", "os": "linux"}},
        {"mediaType": attestations.OCI_MANIFEST, "digest": ARM, "size": 1,
         "platform": {"architecture": "arm64", "os": "linux"}},
    ],
}  # fmt: skip


def test_one_attestation_manifest_per_platform_with_buildx_annotations():
    statements = {
        AMD: [attestations.statement({"spdxVersion": "SPDX-2.3"}, ["pkg:docker/x@1"], AMD)],
        ARM: [attestations.statement({"spdxVersion": "SPDX-2.3"}, ["pkg:docker/x@1"], ARM)],
    }
    attached = attestations.attach(INDEX, INDEX["mediaType"], statements, lambda d: {})
    index = json.loads(attached.index)
    assert platform_manifests(index) == platform_manifests(INDEX)  # readers see the same
    entries = index["manifests"][2:]
    assert [e["annotations"] for e in entries] == [
        {"vnd.docker.reference.digest": AMD, "vnd.docker.reference.type": "attestation-manifest"},
        {"vnd.docker.reference.digest": ARM, "vnd.docker.reference.type": "attestation-manifest"},
    ]
    assert all(e["platform"] == {"architecture": "unknown", "os": "unknown"} for e in entries)
    manifest = json.loads(attached.manifests[entries[0]["digest"]])
    (layer,) = manifest["layers"]
    assert layer["mediaType"] == "application/vnd.in-toto+json"
    assert layer["annotations"] == {"in-toto.io/predicate-type": "https://spdx.dev/Document"}
    statement = json.loads(attached.blobs[layer["digest"]])
    assert statement["subject"][0]["digest"] == {"sha256": "1" * 64}
    assert statement["predicateType"] == "https://spdx.dev/Document"
    assert attached.digest == digest(attached.index)
    # the same input, the same bytes
    again = attestations.attach(INDEX, INDEX["mediaType"], statements, lambda d: {})
    assert again.index == attached.index


def test_a_provenance_attestation_keeps_its_place_and_layers():
    provenance = {"mediaType": "application/vnd.in-toto+json", "digest": "sha256:" + "9" * 64,
                  "size": 5, "annotations": {"in-toto.io/predicate-type":
                                             "https://slsa.dev/provenance/v0.2"}}  # fmt: skip
    old = {"mediaType": attestations.OCI_MANIFEST, "digest": "sha256:" + "8" * 64, "size": 3,
           "annotations": {"vnd.docker.reference.digest": AMD,
                           "vnd.docker.reference.type": "attestation-manifest"},
           "platform": {"architecture": "unknown", "os": "unknown"}}  # fmt: skip
    index = dict(INDEX, manifests=[*INDEX["manifests"], old])
    slsa = attestations.statement({}, [], AMD, "https://slsa.dev/provenance/v1")
    statements = {AMD: [attestations.statement({}, [], AMD), slsa]}
    attached = attestations.attach(
        index, INDEX["mediaType"], statements, lambda d: {"layers": [provenance]}
    )
    entries = json.loads(attached.index)["manifests"]
    assert len(entries) == 3 and entries[2]["digest"] != old["digest"]
    layers = json.loads(attached.manifests[entries[2]["digest"]])["layers"]
    assert [layer["annotations"]["in-toto.io/predicate-type"] for layer in layers] == [
        "https://slsa.dev/provenance/v0.2",
        "https://spdx.dev/Document",
        "https://slsa.dev/provenance/v1",
    ]
    # attached again (a release re-run): the SBOM and the SLSA v1 layers replaced, not added
    again = attestations.attach(
        index, INDEX["mediaType"], statements, lambda d: {"layers": [provenance, *layers[1:]]}
    )
    entries = json.loads(again.index)["manifests"]
    assert json.loads(again.manifests[entries[2]["digest"]])["layers"] == layers


def test_subject_names_as_buildkit_writes_them():
    name = attestations.subject_name("localhost:5000/app", "1.4.2", "linux/arm/v7")
    assert name == "pkg:docker/localhost:5000/app@1.4.2?platform=linux%2Farm%2Fv7"
