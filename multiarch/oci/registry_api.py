"""The registry's HTTP API (distribution v2): what is in it, read from the registry itself."""

from __future__ import annotations

import base64
import hashlib
import http.client
import ipaddress
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from ..core.errors import UserError
from . import credentials
from .reference import Reference

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
    """Split "localhost:5000/app:1.0" into ("localhost:5000", "app", "1.0"); a digest in
    the tag's place."""
    r = Reference.parse(ref)
    return r.host, r.repository, r.digest or r.tag


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


def challenge(header: str) -> tuple[str, dict[str, str]]:
    """'Bearer realm="https://auth",service="reg",scope="repository:a:pull"' ->
    ("bearer", {"realm": ..., "service": ..., "scope": ...})."""
    scheme, _, rest = header.strip().partition(" ")
    params = dict(re.findall(r'(\w+)="([^"]*)"', rest))
    return scheme.lower(), params


class RegistryAPI:
    """Reads a registry, anonymously where it lets us, else with Docker's credentials:
    HTTP Basic, or a Bearer token from the realm its challenge names (ghcr.io, Docker Hub)."""

    def __init__(self, host: str, timeout: float = 10):
        self.host = host
        # Docker Hub's API is not where its references say
        self.api_host = "registry-1.docker.io" if host in credentials.DOCKER_HUB_NAMES else host
        self.scheme = "http" if is_loopback(host) else "https"
        self.timeout = timeout
        self._authorization: dict[str, str] = {}  # scope -> Authorization header value

    def _request(self, path: str, *, accept=(), method="GET") -> tuple[bytes, dict]:
        with self._open(path, accept=accept, method=method) as resp:
            return resp.read(), dict(resp.headers)

    def _open(self, path: str, *, accept=(), method="GET", body=None, push=False, url=None):
        """The open response to an API request, authenticating when the registry asks.
        `body` is (bytes, media type); `push` asks for a token that may write; `url` goes
        elsewhere than `path` (an upload's Location), `path` naming it in scope and errors."""
        url = url or f"{self.scheme}://{self.api_host}/v2/{path}"
        scope = _scope(path, push)
        try:
            try:
                return urllib.request.urlopen(
                    self._req(url, accept, method, scope, body), timeout=self.timeout
                )
            except urllib.error.HTTPError as e:
                if e.code != 401 or scope in self._authorization:
                    raise
                self._authorization[scope] = self._authorize(
                    e.headers.get("WWW-Authenticate", ""), scope
                )
            return urllib.request.urlopen(
                self._req(url, accept, method, scope, body), timeout=self.timeout
            )
        except urllib.error.HTTPError as e:
            if e.code == 404 and _is_registry(e.headers):
                raise LookupError(path) from None
            if e.code in (401, 403):
                raise UserError(
                    f"registry {self.host} refused access to {path} ({e.code})",
                    f"docker login {self.host} with an account that may "
                    + ("push to it" if push else "read it"),
                ) from None
            raise UserError(
                f"registry {self.host} answered {e.code} for {path}{_not_registry(e.headers)}",
                HINT,
            ) from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as e:
            reason = getattr(e, "reason", e) or type(e).__name__
            raise UserError(f"registry {self.host} does not answer ({reason})", HINT) from None

    def _json(self, path: str, **kwargs) -> tuple[dict, dict]:
        body, headers = self._request(path, **kwargs)
        try:
            doc = json.loads(body)
        except ValueError:
            doc = None
        if not isinstance(doc, dict):
            raise UserError(
                f"{self.host} answered {path} with something that is not a registry's JSON "
                f"({body[:40]!r}): is another service on that port?",
                HINT,
            )
        return doc, headers

    def _req(self, url: str, accept, method: str, scope: str, body=None) -> urllib.request.Request:
        req = urllib.request.Request(url, method=method, headers={"Accept": ", ".join(accept)})
        if body is not None:
            req.data = body[0]
            req.add_header("Content-Type", body[1])
        if self._authorization.get(scope):
            # not sent on to where a blob is redirected (a CDN or bucket)
            req.add_unredirected_header("Authorization", self._authorization[scope])
        return req

    def _authorize(self, header: str, scope: str) -> str:
        """The Authorization header answering a 401's challenge (Basic or Bearer)."""
        scheme, params = challenge(header)
        found = credentials.lookup(self.host)
        if scheme == "basic":
            if found is None:
                raise UserError(
                    f"registry {self.host} asks for a login and Docker has none for it",
                    f"docker login {self.host}",
                )
            pair = f"{found.username}:{found.secret}".encode()
            return "Basic " + base64.b64encode(pair).decode()
        if scheme != "bearer" or "realm" not in params:
            raise UserError(f"registry {self.host} asks for an unknown authentication: {header!r}")
        return "Bearer " + self._token(params, scope, found)

    def _token(self, params: dict[str, str], scope: str, found) -> str:
        """A token from the realm: anonymous, with Basic credentials, or for an identity
        token through the OAuth refresh-token grant."""
        query = {"service": params.get("service", ""), "scope": params.get("scope") or scope}
        query = {k: v for k, v in query.items() if v}
        realm = params["realm"]
        if found is not None and found.identity_token:
            form = {**query, "grant_type": "refresh_token", "refresh_token": found.secret}
            form["client_id"] = "multiarch"
            req = urllib.request.Request(
                realm, data=urllib.parse.urlencode(form).encode(), method="POST"
            )
        else:
            req = urllib.request.Request(f"{realm}?{urllib.parse.urlencode(query)}")
            if found is not None:
                pair = f"{found.username}:{found.secret}".encode()
                req.add_unredirected_header(
                    "Authorization", "Basic " + base64.b64encode(pair).decode()
                )
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                answer = json.loads(resp.read())
        except urllib.error.HTTPError as e:
            raise UserError(
                f"the token service of {self.host} ({realm}) refused a token ({e.code})",
                f"docker login {self.host}",
            ) from None
        except (urllib.error.URLError, OSError, ValueError) as e:
            raise UserError(f"the token service of {self.host} ({realm}) failed: {e}") from None
        token = answer.get("token") or answer.get("access_token")
        if not token:
            raise UserError(f"the token service of {self.host} ({realm}) gave no token")
        return token

    def answers(self) -> bool:
        """Whether a registry's v2 API answers (an auth challenge counts); another HTTP
        service, or anything else on that port, does not."""
        try:
            with urllib.request.urlopen(f"{self.scheme}://{self.api_host}/v2/", timeout=2) as resp:
                return _is_registry(resp.headers) or not is_loopback(self.host)
        except urllib.error.HTTPError as e:
            return e.code == 401
        except (TimeoutError, urllib.error.URLError, OSError, http.client.HTTPException):
            return False

    def wait(self, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.answers():
                return True
            time.sleep(0.2)
        return self.answers()

    def catalog(self) -> list[str]:
        doc, _ = self._json("_catalog?n=1000")
        return doc.get("repositories") or []

    def tags(self, repo: str) -> list[str]:
        try:
            doc, _ = self._json(f"{repo}/tags/list")
        except LookupError:
            return []
        return sorted(doc.get("tags") or [])

    def manifest(self, repo: str, ref: str) -> tuple[dict, str, str]:
        """The manifest or index at `ref`: (document, digest, media type)."""
        doc, headers = self._json(f"{repo}/manifests/{ref}", accept=INDEX_TYPES + MANIFEST_TYPES)
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

    def blob(self, repo: str, digest: str):
        """A blob (a layer) as an open, streaming response; close it when done."""
        try:
            return self._open(f"{repo}/blobs/{digest}")
        except LookupError:
            raise UserError(f"blob {digest} of {self.host}/{repo} is not in the registry") from None

    def config(self, repo: str, manifest_digest: str) -> dict:
        """The image configuration (labels, architecture) behind a platform manifest."""
        try:
            doc, _, _ = self.manifest(repo, manifest_digest)
            config, _ = self._json(f"{repo}/blobs/{(doc.get('config') or {}).get('digest')}")
        except LookupError:
            raise UserError(
                f"{self.host}/{repo}@{manifest_digest} is not in the registry"
            ) from None
        return config

    def has_blob(self, repo: str, digest: str) -> bool:
        try:
            self._open(f"{repo}/blobs/{digest}", method="HEAD").close()
        except LookupError:
            return False
        return True

    def put_blob(self, repo: str, digest: str, data: bytes) -> None:
        """Upload a blob unless the registry has it: POST for an upload, then PUT the bytes."""
        if self.has_blob(repo, digest):
            return
        path = f"{repo}/blobs/uploads/"
        location = self._write(202, path, "POST", b"", OCTETS).get("Location")
        if not location:
            raise UserError(f"registry {self.host} started an upload to {repo} with no Location")
        url = urllib.parse.urljoin(f"{self.scheme}://{self.api_host}/v2/{path}", location)
        url += ("&" if "?" in url else "?") + urllib.parse.urlencode({"digest": digest})
        self._write(201, path, "PUT", data, OCTETS, url=url)

    def put_manifest(self, repo: str, reference: str, document: bytes, media_type: str) -> str:
        """Put a manifest or index at `reference` (a tag or its digest); returns its digest."""
        headers = self._write(201, f"{repo}/manifests/{reference}", "PUT", document, media_type)
        return headers.get("Docker-Content-Digest") or digest(document)

    def _write(self, status: int, path: str, method: str, data: bytes, media_type: str, url=None):
        """The headers of a write's answer, which must be `status`."""
        try:
            with self._open(
                path, method=method, body=(data, media_type), push=True, url=url
            ) as resp:
                resp.read()
                code, headers = resp.status, dict(resp.headers)
        except LookupError:
            raise UserError(
                f"registry {self.host} has no {path} (404)", "check the repository name"
            ) from None
        if code != status:
            raise UserError(f"registry {self.host} answered {code} to {method} {path}", HINT)
        return headers


OCTETS = "application/octet-stream"
HINT = "start it with `invoke registry`, or check --registry and the port"
# Every distribution registry says so in each answer, errors included.
API_HEADER = "Docker-Distribution-Api-Version"


def _is_registry(headers) -> bool:
    return bool(headers) and (headers.get(API_HEADER) or "").startswith("registry/2")


def _not_registry(headers) -> str:
    return "" if _is_registry(headers) else ": not a registry (is another service on that port?)"


def _scope(path: str, push: bool = False) -> str:
    """The token scope an API path needs: "repository:NAME:pull" (":pull,push" to write);
    "" for the base."""
    for marker in ("/manifests/", "/blobs/", "/tags/"):
        if marker in path:
            return f"repository:{path.split(marker)[0]}:" + ("pull,push" if push else "pull")
    return ""


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()
