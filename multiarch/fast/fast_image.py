"""A fast build's image: the last full build's, with only the binary's layer made anew.

Every other layer, the entrypoint, user, env and labels stay; the labels that carried
the version, revision and time get this build's. Only what the registry lacks is pushed:
the new layer and config, each platform's manifest, then the index (or, for a
one-platform build, the manifest) under the build's tags.
"""

from __future__ import annotations

import copy
import gzip
import io
import json
import tarfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ..core.platforms import Platform
from ..oci import executable
from ..oci.layers import Remote
from ..oci.registry_api import INDEX_TYPES, RegistryAPI, digest, platform_of


class Changed(Exception):
    """Found while a fast build ran: it cannot make this image; a full build must."""


@dataclass(frozen=True)
class Base:
    """One platform of the last full build's image, as a fast build remakes it."""

    manifest: dict
    config: dict
    position: int  # of the layer holding the binary
    members: list[tarfile.TarInfo]  # that layer's entries (the content is not kept)

    @property
    def files(self) -> set[str]:
        return {m.name.rsplit("/", 1)[-1] for m in self.members if m.isfile()}

    def to_json(self) -> dict:
        members = [{**_header(m), "pax": m.pax_headers} for m in self.members]
        return {"manifest": self.manifest, "config": self.config, "position": self.position,
                "members": members}  # fmt: skip

    @classmethod
    def from_json(cls, doc: dict) -> Base:
        members = []
        for header in doc["members"]:
            member = tarfile.TarInfo(header["name"])
            for key, value in header.items():
                if key not in ("name", "pax"):
                    setattr(member, key, value.encode() if key == "type" else value)
            member.pax_headers = header["pax"]
            members.append(member)
        return cls(doc["manifest"], doc["config"], doc["position"], members)


def _header(member: tarfile.TarInfo) -> dict:
    keys = ("name", "mode", "uid", "gid", "size", "mtime", "linkname", "uname", "gname")
    return {**{k: getattr(member, k) for k in keys}, "type": member.type.decode()}


@dataclass(frozen=True)
class FullImage:
    """The last full build's image: its top document (index or manifest) and platforms."""

    document: dict
    media_type: str
    platforms: dict[str, Base]


def read(api: RegistryAPI, repo: str, digest_: str, cache: Path) -> FullImage:
    """The last full build's image, read while the binaries compile. Its platforms'
    layers are read once and kept in `cache`; its top document is read each time, to
    know it is still in the registry."""
    try:
        document, _, media_type = api.manifest(repo, digest_)
    except LookupError:
        raise Changed(
            f"the last full build's image {digest_[:19]} is gone from the registry"
        ) from None
    try:
        kept = json.loads(cache.read_text())
        if kept["digest"] == digest_:
            bases = {name: Base.from_json(doc) for name, doc in kept["platforms"].items()}
            return FullImage(document, media_type, bases)
    except (OSError, ValueError, KeyError, TypeError):
        pass
    full = _read(api, repo, digest_, document, media_type)
    platforms = {name: base.to_json() for name, base in full.platforms.items()}
    cache.write_text(json.dumps({"digest": digest_, "platforms": platforms}))
    return full


def _read(api: RegistryAPI, repo: str, digest_: str, document: dict, media_type: str) -> FullImage:
    image = Remote(api, repo)
    if media_type not in INDEX_TYPES:  # one platform: a manifest, not an index
        base = _base(image, digest_)
        config = base.config
        name = "/".join(filter(None, [config["os"], config["architecture"], config.get("variant")]))
        return FullImage(document, media_type, {name: base})
    entries = {platform_of(e): e for e in document.get("manifests", [])}
    if "unknown/unknown" in entries:
        raise Changed("the last full build has attestation manifests, which it cannot remake")
    with ThreadPoolExecutor(len(entries)) as pool:
        bases = pool.map(lambda e: _base(image, e["digest"]), entries.values())
        return FullImage(document, media_type, dict(zip(entries, bases, strict=True)))


def _base(image: Remote, digest_: str) -> Base:
    """A platform's image, and its topmost layer that holds a regular file: the binary's,
    which the Dockerfile copies in last."""
    manifest = image.manifest(digest_)
    config = json.loads(image.blob(manifest["config"]["digest"]))
    layers = manifest["layers"]
    for position in range(len(layers) - 1, -1, -1):
        data = image.blob(layers[position]["digest"])
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tar:
            members = tar.getmembers()
        if any(m.isfile() for m in members):
            return Base(manifest, config, position, members)
    raise Changed("no layer of the last full build holds a file")


@dataclass(frozen=True)
class Relabel:
    """What this build changes in the labels: values the full build's version, revision
    and time had, and the labels the tasks give (the workspace record)."""

    values: dict[str, str]
    labels: dict[str, str]

    @classmethod
    def between(cls, old: dict[str, str], new: dict[str, str], labels: dict[str, str]) -> Relabel:
        """From the full build's args to this build's: VERSION, REVISION, CREATED."""
        keys = ("VERSION", "REVISION", "CREATED")
        return cls({old[k]: new.get(k, "") for k in keys if old.get(k)}, labels)

    def apply(self, labels: dict[str, str]) -> dict[str, str]:
        return {k: self.values.get(v, v) for k, v in labels.items()} | self.labels


@dataclass(frozen=True)
class Pushed:
    """One platform's manifest, as pushed."""

    digest: str
    document: bytes
    media_type: str


def remake(
    api: RegistryAPI,
    repo: str,
    base: Base,
    target: Platform,
    made: dict[str, bytes],
    relabel: Relabel,
    created: str,
    mtime: int,
) -> Pushed:
    """Push one platform's image: the full build's, with the binary's layer made from the
    files the step wrote to /out (by name); its manifest."""
    if base.files != set(made):
        raise Changed(
            f"the last full build's top layer holds {', '.join(sorted(base.files))}, but the "
            f"go build step wrote {', '.join(sorted(made)) or 'nothing'} to /out/"
        )
    for name, data in made.items():  # proof of the architecture, as invoke smoke gives it
        exe = executable.read(data)
        if exe.format and (wrong := executable.mismatch(exe, target)):
            raise Changed(f"the go build step made {name} for another platform: {wrong}")
    layer = _new_layer(base.members, made, mtime)
    blob = gzip.compress(layer, compresslevel=1, mtime=0)
    config = copy.deepcopy(base.config)
    config["rootfs"]["diff_ids"][base.position] = digest(layer)
    settings = config.setdefault("config", {})
    settings["Labels"] = relabel.apply(settings.get("Labels") or {})
    config["created"] = created
    config_bytes = json.dumps(config, separators=(",", ":")).encode()
    api.put_blob(repo, digest(blob), blob)
    api.put_blob(repo, digest(config_bytes), config_bytes)
    layers = list(base.manifest["layers"])
    layers[base.position] = {**layers[base.position], "digest": digest(blob), "size": len(blob)}
    manifest = base.manifest
    config_entry = {**manifest["config"], "digest": digest(config_bytes), "size": len(config_bytes)}
    doc = json.dumps({**manifest, "config": config_entry, "layers": layers}, separators=(",", ":"))
    media_type = manifest.get("mediaType", "application/vnd.oci.image.manifest.v1+json")
    pushed = api.put_manifest(repo, digest(doc.encode()), doc.encode(), media_type)
    return Pushed(pushed, doc.encode(), media_type)


def _new_layer(members: list[tarfile.TarInfo], made: dict[str, bytes], mtime: int) -> bytes:
    """The layer's entries as they were (names, modes, owners), the binaries' content new."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as new:
        for member in members:
            member = copy.copy(member)  # the base's own stays as it was
            if member.isfile():
                data = made[member.name.rsplit("/", 1)[-1]]
                member.size, member.mtime = len(data), mtime
                new.addfile(member, io.BytesIO(data))
            else:
                new.addfile(member)
    return buffer.getvalue()


def push(
    api: RegistryAPI, repo: str, full: FullImage, made: dict[str, Pushed], tags: list[str]
) -> str:
    """The index with each platform's new manifest (or the one manifest), under every
    tag; its digest."""
    if full.media_type in INDEX_TYPES:
        entries = []
        for entry in full.document["manifests"]:
            if (new := made.get(platform_of(entry))) is not None:
                entry = {**entry, "digest": new.digest, "size": len(new.document)}
            entries.append(entry)
        doc = json.dumps({**full.document, "manifests": entries}, separators=(",", ":")).encode()
        media_type = full.media_type
    else:
        ((one),) = made.values()
        doc, media_type = one.document, one.media_type
    pushed = ""
    for tag in tags:
        pushed = api.put_manifest(repo, tag, doc, media_type)
    return pushed
