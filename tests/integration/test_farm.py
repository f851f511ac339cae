"""Builds on real BuildKit daemons other than the one inside dockerd: a remote node, a farm
of two nodes with the platforms split between them, a node that is down, a registry cache
imported by a fresh node.

The nodes are buildkitd processes on this machine (installed by scripts/provision.sh),
which need root: these tests are marked `root` and run in .ci/run's root pass. They pull
their base image (the golang stand-in) from the test's registry, given to them as the
mirror of docker.io. Their buildx builders live in a DOCKER_CONFIG of the test's own, and
every node, builder and directory is removed afterwards.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from multiarch.oci.registry_api import RegistryAPI
from tests.buildkit import PREFIX, mirror, remove_builders, remove_tree
from tests.helpers import assert_one_line_error, free_port, invoke, need, sh, table_rows

pytestmark = [pytest.mark.integration, pytest.mark.root]

PLATFORMS = ["linux/amd64", "linux/arm64", "linux/arm/v7"]
# `buildctl du`'s heading and summary lines; the others are cache records
DU_SUMMARY = ("ID", "Reclaimable", "Total", "Shared", "Private")


@pytest.fixture(scope="module")
def bed(module_registry, tmp_path_factory):
    """The registry, with the base images as docker.io's mirror; a buildkitd.toml saying
    so; a DOCKER_CONFIG of its own for the builders; the invoke environment."""
    if os.geteuid() != 0:  # .ci/run's root pass runs it; the non-root pass skips it
        pytest.skip("needs root to start buildkitd: .ci/run runs it as root")
    for tool in ("buildkitd", "buildctl", "runc"):
        need(shutil.which(tool) is not None, f"{tool} (scripts/provision.sh installs it)")
    home = tmp_path_factory.mktemp("farm")
    toml = mirror(module_registry, home)
    (home / "docker-config").mkdir()
    env = {**module_registry["env"], "DOCKER_CONFIG": str(home / "docker-config")}
    yield {"toml": toml, "env": env, "registry": module_registry["host"]}
    remove_builders(env)


class Node:
    """A buildkitd of the test's own: its state in a directory of its own, a unix socket
    (and a tcp:// listener on 127.0.0.1 if asked), stopped and removed by stop()."""

    def __init__(self, toml: Path, tcp: bool = False):
        name = f"{PREFIX}buildkit-{uuid.uuid4().hex[:8]}"
        self.root = Path(tempfile.mkdtemp(prefix=f"{name}-", dir="/var/lib"))
        self.socket = f"unix:///run/{name}.sock"
        self.address = f"tcp://127.0.0.1:{free_port()}" if tcp else self.socket
        addrs = ["--addr", self.socket] + (["--addr", self.address] if tcp else [])
        self.log = (self.root / "log").open("w")
        self.proc = subprocess.Popen(
            ["buildkitd", "--root", str(self.root / "state"), "--config", str(toml), *addrs],
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        for _ in range(60):
            if self.ctl("debug", "workers").returncode == 0:
                return
            time.sleep(0.5)
        self.stop()
        pytest.fail(f"buildkitd did not answer: {(self.root / 'log').read_text()[-500:]}")

    def ctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return sh("buildctl", "--addr", self.socket, *args, check=False)

    def used(self) -> int:
        """How many records of build cache the node holds (`buildctl du`)."""
        lines = self.ctl("du").stdout.splitlines()
        return len([line for line in lines if line and not line.startswith(DU_SUMMARY)])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        remove_tree(self.root)
        Path(self.socket.removeprefix("unix://")).unlink(missing_ok=True)


@pytest.fixture
def nodes(bed):
    started: list[Node] = []

    def start(tcp: bool = False) -> Node:
        started.append(Node(bed["toml"], tcp))
        return started[-1]

    yield start
    for node in started:
        node.stop()


def create(bed, name: str, nodes: str):
    result = invoke("builder.create", "--name", name, "--driver", "remote", "--nodes", nodes,
                    env=bed["env"])  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result


def test_a_farm_splits_the_platforms_and_pushes_one_index(bed, nodes):
    amd, arm = nodes(tcp=True), nodes()
    assert amd.used() == arm.used() == 0
    create(bed, "farm", f"{amd.address}=linux/amd64 {arm.socket}=linux/arm64,linux/arm/v7")

    doctor = invoke("doctor", "--builder", "farm", env=bed["env"])
    rows = table_rows(doctor.stdout)
    assert "running" in rows["node farm0"][1] and amd.address in rows["node farm0"][1]
    assert "v0.18.2" in rows["node farm1"][1] and "linux/arm64" in rows["node farm1"][1]

    built = invoke("build", "--builder", "farm", "--tag", "farm", env=bed["env"])
    assert built.returncode == 0, built.stderr
    # both nodes did part of the build
    assert amd.used() > 0 and arm.used() > 0
    index = RegistryAPI(bed["registry"]).index("hellorld", "farm")
    assert sorted(index.platforms) == sorted(PLATFORMS)
    ref = f"{bed['registry']}/hellorld:farm"
    ran = sh("docker", "run", "--rm", "--platform", "linux/arm64", ref)
    assert ran.stdout.strip().endswith("on linux/arm64")
    sh("docker", "rmi", ref, check=False)

    # told to, the client pushes: an OCI layout comes back (warm nodes: quick)
    env = {**bed["env"], "INVOKE_BUILD_PUSH_FROM": "client"}
    pushed = invoke("build", "--builder", "farm", "--tag", "client", env=env)
    assert pushed.returncode == 0, pushed.stderr
    assert "pushed from here" in pushed.stderr and "type=oci" in pushed.stderr
    index = RegistryAPI(bed["registry"]).index("hellorld", "client")
    assert sorted(index.platforms) == sorted(PLATFORMS) and index.digest in pushed.stdout

    # a node that is down: one line with the fix, from doctor and from build
    amd.stop()
    doctor = invoke("doctor", "--builder", "farm", env=bed["env"])
    assert doctor.returncode == 1
    rows = table_rows(doctor.stdout)
    assert rows["node farm0"][0] == "PROBLEM" and "start buildkitd" in rows["node farm0"][2]
    assert rows["node farm1"][0] == "ok"
    failed = invoke("build", "--builder", "farm", "--tag", "farm", env=bed["env"])
    assert_one_line_error(failed, "farm0", "does not answer")

    removed = invoke("builder.rm", "--name", "farm", env=bed["env"])
    assert removed.returncode == 0, removed.stderr


def test_a_fresh_node_starts_from_the_registry_cache(bed, nodes):
    first = nodes()
    create(bed, "warm", first.socket)
    built = invoke("build", "--builder", "warm", "--tag", "cache", "--platforms", "linux/amd64",
                   env=bed["env"])  # fmt: skip
    assert built.returncode == 0, built.stderr
    assert "type=registry,ref=" in built.stderr  # the cache went to the registry
    first.stop()

    fresh = nodes()
    create(bed, "fresh", fresh.socket)
    again = invoke("build", "--builder", "fresh", "--tag", "cache2", "--platforms", "linux/amd64",
                   env=bed["env"])  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert "importing cache manifest" in again.stderr
    # the go build step came from the cache: no compiler ran on the fresh node
    assert "CACHED" in again.stderr and " go build " not in again.stderr.split("CACHED")[-1]
    for name in ("warm", "fresh"):
        assert invoke("builder.rm", "--name", name, env=bed["env"]).returncode == 0
