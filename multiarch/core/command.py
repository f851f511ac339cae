"""Running external commands: each one shown before it runs, dry runs honoured.

Commands that change something go through `Runner.run`, which prints them and skips
them under `invoke --dry`. Read-only look-ups go through `Runner.query`, which runs
even in a dry run so that the decisions a dry run shows are the real ones.
"""

from __future__ import annotations

import os
import pty
import re
import shlex
import signal
import subprocess
import sys
import termios
import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
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
# How long a command that waits on the network (a pull, a registry look-up) may take.
NETWORK_TIMEOUT = 300
# How many of a command's last stderr lines are kept to explain its failure (a failed
# build's compiler output, with plain progress, for several platforms).
TAIL = 400
_TERMINAL_CODES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\r")
DAEMON_ERROR = "Error response from daemon:"
# what the docker CLI prints after a failure: "Run 'docker run --help' for more
# information", "See 'docker run --help'."
_USAGE_HINT = re.compile(r"(Run|See) 'docker [^']*--help'")


class Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP: stop as Ctrl-C stops, and exit as that signal's (128 + its
    number). Unlike Ctrl-C it reached only this process, not the commands it runs."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@contextmanager
def stopped_by_signals() -> Iterator[None]:
    """Within: SIGTERM and SIGHUP raise Stopped, as SIGINT raises KeyboardInterrupt."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, _frame):
        raise Stopped(signum)

    before = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for s, handler in before.items():
            signal.signal(s, handler)


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
        timeout: float | None = None,
        explain: Callable[[list[str]], UserError | None] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str] | None:
        """Show and run a command that changes something; None in a dry run.

        `env` replaces the environment the command gets: how a secret reaches a command
        that reads it from there (cosign's COSIGN_PASSWORD), never shown.

        Output streams to the terminal unless `capture`. A failure, or still running
        after `timeout` seconds, raises UserError naming the command, with `hint` saying
        what to do; with `explain`, the command's last stderr lines are kept as they
        stream by, and what `explain` makes of them (if anything) is the error instead.
        """
        self.show(argv)
        if self.dry:
            return None
        if explain is not None and not capture:
            result = _call_kept(argv, input=input, env=env)
        else:
            result = _call(argv, input=input, capture=capture, timeout=timeout, env=env)
        if result.returncode != 0:
            explained = explain(result.stderr.splitlines()) if explain else None
            raise explained or UserError(_failure(argv, result), hint)
        return result

    def query(
        self,
        argv: Sequence[str],
        *,
        check: bool = True,
        hint: str | None = None,
        timeout: float | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run a read-only command quietly and return its captured output."""
        result = _call(argv, input=None, capture=True, timeout=timeout)
        if check and result.returncode != 0:
            raise UserError(_failure(argv, result), hint)
        return result


def _call(
    argv: Sequence[str], *, input: str | None, capture: bool, timeout: float | None, env=None
):
    pipe = subprocess.PIPE if capture else None
    try:
        proc = subprocess.Popen(
            list(argv), stdin=subprocess.PIPE if input is not None else None,
            stdout=pipe, stderr=pipe, text=True, errors="replace",
            env=dict(env) if env is not None else None,
        )  # fmt: skip
    except (FileNotFoundError, PermissionError) as e:
        raise _not_runnable(argv, e) from None
    try:
        stdout, stderr = proc.communicate(input, timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise UserError(
            f"`{shlex.join(argv[:4])} …` did not finish within {timeout:g} s",
            "check the network and the registry, then try again",
        ) from None
    except KeyboardInterrupt as e:
        _let_stop(proc, e)
        raise
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


def _let_stop(proc: subprocess.Popen, why: KeyboardInterrupt) -> None:
    """Ctrl-C reached the command too (one process group); a signal that reached only
    us is passed on to it as Ctrl-C. Let it stop cleanly and have its say before ours;
    kill it only if it does not."""
    if isinstance(why, Stopped) and proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=STOP_GRACE)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _not_runnable(argv: Sequence[str], e: OSError) -> UserError:
    if isinstance(e, FileNotFoundError):
        return UserError(f"{argv[0]} is not installed", "run scripts/provision.sh")
    return UserError(
        f"{argv[0]} cannot be run: permission denied", f"check `ls -l $(which {argv[0]})`"
    )


def _call_kept(argv: Sequence[str], *, input: str | None, env=None):
    """Run a command with its stderr passed on to ours as it comes; its last TAIL lines
    (terminal codes removed) are the result's stderr. On a terminal the command writes
    to a pseudo-terminal of the same size, so it draws its progress as it would."""
    terminal = sys.stderr.isatty()
    reader, writer = pty.openpty() if terminal else os.pipe()
    if terminal:
        termios.tcsetwinsize(writer, termios.tcgetwinsize(sys.stderr.fileno()))
    sys.stderr.flush()
    try:
        proc = subprocess.Popen(
            list(argv), stdin=subprocess.PIPE if input is not None else None,
            stderr=writer, text=True, env=dict(env) if env is not None else None,
        )  # fmt: skip
    except (FileNotFoundError, PermissionError) as e:
        os.close(reader)
        raise _not_runnable(argv, e) from None
    finally:
        os.close(writer)
    if input is not None:
        threading.Thread(target=_feed, args=(proc, input), daemon=True).start()
    kept: deque[bytes] = deque(maxlen=TAIL)
    try:
        _pass_on(reader, kept)
    except KeyboardInterrupt as e:
        # as in _call: let the command stop and have its say first, still passed on
        threading.Thread(target=_pass_on, args=(reader, kept), daemon=True).start()
        _let_stop(proc, e)
        raise
    os.close(reader)
    proc.wait()
    text = b"\n".join(kept).decode(errors="replace")
    return subprocess.CompletedProcess(
        proc.args, proc.returncode, None, _TERMINAL_CODES.sub("", text)
    )


def _feed(proc: subprocess.Popen, text: str) -> None:
    assert proc.stdin is not None
    try:
        proc.stdin.write(text)
        proc.stdin.close()
    except BrokenPipeError:
        pass  # the command stopped before reading it all: its exit status says why


def _pass_on(reader: int, kept: deque[bytes]) -> None:
    """Copy what comes from `reader` to our stderr, keeping its lines, until it ends."""
    pending = b""
    while True:
        try:
            chunk = os.read(reader, 1 << 16)
        except OSError:  # a pseudo-terminal whose other end closed
            break
        if not chunk:
            break
        sys.stderr.buffer.write(chunk)
        sys.stderr.buffer.flush()
        *lines, pending = (pending + chunk).split(b"\n")
        kept.extend(lines)
    if pending:
        kept.append(pending)


def _failure(argv: Sequence[str], result: subprocess.CompletedProcess[str]) -> str:
    why = cause(result.stderr)
    said = f": {why}" if why else ""
    return f"`{shlex.join(argv[:3])} …` failed (exit {result.returncode}){said}"


def cause(text: str | None) -> str:
    """What a failed command says went wrong: Docker's `Error response from daemon: …`
    line where there is one (the docker CLI follows it with a usage hint), else its last
    line that is not such a hint."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    for line in lines:
        if DAEMON_ERROR in line:
            return line[line.index(DAEMON_ERROR) :]
    return last_line("\n".join(line for line in lines if not _USAGE_HINT.match(line)))


def last_line(text: str | None) -> str:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[-1] if lines else ""
