"""Smoke-testing an image in a registry that wants credentials: Docker's, found where
`docker login` or a credential helper keeps them, over Basic and Bearer token auth.

A real registry container holds the image; in front of it, on localhost, a small proxy
of the test's own asks for credentials as ghcr.io and Docker Hub do: a 401 with a Basic
challenge, or a Bearer challenge naming a token service (realm, service, scope) that
hands out tokens for a user name and password. The daemon's own pull goes through it too.
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.helpers import REPO, assert_one_line_error, invoke
from tests.integration.test_smoke import push_index, remove_images

pytestmark = pytest.mark.integration

USER, PASSWORD = "h9-user", "pa55-" + secrets.token_hex(8)


class AuthProxy(ThreadingHTTPServer):
    """The registry at `upstream`, behind Basic or Bearer authentication."""

    daemon_threads = True

    def __init__(self, upstream: str, mode: str):
        super().__init__(("127.0.0.1", 0), Handler)
        self.upstream, self.mode = upstream, mode
        self.tokens: set[str] = set()
        self.seen: list[str] = []  # "token user", "bearer", "basic", "anonymous"

    @property
    def address(self) -> str:
        return f"localhost:{self.server_address[1]}"  # Docker pulls from it over plain HTTP


class Handler(BaseHTTPRequestHandler):
    server: AuthProxy
    # Docker tries HTTPS first and falls back to HTTP only on an HTTP answer: even to the
    # TLS hello, answer with a status line (HTTP/0.9, the default here, has none)
    default_request_version = "HTTP/1.0"

    def log_message(self, *args):  # quiet
        pass

    def do_HEAD(self):
        self.do_GET()

    def do_POST(self):
        """The OAuth2 password grant, as containerd (the daemon's puller) asks for tokens."""
        length = int(self.headers.get("Content-Length") or 0)
        form = urllib.parse.parse_qs(self.rfile.read(length).decode())
        grant = [form.get(k, [""])[0] for k in ("grant_type", "username", "password")]
        if not self.path.startswith("/token") or grant != ["password", USER, PASSWORD]:
            self.server.seen.append("token refused")
            return self.answer(401, b"{}", {})
        self.grant(form.get("scope", [""])[0], "access_token")

    def do_GET(self):
        if self.path.startswith("/token"):
            return self.token()
        given = self.headers.get("Authorization", "")
        if self.server.mode == "basic":
            ok = given == "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        else:
            ok = given.removeprefix("Bearer ") in self.server.tokens
        self.server.seen.append(given.split(" ")[0].lower() if given else "anonymous")
        if not ok:
            return self.challenge()
        self.forward()

    def challenge(self):
        if self.server.mode == "basic":
            header = 'Basic realm="h9 registry"'
        else:
            repo = re.split(r"/(?:manifests|blobs|tags)/", self.path.removeprefix("/v2/"))[0]
            scope = f',scope="repository:{repo}:pull"' if "/" in self.path[4:] else ""
            header = f'Bearer realm="http://{self.server.address}/token",service="h9"{scope}'
        self.answer(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}', {"WWW-Authenticate": header})

    def token(self):
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        basic = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        if self.headers.get("Authorization") != basic or query.get("service") != ["h9"]:
            self.server.seen.append("token refused")
            return self.answer(401, b"{}", {})
        self.grant(query.get("scope", [""])[0], "token")

    def grant(self, scope: str, key: str):
        token = secrets.token_hex(16)
        self.server.tokens.add(token)
        self.server.seen.append(f"token {scope}")
        self.answer(200, json.dumps({key: token}).encode(), {})

    def forward(self):
        url = f"http://{self.server.upstream}{self.path}"
        req = urllib.request.Request(url, method=self.command)
        req.add_header("Accept", self.headers.get("Accept", "*/*"))
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                status, headers, body = resp.status, resp.headers, resp.read()
        except urllib.error.HTTPError as e:
            status, headers, body = e.code, e.headers, e.read()
        keep = ("Content-Type", "Docker-Content-Digest", "Docker-Distribution-Api-Version")
        keep += ("Content-Length",) if self.command == "HEAD" else ()  # the size of a GET
        self.answer(status, body, {k: headers[k] for k in keep if headers.get(k)})

    def answer(self, status: int, body: bytes, headers: dict):
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        if "Content-Length" not in headers:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


@pytest.fixture(scope="module")
def image(module_registry, tmp_path_factory):
    """A two-platform image of a CLI in a registry of this module's own."""
    started = invoke("registry", env=module_registry["env"])
    assert started.returncode == 0, started.stderr
    registry = {"address": module_registry["host"]}
    where = tmp_path_factory.mktemp("auth")
    ref = push_index(
        registry, where, "private", program="hello", platforms=["linux/amd64", "linux/arm64"]
    )
    yield ref.split("/", 1)[1]  # "private:test", to be reached through a proxy
    remove_images(module_registry["host"] + "/")


@pytest.fixture
def behind(module_registry):
    """Start proxies in front of the module's registry; shut down afterwards."""
    started: list[AuthProxy] = []

    def start(mode: str) -> AuthProxy:
        server = AuthProxy(f"127.0.0.1:{module_registry['port']}", mode)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.shutdown()
        server.server_close()
        remove_images(server.address + "/")


def docker_config(tmp_path, document: dict) -> dict:
    """Environment for a Docker configuration of the test's own."""
    (tmp_path / "config.json").write_text(json.dumps(document))
    return {"DOCKER_CONFIG": str(tmp_path)}


def credential_helper(tmp_path, server: str) -> dict:
    """A real docker-credential-h9test on PATH, knowing the proxy's credentials."""
    program = tmp_path / "bin" / "docker-credential-h9test"
    program.parent.mkdir()
    answer = json.dumps({"ServerURL": server, "Username": USER, "Secret": PASSWORD})
    program.write_text(
        "#!/bin/sh\n"
        f'[ "$1" = get ] && [ "$(cat)" = "{server}" ] && echo \'{answer}\' && exit 0\n'
        "echo 'credentials not found in native keychain'; exit 1\n"
    )
    program.chmod(0o755)
    return {"PATH": f"{program.parent}:{os.environ['PATH']}"}


def smoke(ref: str, env: dict):
    return invoke(
        "smoke", "--no-build", "--json", "--image", ref, "--expect", "Hello, world!",
        env=env, cwd=REPO, timeout=300,
    )  # fmt: skip


def assert_passed(result):
    assert result.returncode == 0, result.stdout + result.stderr
    document = json.loads(result.stdout)
    assert [p["result"] for p in document["platforms"]] == ["ok", "ok"]
    assert PASSWORD not in result.stdout + result.stderr, "a secret was shown"


def test_bearer_token_with_a_credential_helper(image, behind, tmp_path):
    server = behind("bearer")
    env = docker_config(tmp_path, {"credHelpers": {server.address: "h9test"}})
    env |= credential_helper(tmp_path, server.address)
    result = smoke(f"{server.address}/{image}", env)
    assert_passed(result)
    assert "token repository:private:pull" in server.seen
    assert "bearer" in server.seen and "token refused" not in server.seen


def test_basic_auth_from_docker_login(image, behind, tmp_path):
    server = behind("basic")
    login = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    env = docker_config(tmp_path, {"auths": {server.address: {"auth": login}}})
    assert_passed(smoke(f"{server.address}/{image}", env))
    assert "basic" in server.seen


def test_without_credentials_one_line_says_what_to_do(image, behind, tmp_path):
    basic, bearer = behind("basic"), behind("bearer")
    env = docker_config(tmp_path, {})
    result = smoke(f"{basic.address}/{image}", env)
    assert_one_line_error(result, f"registry {basic.address} asks for a login", "docker login")
    result = smoke(f"{bearer.address}/{image}", env)
    assert_one_line_error(result, f"the token service of {bearer.address}", "refused a token")


def test_a_wrong_password_is_refused(image, behind, tmp_path):
    server = behind("bearer")
    login = base64.b64encode(f"{USER}:wrong".encode()).decode()
    env = docker_config(tmp_path, {"auths": {server.address: {"auth": login}}})
    result = smoke(f"{server.address}/{image}", env)
    assert_one_line_error(result, "refused a token (401)", f"docker login {server.address}")
    assert "wrong" not in result.stderr
