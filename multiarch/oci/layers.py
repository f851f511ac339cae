"""What an image holds, file by file: path, size, mode, owner, time and content hash.

One reader for the two places an image is read from: a registry (its HTTP API) and an
OCI image layout on disk (what buildx's `oci` exporter writes). Layers are applied in
order, OCI whiteouts included, so the files are those a container of the image sees.
"""

from __future__ import annotations

import hashlib
import io
import json
import stat
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..core.errors import UserError
from .registry_api import INDEX_TYPES, RegistryAPI, platform_of, split_reference
from .registry_api import digest as digest_of

Blobs = Callable[[str], bytes]  # digest -> the blob's bytes

WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"


@dataclass(frozen=True)
class File:
    path: str  # absolute, as in the container: /etc/passwd
    size: int
    mode: str  # as ls shows it: -rwxr-xr-x, drwxr-xr-x, lrwxrwxrwx
    owner: str  # uid:gid
    mtime: int  # seconds since 1970
    content: str  # a file's "sha256:<hex>", a link's "-> target", "" for a directory

    def describe(self) -> str:
        shown = f"{self.size} bytes, {self.mode}, {self.owner}, mtime {self.mtime}"
        return f"{shown}, {self.content[:19]}" if self.content else shown


def _file(info: tarfile.TarInfo, tar: tarfile.TarFile) -> File:
    kind = (
        stat.S_IFDIR if info.isdir()
        else stat.S_IFLNK if info.issym()
        else stat.S_IFREG
    )  # fmt: skip
    if info.isfile():
        digest = hashlib.sha256()
        with tar.extractfile(info) as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
        content = f"sha256:{digest.hexdigest()}"
    else:
        content = f"-> {info.linkname}" if (info.issym() or info.islnk()) else ""
    return File(
        path=str(PurePosixPath("/", info.name)),
        size=info.size,
        mode=stat.filemode(kind | info.mode),
        owner=f"{info.uid}:{info.gid}",
        mtime=int(info.mtime),
        content=content,
    )


def files(manifest: dict, blobs: Blobs) -> dict[str, File]:
    """Every file of a platform's image, by path: its layers applied in order."""
    tree: dict[str, File] = {}
    for layer in manifest.get("layers", []):
        try:
            with tarfile.open(fileobj=io.BytesIO(blobs(layer["digest"])), mode="r:*") as tar:
                tree = _apply(tree, tar)
        except tarfile.TarError:
            raise UserError(
                f"layer {layer['digest']} ({layer.get('mediaType', '?')}) cannot be read",
                "only uncompressed and gzip layers are read",
            ) from None
    return tree


def _apply(tree: dict[str, File], tar: tarfile.TarFile) -> dict[str, File]:
    for info in tar:
        entry = _file(info, tar)
        parent, _, name = entry.path.rpartition("/")
        if name == OPAQUE:  # what lower layers have in this directory is hidden
            tree = {p: f for p, f in tree.items() if not p.startswith(parent + "/")}
        elif name.startswith(WHITEOUT):  # this path is deleted, and what is under it
            gone = f"{parent}/{name[len(WHITEOUT) :]}"
            tree = {p: f for p, f in tree.items() if p != gone and not p.startswith(gone + "/")}
        else:
            tree[entry.path] = entry
    return tree


def differences(
    a: dict[str, File], b: dict[str, File]
) -> list[tuple[str, File | None, File | None]]:
    """(path, a's file, b's file) for each path whose file differs; None where it is absent."""
    return [
        (path, a.get(path), b.get(path))
        for path in sorted(a.keys() | b.keys())
        if a.get(path) != b.get(path)
    ]


def config_differences(a: dict, b: dict) -> list[str]:
    """The keys of two image configurations that differ (`config.Labels`, `history`, ...)."""
    keys = []
    for key in sorted(a.keys() | b.keys()):
        if key == "config" and isinstance(a.get(key), dict) and isinstance(b.get(key), dict):
            keys += [f"config.{k}" for k in config_differences(a[key], b[key])]
        elif a.get(key) != b.get(key):
            keys.append(key)
    return keys


def blob_path(digest: str) -> str:
    """Where an OCI image layout (a directory, or the tar of one) keeps a blob."""
    algorithm, _, hexdigest = digest.partition(":")
    return f"blobs/{algorithm}/{hexdigest}"


class Layout:
    """An OCI image layout directory (`index.json`, `blobs/sha256/...`)."""

    def __init__(self, root: Path):
        self.root = root

    def blob(self, digest: str) -> bytes:
        return (self.root / blob_path(digest)).read_bytes()

    def manifest(self, digest: str) -> dict:
        return json.loads(self.blob(digest))

    def image(self) -> tuple[str, dict[str, str]]:
        """The digest of the image it holds, and each platform's manifest digest.

        The top entry is an image index (several platforms) or a single manifest, whose
        platform its configuration names. Attestation entries are left out.
        """
        top = json.loads((self.root / "index.json").read_text())
        (entry,) = top["manifests"]
        if entry["mediaType"] in INDEX_TYPES:
            index = self.manifest(entry["digest"])
            platforms = {
                platform_of(m): m["digest"]
                for m in index["manifests"]
                if platform_of(m) != "unknown/unknown"
            }
            return entry["digest"], platforms
        image = config(self, self.manifest(entry["digest"]))
        return entry["digest"], {platform_of({"platform": image}): entry["digest"]}


class Remote:
    """An image in a registry, read through its HTTP API."""

    def __init__(self, api: RegistryAPI, repo: str):
        self.api = api
        self.repo = repo

    def blob(self, digest: str) -> bytes:
        with self.api.blob(self.repo, digest) as stream:
            return stream.read()

    def manifest(self, digest: str) -> dict:
        try:
            return self.api.manifest(self.repo, digest)[0]
        except LookupError:
            raise UserError(
                f"{self.api.host}/{self.repo}@{digest} is not in the registry"
            ) from None


def config(source: Layout | Remote, manifest: dict) -> dict:
    """The image configuration a platform's manifest names."""
    return json.loads(source.blob(manifest["config"]["digest"]))


def push_layouts(layouts: list[Layout], references: list[str]) -> str:
    """Push the image of an OCI layout, or one index of the single-platform images of
    several, to a registry under every reference (tags of one repository): blobs, then
    each platform's manifest, then the index. Its digest."""
    host, repo, _ = split_reference(references[0])
    api = RegistryAPI(host)
    tops = [json.loads((one.root / "index.json").read_text())["manifests"][0] for one in layouts]
    for one, top in zip(layouts, tops, strict=True):
        _push_tree(api, repo, one, top)
    if len(layouts) == 1:
        media_type, document = tops[0]["mediaType"], layouts[0].blob(tops[0]["digest"])
    else:
        media_type = INDEX_TYPES[0]
        entries = [e for one, top in zip(layouts, tops, strict=True) for e in _entries(one, top)]
        index = {"schemaVersion": 2, "mediaType": media_type, "manifests": entries}
        document = json.dumps(index, separators=(",", ":")).encode()
    for ref in references:
        api.put_manifest(repo, split_reference(ref)[2], document, media_type)
    return digest_of(document)


def _entries(layout: Layout, top: dict) -> list[dict]:
    """What an index of several layouts lists for one: its own index's entries (with
    attestations), or its one manifest with the platform its configuration names."""
    if top["mediaType"] in INDEX_TYPES:
        return json.loads(layout.blob(top["digest"]))["manifests"]
    image = config(layout, layout.manifest(top["digest"]))
    platform = {"os": image["os"], "architecture": image["architecture"]}
    if image.get("variant"):
        platform["variant"] = image["variant"]
    return [{**{k: top[k] for k in ("mediaType", "digest", "size")}, "platform": platform}]


def _push_tree(api: RegistryAPI, repo: str, layout: Layout, entry: dict) -> None:
    document = layout.blob(entry["digest"])
    if entry["mediaType"] in INDEX_TYPES:
        for child in json.loads(document)["manifests"]:
            _push_tree(api, repo, layout, child)
    else:
        manifest = json.loads(document)
        for blob in [manifest["config"], *manifest.get("layers", [])]:
            api.put_blob(repo, blob["digest"], layout.blob(blob["digest"]))
    api.put_manifest(repo, entry["digest"], document, entry["mediaType"])
