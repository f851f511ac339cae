"""`invoke test` on fixture modules whose tests fail only on some architectures, compiled
with the real buildx and run natively and under the real qemu."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.gomodules import module
from tests.helpers import REPO, assert_one_line_error, interruptible, invoke, need, table_lines

pytestmark = pytest.mark.integration

BINFMT = Path("/proc/sys/fs/binfmt_misc")

# 64-bit atomics need 8-byte alignment, which 32-bit ARM does not give an int64 after a bool.
ATOMIC = """package counter

import (
	"sync/atomic"
	"testing"
)

type counter struct {
	ready bool
	n     int64
}

func TestCounter(t *testing.T) {
	var c counter
	atomic.AddInt64(&c.n, 1)
	if c.n != 1 {
		t.Fatalf("n = %d", c.n)
	}
}

func TestPlain(t *testing.T) {}
"""

# Reads memory in native byte order and assumes it is little-endian.
ENDIAN = """package endian

import (
	"testing"
	"unsafe"
)

func TestNativeOrderIsLittle(t *testing.T) {
	x := uint32(0x01020304)
	b := (*[4]byte)(unsafe.Pointer(&x))
	if b[0] != 4 {
		t.Fatalf("assumed little-endian, memory holds % x", b[:])
	}
}
"""

# Opens testdata/ relative to the package's directory, as go test runs it.
DATA = """package data

import (
	"os"
	"testing"
)

func TestGreeting(t *testing.T) {
	got, err := os.ReadFile("testdata/greeting.txt")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "hello from testdata\\n" {
		t.Fatalf("read %q", got)
	}
}

func TestLong(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
}
"""

# Hangs until killed; prints a line first so that the run can be seen to have started.
SLEEPY = """package sleepy

import (
	"fmt"
	"testing"
	"time"
)

func TestSleep(t *testing.T) {
	fmt.Println("sleeping")
	time.Sleep(10 * time.Minute)
}
"""


def need_emulation(*arches: str) -> None:
    for arch in arches:
        entry = BINFMT / f"qemu-{arch}"
        ok = entry.is_file() and entry.read_text().startswith("enabled")
        need(ok, f"qemu-{arch} registered with binfmt_misc (scripts/provision.sh)")


def with_dockerfile(where: Path) -> Path:
    (where / "Dockerfile").write_text((REPO / "Dockerfile").read_text())
    return where


@pytest.fixture(scope="module")
def bugs(tmp_path_factory, docker_daemon) -> Path:
    """One module, a package per kind of bug."""
    root = tmp_path_factory.mktemp("gotest") / "bugs"
    with_dockerfile(module(root, "example.com/bugs"))
    for name, text in {"counter": ATOMIC, "endian": ENDIAN, "data": DATA}.items():
        module_dir = root / name
        module_dir.mkdir()
        (module_dir / f"{name}_test.go").write_text(text)
    (root / "data" / "testdata").mkdir()
    (root / "data" / "testdata" / "greeting.txt").write_text("hello from testdata\n")
    return root


def by_platform(stdout: str) -> dict[str, list[str]]:
    """The table's rows by platform: [package, platform, runs, result, time]."""
    return {row[1]: row for row in table_lines(stdout)}


def go_test(where: Path, *args: str, env: dict | None = None, **kwargs):
    return invoke("test", *args, env={"INVOKE_BUILD_CONTEXT": str(where), **(env or {})}, **kwargs)


def test_unaligned_atomic_fails_on_arm_v7_only(bugs):
    need_emulation("aarch64", "arm")
    platforms = "linux/amd64,linux/arm64,linux/arm/v7"
    result = go_test(bugs, "--platforms", platforms, "--packages", "./counter")
    assert_one_line_error(result, "example.com/bugs/counter on linux/arm/v7 (TestCounter)")
    assert "linux/amd64" not in result.stderr.splitlines()[-1]
    rows = by_platform(result.stdout)
    assert set(rows) == {"linux/amd64", "linux/arm64", "linux/arm/v7"}
    assert rows["linux/amd64"][3].startswith("ok: 2 passed, 0 failed")
    assert rows["linux/arm64"][3].startswith("ok: 2 passed, 0 failed")
    assert rows["linux/arm/v7"][3].startswith("FAIL")
    # the failing test's output, with the panic that says why
    assert "--- example.com/bugs/counter on linux/arm/v7" in result.stderr
    assert "unaligned 64-bit atomic operation" in result.stderr


def test_byte_order_assumption_fails_on_big_endian_s390x(bugs):
    need_emulation("s390x")
    result = go_test(bugs, "--platforms", "linux/amd64,linux/s390x", "--packages", "./endian")
    assert_one_line_error(
        result, "example.com/bugs/endian on linux/s390x (TestNativeOrderIsLittle)"
    )
    rows = by_platform(result.stdout)
    assert rows["linux/amd64"][3].startswith("ok: 1 passed")
    assert rows["linux/s390x"][2] == "emulated (qemu-s390x)"
    assert "assumed little-endian, memory holds 01 02 03 04" in result.stderr


def test_testdata_is_found_and_go_test_flags_pass_through(bugs):
    need_emulation("aarch64")
    args = ["--platforms", "linux/amd64,linux/arm64", "--packages", "./data", "--json"]
    result = go_test(bugs, *args, "--run", "TestGreeting|TestLong", "--count", "2", "--short")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["ok"] is True
    assert [(r["package"], r["platform"]) for r in doc["results"]] == [
        ("example.com/bugs/data", "linux/amd64"),
        ("example.com/bugs/data", "linux/arm64"),
    ]
    for r in doc["results"]:
        # -count 2 runs each test twice; -short skips the long one
        assert (r["passed"], r["failed"], r["skipped"]) == (2, 0, 2), r["output"]
        assert "=== RUN   TestGreeting" in r["output"]  # -test.v kept
    assert "'-test.run=TestGreeting|TestLong' -test.short" in result.stderr
    assert f"cd {bugs / 'data'} && " in result.stderr


def test_a_platform_that_cannot_be_emulated_fails_with_the_fix(bugs, tmp_path):
    root = tmp_path / "binfmt"
    root.mkdir()
    (root / "status").write_text("enabled\n")  # and no qemu-riscv64 entry
    result = go_test(
        bugs,
        "--platforms", "linux/amd64,linux/riscv64", "--packages", "./data",
        env={"INVOKE_DOCTOR_BINFMT_ROOT": str(root)},
    )  # fmt: skip
    assert_one_line_error(result, "on linux/riscv64 (no binfmt_misc entry qemu-riscv64")
    rows = by_platform(result.stdout)
    assert rows["linux/amd64"][3].startswith("ok: 2 passed")
    assert "qemu-user-static" in rows["linux/riscv64"][3]
    assert "--platform linux/amd64 " in result.stderr  # only what can run is compiled


def test_a_workspace_sibling_module_is_tested_too(tmp_path, docker_daemon):
    need_emulation("aarch64")
    ws = tmp_path / "ws"
    lib_test = DATA.replace("package data", "package lib")
    lib_go = 'package lib\n\nconst Version = "1"\n'
    lib = module(ws / "lib", "example.com/lib", {"lib.go": lib_go, "lib_test.go": lib_test})
    (lib / "testdata").mkdir()
    (lib / "testdata" / "greeting.txt").write_text("hello from testdata\n")
    app_test = 'package main\n\nimport (\n\t"testing"\n\n\t"example.com/lib"\n)\n\n'
    app_test += "var _ = lib.Version\n\nfunc TestApp(t *testing.T) {}\n"
    app = module(
        ws / "app",
        "example.com/app",
        {"main.go": "package main\n\nfunc main() {}\n", "app_test.go": app_test},
        requires=["example.com/lib"],
    )
    with_dockerfile(app)
    (ws / "go.work").write_text("go 1.24\n\nuse ./app\nuse ./lib\n")
    result = go_test(app, "--platforms", "linux/amd64,linux/arm64")
    assert result.returncode == 0, result.stderr
    ran = {(row[0], row[1]) for row in table_lines(result.stdout) if row[3].startswith("ok")}
    assert ran == {
        (package, platform)
        for package in ("example.com/app", "example.com/lib")
        for platform in ("linux/amd64", "linux/arm64")
    }, result.stdout
    assert "PACKAGES=./... ../lib/..." in result.stderr
    assert f"cd {lib} && " in result.stderr  # the sibling's tests run in its directory


def test_ctrl_c_leaves_no_process_and_no_temporary_directory(tmp_path, docker_daemon):
    need_emulation("aarch64")
    where = with_dockerfile(module(tmp_path / "sleepy", "example.com/sleepy"))
    (where / "sleepy_test.go").write_text(SLEEPY)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "invoke", "test", "--platforms", "linux/amd64,linux/arm64"],
        cwd=REPO,
        env={**os.environ, "INVOKE_BUILD_CONTEXT": str(where), "TMPDIR": str(tmp)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=interruptible,
    )
    try:
        deadline = time.monotonic() + 240
        while len(_processes_under(tmp)) < 2:  # both platforms' binaries are running
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the test binaries never started"
            time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr.splitlines()[-1]
    assert _processes_under(tmp) == []
    assert list(tmp.iterdir()) == []


def _processes_under(directory: Path) -> list[int]:
    """Processes whose command line names a file in `directory` (qemu's too: flag P keeps
    the binary's path in its arguments)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if str(directory) in cmdline:
            found.append(int(proc.name))
    return found


def test_bad_options_are_one_line_before_anything_runs(bugs):
    for args, words in [
        (["--count", "0"], ["--count must be 1 or more"]),
        (["--timeout", "soon"], ["--timeout (test.timeout) must be a number"]),
        (["--platforms", "linux/sparc"], ["unknown platform"]),
    ]:
        result = go_test(bugs, *args)
        assert_one_line_error(result, *words)
        assert "docker buildx build" not in result.stderr


def test_dry_run_shows_the_compile_and_runs_nothing(bugs, tmp_path):
    dry = invoke(
        "--dry", "test", "--platforms", "linux/amd64",
        env={"INVOKE_BUILD_CONTEXT": str(bugs), "TMPDIR": str(tmp_path)},
    )  # fmt: skip
    assert dry.returncode == 0, dry.stderr
    assert "$ docker buildx build --platform linux/amd64 --target tests" in dry.stderr
    assert "pkg.test" not in dry.stderr and "go test on every platform" not in dry.stdout
    assert list(tmp_path.iterdir()) == []
