"""Reading an entrypoint from stacked layers: last layer wins, whiteouts, links, PATH."""

from __future__ import annotations

import gzip
import io
import tarfile

import pytest

from multiarch.core.errors import UserError
from multiarch.oci import image_files


def layer(*entries) -> bytes:
    """A gzip tar of (name, content) files, (name, "->", target) symlinks,
    (name, "=>", target) hard links."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for entry in entries:
            info = tarfile.TarInfo(entry[0])
            if len(entry) == 3:
                info.type = tarfile.SYMTYPE if entry[1] == "->" else tarfile.LNKTYPE
                info.linkname = entry[2]
                tar.addfile(info)
            else:
                info.size = len(entry[1])
                tar.addfile(info, io.BytesIO(entry[1]))
    return gzip.compress(raw.getvalue())


class FakeRegistry:
    """One image: its manifest, configuration and layer blobs, as RegistryAPI gives them."""

    def __init__(self, layers: list[bytes], entrypoint=None, cmd=None, env=None, workdir=""):
        self.blobs = {f"sha256:{i:064x}": blob for i, blob in enumerate(layers)}
        self.read: list[str] = []
        settings = {"Entrypoint": entrypoint, "Cmd": cmd, "Env": env, "WorkingDir": workdir}
        self.settings = {"config": settings}

    def manifest(self, repo, ref):
        media = "application/vnd.oci.image.layer.v1.tar+gzip"
        layers = [{"mediaType": media, "digest": d} for d in self.blobs]
        return {"layers": layers}, ref, "application/vnd.oci.image.manifest.v1+json"

    def config(self, repo, digest):
        return self.settings

    def blob(self, repo, digest):
        self.read.append(digest)
        return io.BytesIO(self.blobs[digest])


def entrypoint(registry: FakeRegistry):
    return image_files.entrypoint(registry, "app", "sha256:m")


def test_the_last_layer_wins_and_lower_layers_are_not_read():
    registry = FakeRegistry(
        [layer(("app", b"old")), layer(("etc/passwd", b"x"), ("app", b"new"))],
        entrypoint=["/app"],
    )
    assert entrypoint(registry) == image_files.Entrypoint("/app", b"new")
    assert len(registry.read) == 1


def test_a_whiteout_deletes_a_lower_file():
    registry = FakeRegistry([layer(("app", b"old")), layer((".wh.app", b""))], ["/app"])
    with pytest.raises(UserError, match="the entrypoint /app is not in the image"):
        entrypoint(registry)


def test_an_opaque_directory_hides_lower_layers():
    lower = layer(("usr/bin/app", b"lower"))
    upper = layer(("usr/bin/.wh..wh..opq", b""), ("usr/bin/other", b"x"))
    with pytest.raises(UserError, match="not in the image"):
        entrypoint(FakeRegistry([lower, upper], ["/usr/bin/app"]))
    upper = layer(("usr/bin/.wh..wh..opq", b""), ("usr/bin/app", b"upper"))
    assert entrypoint(FakeRegistry([lower, upper], ["/usr/bin/app"])).data == b"upper"


def test_links_are_followed_across_layers():
    registry = FakeRegistry(
        [
            layer(("usr/bin/app-1.2", b"binary")),
            layer(("bin", "->", "usr/bin"), ("usr/bin/app", "->", "app-1.2")),
        ],
        entrypoint=["/bin/app"],
    )
    assert entrypoint(registry) == image_files.Entrypoint("/usr/bin/app-1.2", b"binary")
    hard = FakeRegistry([layer(("a/real", b"bin"), ("a/app", "=>", "a/real"))], ["/a/app"])
    assert entrypoint(hard).data == b"bin"


def test_cmd_without_entrypoint_and_path_lookup():
    registry = FakeRegistry(
        [layer(("usr/local/bin/app", b"bin"))],
        cmd=["app", "--flag"],
        env=["PATH=/usr/local/bin:/usr/bin"],
    )
    assert entrypoint(registry).path == "/usr/local/bin/app"
    relative = FakeRegistry([layer(("srv/bin/app", b"bin"))], ["./bin/app"], workdir="/srv")
    assert entrypoint(relative).path == "/srv/bin/app"


def test_nothing_to_run():
    with pytest.raises(UserError, match="neither an entrypoint nor a command"):
        entrypoint(FakeRegistry([layer(("app", b"x"))]))


def test_a_layer_that_cannot_be_read():
    registry = FakeRegistry([b"not a tar at all"], ["/app"])
    with pytest.raises(UserError, match="cannot be read"):
        entrypoint(registry)
