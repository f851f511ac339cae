"""Files of an image, read from the registry without pulling or running it.

An image's filesystem is its layers stacked in order: gzip (or plain) tars, the last
layer's version of a path winning. A layer deletes a lower file with a whiteout
(`dir/.wh.NAME`) and hides a whole lower directory with `dir/.wh..wh..opq`. The layers
are read from the top down, each streamed, and the search stops at the first layer
that says anything about the path. Symbolic links (of the file or a parent directory)
and hard links are followed.
"""

from __future__ import annotations

import posixpath
import tarfile
from dataclasses import dataclass

from ..core.errors import UserError
from .registry_api import RegistryAPI

MAX_BYTES = 512 * 1024 * 1024  # no entrypoint binary is larger; a bigger file is refused
MAX_LINKS = 16
TAR_TYPES = ("tar", "tar+gzip")  # media type suffixes tarfile streams


@dataclass(frozen=True)
class Entrypoint:
    path: str  # absolute, as found in the image after following links
    data: bytes


def command(config: dict) -> list[str]:
    """What the container runs by default: Entrypoint + Cmd (Cmd alone without one)."""
    settings = config.get("config") or {}
    return list(settings.get("Entrypoint") or []) + list(settings.get("Cmd") or [])


def entrypoint(api: RegistryAPI, repo: str, manifest_digest: str) -> Entrypoint:
    """The binary an image's entrypoint runs, read from its layers in the registry."""
    manifest, _, _ = api.manifest(repo, manifest_digest)
    config = api.config(repo, manifest_digest)
    argv = command(config)
    if not argv:
        raise UserError("the image sets neither an entrypoint nor a command: nothing to run")
    settings = config.get("config") or {}
    path = _resolve(argv[0], settings.get("WorkingDir") or "/")
    layers = manifest.get("layers") or []
    candidates = (
        [path] if path.startswith("/") else [posixpath.join(d, path) for d in _path(settings)]
    )
    for candidate in candidates:
        found = read(api, repo, layers, candidate)
        if found is not None:
            return found
    raise UserError(f"the entrypoint {argv[0]} is not in the image")


def _path(settings: dict) -> list[str]:
    for item in settings.get("Env") or []:
        if item.startswith("PATH="):
            return [d for d in item[5:].split(":") if d.startswith("/")]
    return ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]


def _resolve(name: str, workdir: str) -> str:
    """An absolute path as given; one with a slash relative to the working directory;
    a bare name stays bare, to be looked up along PATH."""
    if name.startswith("/"):
        return posixpath.normpath(name)
    if "/" in name:
        return posixpath.normpath(posixpath.join(workdir, name))
    return name


def read(api: RegistryAPI, repo: str, layers: list[dict], path: str) -> Entrypoint | None:
    """The file at absolute `path` in the stacked layers; None when it is absent."""
    for _ in range(MAX_LINKS):
        outcome = _search(api, repo, layers, path)
        if outcome is None or isinstance(outcome, Entrypoint):
            return outcome
        path = outcome  # a link: look again for where it points
    raise UserError(f"more than {MAX_LINKS} links to follow from {path} in the image")


def _search(api, repo, layers, path):
    """Top layer down: an Entrypoint, a path to look up instead (a link), or None."""
    wanted = path.lstrip("/")
    for layer in reversed(layers):
        kind = layer.get("mediaType", "").rsplit(".", 1)[-1]
        if kind not in TAR_TYPES and "tar" in kind:
            raise UserError(
                f"layer {layer['digest'][:19]} is {kind}, which cannot be read here",
                "push it with gzip-compressed layers (buildx's default)",
            )
        outcome, opaque = _in_layer(api, repo, layer["digest"], wanted)
        if outcome is not False:
            return outcome
        if opaque:
            return None
    return None


def _in_layer(api, repo, digest, wanted):
    """(outcome, opaque): outcome False when the layer says nothing about `wanted`."""
    parents = _parents(wanted)
    opaque = False
    try:
        with api.blob(repo, digest) as stream, tarfile.open(fileobj=stream, mode="r|*") as tar:
            for member in tar:
                name = _clean(member.name)
                head, base = posixpath.split(name)
                if base.startswith(".wh."):
                    if base == ".wh..wh..opq" and head in parents:
                        opaque = True
                    elif posixpath.join(head, base[4:]) in (wanted, *parents):
                        return None, False
                    continue
                if name in parents and member.issym():
                    rest = wanted[len(name) + 1 :]
                    return _link(name, member.linkname, rest), False
                if name != wanted:
                    continue
                if member.issym():
                    return _link(name, member.linkname, ""), False
                if member.islnk():
                    return "/" + _clean(member.linkname), False
                if not member.isfile():
                    raise UserError(f"the entrypoint /{wanted} in the image is not a file")
                if member.size > MAX_BYTES:
                    raise UserError(f"the entrypoint /{wanted} is larger than {MAX_BYTES} bytes")
                data = tar.extractfile(member).read()
                return Entrypoint("/" + wanted, data), False
    except (tarfile.TarError, EOFError, OSError) as e:
        raise UserError(f"layer {digest[:19]} of the image cannot be read: {e}") from None
    return False, opaque


def _clean(name: str) -> str:
    """A tar member's name as a path from the root: "./usr/bin/" -> "usr/bin"."""
    return posixpath.normpath("/" + name).lstrip("/")


def _parents(path: str) -> tuple[str, ...]:
    parts = path.split("/")
    return tuple("/".join(parts[:i]) for i in range(1, len(parts)))


def _link(name: str, target: str, rest: str) -> str:
    base = "/" if target.startswith("/") else "/" + posixpath.dirname(name)
    return posixpath.normpath(posixpath.join(base, target, rest))
