"""The registry's HTTP API (distribution v2): what is in it, read from the registry itself."""

from __future__ import annotations

import ipaddress
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from .errors import UserError

INDEX_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)
MANIFEST_TYPES = (
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)


def is_loopback(host: str) -> bool:
    """Whether a registry address ("localhost:5000", "127.0.0.1:5000") is this machine."""
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    name = name.strip("[]")
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class PlatformManifest:
    platform: str
    digest: str


@dataclass(frozen=True)
class Index:
    digest: str
    media_type: str
    manifests: list[PlatformManifest]

    @property
    def platforms(self) -> list[str]:
        return [m.platform for m in self.manifests]


def split_reference(ref: str) -> tuple[str, str, str]:
    """Split "localhost:5000/app:1.0" into ("localhost:5000", "app", "1.0"); digests too."""
    host, _, rest = ref.partition("/")
    if not rest or ("." not in host and ":" not in host and host != "localhost"):
        raise UserError(f"{ref!r} names no registry", "write it as HOST[:PORT]/NAME[:TAG]")
    if "@" in rest:
        repo, _, tag = rest.partition("@")
    else:
        repo, _, tag = rest.rpartition(":") if ":" in rest.rsplit("/", 1)[-1] else (rest, "", "")
        tag = tag or "latest"
    return host, repo, tag


def platform_of(entry: dict) -> str:
    p = entry.get("platform", {})
    parts = [p.get("os", "unknown"), p.get("architecture", "unknown")]
    if p.get("variant"):
        parts.append(p["variant"])
    return "/".join(parts)


def platform_manifests(index: dict) -> list[PlatformManifest]:
    """An index's image manifests; attestation entries (unknown/unknown) left out."""
    return [
        PlatformManifest(platform_of(m), m["digest"])
        for m in index.get("manifests", [])
        if platform_of(m) != "unknown/unknown"
    ]


class RegistryAPI:
    def __init__(self, host: str, timeout: float = 10):
        self.host = host
        self.scheme = "http" if is_loopback(host) else "https"
        self.timeout = timeout

    def _request(self, path: str, *, accept=(), method="GET") -> tuple[bytes, dict]:
        url = f"{self.scheme}://{self.host}/v2/{path}"
        req = urllib.request.Request(url, method=method, headers={"Accept": ", ".join(accept)})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return resp.read(), dict(resp.headers)
        except urllib.error.HTTPError as e:
            if e.code == 404:
                raise LookupError(path) from None
            raise UserError(f"registry {self.host} answered {e.code} for {path}") from None
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            raise UserError(
                f"registry {self.host} does not answer ({reason})",
                "start it with `invoke registry`, or check --registry",
            ) from None

    def answers(self) -> bool:
        """Whether the v2 API answers at all (an auth challenge counts)."""
        try:
            with urllib.request.urlopen(f"{self.scheme}://{self.host}/v2/", timeout=2):
                return True
        except urllib.error.HTTPError as e:
            return e.code == 401
        except (TimeoutError, urllib.error.URLError, OSError):
            return False

    def wait(self, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.answers():
                return True
            time.sleep(0.2)
        return self.answers()

    def catalog(self) -> list[str]:
        body, _ = self._request("_catalog?n=1000")
        return json.loads(body).get("repositories") or []

    def tags(self, repo: str) -> list[str]:
        try:
            body, _ = self._request(f"{repo}/tags/list")
        except LookupError:
            return []
        return sorted(json.loads(body).get("tags") or [])

    def manifest(self, repo: str, ref: str) -> tuple[dict, str, str]:
        """The manifest or index at `ref`: (document, digest, media type)."""
        body, headers = self._request(
            f"{repo}/manifests/{ref}", accept=INDEX_TYPES + MANIFEST_TYPES
        )
        doc = json.loads(body)
        media_type = doc.get("mediaType") or headers.get("Content-Type", "")
        return doc, headers.get("Docker-Content-Digest", ""), media_type

    def index(self, repo: str, ref: str) -> Index:
        """The platforms of an image, attestation entries (unknown/unknown) left out."""
        try:
            doc, digest, media_type = self.manifest(repo, ref)
        except LookupError:
            raise UserError(
                f"{self.host}/{repo}:{ref} is not in the registry", "build and push it first"
            ) from None
        if media_type not in INDEX_TYPES:
            return Index(digest, media_type, [PlatformManifest("unknown", digest)])
        return Index(digest, media_type, platform_manifests(doc))

    def config(self, repo: str, manifest_digest: str) -> dict:
        """The image configuration (labels, architecture) behind a platform manifest."""
        try:
            doc, _, _ = self.manifest(repo, manifest_digest)
        except LookupError:
            raise UserError(
                f"{self.host}/{repo}@{manifest_digest} is not in the registry"
            ) from None
        return json.loads(self.blob(repo, doc["config"]["digest"]))

    def blob(self, repo: str, digest: str) -> bytes:
        """A blob (configuration, layer) by digest."""
        try:
            body, _ = self._request(f"{repo}/blobs/{digest}")
        except LookupError:
            raise UserError(f"{self.host}/{repo} has no blob {digest}") from None
        return body
