"""BuildKit test beds: the Dockerfile's base images in the test's registry as docker.io's
mirror, and a buildkitd.toml saying so. BuildKit pulls base images from registries, never
from Docker's image store, and no public registry is reachable in CI."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from multiarch.dockerfile.build_step import from_images
from tests.helpers import REPO, invoke, sh

# names of what the tests start (daemons, state directories, sockets), so that the tests
# of several checkouts on one machine never meet
PREFIX = os.environ.get("MULTIARCH_TEST_PREFIX", "multiarch-test-")


def mirror(reg: dict, config: Path) -> Path:
    """Start the test's registry, push the Dockerfile's base images to it as
    library/NAME:TAG, and write a buildkitd.toml in `config` naming it docker.io's mirror."""
    started = invoke("registry", env=reg["env"])
    assert started.returncode == 0, started.stderr
    for image in from_images((REPO / "Dockerfile").read_text()):
        name, _, tag = image.partition(":")
        mirrored = f"{reg['host']}/library/{name}:{tag or 'latest'}"
        sh("docker", "tag", image, mirrored)
        sh("docker", "push", "-q", mirrored)
        sh("docker", "rmi", mirrored)
    toml = config / "buildkitd.toml"
    toml.write_text(
        "[worker.containerd]\n  enabled = false\n"
        f'[registry."docker.io"]\n  mirrors = ["{reg["host"]}"]\n'
        f'[registry."{reg["host"]}"]\n  http = true\n'
    )
    return toml


def remove_builders(env: dict) -> None:
    """Every builder but the default in the DOCKER_CONFIG that `env` names (the test's own)."""
    full = {**os.environ, **env}
    listed = sh("docker", "buildx", "ls", "--format", "{{.Name}}", check=False, env=full)
    for builder in set(listed.stdout.split()) - {"default"}:
        sh("docker", "buildx", "rm", builder, check=False, env=full)


def remove_tree(root: Path) -> None:
    """Remove a daemon's directory, unmounting first what it left mounted there (a
    dockerd's netns/default, BuildKit's snapshots)."""
    mounts = [line.split()[1] for line in Path("/proc/self/mounts").read_text().splitlines()]
    for point in sorted((m for m in mounts if m.startswith(f"{root}/")), reverse=True):
        subprocess.run(["umount", point], capture_output=True)
    shutil.rmtree(root, ignore_errors=True)
