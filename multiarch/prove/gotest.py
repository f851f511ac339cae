"""A Go module's tests on every target platform: compiled with buildx, run here under qemu.

The test binaries (`go test -c`, one per package with tests) are cross-compiled on the
build platform by `gotest.Dockerfile`, with the toolchain image, Go caches and go.work
workspace of `invoke build`, and exported to a temporary directory. Each then runs on
this host, natively or through qemu and binfmt_misc, in the package's own directory, as
`go test` runs it: so testdata/ and the files the tests open are found, with nothing
copied into an image. That needs a Linux host whose kernel runs the foreign binaries;
a platform it cannot run fails with the fix, as in the smoke test.

    invoke test [--platforms P,...] [--packages ./...] [--run REGEX] [--timeout S]
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..build import binaries, planning
from ..build.full import FullBuild
from ..build.settings import BuildSettings
from ..core import platforms
from ..core.command import Runner
from ..core.errors import UserError
from ..core.options import settings_of
from ..core.platforms import Platform
from ..dockerfile import build_step
from ..dockerfile import dockerfile as dockerfiles
from ..golang import goenv, gomod, workspace
from ..host import binfmt

DOCKERFILE = Path(__file__).parent.parent / "data" / "gotest.Dockerfile"
TARGET = "tests"
TEMP_PREFIX = "multiarch-test-"  # `invoke clean` removes those a killed run left
# How long after its own -test.timeout a binary may take to stop before it is killed.
KILL_AFTER = 10.0
EXCERPT_LINES = 30

# -test.v lines: a test starts or resumes, and a test's (or subtest's) result.
_HEADER = re.compile(r"^=== (?:RUN|CONT|NAME|PAUSE)\s+(\S+)")
_RESULT = re.compile(r"^\s*--- (PASS|FAIL|SKIP): (\S+) \(")


@dataclass(frozen=True)
@settings_of("test")
class TestSettings:
    """The test.* settings (their entries: core/options.py)."""


@dataclass
class Plan:
    settings: TestSettings
    runnable: list[Platform]
    unrunnable: dict[Platform, binfmt.Problem]
    packages: list[str]
    go_image: str
    out: Path  # where the binaries are exported; made by run(), removed afterwards
    build: planning.Plan | None  # None when no platform can run here


@dataclass(frozen=True)
class Report:
    """What one package's test binary did on one platform."""

    package: str
    platform: str
    runs: str  # "native", "emulated (qemu-s390x)"
    ok: bool
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    failing: list[str] = field(default_factory=list)
    seconds: float | None = None
    detail: str = ""  # why it failed, when no test says: exit status, timeout, emulation
    excerpt: str = ""  # the failing tests' output, trimmed
    output: str = ""  # all of -test.v


def plan(
    settings: TestSettings,
    build_settings: BuildSettings,
    runner: Runner,
    environ,
    binfmt_root: Path = binfmt.ROOT,
) -> Plan:
    """Check everything a test run needs and decide what runs where; nothing is built yet."""
    s = settings
    if sys.platform != "linux":
        raise UserError(
            f"invoke test runs the test binaries on this host, which is {sys.platform}, not Linux",
            "run it on a Linux machine or VM with qemu-user-static",
        )
    if not s.timeout > 0:
        raise UserError(f"--timeout must be more than 0 seconds, not {s.timeout:g}")
    if s.count < 1:
        raise UserError(f"--count must be 1 or more, not {s.count}")
    targets = platforms.parse(s.platforms or build_settings.platforms)
    problems = {p: binfmt.problem(p, binfmt_root) for p in targets}
    unrunnable = {p: why for p, why in problems.items() if why is not None}
    runnable = [p for p in targets if p not in unrunnable]
    context = Path(build_settings.context).resolve()
    layout = workspace.resolve(context, environ)
    packages = s.packages.replace(",", " ").split() or default_packages(layout)
    version = goenv.image_version(build_settings.go, layout.go_minor)
    source = dockerfiles.source(context, build_settings.dockerfile)
    image = s.go_image or go_image(source, goenv.version_args(version))
    out = Path(tempfile.gettempdir()) / f"{TEMP_PREFIX}{uuid.uuid4().hex[:12]}"
    build = None
    if runnable:
        base = build_settings.for_platforms(platforms.join(runnable))
        compile_settings = binaries.settings(base, out).of_dockerfile(
            str(DOCKERFILE),
            TARGET,
            "",  # the tests of every package, no command
            (f"GO_IMAGE={image}", f"PACKAGES={' '.join(packages)}"),
        )
        [build] = planning.plan(compile_settings, runner, environ)
    return Plan(s, runnable, unrunnable, packages, image, out, build)


def default_packages(layout: workspace.Layout) -> list[str]:
    """./... of the module and, in a go.work workspace, of every other module it uses."""
    if layout.work is None:
        return ["./..."]
    used = {
        Path(os.path.normpath(layout.work.parent / use.disk_path))
        for use in gomod.parse_work(layout.work).use
    }
    # as directories, relative to the module: a module path pattern would make the go
    # command look up the versions the modules require of each other, which need not exist
    return [
        "./...",
        *(f"{_relative(m.dir, layout.module.dir)}/..." for m in layout.others if m.dir in used),
    ]


def _relative(path: Path, start: Path) -> str:
    return Path(os.path.relpath(path, start)).as_posix()


def go_image(dockerfile: dockerfiles.Source, args: dict[str, str]) -> str:
    """The Go toolchain image the module's Dockerfile builds with, given the build args:
    its golang FROM image."""
    found = build_step.go_images(dockerfile.text, args)
    if not found:
        raise UserError(
            f"cannot tell which Go image builds this module: {dockerfile.shown} has no golang FROM",
            "set test.go_image (e.g. golang:1.24)",
        )
    return found[0]


def run(p: Plan, runner: Runner) -> list[Report] | None:
    """Compile, then run every package on every platform; None in a dry run."""
    failed_here = [
        Report("(all)", str(t), _runs(t), False, detail=str(why)) for t, why in p.unrunnable.items()
    ]
    if p.build is None:
        return failed_here
    try:
        FullBuild(runner).run([p.build])
        if runner.dry:
            return None
        jobs = [
            job
            for target in p.runnable
            for job in _jobs(binaries.directory(p.out, target), target, p.build.layout.root)
        ]
        # package by package, each on every platform, as the table shows them
        jobs.sort(key=lambda job: (job.package, p.runnable.index(job.platform)))
        reports = Runs(p.settings, runner).all(jobs)
    finally:
        shutil.rmtree(p.out, ignore_errors=True)
    return reports + failed_here


@dataclass(frozen=True)
class Job:
    package: str
    platform: Platform
    binary: Path
    dir: Path  # the package's directory on this host


def _jobs(exported: Path, target: Platform, root: Path) -> list[Job]:
    """The binaries exported for one platform, each with its package's host directory."""
    listing = exported / "packages.tsv"
    if not listing.is_file():
        raise UserError(f"the test build wrote no packages.tsv for {target}", f"check {DOCKERFILE}")
    jobs = []
    for line in listing.read_text().splitlines():
        package, rel = line.split("\t")
        where = exported / "bin" / rel / "pkg.test"
        jobs.append(Job(package, target, where, Path(os.path.normpath(root / rel))))
    return jobs


class Runs:
    """Test binaries run side by side, one per core, each in a process group of its own so
    that a timeout or Ctrl-C stops it with everything it started."""

    def __init__(self, settings: TestSettings, runner: Runner):
        self.settings = settings
        self.runner = runner
        self.lock = threading.Lock()
        self.running: set[subprocess.Popen] = set()
        self.stopping = False

    def flags(self) -> list[str]:
        s = self.settings
        # -test.timeout: Go's own, which names the hung test; ours kills what remains.
        timeout = f"{s.timeout:.0f}s" if s.timeout == int(s.timeout) else f"{s.timeout:.3f}s"
        argv = ["-test.v", f"-test.count={s.count}", f"-test.timeout={timeout}"]
        argv += [f"-test.run={s.run}"] if s.run else []
        return argv + (["-test.short"] if s.short else [])

    def all(self, jobs: list[Job]) -> list[Report]:
        pool = ThreadPoolExecutor(max_workers=max(1, min(len(jobs), os.cpu_count() or 1)))
        try:
            reports = list(pool.map(self.one, jobs))
        except KeyboardInterrupt:
            self.stop()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown()
        return reports

    def stop(self) -> None:
        """No more starts; kill every running binary's process group."""
        with self.lock:
            self.stopping = True
            for proc in self.running:
                _kill(proc)

    def one(self, job: Job) -> Report:
        argv = [str(job.binary), *self.flags()]
        runs = _runs(job.platform)
        with self.lock:
            if self.stopping:
                return Report(job.package, str(job.platform), runs, False, detail="not run")
            self.runner.show(argv, cwd=job.dir)
            started = time.monotonic()
            try:
                proc = subprocess.Popen(
                    argv, cwd=job.dir, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT, text=True, errors="replace",
                    start_new_session=True,
                )  # fmt: skip
            except OSError as e:  # an emulator that went away since the check, say
                why = f"cannot start: {e.strerror}"
                return Report(job.package, str(job.platform), runs, False, detail=why)
            self.running.add(proc)
        hung = False
        try:
            output, _ = proc.communicate(timeout=self.settings.timeout + KILL_AFTER)
        except subprocess.TimeoutExpired:
            hung = True
            _kill(proc)
            output, _ = proc.communicate()
        finally:
            with self.lock:
                self.running.discard(proc)
        took = time.monotonic() - started
        return report(job, runs, proc.returncode, output, took, hung, self.settings.timeout)


def report(
    job: Job, runs: str, code: int, output: str, took: float, hung: bool, timeout: float
) -> Report:
    """A binary's result from its exit status and -test.v output."""
    counts = {"PASS": 0, "FAIL": 0, "SKIP": 0}
    failing = []
    for line in output.splitlines():
        if m := _RESULT.match(line):
            counts[m[1]] += 1
            if m[1] == "FAIL":
                failing.append(m[2])
    ok = code == 0 and not hung and not failing
    detail = ""
    if hung:
        detail = f"still running after {timeout + KILL_AFTER:g} s: killed"
    elif not ok and not failing:
        detail = f"exit {code}" + (f" ({_signal(code)})" if code < 0 else "")
    return Report(
        package=job.package,
        platform=str(job.platform),
        runs=runs,
        ok=ok,
        passed=counts["PASS"],
        failed=counts["FAIL"],
        skipped=counts["SKIP"],
        failing=failing,
        seconds=took,
        detail=detail,
        excerpt="" if ok else excerpt(output, failing),
        output=output,
    )


def excerpt(output: str, failing: list[str], limit: int = EXCERPT_LINES) -> str:
    """The output of the failing tests (what each logged, its FAIL line, a panic after it),
    at most `limit` lines; without a failing test, the end of the output."""
    blocks: dict[str, list[str]] = {}
    current = ""
    for line in output.splitlines():
        if m := _HEADER.match(line):
            current = m[1]
            continue
        blocks.setdefault(current, []).append(line)
    wanted = set(failing)
    lines = [line for name, block in blocks.items() if name in wanted for line in block]
    lines = [line for line in lines if not _passing(line)] or output.splitlines()[-limit:]
    if len(lines) > limit:
        lines = lines[:limit] + [f"… {len(lines) - limit} more lines (--verbose shows all)"]
    return "\n".join(lines)


def _passing(line: str) -> bool:
    m = _RESULT.match(line)
    return m is not None and m[1] != "FAIL"


def _kill(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


def _signal(code: int) -> str:
    try:
        return signal.Signals(-code).name
    except ValueError:
        return f"signal {-code}"


def _runs(target: Platform) -> str:
    emulator = binfmt.interpreter(target)
    return f"emulated ({emulator})" if emulator else "native"


def failed(reports: list[Report]) -> list[Report]:
    return [r for r in reports if not r.ok]


def summary(reports: list[Report]) -> str:
    """For the error line: each failed package on its platform, with its failing tests."""
    parts = []
    for r in failed(reports):
        why = ", ".join(r.failing) or r.detail
        parts.append(f"{r.package} on {r.platform} ({why})")
    return "; ".join(parts)


def document(reports: list[Report]) -> dict:
    """The results as one JSON document (`--json`)."""
    return {"ok": not failed(reports), "results": [asdict(r) for r in reports]}
