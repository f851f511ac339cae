"""Which qemu registration a platform needs, and what a binfmt_misc directory says about it."""

from __future__ import annotations

import pytest

from multiarch.core.platforms import parse_one
from multiarch.host import binfmt

ENTRY = """enabled
interpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P
flags: PF
offset 0
magic 7f454c460201010000000000000000000200b700
mask ffffffffffffff00fffffffffffffffffeffffff
"""
ARM64 = parse_one("linux/arm64")


@pytest.mark.parametrize(
    ("platform", "machine", "needs"),
    [
        ("linux/arm64", "x86_64", "qemu-aarch64"),
        ("linux/arm/v7", "x86_64", "qemu-arm"),
        ("linux/arm/v6", "x86_64", "qemu-arm"),
        ("linux/ppc64le", "x86_64", "qemu-ppc64le"),
        ("linux/s390x", "x86_64", "qemu-s390x"),
        ("linux/riscv64", "x86_64", "qemu-riscv64"),
        ("linux/amd64", "x86_64", None),
        ("linux/amd64/v3", "x86_64", None),
        ("linux/386", "x86_64", None),
        ("linux/arm64", "aarch64", None),
        ("linux/amd64", "aarch64", "qemu-x86_64"),
    ],
)
def test_interpreter(platform, machine, needs):
    assert binfmt.interpreter(parse_one(platform), machine) == needs


def test_parse_entry():
    entry = binfmt.parse_entry(ENTRY)
    assert entry == binfmt.Entry(True, "PF", "/usr/libexec/qemu-binfmt/aarch64-binfmt-P")
    assert not binfmt.parse_entry(ENTRY.replace("enabled", "disabled", 1)).enabled


@pytest.fixture
def root(tmp_path):
    """A binfmt_misc directory as Debian's qemu-user-static leaves it, for arm64."""
    (tmp_path / "status").write_text("enabled\n")
    (tmp_path / "qemu-aarch64").write_text(ENTRY)
    return tmp_path


def test_registered_enabled_with_f_is_fine(root):
    assert binfmt.problem(ARM64, root, "x86_64") is None


def test_native_needs_nothing_even_without_binfmt(tmp_path):
    assert binfmt.problem(parse_one("linux/amd64"), tmp_path / "absent", "x86_64") is None


def test_missing_entry_names_it_and_both_ways_to_install(root):
    problem = binfmt.problem(parse_one("linux/arm/v7"), root, "x86_64")
    assert "qemu-arm" in problem.what and "linux/arm/v7" in problem.what
    assert "qemu-user-static" in problem.fix
    assert "docker run --privileged --rm tonistiigi/binfmt --install arm" in problem.fix


def test_disabled_entry(root):
    (root / "qemu-aarch64").write_text(ENTRY.replace("enabled", "disabled", 1))
    problem = binfmt.problem(ARM64, root, "x86_64")
    assert "qemu-aarch64" in problem.what and "disabled" in problem.what
    assert f"echo 1 > {root / 'qemu-aarch64'}" in problem.fix
    assert "tonistiigi/binfmt --install arm64" in problem.fix
    assert str(problem) == f"{problem.what}; fix: {problem.fix}"


def test_entry_without_flag_f(root):
    (root / "qemu-aarch64").write_text(ENTRY.replace("flags: PF", "flags: P"))
    problem = binfmt.problem(ARM64, root, "x86_64")
    assert "flag F" in problem.what and "flags: P)" in problem.what


def test_binfmt_misc_not_mounted(tmp_path):
    problem = binfmt.problem(ARM64, tmp_path, "x86_64")
    assert "not mounted" in problem.what
    assert f"mount -t binfmt_misc binfmt_misc {tmp_path}" in problem.fix


def test_binfmt_misc_disabled_as_a_whole(root):
    (root / "status").write_text("disabled\n")
    problem = binfmt.problem(ARM64, root, "x86_64")
    assert "disabled as a whole" in problem.what
    assert problem.fix == f"echo 1 > {root / 'status'}"


def test_other_operating_systems_do_not_run_here(root):
    problem = binfmt.problem(parse_one("windows/amd64"), root, "x86_64")
    assert "windows/amd64" in problem.what
