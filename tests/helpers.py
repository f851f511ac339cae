"""Test helpers: the real Docker daemon, the real invoke command line."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def host_go() -> str | None:
    return shutil.which("go") or next(
        (str(p) for p in sorted(Path("/usr/lib").glob("go-1.*/bin/go"), reverse=True)), None
    )
