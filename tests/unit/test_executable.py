"""What a binary really is: real binaries cross-compiled by the host's go into tmp dirs."""

from __future__ import annotations

import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from multiarch.core.platforms import parse_one
from multiarch.oci import executable
from tests.helpers import host_go, need

MAIN = 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("Hello, world!") }\n'
# (GOOS, GOARCH, GOARM or GOAMD64) -> file name
TARGETS = [
    ("linux", "amd64", ""),
    ("linux", "amd64", "v3"),
    ("linux", "arm64", ""),
    ("linux", "arm", "7"),
    ("linux", "arm", "6"),
    ("linux", "s390x", ""),
    ("windows", "amd64", ""),
]


@pytest.fixture(scope="module")
def binaries(tmp_path_factory) -> dict[str, bytes]:
    """'linux/arm/7' -> the bytes of hello built for it (module example.com/hello)."""
    go = host_go()
    need(go is not None, "a host Go toolchain")
    src = tmp_path_factory.mktemp("hello")
    (src / "go.mod").write_text("module example.com/hello\n\ngo 1.24\n")
    (src / "main.go").write_text(MAIN)

    def build(target: tuple[str, str, str]) -> tuple[str, bytes]:
        goos, goarch, level = target
        out = src / "-".join(p for p in target if p)
        env = {**os.environ, "GOOS": goos, "GOARCH": goarch, "CGO_ENABLED": "0"}
        env |= {"GOARM": level} if goarch == "arm" else {"GOAMD64": level} if level else {}
        subprocess.run([go, "build", "-o", str(out), "."], cwd=src, env=env, check=True)
        return "/".join(p for p in target if p), out.read_bytes()

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(build, TARGETS))


@pytest.mark.parametrize(
    ("built", "platform", "header"),
    [
        ("linux/amd64", "linux/amd64", "ELF 64-bit LSB x86-64"),
        ("linux/amd64/v3", "linux/amd64/v3", "ELF 64-bit LSB x86-64"),
        ("linux/arm64", "linux/arm64", "ELF 64-bit LSB aarch64"),
        ("linux/arm/7", "linux/arm/v7", "ELF 32-bit LSB ARM EABI5"),
        ("linux/arm/6", "linux/arm/v6", "ELF 32-bit LSB ARM EABI5"),
        ("linux/s390x", "linux/s390x", "ELF 64-bit MSB s390x"),
        ("windows/amd64", "windows/amd64", "PE 64-bit LSB x86-64"),
    ],
)
def test_what_each_binary_is(binaries, built, platform, header):
    exe = executable.read(binaries[built])
    assert exe.platform == platform
    assert exe.describe().startswith(f"{platform}: {header}, Go go1.")
    assert exe.go.module == "example.com/hello" and exe.go.path == "example.com/hello"
    assert exe.go.module_version == "(devel)"
    assert exe.go.settings["GOOS"] == platform.split("/")[0]
    assert executable.mismatch(exe, parse_one(platform)) is None


def test_go_build_settings(binaries):
    arm = executable.read(binaries["linux/arm/7"])
    assert arm.go.settings["GOARCH"] == "arm" and arm.go.settings["GOARM"] == "7"
    assert arm.arm_eabi == 5 and arm.bits == 32 and arm.byte_order == "little"
    assert executable.read(binaries["linux/amd64/v3"]).go.settings["GOAMD64"] == "v3"
    assert executable.read(binaries["linux/s390x"]).byte_order == "big"
    document = arm.to_json()
    assert document["platform"] == "linux/arm/v7" and document["go"]["settings"]["GOARM"] == "7"


@pytest.mark.parametrize(
    ("built", "slot", "says"),
    [
        ("linux/amd64", "linux/arm64", "linux/amd64: ELF 64-bit LSB x86-64"),
        ("linux/arm64", "linux/arm/v7", "linux/arm64: ELF 64-bit LSB aarch64"),
        ("linux/arm/7", "linux/arm64", "linux/arm/v7: ELF 32-bit LSB ARM"),
        ("windows/amd64", "linux/amd64", "windows/amd64: PE 64-bit LSB x86-64"),
        ("linux/s390x", "linux/ppc64le", "linux/s390x: ELF 64-bit MSB s390x"),
    ],
)
def test_a_binary_in_the_wrong_slot_is_named(binaries, built, slot, says):
    wrong = executable.mismatch(executable.read(binaries[built]), parse_one(slot))
    assert wrong.startswith(f"the binary is {says}") and wrong.endswith(f"not {slot}")


def test_the_variant_is_a_floor(binaries):
    v7 = executable.read(binaries["linux/arm/7"])
    assert "needs v7, more than linux/arm/v6" in executable.mismatch(v7, parse_one("linux/arm/v6"))
    v6 = executable.read(binaries["linux/arm/6"])
    assert executable.mismatch(v6, parse_one("linux/arm/v7")) is None
    v3 = executable.read(binaries["linux/amd64/v3"])
    assert "needs v3" in executable.mismatch(v3, parse_one("linux/amd64"))
    assert (
        executable.mismatch(executable.read(binaries["linux/amd64"]), parse_one("linux/amd64/v2"))
        is None
    )


def test_a_binary_that_is_not_go():
    true = Path(shutil.which("true")).read_bytes()  # this machine's own, in C
    exe = executable.read(true)
    assert exe.go is None and exe.format == "ELF"
    assert exe.describe().endswith("no Go build info")
    assert executable.mismatch(exe, parse_one(exe.platform)) is None


def test_neither_elf_nor_pe():
    script = executable.read(b"#!/bin/sh\necho hi\n")
    assert script.format == "" and "'#!'" in script.describe()
    assert executable.mismatch(script, parse_one("linux/amd64")) == script.describe()
    assert "truncated" in executable.read(b"\x7fELF\x02\x01").note
