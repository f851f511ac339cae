"""Fixtures for tests that drive the real Docker daemon."""

from __future__ import annotations

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


def own_registry():
    """Settings for a registry of a test's own (name, port, volume), removed afterwards.

    `env` points `invoke registry` and `invoke build` at it.
    """
    name = f"test-registry-{uuid.uuid4().hex[:8]}"
    port = free_port()
    env = {
        "INVOKE_REGISTRY_NAME": name,
        "INVOKE_REGISTRY_PORT": str(port),
        "INVOKE_BUILD_REGISTRY": f"localhost:{port}",
    }
    yield {
        "name": name,
        "port": port,
        "volume": f"{name}-data",
        "env": env,
        "host": f"localhost:{port}",
    }
    sh("docker", "rm", "-f", name, check=False)
    sh("docker", "volume", "rm", f"{name}-data", check=False)


@pytest.fixture
def registry_env(docker_daemon):
    yield from own_registry()


@pytest.fixture(scope="module")
def module_registry(docker_daemon):
    yield from own_registry()


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
