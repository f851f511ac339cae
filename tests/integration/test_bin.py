"""`invoke bin`: binaries for every platform from the Dockerfile, run on this machine (the
foreign ones under qemu, through binfmt_misc) or checked for their Windows PE header."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.gomodules import app, commit_of, hellorld_repo, library
from tests.helpers import assert_one_line_error, need, sh
from tests.integration.test_release import in_repo

pytestmark = pytest.mark.integration

LINUX = {"linux/amd64": "linux_amd64", "linux/arm64": "linux_arm64", "linux/arm/v7": "linux_arm_v7"}
BINFMT = Path("/proc/sys/fs/binfmt_misc")


def need_qemu() -> None:
    for arch in ("aarch64", "arm"):
        entry = BINFMT / f"qemu-{arch}"
        ok = entry.is_file() and entry.read_text().startswith("enabled")
        need(ok, f"qemu-{arch} registered with binfmt_misc (scripts/provision.sh)")


def is_windows_pe(path: Path) -> bool:
    """MZ, then at the offset in e_lfanew the PE signature, for x86-64 (machine 0x8664)."""
    data = path.read_bytes()
    if data[:2] != b"MZ":
        return False
    pe = int.from_bytes(data[0x3C:0x40], "little")
    return data[pe : pe + 4] == b"PE\0\0" and data[pe + 4 : pe + 6] == b"\x64\x86"


@pytest.fixture(scope="module")
def binaries(module_registry, tmp_path_factory):
    where = hellorld_repo(tmp_path_factory.mktemp("bin") / "hellorld", "v1.4.2")
    result = in_repo(module_registry, where, "bin")
    assert result.returncode == 0, result.stderr
    return where, result


def test_one_directory_per_platform_windows_included(binaries):
    where, result = binaries
    dist = where / "dist"
    assert sorted(p.name for p in dist.iterdir()) == sorted([*LINUX.values(), "windows_amd64"])
    assert [p.name for p in (dist / "windows_amd64").iterdir()] == ["hellorld.exe"]
    for d in LINUX.values():
        assert [p.name for p in (dist / d).iterdir()] == ["hellorld"]
    assert str(dist / "windows_amd64" / "hellorld.exe") in result.stdout.replace("\n", "")
    # one build, through the Dockerfile's binary stage, with no attestation files
    assert result.stderr.count("$ docker buildx build") == 1
    assert "--target binary" in result.stderr and "--output type=local" in result.stderr


@pytest.mark.parametrize("platform", LINUX)
def test_linux_binaries_run_here(binaries, platform):
    need_qemu()
    where, _ = binaries
    out = sh(str(where / "dist" / LINUX[platform] / "hellorld")).stdout.strip()
    assert out == f"hellorld v1.4.2 (commit {commit_of(where)}) on {platform}"


def test_windows_binary_is_a_pe_executable(binaries):
    where, _ = binaries
    exe = where / "dist" / "windows_amd64" / "hellorld.exe"
    assert is_windows_pe(exe)
    if shutil.which("file"):
        assert "PE32+ executable" in sh("file", "-b", str(exe)).stdout


def test_one_platform_keeps_the_layout_and_the_rest_of_dist(binaries, module_registry):
    where, _ = binaries
    dist = where / "dist"
    (dist / "keep.txt").write_text("a release archive, say\n")
    (dist / "linux_arm64" / "stale").write_text("from an older build\n")
    before = (dist / "windows_amd64" / "hellorld.exe").read_bytes()
    result = in_repo(module_registry, where, "bin", "--platforms", "linux/arm64")
    assert result.returncode == 0, result.stderr
    assert [p.name for p in (dist / "linux_arm64").iterdir()] == ["hellorld"]
    assert (dist / "keep.txt").exists()
    assert (dist / "windows_amd64" / "hellorld.exe").read_bytes() == before
    assert not [p for p in dist.iterdir() if p.name.startswith(".multiarch-bin-")]


def test_the_workspace_comes_along(module_registry, tmp_path):
    need_qemu()
    ws = tmp_path / "ws"
    library(ws / "dep", "example.com/dep", "from-the-workspace")
    hello = app(ws / "hellorld", ["example.com/dep"])
    (ws / "go.work").write_text("go 1.24\n\nuse ./hellorld\nuse ./dep\n")
    result = in_repo(module_registry, hello, "bin", "--platforms", "linux/arm64,windows/amd64")
    assert result.returncode == 0, result.stderr
    out = sh(str(hello / "dist" / "linux_arm64" / "hellorld")).stdout.strip()
    assert out == "linux/arm64 [from-the-workspace]"
    assert is_windows_pe(hello / "dist" / "windows_amd64" / "hellorld.exe")


def test_dry_run_writes_nothing(module_registry, tmp_path):
    where = hellorld_repo(tmp_path / "hellorld")
    result = in_repo(module_registry, where, "--dry", "bin")
    assert result.returncode == 0, result.stderr
    assert "--platform linux/amd64,linux/arm64,linux/arm/v7,windows/amd64" in result.stderr
    assert not (where / "dist").exists()


def test_a_bad_platform_is_one_line(module_registry, tmp_path):
    where = hellorld_repo(tmp_path / "hellorld")
    result = in_repo(module_registry, where, "bin", "--platforms", "windows/arm/v7")
    assert_one_line_error(result, "unknown platform")
    assert "docker buildx build" not in result.stderr
