"""RegistryAPI's writes (blobs, manifests, an index) against a real registry:2 container."""

from __future__ import annotations

import hashlib
import json
import uuid

import pytest

from multiarch.core.errors import UserError
from multiarch.oci.registry_api import RegistryAPI
from tests.helpers import need, sh

pytestmark = pytest.mark.integration

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def descriptor(media_type: str, data: bytes, **extra) -> dict:
    return {"mediaType": media_type, "digest": digest(data), "size": len(data), **extra}


@pytest.fixture(scope="module")
def api(docker_daemon):
    """A throwaway registry:2 on a free loopback port, removed afterwards."""
    need(sh("docker", "image", "inspect", "registry:2", check=False).returncode == 0,
         "the image registry:2")  # fmt: skip
    name = f"push-test-registry-{uuid.uuid4().hex[:8]}"
    sh("docker", "run", "-d", "--rm", "--name", name, "-p", "127.0.0.1:0:5000", "registry:2")
    try:
        port = sh("docker", "port", name, "5000/tcp").stdout.split()[0].rsplit(":", 1)[1]
        registry = RegistryAPI(f"127.0.0.1:{port}")
        assert registry.wait(30), "the registry API did not answer"
        yield registry
    finally:
        sh("docker", "rm", "-f", "-v", name, check=False)


@pytest.fixture
def calls(api, monkeypatch) -> list[tuple[str, str]]:
    """The (method, path) of each request the API makes."""
    seen: list[tuple[str, str]] = []
    real = api._open

    def spy(path, **kwargs):
        seen.append((kwargs.get("method", "GET"), path))
        return real(path, **kwargs)

    monkeypatch.setattr(api, "_open", spy)
    return seen


def test_blob_uploads_once(api, calls):
    data = f"a layer {uuid.uuid4()}\n".encode()
    blob = digest(data)
    assert not api.has_blob("push/blob", blob)
    api.put_blob("push/blob", blob, data)
    assert api.has_blob("push/blob", blob)
    with api.blob("push/blob", blob) as resp:
        assert resp.read() == data
    assert [m for m, _ in calls].count("POST") == 1

    calls.clear()
    api.put_blob("push/blob", blob, data)
    assert calls == [("HEAD", f"push/blob/blobs/{blob}")], "a blob present was uploaded again"


def test_relative_location(api, monkeypatch):
    """A Location that is a path (with its query) is resolved against the registry."""
    real = api._write

    def relative(status, path, method, *args, **kwargs):
        headers = real(status, path, method, *args, **kwargs)
        if method == "POST":
            location = headers["Location"]
            headers["Location"] = location[location.index("/v2/") :]
            assert "?" in headers["Location"]
        return headers

    monkeypatch.setattr(api, "_write", relative)
    data = b"relative\n"
    api.put_blob("push/relative", digest(data), data)
    assert api.has_blob("push/relative", digest(data))


def test_image_and_index(api):
    repo = "push/app"
    layer = b"layer bytes\n"
    config = json.dumps(
        {"architecture": "arm64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}}
    ).encode()
    api.put_blob(repo, digest(layer), layer)
    api.put_blob(repo, digest(config), config)
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": descriptor("application/vnd.oci.image.config.v1+json", config),
            "layers": [descriptor("application/vnd.oci.image.layer.v1.tar", layer)],
        }
    ).encode()
    assert api.put_manifest(repo, digest(manifest), manifest, OCI_MANIFEST) == digest(manifest)

    platform = {"os": "linux", "architecture": "arm64", "variant": "v8"}
    index = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": [descriptor(OCI_MANIFEST, manifest, platform=platform)],
        }
    ).encode()
    assert api.put_manifest(repo, "1.0", index, OCI_INDEX) == digest(index)

    doc, got, media_type = api.manifest(repo, digest(manifest))
    assert (doc, got, media_type) == (json.loads(manifest), digest(manifest), OCI_MANIFEST)
    assert api.config(repo, digest(manifest))["architecture"] == "arm64"
    read = api.index(repo, "1.0")
    assert (read.digest, read.media_type) == (digest(index), OCI_INDEX)
    assert read.platforms == ["linux/arm64/v8"]
    assert read.manifests[0].digest == digest(manifest)
    assert api.tags(repo) == ["1.0"]


def test_manifest_of_missing_blob_is_one_line(api):
    missing = b"never uploaded\n"
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": descriptor("application/vnd.oci.image.config.v1+json", missing),
            "layers": [],
        }
    ).encode()
    with pytest.raises(UserError) as e:
        api.put_manifest("push/broken", "1", manifest, OCI_MANIFEST)
    assert "push/broken/manifests/1" in str(e.value)
    assert "\n" not in str(e.value)
