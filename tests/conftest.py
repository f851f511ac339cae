"""Fixtures for tests that drive the real Docker daemon."""

from __future__ import annotations

import shutil
import uuid

import pytest

from tests.helpers import free_port, need, sh


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
