"""A private dependency behind an authenticated HTTPS module proxy on 127.0.0.1.

The proxy (tests/goproxy.py) has a certificate from a throwaway CA and wants basic
authentication. The build must fetch from it with the netrc and the CA, given as
BuildKit secrets; fail with one line without them; and leave the password nowhere: not
in the image (layers, configs, history, labels), the index, the build's output or a
dry run's.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import secrets
import urllib.request
from pathlib import Path

import pytest

from multiarch.oci.registry_api import INDEX_TYPES, MANIFEST_TYPES, RegistryAPI
from tests import goproxy
from tests.gomodules import TASKS_PY, app, git_commit, in_repo, installed_invoke
from tests.helpers import assert_one_line_error, sh

pytestmark = pytest.mark.integration

PLATFORMS = ["linux/amd64", "linux/arm64", "linux/arm/v7"]
MESSAGE = "fetched from the private proxy"


@pytest.fixture(scope="module")
def proxy(tmp_path_factory, docker_daemon):
    with goproxy.running(tmp_path_factory.mktemp("goproxy")) as served:
        yield served


def private_app(where: Path, proxy, own_dockerfile: bool = True) -> Path:
    """hellorld-like, needing a module only the proxy has (its own path: no cache has it).
    Without its own Dockerfile, it is a repository as a user has one: the three-line
    tasks.py, and the default Dockerfile of the package."""
    dep = f"private.example/p{secrets.token_hex(4)}/secret"
    lib = f'package secret\n\nconst Message = "{MESSAGE}"\n'
    sums = goproxy.publish(proxy.root, dep, "v0.0.0", {"secret.go": lib})
    mod = app(where, [dep])
    (mod / "go.sum").write_text(sums)
    if not own_dockerfile:
        for name in ("Dockerfile", ".dockerignore"):
            (mod / name).unlink()
        (mod / "tasks.py").write_text(TASKS_PY)
    git_commit(mod)
    return mod


def go_env(proxy, tmp_path: Path, netrc: bool = True, ca: bool = True) -> dict[str, str]:
    """GOPROXY and the CA from the configuration, GONOSUMDB from the host, and a HOME
    without a ~/.netrc, so that only go.netrc can bring one."""
    (tmp_path / "home").mkdir(exist_ok=True)
    env = {
        "HOME": str(tmp_path / "home"),
        "NETRC": "",
        "DOCKER_CONFIG": os.environ.get("DOCKER_CONFIG", str(Path.home() / ".docker")),
        "INVOKE_GO_GOPROXY": proxy.url,
        "GONOSUMDB": "private.example",
    }
    if netrc:
        env["INVOKE_GO_NETRC"] = str(proxy.netrc)
    if ca:
        env["INVOKE_GO_CA"] = str(proxy.ca)
    return env


def needles(proxy) -> list[bytes]:
    """The password as it could leak: itself, and as the Authorization header carries it."""
    header = base64.b64encode(f"{proxy.user}:{proxy.password}".encode())
    return [proxy.password.encode(), header]


def assert_nowhere(proxy, *texts: str | bytes) -> None:
    for text in texts:
        data = text.encode() if isinstance(text, str) else text
        for needle in needles(proxy):
            assert needle not in data


@pytest.fixture(scope="module")
def built(module_registry, proxy, installed, tmp_path_factory):
    """The private build of a repository as a user has one: the package installed from
    its wheel, the default Dockerfile."""
    tmp = tmp_path_factory.mktemp("built")
    mod = private_app(tmp / "app", proxy, own_dockerfile=False)
    asked = len(proxy.requests)
    result = installed_invoke(installed, mod, module_registry, "build", "--image", "private",
                              "--tag", "ok", env=go_env(proxy, tmp))  # fmt: skip
    assert result.returncode == 0, result.stderr
    yield result, proxy.requests[asked:], mod, tmp
    # the docker driver also put it in the daemon's image store
    sh("docker", "rmi", f"{module_registry['host']}/private:ok", check=False)


def test_builds_with_the_netrc_and_ca_and_runs_on_every_platform(built, module_registry):
    result, asked, _, _ = built
    # every request of the build carried the credentials, and the module came whole
    assert asked and all(ok for _, ok in asked)
    assert any(path.endswith(".zip") for path, _ in asked)
    # the secrets and the network are on the command shown, by file, not by content
    assert "--secret id=netrc,src=" in result.stderr and "--network host" in result.stderr
    ref = f"{module_registry['host']}/private:ok"
    for platform in PLATFORMS:
        out = sh("docker", "run", "--rm", "--platform", platform, ref).stdout.strip()
        assert out == f"{platform.rsplit('/v', 1)[0]} [{MESSAGE}]"


def test_the_password_is_nowhere_in_the_image_the_index_or_the_output(
    built, module_registry, proxy
):
    result, _, _, _ = built
    assert_nowhere(proxy, result.stdout, result.stderr)
    api = RegistryAPI(module_registry["host"])
    index, _, media_type = api.manifest("private", "ok")
    assert media_type in INDEX_TYPES
    blobs = [json.dumps(index).encode()]
    history = []
    for entry in index["manifests"]:  # attestation manifests too, if any
        manifest, _, _ = api.manifest("private", entry["digest"])
        assert manifest["mediaType"] in MANIFEST_TYPES
        blobs.append(json.dumps(manifest).encode())
        config = blob(module_registry["host"], manifest["config"]["digest"])
        history += json.loads(config).get("history", [])
        blobs.append(config)
        for layer in manifest["layers"]:
            data = blob(module_registry["host"], layer["digest"])
            blobs.append(gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data)
    assert history and len(blobs) > 2 * len(index["manifests"])
    assert_nowhere(proxy, *blobs)
    # and the daemon's own image store, where the build also landed
    ref = f"{module_registry['host']}/private:ok"
    local = sh("docker", "image", "inspect", ref).stdout
    assert_nowhere(proxy, local, sh("docker", "history", "--no-trunc", ref).stdout)


def blob(host: str, digest: str) -> bytes:
    with urllib.request.urlopen(f"http://{host}/v2/private/blobs/{digest}", timeout=30) as r:
        return r.read()


def test_dry_run_names_the_secret_files_and_fetches_nothing(built, module_registry, proxy):
    _, _, mod, tmp = built
    asked = len(proxy.requests)
    result = in_repo(module_registry, mod, "--dry", "build", "--image", "private",
                     "--tag", "dry", env=go_env(proxy, tmp))  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert f"--secret id=netrc,src={proxy.netrc}" in result.stderr
    assert f"--secret id=go-ca,src={proxy.ca}" in result.stderr
    assert f"--build-arg GOPROXY={proxy.url}" in result.stderr
    assert_nowhere(proxy, result.stdout, result.stderr)
    assert len(proxy.requests) == asked
    assert "dry" not in RegistryAPI(module_registry["host"]).tags("private")


def test_without_the_netrc_one_line_says_where_credentials_go(module_registry, proxy, tmp_path):
    mod = private_app(tmp_path / "app", proxy)
    asked = len(proxy.requests)
    result = in_repo(module_registry, mod, "build", "--image", "private", "--tag", "nonetrc",
                     env=go_env(proxy, tmp_path, netrc=False))  # fmt: skip
    assert_one_line_error(result, "go was refused", proxy.host, "401", f"machine {proxy.host}")
    # the proxy was reached over TLS from the build's RUN step, and said no
    assert proxy.requests[asked:] and not any(ok for _, ok in proxy.requests[asked:])
    assert "nonetrc" not in RegistryAPI(module_registry["host"]).tags("private")


def test_without_the_ca_one_line_points_at_go_ca(module_registry, proxy, tmp_path):
    mod = private_app(tmp_path / "app", proxy)
    result = in_repo(module_registry, mod, "build", "--image", "private", "--tag", "noca",
                     env=go_env(proxy, tmp_path, ca=False))  # fmt: skip
    assert_one_line_error(result, "does not trust the certificate", proxy.host, "go.ca")


def test_credentials_in_the_proxy_url_are_refused_before_anything_runs(
    module_registry, proxy, tmp_path
):
    mod = private_app(tmp_path / "app", proxy)
    env = go_env(proxy, tmp_path, netrc=False)
    env["INVOKE_GO_GOPROXY"] = f"https://{proxy.user}:{proxy.password}@{proxy.host}"
    asked = len(proxy.requests)
    result = in_repo(module_registry, mod, "build", "--image", "private", env=env)
    assert_one_line_error(result, "GOPROXY carries credentials", "netrc")
    assert "$ docker" not in result.stderr
    assert_nowhere(proxy, result.stdout, result.stderr)
    assert len(proxy.requests) == asked
