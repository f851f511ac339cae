"""Running external commands: each one shown before it runs, dry runs honoured.

Commands that change something go through `Runner.run`, which prints them and skips
them under `invoke --dry`. Read-only look-ups go through `Runner.query`, which runs
even in a dry run so that the decisions a dry run shows are the real ones.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from .errors import UserError

# Messages and commands go to stderr; stdout is left for results (tables, references).
console = Console(stderr=True, highlight=False, soft_wrap=True)
# Results (tables, references) on stdout, wide enough for digests when piped.
results = Console(highlight=False, width=None if sys.stdout.isatty() else 160)


# How long a command interrupted with Ctrl-C may take to stop by itself.
STOP_GRACE = 10


def say(message: str) -> None:
    console.print(message)


def warn(message: str) -> None:
    console.print(f"[yellow]warning:[/] {escape(message)}")


class Runner:
    def __init__(self, dry: bool = False):
        self.dry = dry

    def show(self, argv: Sequence[str], cwd: Path | None = None) -> None:
        """Print a command as a shell would take it; `cwd`: run in that directory."""
        where = f"cd {shlex.quote(str(cwd))} && " if cwd is not None else ""
        console.print(f"[bold cyan]$[/] {escape(where + shlex.join(argv))}")

    def run(
        self,
        argv: Sequence[str],
        *,
        input: str | None = None,
        capture: bool = False,
        hint: str | None = None,
    ) -> subprocess.CompletedProcess[str] | None:
        """Show and run a command that changes something; None in a dry run.

        Output streams to the terminal unless `capture`. A failure raises UserError
        naming the command, with `hint` saying what to do.
        """
        self.show(argv)
        if self.dry:
            return None
        result = _call(argv, input=input, capture=capture)
        if result.returncode != 0:
            raise UserError(_failure(argv, result), hint)
        return result

    def query(
        self, argv: Sequence[str], *, check: bool = True, hint: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run a read-only command quietly and return its captured output."""
        result = _call(argv, input=None, capture=True)
        if check and result.returncode != 0:
            raise UserError(_failure(argv, result), hint)
        return result


def _call(argv: Sequence[str], *, input: str | None, capture: bool):
    pipe = subprocess.PIPE if capture else None
    try:
        proc = subprocess.Popen(
            list(argv), stdin=subprocess.PIPE if input is not None else None,
            stdout=pipe, stderr=pipe, text=True,
        )  # fmt: skip
    except FileNotFoundError:
        raise UserError(f"{argv[0]} is not installed", "run scripts/provision.sh") from None
    try:
        stdout, stderr = proc.communicate(input)
    except KeyboardInterrupt:
        # Ctrl-C reached the command too (one process group): let it stop cleanly and
        # have its say before ours; kill it only if it does not.
        try:
            proc.wait(timeout=STOP_GRACE)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        raise
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


def _failure(argv: Sequence[str], result: subprocess.CompletedProcess[str]) -> str:
    why = last_line(result.stderr) if result.stderr else ""
    said = f": {why}" if why else ""
    return f"`{shlex.join(argv[:3])} …` failed (exit {result.returncode}){said}"


def last_line(text: str | None) -> str:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[-1] if lines else ""
