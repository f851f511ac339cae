import http.server
import threading

import pytest

from multiarch.core.errors import UserError
from multiarch.host.registry import RegistrySettings, _is_registry
from multiarch.oci.registry_api import (
    RegistryAPI,
    _scope,
    challenge,
    is_loopback,
    platform_of,
    split_reference,
)


@pytest.mark.parametrize(
    "host, loopback",
    [
        ("localhost:5000", True),
        ("127.0.0.1:5000", True),
        ("127.1.2.3", True),
        ("[::1]:5000", True),
        ("registry.example.com:5000", False),
        ("10.0.0.5:5000", False),
        ("ghcr.io", False),
    ],
)
def test_loopback(host, loopback):
    assert is_loopback(host) is loopback


def test_split_reference():
    assert split_reference("localhost:5000/app:1.0") == ("localhost:5000", "app", "1.0")
    assert split_reference("localhost:5000/a/b") == ("localhost:5000", "a/b", "latest")
    assert split_reference("ghcr.io/o/app@sha256:ab") == ("ghcr.io", "o/app", "sha256:ab")
    with pytest.raises(UserError):
        split_reference("app:1.0")


def test_platform_of_index_entries():
    assert platform_of({"platform": {"os": "linux", "architecture": "arm", "variant": "v7"}}) == (
        "linux/arm/v7"
    )
    assert platform_of({"platform": {"os": "unknown", "architecture": "unknown"}}) == (
        "unknown/unknown"
    )


def test_settings_address_and_volume():
    assert RegistrySettings().address == "127.0.0.1:5000"
    assert RegistrySettings(bind="0.0.0.0", port=5001, expose=True).address == "127.0.0.1:5001"
    assert RegistrySettings(name="r").volume_name == "r-data"
    assert RegistrySettings(volume="keep").volume_name == "keep"


def test_what_counts_as_a_registry_container():
    assert _is_registry({"Config": {"Image": "registry:2"}})
    assert _is_registry({"Config": {"Image": "x", "Labels": {"io.multiarch.role": "registry"}}})
    assert not _is_registry(
        {"Config": {"Image": "nginx:latest", "Entrypoint": ["/docker-entrypoint.sh"]}}
    )


@pytest.mark.parametrize(
    ("settings", "words"),
    [
        ({"port": 0}, "out of range"),
        ({"port": 65536}, "out of range"),
        ({"bind": ""}, "not an IP address"),
        ({"bind": "localhost"}, "not an IP address"),
        ({"bind": "0.0.0.0"}, "--expose"),
        ({"bind": "192.0.2.1"}, "no authentication"),
        ({"volume": "/srv/registry"}, "not a named volume"),
        ({"volume": "../data"}, "not a named volume"),
        ({"name": "a b"}, "not a valid container name"),
        ({"ready_timeout": 0}, "more than 0"),
        ({"image": "Registry:2"}, "not a valid image reference"),
    ],
)
def test_registry_settings_are_checked_when_made(settings, words):
    with pytest.raises(UserError, match=words):
        RegistrySettings(**settings)


def test_a_bind_beyond_loopback_with_expose():
    assert RegistrySettings(bind="::", expose=True).address == "127.0.0.1:5000"
    assert RegistrySettings(bind="::1").address == "[::1]:5000"


class _Page(http.server.BaseHTTPRequestHandler):
    """Another developer's web server: a page on every path, no registry header."""

    def do_GET(self):  # noqa: N802 - http.server's name
        body = b"<html>hello</html>"
        self.send_response(200 if self.path != "/v2/missing/tags/list" else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_a_web_server_is_not_taken_for_a_registry():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        api = RegistryAPI(f"127.0.0.1:{server.server_address[1]}")
        assert not api.answers()
        with pytest.raises(UserError, match="not a registry's JSON"):
            api.catalog()
        with pytest.raises(UserError, match="not a registry"):
            api.tags("missing")  # a 404 without the registry's header is no "no tags"
    finally:
        server.shutdown()


def test_auth_challenges_and_scopes():
    header = 'Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:o/a:pull"'
    assert challenge(header) == (
        "bearer",
        {"realm": "https://ghcr.io/token", "service": "ghcr.io", "scope": "repository:o/a:pull"},
    )
    assert challenge('Basic realm="Registry Realm"') == ("basic", {"realm": "Registry Realm"})
    assert _scope("o/a/manifests/1.0") == "repository:o/a:pull"
    assert _scope("library/golang/blobs/sha256:ab") == "repository:library/golang:pull"
    assert _scope("_catalog?n=10") == ""
    assert RegistryAPI("docker.io").api_host == "registry-1.docker.io"
    assert RegistryAPI("ghcr.io").scheme == "https"
