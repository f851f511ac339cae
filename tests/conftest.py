"""Fixtures for tests that drive the real Docker daemon."""

from __future__ import annotations

import os
import shutil
import sys
import uuid
from pathlib import Path

import pytest

from tests.helpers import REPO, free_port, need, sh


@pytest.fixture(scope="session")
def docker_daemon() -> None:
    ok = shutil.which("docker") and sh("docker", "info", check=False).returncode == 0
    need(bool(ok), "a running Docker daemon")
    need(sh("docker", "buildx", "version", check=False).returncode == 0, "docker buildx")


# The registries the tests started (name, host, the environment naming their daemon):
# what is named after them is the tests' own.
REGISTRIES: list[tuple[str, str, dict]] = []


@pytest.fixture(scope="module", autouse=True)
def leaves_nothing(request, tmp_path_factory):
    """After a module of tests: none of their registries' containers or volumes, no new
    anonymous volume, no container or toolchain image of their fast builds remains (a
    test failed to clean up); the images they pushed, which the containerd image store
    keeps a copy of, and pulled are removed. Only what is named after the tests: others
    build meanwhile."""
    start = len(REGISTRIES)
    integration = request.module.__name__.split(".")[-2:-1] == ["integration"]
    volumes = anonymous_volumes() if integration else set()
    yield
    if not integration:
        return
    left = sorted(anonymous_volumes() - volumes)
    keys = {p.name for p in tmp_path_factory.getbasetemp().glob("*/cache/multiarch/fast/*")}
    for name, host, docker_env in REGISTRIES[start:]:
        daemon = {**os.environ, **docker_env}
        listed = sh("docker", "image", "ls", "--format", "{{.ID}} {{.Repository}}",
                    check=False, env=daemon).stdout  # fmt: skip
        pushed = {i for i, repo in map(str.split, listed.splitlines()) if repo.startswith(host)}
        if pushed:
            sh("docker", "image", "rm", "-f", *pushed, check=False, env=daemon)
        for kind, what in (("container", name), ("volume", f"{name}-data")):
            if sh("docker", kind, "inspect", what, check=False, env=daemon).returncode == 0:
                left.append(what)
    names = sh("docker", "ps", "-a", "--format", "{{.Names}}", check=False).stdout.split()
    left += [n for n in names if n.startswith("multiarch-fast-") and n.split("-")[2] in keys]
    images = sh("docker", "image", "ls", "multiarch-fast-toolchain", "--format", "{{.Tag}}",
                check=False).stdout.split()  # fmt: skip
    left += [f"multiarch-fast-toolchain:{t}" for t in images if t.split("-")[0] in keys]
    assert not left, f"left behind by {request.module.__name__}: {', '.join(left)}"


def anonymous_volumes() -> set[str]:
    """The daemon's anonymous volumes (a VOLUME of an image, made for a container)."""
    listed = sh("docker", "volume", "ls", "-q", "--filter", "label=com.docker.volume.anonymous",
                check=False).stdout  # fmt: skip
    return set(listed.split())


def own_registry(docker_env: dict | None = None):
    """Settings for a registry of a test's own (name, port, volume), removed afterwards
    (from the daemon `docker_env` names, if it names one).

    `env` points `invoke registry` and `invoke build` at it.
    """
    name = f"test-registry-{uuid.uuid4().hex[:8]}"
    port = unnamed_port(docker_env or {})
    REGISTRIES.append((name, f"localhost:{port}", docker_env or {}))
    env = {
        "INVOKE_REGISTRY_NAME": name,
        "INVOKE_REGISTRY_PORT": str(port),
        "INVOKE_BUILD_REGISTRY": f"localhost:{port}",
    }
    yield {
        "name": name,
        "port": port,
        "volume": f"{name}-data",
        "env": {**env, **(docker_env or {})},
        "host": f"localhost:{port}",
    }
    daemon = {**os.environ, **(docker_env or {})}
    sh("docker", "rm", "-f", name, check=False, env=daemon)
    sh("docker", "volume", "rm", f"{name}-data", check=False, env=daemon)


def unnamed_port(docker_env: dict) -> int:
    """A free port no image of the daemon is named after (localhost:PORT/...): the images
    a test pushed stay until its module ends, and a run killed earlier may have left some
    on a shared daemon; a registry on their port would show a test images not its own."""
    listed = sh("docker", "image", "ls", "--format", "{{.Repository}}", check=False,
                env={**os.environ, **docker_env}).stdout.split()  # fmt: skip
    taken = {name.split("/")[0] for name in listed}
    port = free_port()
    while f"localhost:{port}" in taken:
        port = free_port()
    return port


@pytest.fixture
def registry_env(docker_daemon):
    yield from own_registry()


@pytest.fixture(scope="module")
def module_registry(docker_daemon):
    yield from own_registry()


# The remote-daemon test bed: a second daemon that cannot see this machine's files, as
# Docker Desktop, a remote host or a docker-in-docker service cannot. Starting it needs
# root: scripts/remote-dockerd.sh (.ci/run starts it before the tests run).
REMOTE_SOCKET = f"/run/{os.environ.get('MULTIARCH_REMOTE', 'multiarch-remote')}.sock"


@pytest.fixture(scope="session")
def remote_daemon(docker_daemon) -> dict[str, str]:
    """The remote test daemon: the environment that points docker and the tasks at it."""
    env = {"DOCKER_HOST": f"unix://{REMOTE_SOCKET}"}
    answers = sh("docker", "info", check=False, env={**os.environ, **env}).returncode == 0
    need(answers, f"the remote test daemon on {REMOTE_SOCKET} (bash scripts/remote-dockerd.sh)")
    return env


@pytest.fixture(scope="module")
def remote_registry(remote_daemon):
    """A registry of the module's own, run by the remote test daemon."""
    yield from own_registry(remote_daemon)


@pytest.fixture(scope="session")
def installed(tmp_path_factory) -> Path:
    """multiarch as a user installs it: the wheel built from this checkout, installed with
    pip into a fresh venv of its own (dependencies from the package index). The venv's
    bin/ directory, which holds `invoke`."""
    where = tmp_path_factory.mktemp("wheel")
    built = sh(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(where),
               str(REPO), check=False)  # fmt: skip
    need(built.returncode == 0, f"a wheel build (pip wheel: {built.stderr[-300:]})")
    (wheel,) = where.glob("multiarch-*.whl")
    venv = where / "venv"
    sh(sys.executable, "-m", "venv", str(venv))
    pip = sh(str(venv / "bin" / "pip"), "install", "-q", str(wheel), check=False)
    need(pip.returncode == 0, f"the package's dependencies from PyPI ({pip.stderr[-300:]})")
    return venv / "bin"
