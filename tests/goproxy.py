"""A private Go module proxy on 127.0.0.1, for the tests of private modules.

What a company's proxy is to the go command: static files (`<module>/@v/list`,
`<version>.info`, `.mod`, `.zip`) served over HTTPS with a certificate from a CA of its
own, behind basic authentication. The CA is a throwaway one made with openssl.
"""

from __future__ import annotations

import base64
import hashlib
import io
import secrets
import ssl
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.helpers import sh


def make_ca(where: Path) -> tuple[Path, Path, Path]:
    """A CA, and a certificate it signed for 127.0.0.1: (ca.crt, server.crt, server.key)."""
    where.mkdir(parents=True, exist_ok=True)
    ca_key, ca, key, csr, crt = (
        where / n for n in ("ca.key", "ca.crt", "srv.key", "srv.csr", "srv.crt")
    )
    sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
       "-subj", "/CN=multiarch test CA", "-keyout", str(ca_key), "-out", str(ca))  # fmt: skip
    sh("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
       "-keyout", str(key), "-out", str(csr))  # fmt: skip
    ext = where / "san.cnf"
    ext.write_text("subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    sh("openssl", "x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key),
       "-CAcreateserial", "-days", "2", "-extfile", str(ext), "-out", str(crt))  # fmt: skip
    return ca, crt, key


def _hash1(files: dict[str, bytes]) -> str:
    """golang.org/x/mod/sumdb/dirhash.Hash1: what go.sum records."""
    summary = "".join(
        f"{hashlib.sha256(files[name]).hexdigest()}  {name}\n" for name in sorted(files)
    )
    return "h1:" + base64.b64encode(hashlib.sha256(summary.encode()).digest()).decode()


def publish(root: Path, path: str, version: str, files: dict[str, str]) -> str:
    """Put a module version into the proxy's files; its go.sum lines."""
    mod = f"module {path}\n\ngo 1.24\n"
    where = root / path / "@v"
    where.mkdir(parents=True, exist_ok=True)
    (where / "list").write_text(f"{version}\n")
    (where / f"{version}.info").write_text(
        f'{{"Version":"{version}","Time":"2026-01-01T00:00:00Z"}}'
    )
    (where / f"{version}.mod").write_text(mod)
    contents = {f"{path}@{version}/{name}": text.encode() for name, text in files.items()}
    contents[f"{path}@{version}/go.mod"] = mod.encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, data in contents.items():
            z.writestr(name, data)
    (where / f"{version}.zip").write_bytes(buffer.getvalue())
    return (
        f"{path} {version} {_hash1(contents)}\n"
        f"{path} {version}/go.mod {_hash1({'go.mod': mod.encode()})}\n"
    )


@dataclass
class Proxy:
    url: str  # https://127.0.0.1:PORT
    host: str  # 127.0.0.1:PORT, as a netrc `machine` line must name it
    root: Path  # publish() modules here
    user: str
    password: str
    ca: Path  # the CA certificate go must trust
    netrc: Path  # a netrc with the credentials
    # (path, whether it came with the right credentials), in the order asked
    requests: list[tuple[str, bool]] = field(default_factory=list)


@contextmanager
def running(where: Path) -> Iterator[Proxy]:
    """A proxy serving where/files over HTTPS on 127.0.0.1, to requests with a fresh
    password only; its CA and a netrc for it are files under `where`."""
    ca, cert, key = make_ca(where / "tls")
    root = where / "files"
    root.mkdir(parents=True, exist_ok=True)
    user, password = "gopher", secrets.token_urlsafe(18)
    with serve(root, cert, key, user, password) as (host, requests):
        netrc = where / "netrc"
        # with the port: go sends nothing for a bare `machine 127.0.0.1` (golang/go#81253)
        netrc.write_text(f"machine {host} login {user} password {password}\n")
        yield Proxy(f"https://{host}", host, root, user, password, ca, netrc, requests)


@contextmanager
def serve(root: Path, cert: Path, key: Path, user: str, password: str):
    """Serve `root` over HTTPS on 127.0.0.1 to requests with these basic credentials:
    ("127.0.0.1:PORT", the list of (path, authorized) it appends each request to)."""
    expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
    seen: list[tuple[str, bool]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            allowed = self.headers.get("Authorization") == expected
            seen.append((self.path, allowed))
            file = (root / self.path.lstrip("/")).resolve()
            if not allowed:
                self._answer(401, b"unauthorized\n", {"WWW-Authenticate": 'Basic realm="go"'})
            elif root.resolve() in file.parents and file.is_file():
                self._answer(200, file.read_bytes())
            else:
                self._answer(404, b"not found\n")

        def _answer(self, code: int, body: bytes, headers: dict | None = None):
            self.send_response(code)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()
