"""The smoke test: run every platform of a pushed image and check what it says about itself.

The platforms come from the image index the registry serves, never from a list kept
here, so a platform that went missing or an entry holding the wrong binary shows up.
Each one is pulled by digest and run with `docker run --platform`, natively or under
qemu, with a timeout. The binary must print one line naming exactly that platform and
the version and commit the build was given. A foreign platform whose binfmt_misc
registration is missing fails with the fix: nothing is skipped.

    invoke smoke [--no-build] [--image localhost:5000/hellorld:e2e] [--platforms ...]
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from rich.markup import escape
from rich.table import Table

from . import binfmt, platforms
from .command import NETWORK_TIMEOUT, Runner, last_line
from .config import default
from .errors import UserError
from .platforms import Platform
from .registry_api import RegistryAPI, split_reference

DEFAULT_TIMEOUT = default("smoke", "timeout")
# What the program prints: "hellorld v1.2.3 (commit 0af8580...) on linux/arm/v7".
LINE = re.compile(r"(?P<name>\S+) (?P<version>\S+) \(commit (?P<commit>\S+)\) on (?P<platform>\S+)")
VERSION_LABEL = "org.opencontainers.image.version"
REVISION_LABEL = "org.opencontainers.image.revision"


@dataclass(frozen=True)
class Expected:
    version: str
    commit: str
    source: str  # where these come from, for messages: "this checkout", "its labels"


@dataclass(frozen=True)
class Outcome:
    platform: str
    digest: str
    runs: str  # "native", "emulated (qemu-aarch64)"
    ok: bool
    detail: str
    seconds: float | None = None


def check_output(stdout: str, target: Platform, expected: Expected) -> list[str]:
    """What is wrong with what one platform's binary printed; empty when nothing."""
    lines = stdout.splitlines()
    match = LINE.fullmatch(lines[0].strip()) if len(lines) == 1 else None
    if match is None:
        shown = stdout.strip()[:200] or "nothing"
        return [f"printed {shown!r}, not one line 'NAME VERSION (commit COMMIT) on PLATFORM'"]
    wrong = []
    try:
        printed = platforms.parse_one(match["platform"])
    except UserError:
        printed = None
    if printed != target:
        wrong.append(f"the binary is for {match['platform']}, the index says {target}")
    if match["version"] != expected.version:
        wrong.append(f"version {match['version']}, expected {expected.version} ({expected.source})")
    if match["commit"] != expected.commit:
        wrong.append(f"commit {match['commit']}, expected {expected.commit} ({expected.source})")
    return wrong


class Smoke:
    """One smoke test of one image reference."""

    def __init__(
        self,
        ref: str,
        runner: Runner,
        expected: Expected | None,  # None: each platform's own labels say
        timeout: float = DEFAULT_TIMEOUT,
        binfmt_root: Path = binfmt.ROOT,
    ):
        self.host, self.repo, self.tag = split_reference(ref)
        self.ref = ref
        self.api = RegistryAPI(self.host)
        self.runner = runner
        self.expected = expected
        self.timeout = timeout
        self.binfmt_root = binfmt_root
        self.run_id = uuid.uuid4().hex[:8]  # in container names, to find them all

    def entries(self) -> list[tuple[str, str]]:
        """(platform, digest) of each image in the index; attestations left out."""
        index = self.api.index(self.repo, self.tag)
        found = [(m.platform, m.digest) for m in index.manifests]
        if found and found[0][0] == "unknown":  # a single image, not an index
            config = self.api.config(self.repo, index.digest)
            parts = [config.get("os", "?"), config.get("architecture", "?"), config.get("variant")]
            found = [("/".join(p for p in parts if p), index.digest)]
        if not found:
            raise UserError(f"the index of {self.ref} holds no platform images")
        return found

    def run(self, wanted: list[Platform] | None = None) -> list[Outcome]:
        """Each platform of the index (or those `wanted`), in parallel; a wanted one that
        the index lacks fails. Containers are removed even on Ctrl-C."""
        found = self.entries()
        chosen = [(p, d) for p, d in found if wanted is None or _parse(p) in wanted]
        present = {_parse(p) for p, _ in found}
        held = ", ".join(p for p, _ in found)
        missing = [
            Outcome(str(p), "", _runs(p), False, f"not in the index (it holds {held})")
            for p in wanted or []
            if p not in present
        ]
        pool = ThreadPoolExecutor(max_workers=min(len(chosen), 4) or 1)
        try:
            outcomes = list(pool.map(lambda entry: self.one(*entry), chosen))
        except KeyboardInterrupt:
            pool.shutdown(wait=False, cancel_futures=True)
            self._remove_containers()
            raise
        pool.shutdown()
        return outcomes + missing

    def one(self, platform: str, digest: str) -> Outcome:
        target = _parse(platform)
        runs = _runs(target) if target else "?"
        try:
            if target is None:
                raise _Failed(f"unknown platform {platform!r}")
            detail, seconds = self._check(target, digest)
        except _Failed as failed:
            return Outcome(platform, digest, runs, False, failed.detail, failed.seconds)
        return Outcome(platform, digest, runs, True, detail, seconds)

    def _check(self, target: Platform, digest: str) -> tuple[str, float]:
        """Pull and run one platform's image; raises _Failed saying what went wrong."""
        problem = binfmt.problem(target, self.binfmt_root)
        if problem is not None:
            raise _Failed(str(problem))
        image = f"{self.host}/{self.repo}@{digest}"
        try:
            expected = self.expected or self._labelled(digest)
            self.runner.run(
                ["docker", "pull", "-q", "--platform", str(target), image],
                capture=True,
                timeout=NETWORK_TIMEOUT,
            )
        except UserError as e:
            raise _Failed(str(e)) from None
        name = f"smoke-{self.run_id}-{target.slug}"
        argv = ["docker", "run", "--rm", "--pull=never", "--network=none", "--name", name]
        argv += ["--platform", str(target), image]
        self.runner.show(argv)
        if self.runner.dry:
            return "dry run: not run", 0.0
        started = time.monotonic()
        try:
            done = subprocess.run(
                argv, capture_output=True, text=True, errors="replace", timeout=self.timeout
            )
        except subprocess.TimeoutExpired:
            self._remove(name)
            took = time.monotonic() - started
            why = f"hung: still running after {self.timeout:g} s; container {name} removed"
            raise _Failed(why, took) from None
        took = time.monotonic() - started
        if done.returncode != 0:
            said = last_line(done.stderr) or last_line(done.stdout) or "no output"
            raise _Failed(f"exit {done.returncode}: {said}", took)
        wrong = check_output(done.stdout, target, expected)
        if wrong:
            raise _Failed("; ".join(wrong), took)
        return f"ok: {done.stdout.strip()}", took

    def _labelled(self, digest: str) -> Expected:
        labels = self.api.config(self.repo, digest).get("config", {}).get("Labels") or {}
        if VERSION_LABEL not in labels or REVISION_LABEL not in labels:
            raise UserError(
                f"the image has no {VERSION_LABEL} and {REVISION_LABEL} labels to check against",
                "build it with `invoke build`, or run `invoke smoke` without --no-build",
            )
        return Expected(labels[VERSION_LABEL], labels[REVISION_LABEL], "its labels")

    def _remove(self, *names: str) -> None:
        """Kill and remove containers; one that never got created is no error."""
        with contextlib.suppress(UserError):
            self.runner.run(["docker", "rm", "-f", *names], capture=True)

    def _remove_containers(self) -> None:
        found = self.runner.query(
            ["docker", "ps", "-aq", "--filter", f"name=smoke-{self.run_id}-"], check=False
        )
        if found.stdout.split():
            self._remove(*found.stdout.split())


class _Failed(Exception):
    def __init__(self, detail: str, seconds: float | None = None):
        super().__init__(detail)
        self.detail = detail
        self.seconds = seconds


def _parse(platform: str) -> Platform | None:
    try:
        return platforms.parse_one(platform)
    except UserError:
        return None


def _runs(target: Platform) -> str:
    emulator = binfmt.interpreter(target)
    return f"emulated ({emulator})" if emulator else "native"


def table(ref: str, outcomes: list[Outcome]) -> Table:
    t = Table("platform", "runs", title=f"smoke test of {ref}")
    t.add_column("result", overflow="fold")  # paths and commands whole, never cut with "…"
    t.add_column("time")
    t.add_column("digest")
    for o in outcomes:
        result = f"[green]{escape(o.detail)}[/]" if o.ok else f"[red]FAIL: {escape(o.detail)}[/]"
        took = f"{o.seconds:.2f} s" if o.seconds is not None else "-"
        t.add_row(o.platform, o.runs, result, took, o.digest[:19])
    return t
