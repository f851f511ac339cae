"""The docker-container builder on a daemon with the classic image store, where it is what
`invoke build` picks: a second dockerd of the test's own (no containerd snapshotter), the
moby/buildkit stand-in loaded into it, a build of two platforms pushed to the test's
registry. Starting a dockerd needs root: marked `root`, run in .ci/run's root pass."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from multiarch.oci.registry_api import RegistryAPI
from tests.buildkit import PREFIX, mirror, remove_builders, remove_tree
from tests.helpers import invoke, need, sh

pytestmark = [pytest.mark.integration, pytest.mark.root]

BUILDKIT_IMAGE = "moby/buildkit:buildx-stable-1"  # what buildx's docker-container driver runs
PLATFORMS = ["linux/amd64", "linux/arm64"]  # two: one native, one emulated (CI time)


@pytest.fixture
def classic_daemon(tmp_path):
    """A dockerd with the classic image store: its own socket, data, exec root, pid file,
    containerd and bridge; stopped and removed afterwards. Its socket.

    Never `--bridge none`: a dockerd started so deletes the interface docker0, which in
    this network namespace is the main daemon's bridge (seen: every container of the main
    daemon lost its network until docker0 was made again and their veths put back)."""
    if os.geteuid() != 0:  # .ci/run's root pass runs it; the non-root pass skips it
        pytest.skip("needs root to start a dockerd: .ci/run runs it as root")
    need(shutil.which("dockerd") is not None, "dockerd")
    present = sh("docker", "image", "inspect", BUILDKIT_IMAGE, check=False).returncode == 0
    need(present, f"the {BUILDKIT_IMAGE} image (scripts/provision.sh builds a stand-in)")
    tag = uuid.uuid4().hex[:6]
    name = f"{PREFIX}docker-{tag}"
    bridge = f"mabr{tag}"  # interface names have at most 15 characters
    sh("ip", "link", "add", bridge, "type", "bridge")
    sh("ip", "addr", "add", f"10.{int(tag[:2], 16)}.{int(tag[2:4], 16)}.1/24", "dev", bridge)
    sh("ip", "link", "set", bridge, "up")
    data, execroot = Path(f"/var/lib/{name}"), Path(f"/run/{name}-x")
    sock, pidfile = f"/run/{name}.sock", f"/run/{name}.pid"
    config = tmp_path / "daemon.json"
    config.write_text(json.dumps({}))  # no containerd-snapshotter: the classic store
    log = (tmp_path / "dockerd.log").open("w")
    proc = subprocess.Popen(
        ["dockerd", "--config-file", str(config), "-H", f"unix://{sock}",
         "--data-root", str(data), "--exec-root", str(execroot), "--pidfile", pidfile,
         "--bridge", bridge, "--iptables=false", "--ip6tables=false"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    host = {**os.environ, "DOCKER_HOST": f"unix://{sock}"}
    try:
        for _ in range(60):
            if sh("docker", "info", check=False, env=host).returncode == 0:
                break
            time.sleep(1)
        else:
            pytest.fail(f"dockerd did not answer: {(tmp_path / 'dockerd.log').read_text()[-500:]}")
        driver = sh("docker", "info", "--format", "{{json .DriverStatus}}", env=host).stdout
        assert "io.containerd.snapshotter.v1" not in driver
        saved = subprocess.Popen(["docker", "save", BUILDKIT_IMAGE], stdout=subprocess.PIPE)
        subprocess.run(["docker", "load", "-q"], stdin=saved.stdout, env=host, check=True,
                       capture_output=True)  # fmt: skip
        assert saved.wait() == 0
        yield f"unix://{sock}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        remove_tree(data)
        remove_tree(execroot)
        for leftover in (sock, pidfile):
            Path(leftover).unlink(missing_ok=True)
        sh("ip", "link", "delete", bridge, check=False)


def test_the_container_builder_builds_and_pushes_on_a_classic_store(
    classic_daemon, registry_env, tmp_path
):
    toml = mirror(registry_env, tmp_path)
    (tmp_path / "docker-config").mkdir()
    env = {
        **registry_env["env"],
        "DOCKER_HOST": classic_daemon,
        "DOCKER_CONFIG": str(tmp_path / "docker-config"),
        "INVOKE_BUILDER_CONFIG": str(toml),  # the mirror, for the builder invoke build makes
    }
    try:
        built = invoke("build", "--tag", "classic", "--platforms", ",".join(PLATFORMS), env=env)
        assert built.returncode == 0, built.stderr
        assert "using the docker-container builder 'multiarch'" in built.stderr
        assert "network=host" in built.stderr
        index = RegistryAPI(registry_env["host"]).index("hellorld", "classic")
        assert sorted(index.platforms) == sorted(PLATFORMS)
        doctor = invoke("doctor", "--builder", "multiarch", env=env)
        assert "node multiarch0" in doctor.stdout and "running" in doctor.stdout
    finally:
        remove_builders(env)
