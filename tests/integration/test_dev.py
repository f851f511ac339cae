"""`invoke dev`: a save is built and pushed, a compile error is survived, a server is
kept running on the newest image, and Ctrl-C leaves nothing behind."""

from __future__ import annotations

import re
import time
import urllib.request
from pathlib import Path

import pytest

from tests.gomodules import go_repo, hellorld_repo, in_repo
from tests.helpers import Dev, free_port, sh

pytestmark = pytest.mark.integration

SERVER = """package main

import (
\t"fmt"
\t"net/http"
)

func main() {
\thttp.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
\t\tfmt.Fprintln(w, "answer one")
\t})
\tfmt.Println("listening")
\thttp.ListenAndServe(":8080", nil)
}
"""


def clean(reg: dict, where: Path, tmp: Path) -> None:
    """`invoke clean` removes the fast path's containers dev left for the next build."""
    cleaned = in_repo(reg, where, "clean", env={"XDG_CACHE_HOME": str(tmp / "cache")})
    assert cleaned.returncode == 0, cleaned.stderr
    left = sh("docker", "ps", "-a", "--filter", "label=io.multiarch.fast",
              "--no-trunc", "--format", "{{.Mounts}}").stdout  # fmt: skip
    assert str(tmp) not in left


def dev_containers() -> list[str]:
    return sh("docker", "ps", "-a", "--filter", "name=multiarch-dev-", "--format",
              "{{.Names}}").stdout.split()  # fmt: skip


def smoke_containers(host: str) -> list[str]:
    """The containers smoke made of images from the registry at `host` (a test's own)."""
    listed = sh("docker", "ps", "-a", "--filter", "name=smoke-", "--format",
                "{{.Names}} {{.Image}}").stdout  # fmt: skip
    return [line.split()[0] for line in listed.splitlines() if f" {host}/" in line]


def test_dev_builds_each_save_and_survives_a_compile_error(registry_env, tmp_path):
    repo = hellorld_repo(tmp_path / "hellorld")
    dev = Dev(registry_env, repo, tmp_path)
    try:
        assert "(start): full" in dev.cycle()  # nothing recorded yet: a full build first
        main = repo / "main.go"
        main.write_text(main.read_text().replace("hellorld %s", "hellorld, saved, %s"))
        line = dev.cycle()
        assert "main.go: fast, in the registry" in line, dev.said
        ref = f"{registry_env['host']}/hellorld:dev"
        for platform in ("linux/amd64", "linux/arm64", "linux/arm/v7"):
            out = sh("docker", "run", "--rm", "--pull", "always", "--platform", platform, ref)
            assert out.stdout.startswith("hellorld, saved, "), platform

        main.write_text(main.read_text() + "\nfunc broken() {\n")
        # one line: every platform, the compiler's first error
        failed = (
            r"main\.go: failed: go build failed for linux/amd64, linux/arm64 and linux/arm/v7: "
        )
        assert re.search(failed + r"\./main\.go:\d+:\d+: syntax error", dev.cycle()), dev.said
        main.write_text(main.read_text().replace("\nfunc broken() {\n", ""))
        assert "main.go: fast, in the registry" in dev.cycle()
    finally:
        assert dev.stop() == 130
    assert dev.process.returncode == 130
    assert not dev_containers()
    sh("docker", "image", "rm", f"{registry_env['host']}/hellorld:dev", check=False)
    clean(registry_env, repo, tmp_path)


def test_dev_smoke_proves_each_save_on_every_platform(registry_env, tmp_path):
    repo = hellorld_repo(tmp_path / "hellorld")
    dev = Dev(registry_env, repo, tmp_path, "--platforms", "linux/amd64,linux/arm64",
              "--smoke", "--expect", "^hellorld, saved, .* on {platform}")  # fmt: skip
    try:
        # the image runs, but says what --expect does not want: not proven, still watching
        line = dev.cycle()
        assert re.search(r"\(start\): full .*, not proven: linux/amd64: .*still watching", line)
        main = repo / "main.go"
        main.write_text(main.read_text().replace("hellorld %s", "hellorld, saved, %s"))
        line = dev.cycle()
        assert re.search(r"main\.go: fast, .*, proven on 2 platforms \d+\.\d\d s after", line)
    finally:
        assert dev.stop() == 130
    sh("docker", "image", "rm", f"{registry_env['host']}/hellorld:dev", check=False)
    clean(registry_env, repo, tmp_path)
    # the proofs' containers and the images they pulled are gone (other images come and
    # go on a shared daemon)
    assert not smoke_containers(registry_env["host"])
    listed = sh("docker", "image", "ls", "--digests", "--format", "{{.Repository}}").stdout
    assert registry_env["host"] not in listed


def test_build_smoke_proves_the_pushed_image(registry_env, tmp_path):
    repo = hellorld_repo(tmp_path / "hellorld")
    built = in_repo(registry_env, repo, "build", "--platforms", "linux/amd64,linux/arm64",
                    "--tag", "proof", "--smoke")  # fmt: skip
    assert built.returncode == 0, built.stderr
    said = built.stdout + built.stderr
    assert re.search(r"proven on 2 platforms \d+\.\d\d s after the build started", said), said
    assert not smoke_containers(registry_env["host"])
    sh("docker", "image", "rm", f"{registry_env['host']}/hellorld:proof", check=False)
    listed = sh("docker", "image", "ls", "--digests", "--format", "{{.Repository}}").stdout
    assert registry_env["host"] not in listed


def test_dev_run_keeps_the_newest_server_running(registry_env, tmp_path):
    repo = go_repo(tmp_path / "server", {"go.mod": "module example.com/server\n\ngo 1.24\n",
                                         "main.go": SERVER})  # fmt: skip
    port = free_port()
    dev = Dev(registry_env, repo, tmp_path, "--run", "--publish", f"{port}:8080")
    try:
        assert "(start): full" in dev.cycle()
        assert answer(port) == "answer one"
        (repo / "main.go").write_text(SERVER.replace("answer one", "answer two"))
        assert "main.go: fast" in dev.cycle()
        assert answer(port) == "answer two"
        assert any("| listening" in line for line in dev.said)  # its output is shown
        assert len(dev_containers()) == 1
    finally:
        assert dev.stop() == 130
    assert not dev_containers()
    # the full build's own copy in the image store (the containerd store keeps what
    # buildx pushes): not dev's doing
    sh("docker", "image", "rm", f"{registry_env['host']}/server:dev", check=False)
    clean(registry_env, repo, tmp_path)  # and the fast path's toolchain image
    # the images it pulled to run are gone too (only this test's: others build meanwhile)
    listed = sh("docker", "image", "ls", "--format", "{{.Repository}}").stdout.split()
    assert not [name for name in listed if name.startswith(registry_env["host"] + "/")]


def answer(port: int, timeout: float = 30) -> str:
    """The server's answer on 127.0.0.1:port, once it answers."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as resp:
                return resp.read().decode().strip()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
