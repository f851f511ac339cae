"""An image's files read from its layers: order, whiteouts, and what counts as different."""

import gzip
import hashlib
import io
import json
import tarfile

import pytest

from multiarch.core.errors import UserError
from multiarch.oci import layers


def layer(*entries: tuple[str, bytes | None], mtime: int = 100, uid: int = 0) -> bytes:
    """A gzip layer; an entry whose content is None is a directory."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for name, content in entries:
            info = tarfile.TarInfo(name)
            info.mtime, info.uid, info.gid = mtime, uid, uid
            if content is None:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            else:
                info.size, info.mode = len(content), 0o644
                tar.addfile(info, io.BytesIO(content))
    return gzip.compress(raw.getvalue())


def read(*blobs: bytes) -> dict[str, layers.File]:
    by_digest = {f"sha256:{hashlib.sha256(b).hexdigest()}": b for b in blobs}
    manifest = {"layers": [{"digest": d} for d in by_digest]}
    return layers.files(manifest, by_digest.__getitem__)


def test_files_with_size_mode_owner_time_and_hash():
    tree = read(layer(("etc", None), ("etc/passwd", b"root\n"), uid=7))
    assert sorted(tree) == ["/etc", "/etc/passwd"]
    f = tree["/etc/passwd"]
    assert (f.size, f.mode, f.owner, f.mtime) == (5, "-rw-r--r--", "7:7", 100)
    assert f.content == "sha256:" + hashlib.sha256(b"root\n").hexdigest()
    assert tree["/etc"].mode == "drwxr-xr-x" and tree["/etc"].content == ""
    assert "5 bytes, -rw-r--r--, 7:7, mtime 100, sha256:" in f.describe()


def test_later_layers_win_and_whiteouts_delete():
    tree = read(
        layer(("a", b"1"), ("d", None), ("d/x", b"x"), ("d/y", b"y"), ("o", None), ("o/z", b"z")),
        layer(("a", b"22"), ("d/.wh.x", b""), ("o/.wh..wh..opq", b""), ("o/new", b"n")),
    )
    assert tree["/a"].size == 2
    assert sorted(tree) == ["/a", "/d", "/d/y", "/o", "/o/new"]


def test_differences_name_each_path_with_both_sides():
    a = read(layer(("same", b"s"), ("gone", b"g")))
    b = read(layer(("same", b"s"), ("new", b"n")))
    diff = layers.differences(a, b)
    assert [(path, x is None, y is None) for path, x, y in diff] == [
        ("/gone", False, True),
        ("/new", True, False),
    ]
    # the same bytes at another time differ: times are in the layers, so in the digest
    later = read(layer(("same", b"s"), mtime=200))
    ((path, x, y),) = layers.differences(read(layer(("same", b"s"))), later)
    assert path == "/same" and (x.mtime, y.mtime) == (100, 200)


def test_config_differences_name_the_keys():
    a = {"created": "1", "config": {"Labels": {"a": "1"}, "User": "0"}, "os": "linux"}
    b = {"created": "2", "config": {"Labels": {"a": "2"}, "User": "0"}, "os": "linux"}
    assert layers.config_differences(a, b) == ["config.Labels", "created"]
    assert layers.config_differences(a, a) == []


def test_an_unreadable_layer_is_one_error():
    with pytest.raises(UserError, match="cannot be read"):
        read(b"\x28\xb5\x2f\xfd not a tar")


def test_an_oci_layout_with_one_manifest_names_its_platform(tmp_path):
    blobs = tmp_path / "blobs" / "sha256"
    blobs.mkdir(parents=True)

    def put(doc: dict) -> str:
        data = json.dumps(doc).encode()
        digest = hashlib.sha256(data).hexdigest()
        (blobs / digest).write_bytes(data)
        return f"sha256:{digest}"

    config = put({"os": "linux", "architecture": "arm", "variant": "v7"})
    manifest = put({"config": {"digest": config}, "layers": []})
    media = "application/vnd.oci.image.manifest.v1+json"
    top = {"manifests": [{"mediaType": media, "digest": manifest}]}
    (tmp_path / "index.json").write_text(json.dumps(top))
    assert layers.Layout(tmp_path).image() == (manifest, {"linux/arm/v7": manifest})
