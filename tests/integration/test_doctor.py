"""`invoke doctor` on this machine, and with each problem simulated: it names exactly that one."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from multiarch.core.platforms import parse_one
from multiarch.dockerfile.build_step import from_images
from multiarch.host import binfmt
from tests.helpers import REPO, free_port, invoke, need, sh, table_rows

GO_IMAGE = from_images((REPO / "Dockerfile").read_text())[0]


def test_from_images_fills_in_global_args_and_skips_stages():
    dockerfile = """ARG GO_VERSION=1.24
ARG BASE="debian:12"
from --platform=$BUILDPLATFORM golang:${GO_VERSION} AS builder
ARG GO_VERSION=0
FROM scratch AS workspace
FROM $BASE AS runtime
FROM builder
FROM golang:${GO_VERSION}
"""
    assert from_images(dockerfile) == ["golang:1.24", "debian:12"]


def test_from_images_of_this_repository():
    assert GO_IMAGE.startswith("golang:")


@pytest.fixture(scope="module")
def registry(module_registry):
    started = invoke("registry", env=module_registry["env"])
    assert started.returncode == 0, started.stderr
    return module_registry


def doctor(*args, env):
    return invoke("doctor", *args, env=env)


def squeezed(text: str) -> str:
    """Text without whitespace: a long path folded over lines gains a space when joined."""
    return "".join(text.split())


def problems(result) -> list[str]:
    """The checks the closing error line says the workflow cannot do without."""
    assert result.returncode == 1, result.stdout + result.stderr
    last = result.stderr.strip().splitlines()[-1]
    named = re.fullmatch(r"error: the workflow cannot run: (.*) \(see the fix column\)", last)
    assert named, last
    assert "Traceback" not in result.stderr
    return named[1].split(", ")


@pytest.mark.integration
def test_a_working_machine(registry):
    for arch in ("linux/arm64", "linux/arm/v7"):
        need(binfmt.problem(parse_one(arch)) is None, f"qemu for {arch}")
    result = doctor(env=registry["env"])
    assert result.returncode == 0, result.stdout + result.stderr
    table = table_rows(result.stdout)
    assert {status for status, _, _ in table.values()} == {"ok"}
    server = sh("docker", "version", "--format", "{{.Server.Version}}").stdout.strip()
    buildx = sh("docker", "buildx", "version").stdout.split()[1]
    head = sh("git", "-C", str(REPO), "rev-parse", "HEAD").stdout.strip()
    assert f"Docker Engine {server}" in table["Docker daemon"][1]
    assert buildx in table["buildx"][1]
    assert "containerd image store" in table["builder"][1]
    assert "native on the daemon's linux/amd64 host" in table["run linux/amd64"][1]
    assert "qemu-aarch64 is enabled with flag F" in table["run linux/arm64"][1]
    assert "qemu-arm is enabled with flag F" in table["run linux/arm/v7"][1]
    assert table["local registry"][1] == (
        f"answers on http://127.0.0.1:{registry['port']}/v2/; "
        f"container '{registry['name']}': running"
    )
    assert table[f"image {GO_IMAGE}"][1].startswith("present")
    assert table["image registry:2"][1].startswith("present")
    assert f"commit {head[:12]}" in table["git metadata"][1]
    assert "all ok" in result.stderr


@pytest.mark.integration
def test_daemon_unreachable(registry):
    result = doctor(env={**registry["env"], "DOCKER_HOST": "tcp://127.0.0.1:9"})
    # what needs the daemon is reported as not checked, not as a second, confusing error
    assert problems(result) == ["Docker daemon", "builder", "running platforms", "base images"]
    table = table_rows(result.stdout)
    status, detail, fix = table["Docker daemon"]
    assert status == "PROBLEM"
    assert "tcp://127.0.0.1:9" in detail and "does not answer" in detail
    assert "DOCKER_HOST" in fix
    assert table["builder"][1].startswith("not checked")
    assert table["local registry"][0] == "ok"


@pytest.mark.integration
def test_registry_down(docker_daemon):
    port = free_port()
    env = {"INVOKE_REGISTRY_NAME": "doctor-no-such-registry", "INVOKE_REGISTRY_PORT": str(port)}
    result = doctor(env=env)
    assert problems(result) == ["local registry"]
    status, detail, fix = table_rows(result.stdout)["local registry"]
    assert detail == (
        f"nothing answers on http://127.0.0.1:{port}/v2/; container 'doctor-no-such-registry': "
        "absent"
    )
    assert fix.startswith("invoke registry")


@pytest.mark.integration
def test_disabled_and_missing_binfmt_entries(registry, tmp_path):
    # A copy of this machine's binfmt_misc: the real one stays enabled for everyone else
    # (tests/integration/test_smoke.py disables the real qemu-aarch64 once).
    for name in ("status", "qemu-aarch64"):
        need((binfmt.ROOT / name).is_file(), f"{binfmt.ROOT / name}")
        shutil.copy(binfmt.ROOT / name, tmp_path / name)
    entry = tmp_path / "qemu-aarch64"
    entry.write_text(entry.read_text().replace("enabled", "disabled", 1))
    result = doctor(env={**registry["env"], "INVOKE_DOCTOR_BINFMT_ROOT": str(tmp_path)})
    assert problems(result) == ["run linux/arm64", "run linux/arm/v7"]
    table = table_rows(result.stdout)
    _, detail, fix = table["run linux/arm64"]
    assert detail == "binfmt_misc entry qemu-aarch64 for linux/arm64 is disabled"
    assert squeezed(fix).startswith(squeezed(f"echo 1 > {entry}"))
    _, detail, fix = table["run linux/arm/v7"]
    assert "no binfmt_misc entry qemu-arm" in detail
    assert "qemu-user-static" in fix and "tonistiigi/binfmt --install arm" in fix
    # the same, as one JSON document
    result = doctor("--json", env={**registry["env"], "INVOKE_DOCTOR_BINFMT_ROOT": str(tmp_path)})
    assert result.returncode == 1 and "Traceback" not in result.stderr
    document = json.loads(result.stdout)
    assert document["ok"] is False
    checks = {check["name"]: check for check in document["checks"]}
    assert checks["run linux/arm64"]["detail"] == (
        "binfmt_misc entry qemu-aarch64 for linux/arm64 is disabled"
    )
    assert checks["run linux/arm64"]["required"] and not checks["run linux/arm64"]["ok"]
    assert checks["run linux/amd64"]["ok"]
    assert checks["Docker daemon"]["detail"].startswith("Docker Engine ")


@pytest.mark.integration
def test_outside_git_only_warns(registry, tmp_path):
    for name in ("tasks.py", "Dockerfile", "go.mod"):  # a module, not in git
        shutil.copy(REPO / name, tmp_path)
    result = invoke("doctor", env=registry["env"], cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    status, detail, _ = table_rows(result.stdout)["git metadata"]
    assert status == "warning" and "not a git checkout" in detail
    assert "usable, with warnings: git metadata" in result.stderr
