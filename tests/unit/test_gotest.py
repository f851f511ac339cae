"""invoke test's decisions: which packages, which Go image, what a test binary's output says."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from multiarch.build.settings import BuildSettings
from multiarch.core.command import Runner
from multiarch.core.errors import UserError
from multiarch.core.platforms import Platform
from multiarch.dockerfile import dockerfile as dockerfiles
from multiarch.golang import workspace
from multiarch.prove import gotest
from tests.gomodules import module

ARM = Platform("linux", "arm", "v7")
JOB = gotest.Job("example.com/m/counter", ARM, Path("/tmp/x/pkg.test"), Path("/src/counter"))

PANIC = """=== RUN   TestPlain
    plain_test.go:9: fine here
--- PASS: TestPlain (0.00s)
=== RUN   TestCounter
--- FAIL: TestCounter (0.00s)
panic: unaligned 64-bit atomic operation [recovered]
	panic: unaligned 64-bit atomic operation

goroutine 18 [running]:
testing.tRunner.func1.2({0x1, 0x2})
"""

SUBTESTS = """=== RUN   TestTable
=== RUN   TestTable/one
=== RUN   TestTable/two
    table_test.go:12: got 2, want 3
=== RUN   TestTable/three
    table_test.go:14: not on this platform
--- FAIL: TestTable (0.00s)
    --- PASS: TestTable/one (0.00s)
    --- FAIL: TestTable/two (0.00s)
    --- SKIP: TestTable/three (0.00s)
=== RUN   TestOther
--- PASS: TestOther (0.00s)
FAIL
"""


def test_a_panic_fails_the_test_it_happened_in_and_shows_why():
    r = gotest.report(JOB, "emulated (qemu-arm)", 2, PANIC, 0.5, False, 600)
    assert not r.ok
    assert (r.passed, r.failed, r.skipped) == (1, 1, 0)
    assert r.failing == ["TestCounter"]
    assert "panic: unaligned 64-bit atomic operation [recovered]" in r.excerpt
    assert "fine here" not in r.excerpt  # a passing test's log is left out
    assert r.output == PANIC


def test_subtests_count_and_only_the_failing_ones_are_shown():
    r = gotest.report(JOB, "native", 1, SUBTESTS, 0.1, False, 600)
    assert (r.passed, r.failed, r.skipped) == (2, 2, 1)
    assert r.failing == ["TestTable", "TestTable/two"]
    assert "table_test.go:12: got 2, want 3" in r.excerpt
    assert "not on this platform" not in r.excerpt
    assert "--- PASS" not in r.excerpt


def test_an_exit_without_a_failing_test_shows_the_end_of_the_output():
    out = "=== RUN   TestA\n--- PASS: TestA (0.00s)\nPASS\nboom: TestMain said no\n"
    r = gotest.report(JOB, "native", 3, out, 0.1, False, 600)
    assert not r.ok and r.failing == []
    assert r.detail == "exit 3"
    assert r.excerpt.endswith("boom: TestMain said no")
    killed = gotest.report(JOB, "native", -9, out, 0.1, False, 600)
    assert killed.detail == "exit -9 (SIGKILL)"


def test_a_hung_binary_is_named_as_such():
    r = gotest.report(JOB, "native", -9, "=== RUN   TestSleep\nsleeping\n", 12.0, True, 2)
    assert not r.ok
    assert r.detail == f"still running after {2 + gotest.KILL_AFTER:g} s: killed"
    assert "sleeping" in r.excerpt


def test_a_long_failure_is_trimmed():
    out = "=== RUN   TestLoud\n" + "".join(f"    line {i}\n" for i in range(100))
    out += "--- FAIL: TestLoud (0.00s)\n"
    lines = gotest.excerpt(out, ["TestLoud"], limit=10).splitlines()
    assert lines[:10] == [f"    line {i}" for i in range(10)]
    assert lines[10] == "… 91 more lines (--verbose shows all)"


def test_the_summary_names_package_platform_and_tests():
    bad = gotest.report(JOB, "emulated (qemu-arm)", 2, PANIC, 0.5, False, 600)
    good = gotest.report(JOB, "native", 0, "--- PASS: TestA (0.00s)\nPASS\n", 0.1, False, 600)
    assert gotest.failed([good, bad]) == [bad]
    assert gotest.summary([good, bad]) == "example.com/m/counter on linux/arm/v7 (TestCounter)"


def test_go_test_flags_pass_through():
    runs = gotest.Runs(
        gotest.TestSettings(run="TestA|TestB", count=3, short=True, timeout=90), None
    )
    assert runs.flags() == [
        "-test.v",
        "-test.count=3",
        "-test.timeout=90s",
        "-test.run=TestA|TestB",
        "-test.short",
    ]
    assert gotest.Runs(gotest.TestSettings(), None).flags() == [
        "-test.v",
        "-test.count=1",
        "-test.timeout=600s",
    ]


def test_packages_default_to_every_module_the_workspace_uses(tmp_path):
    module(tmp_path / "app", "example.com/app")
    module(tmp_path / "libs" / "lib", "example.com/lib")
    module(tmp_path / "fork", "example.com/fork")  # a replace target: not tested
    (tmp_path / "go.work").write_text(
        "go 1.24\n\nuse ./app\nuse ./libs/lib\n\nreplace example.com/x => ./fork\n"
    )
    layout = workspace.resolve(tmp_path / "app", {})
    assert gotest.default_packages(layout) == ["./...", "../libs/lib/..."]
    alone = workspace.resolve(tmp_path / "app", {"GOWORK": "off"})
    assert gotest.default_packages(alone) == ["./..."]


BUILDER = "ARG GO_VERSION=1.24\nFROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS b\n"
DISTROLESS = "FROM docker.io/library/golang:1.23 AS build\nFROM gcr.io/distroless/static\n"


@pytest.mark.parametrize(
    ("dockerfile", "image"),
    [(BUILDER, "golang:1.24"), (DISTROLESS, "docker.io/library/golang:1.23")],
)
def test_the_go_image_is_the_one_the_dockerfile_builds_with(tmp_path, dockerfile, image):
    (tmp_path / "Dockerfile").write_text(dockerfile)
    assert gotest.go_image(dockerfiles.source(tmp_path, ""), {}) == image


def test_no_go_image_is_an_error_saying_what_to_set(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM alpine\nRUN make\n")
    with pytest.raises(UserError) as e:
        gotest.go_image(dockerfiles.source(tmp_path, ""), {})
    assert "test.go_image" in e.value.hint
    with pytest.raises(UserError):
        dockerfiles.source(tmp_path, "missing")


def test_the_go_image_follows_go_version(tmp_path):
    (tmp_path / "Dockerfile").write_text(BUILDER)
    go_version = {"GO_VERSION": "1.26"}
    assert gotest.go_image(dockerfiles.source(tmp_path, ""), go_version) == "golang:1.26"


def test_without_a_dockerfile_the_go_image_is_the_default_dockerfiles(tmp_path):
    assert gotest.go_image(dockerfiles.source(tmp_path, ""), {}).startswith("golang:")


def _module(tmp_path: Path) -> BuildSettings:
    where = module(tmp_path / "m", "example.com/m")
    (where / "Dockerfile").write_text("FROM golang:1.24 AS builder\n")
    return BuildSettings(context=str(where))


@pytest.mark.parametrize(
    ("settings", "words"),
    [
        (gotest.TestSettings(count=0), "--count must be 1 or more"),
        (gotest.TestSettings(timeout=0), "--timeout must be more than 0"),
        (gotest.TestSettings(platforms="linux/amd64,linux/vax"), "unknown platform"),
    ],
)
def test_bad_settings_are_refused_before_anything_runs(tmp_path, settings, words):
    with pytest.raises(UserError) as e:
        gotest.plan(settings, _module(tmp_path), Runner(), {})
    assert words in str(e.value)


def test_platforms_that_cannot_run_fail_with_the_fix_and_nothing_is_built(tmp_path):
    root = tmp_path / "binfmt"
    root.mkdir()
    (root / "status").write_text("enabled\n")
    (root / "qemu-s390x").write_text("disabled\ninterpreter /usr/bin/qemu-s390x-static\n")
    settings = gotest.TestSettings(platforms="linux/s390x,linux/riscv64")
    plan = gotest.plan(settings, _module(tmp_path), Runner(), {}, root)
    assert plan.build is None and plan.runnable == []
    reports = gotest.run(plan, Runner())
    assert [(r.platform, r.ok) for r in reports] == [
        ("linux/s390x", False),
        ("linux/riscv64", False),
    ]
    assert "qemu-s390x for linux/s390x is disabled" in reports[0].detail
    assert "update-binfmts --enable qemu-s390x" in reports[0].detail
    assert "no binfmt_misc entry qemu-riscv64" in reports[1].detail
    assert not plan.out.exists()


def _script(path: Path, body: str) -> Path:
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return path


def test_a_binary_runs_in_its_package_directory(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    binary = _script(tmp_path / "pkg.test", 'echo "=== RUN   TestDir"; pwd; echo "$@"')
    job = gotest.Job("example.com/m/pkg", Platform("linux", "amd64"), binary, pkg)
    r = gotest.Runs(gotest.TestSettings(run="TestDir"), Runner()).one(job)
    assert r.ok, r
    assert r.output.splitlines()[1:] == [
        str(pkg),
        "-test.v -test.count=1 -test.timeout=600s -test.run=TestDir",
    ]


def test_a_hung_binary_is_killed_with_what_it_started(tmp_path, monkeypatch):
    monkeypatch.setattr(gotest, "KILL_AFTER", 0.5)
    pidfile = tmp_path / "child.pid"
    binary = _script(tmp_path / "pkg.test", f"sleep 60 & echo $! > {pidfile}; wait")
    job = gotest.Job("example.com/m/pkg", Platform("linux", "amd64"), binary, tmp_path)
    r = gotest.Runs(gotest.TestSettings(timeout=0.5), Runner()).one(job)
    assert not r.ok and r.detail == "still running after 1 s: killed"
    child = Path(f"/proc/{pidfile.read_text().strip()}")
    deadline = time.monotonic() + 5  # SIGKILL is delivered asynchronously
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child)


def _alive(proc: Path) -> bool:
    """Running: neither gone nor a zombie waiting to be reaped."""
    try:
        return (proc / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_binary_that_cannot_start_is_a_failure_not_a_crash(tmp_path):
    binary = tmp_path / "pkg.test"
    binary.write_text("not executable\n")
    job = gotest.Job("example.com/m/pkg", Platform("linux", "amd64"), binary, tmp_path)
    r = gotest.Runs(gotest.TestSettings(), Runner()).one(job)
    assert not r.ok and r.detail == "cannot start: Permission denied"
