"""`invoke build` against the real daemon, buildx, registry and qemu."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from multiarch.golang.version import describe
from multiarch.oci.registry_api import RegistryAPI
from tests.helpers import REPO, assert_one_line_error, invoke, sh

pytestmark = pytest.mark.integration

PLATFORMS = ["linux/amd64", "linux/arm64", "linux/arm/v7"]


@pytest.fixture(scope="module")
def pushed(module_registry):
    """hellorld, built by `invoke build` and pushed to the test's registry."""
    result = invoke("build", "--tag", "it", env=module_registry["env"])
    assert result.returncode == 0, result.stderr
    return result


def test_pushes_one_index_with_a_manifest_per_platform(pushed, module_registry):
    api = RegistryAPI(module_registry["host"])
    index = api.index("hellorld", "it")
    assert index.media_type.endswith("index.v1+json") or "list" in index.media_type
    assert sorted(index.platforms) == sorted(PLATFORMS)
    # the summary printed names the same digests
    for entry in index.manifests:
        assert entry.digest in pushed.stdout
    assert index.digest in pushed.stdout
    # the commands ran were shown
    assert "$ docker buildx build" in pushed.stderr


def test_amd64_image_prints_the_version_and_commit_git_gives(pushed, module_registry):
    rev = describe(REPO, quiet=True)
    ref = f"{module_registry['host']}/hellorld:it"
    out = sh("docker", "run", "--rm", "--platform", "linux/amd64", ref).stdout.strip()
    assert out == f"hellorld {rev.version} (commit {rev.commit}) on linux/amd64"


def test_labels_follow_oci(pushed, module_registry):
    api = RegistryAPI(module_registry["host"])
    index = api.index("hellorld", "it")
    rev = describe(REPO, quiet=True)
    for entry in index.manifests:
        labels = api.config("hellorld", entry.digest)["config"]["Labels"]
        assert labels["org.opencontainers.image.version"] == rev.version
        assert labels["org.opencontainers.image.revision"] == rev.commit
        assert labels["org.opencontainers.image.title"] == "hellorld"
        assert labels["org.opencontainers.image.created"]
        assert "io.multiarch.workspace" not in labels


def test_image_runs_as_non_root_from_scratch(pushed, module_registry):
    ref = f"{module_registry['host']}/hellorld:it"
    info = json.loads(sh("docker", "image", "inspect", ref).stdout)[0]
    assert info["Config"]["User"] == "65532:65532"
    assert info["Config"]["Entrypoint"] == ["/hellorld"]


@pytest.mark.parametrize(
    "args, words",
    [
        (["--platforms", "linux/amd65"], "unknown platform"),
        (["--platforms", "linux"], "malformed platform"),
        (["--registry", "localhost:9"], "does not answer"),
        (["--builder", "no-such-builder"], "no buildx builder"),
    ],
)
def test_bad_input_is_one_line(args, words, module_registry):
    result = invoke("build", "--tag", "bad", *args, env=module_registry["env"])
    assert_one_line_error(result, words)


def test_no_daemon_is_one_line(module_registry):
    env = {**module_registry["env"], "DOCKER_HOST": "tcp://127.0.0.1:9"}
    assert_one_line_error(invoke("build", env=env), "does not answer")


def test_dry_run_shows_the_command_and_builds_nothing(module_registry):
    result = invoke("--dry", "build", "--tag", "dry", env=module_registry["env"])
    assert result.returncode == 0, result.stderr
    assert "$ docker buildx build --platform linux/amd64,linux/arm64,linux/arm/v7" in result.stderr
    assert RegistryAPI(module_registry["host"]).tags("hellorld") in ([], ["it"])


def test_no_buildx_is_one_line(module_registry, tmp_path):
    # a docker CLI without the buildx plugin answers like this
    real = shutil.which("docker")
    fake = tmp_path / "docker"
    fake.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = buildx ]; then echo "docker: \'buildx\' is not a docker command." >&2; '
        "exit 1; fi\n"
        f'exec {real} "$@"\n'
    )
    fake.chmod(0o755)
    env = {**module_registry["env"], "PATH": f"{tmp_path}:{os.environ['PATH']}"}
    assert_one_line_error(invoke("build", env=env), "docker buildx is not installed")


def test_load_puts_every_platform_in_the_local_store(module_registry):
    two = "linux/amd64,linux/arm64"
    result = invoke("build", "--no-push", "--load", "--platforms", two, "--tag", "loaded",
                    env=module_registry["env"])  # fmt: skip
    assert result.returncode == 0, result.stderr
    ref = f"{module_registry['host']}/hellorld:loaded"
    try:
        out = sh("docker", "run", "--rm", "--platform", "linux/arm64", ref).stdout
        assert out.strip().endswith("on linux/arm64")
        assert RegistryAPI(module_registry["host"]).tags("hellorld") in ([], ["it"])
    finally:
        sh("docker", "rmi", ref, check=False)
