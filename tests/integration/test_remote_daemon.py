"""The tasks against a Docker daemon that cannot see this machine's files (the remote test
daemon: scripts/remote-dockerd.sh), as Docker Desktop, a remote host or a docker-in-docker
service cannot: build, verify, smoke, test, two fast builds, invoke dev and clean."""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

import pytest

from tests.gomodules import hellorld_repo, in_repo
from tests.helpers import REPO, Dev, sh

pytestmark = pytest.mark.integration

PLATFORMS = "linux/amd64,linux/arm64"
GOLANG = (
    "golang:"
    + re.search(r"^ARG GO_VERSION=(\S+)", (REPO / "multiarch/data/Dockerfile").read_text(), re.M)[1]
)


def on(daemon: dict, *argv: str, check: bool = True):
    return sh(*argv, check=check, env={**os.environ, **daemon})


def test_the_remote_daemon_cannot_see_this_machines_files(remote_daemon, tmp_path):
    (tmp_path / "here").write_text("a file of the client's")
    for where in (tmp_path, REPO, Path.home()):
        mount = f"type=bind,source={where},target=/x"
        seen = on(remote_daemon, "docker", "run", "--rm", "--mount", mount, GOLANG,
                  "ls", "-A", "/x", check=False)  # fmt: skip
        # not there at all, or an empty directory over it
        gone = "bind source path does not exist" in seen.stderr
        assert gone or (seen.returncode == 0 and seen.stdout == ""), (where, seen)


def test_the_tasks_on_a_remote_daemon(remote_daemon, remote_registry, tmp_path):
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    repo = hellorld_repo(tmp_path / "hellorld", "v1.0.0")
    host = remote_registry["host"]

    def task(*args: str):
        result = in_repo(remote_registry, repo, *args, env=env)
        assert result.returncode == 0, result.stderr
        return result

    def runs(ref: str) -> str:
        ran = on(remote_daemon, "docker", "run", "--rm", "--pull", "always",
                 "--platform", "linux/arm64", ref)  # fmt: skip
        on(remote_daemon, "docker", "image", "rm", ref, check=False)
        return ran.stdout

    try:
        built = task("build", "--platforms", PLATFORMS, "--fast")  # nothing recorded: full
        assert "full build of hellorld" in built.stderr
        task("verify", "--image", f"{host}/hellorld:v1.0.0")
        task("smoke", "--no-build", "--image", f"{host}/hellorld:v1.0.0")
        task("test", "--platforms", PLATFORMS)

        main = repo / "main.go"
        for edit in ("one", "two"):  # the first fast build starts the containers
            said = re.sub(r"hellorld(, \w+,)? %s", f"hellorld, {edit}, %s", main.read_text())
            main.write_text(said)
            fast = task("build", "--tag", "dev", "--platforms", PLATFORMS, "--fast")
            assert "fast build of hellorld" in fast.stderr and "type=registry" not in fast.stderr
            digest = re.search(r"digest: (sha256:\w+)", fast.stdout)[1]
            assert runs(f"{host}/hellorld@{digest}").startswith(f"hellorld, {edit}, ")

        dev = Dev(remote_registry, repo, tmp_path, "--platforms", PLATFORMS, env=env)
        try:
            assert "(start): fast" in dev.cycle()
            main.write_text(main.read_text().replace("hellorld, two, %s", "hellorld, saved, %s"))
            assert "main.go: fast, in the registry" in dev.cycle()
        finally:
            assert dev.stop(signal.SIGTERM) == 143  # as Ctrl-C stops it
        assert runs(f"{host}/hellorld:dev").startswith("hellorld, saved, ")
    finally:
        cleaned = in_repo(remote_registry, repo, "clean", env=env)
        # what buildx pushed stays in the containerd image store too
        listed = on(remote_daemon, "docker", "image", "ls", "--format", "{{.ID}} {{.Repository}}")
        pushed = {i for i, name in map(str.split, listed.stdout.splitlines()) if host in name}
        if pushed:
            on(remote_daemon, "docker", "image", "rm", "-f", *pushed)
        assert cleaned.returncode == 0, cleaned.stderr
    fast_left = on(remote_daemon, "docker", "ps", "-aq", "--filter", "label=io.multiarch.fast")
    assert fast_left.stdout == ""
