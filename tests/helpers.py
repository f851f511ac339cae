"""Test helpers: the real Docker daemon, the real invoke command line."""

from __future__ import annotations

import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def need(ok: bool, what: str) -> None:
    """Skip a test whose prerequisite is missing; in CI (CI=true), fail it instead."""
    if ok:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is missing, and CI=true: run scripts/provision.sh first")
    pytest.skip(f"{what} is missing")


# Tests that change the machine itself (restart the Docker daemon, switch binfmt_misc
# entries) run only where this is set: .ci/run sets it on its throwaway machine.
MACHINE_TESTS = "MULTIARCH_MACHINE_TESTS"


def machine_test(what: str) -> None:
    """Skip a test that changes the machine unless MULTIARCH_MACHINE_TESTS=1 enables it."""
    if os.environ.get(MACHINE_TESTS) != "1":
        pytest.skip(f"{what}: changes this machine; set {MACHINE_TESTS}=1 to run it")


def sh(*argv: str, check: bool = True, **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, check=check, text=True, capture_output=True, **kwargs)


def invoke(*args: str, env: dict | None = None, cwd: Path = REPO, **kwargs):
    """Run the invoke command line as a user would, in the repository."""
    return subprocess.run(
        [sys.executable, "-m", "invoke", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        text=True,
        capture_output=True,
        **kwargs,
    )


def interruptible() -> None:
    """In a child before it runs: SIGINT at its default. A suite started from a script's
    background job (`&`) inherits it ignored, and a child that ignores it cannot be
    stopped with Ctrl-C's signal."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Dev:
    """`invoke dev` running in the background; its stderr lines, as they come."""

    def __init__(self, reg: dict, where: Path, tmp: Path, *args: str, env: dict | None = None):
        env = {**os.environ, **reg["env"], "XDG_CACHE_HOME": str(tmp / "cache"), **(env or {})}
        env["INVOKE_BUILD_CONTEXT"] = str(where)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "invoke", "dev", "--debounce", "0.1", *args],
            cwd=REPO,
            env=env,
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
            preexec_fn=interruptible,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.said: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stderr:
            self.lines.put(line.rstrip("\n"))

    def cycle(self, timeout: float = 240) -> str:
        """The next cycle's line (it names the registry, or says it failed)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=1)
            except queue.Empty:
                assert self.process.poll() is None, "\n".join(self.said)
                continue
            self.said.append(line)
            if "in the registry" in line or "still watching" in line:
                return line
        raise AssertionError("no cycle in time:\n" + "\n".join(self.said))

    def stop(self, sig: int = signal.SIGINT) -> int:
        """Stop it as Ctrl-C (or `sig`) does; killed if it does not stop within a minute."""
        self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def host_go() -> str | None:
    return shutil.which("go") or next(
        (str(p) for p in sorted(Path("/usr/lib").glob("go-1.*/bin/go"), reverse=True)), None
    )


def table_rows(stdout: str) -> dict[str, list[str]]:
    """A rich table printed by a task, by its first cell: the other cells."""
    table: dict[str, list[str]] = {}
    for row in table_lines(stdout):
        table.setdefault(row[0], row[1:])
    return table


def table_lines(stdout: str) -> list[list[str]]:
    """A rich table printed by a task, row by row: its cells, each with its wrapped lines
    joined."""
    rows: list[list[str]] = []
    for line in stdout.splitlines():
        if not line.startswith("│"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("│").split("│")]
        if cells[0] or not rows:
            rows.append(cells)
        else:
            rows[-1][:] = [f"{a} {b}".strip() for a, b in zip(rows[-1], cells, strict=True)]
    return rows


def assert_one_line_error(result, *words):
    assert result.returncode == 1
    # the commands shown before they ran may precede it; the error is one last line
    lines = result.stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("error: ")]
    assert errors == lines[-1:], result.stderr
    for word in words:
        assert word in errors[0]
    assert "Traceback" not in result.stderr
