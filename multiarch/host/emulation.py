"""Can the Docker daemon run a platform, natively or emulated? Judged by the daemon itself.

"Native" is the daemon host's own architecture, as `docker info` reports it: with
Docker Desktop (a Linux VM on macOS or Windows) or a remote `DOCKER_HOST`, this
machine's CPU says nothing. Emulation is the daemon host's kernel's business (qemu
through binfmt_misc with flag F): when the daemon runs on this machine, an enabled
local registration is a shortcut that says yes; otherwise only the daemon's host can
tell, by running the platform: a kernel that cannot run a binary answers "exec format
error", which `cannot_run` turns into one line with the fix (and the local
registration's own problem, where there is one: "entry qemu-aarch64 is disabled").

    host = emulation.daemon_host(runner)
    verdict = emulation.judge(parse_one("linux/arm64"), host, binfmt_root)
    # verdict.problem: known not to run; verdict.confirmed False: run it and see
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path

from ..core.command import Runner
from ..core.platforms import Platform
from . import binfmt, docker


@dataclass(frozen=True)
class DaemonHost:
    """Where the daemon's containers run."""

    os: str  # "linux", "windows"
    arch: str  # GOARCH of its machine
    name: str  # its host name ("docker-desktop" for Docker Desktop)
    local: bool  # on this machine: the local binfmt_misc is its kernel's

    @property
    def platform(self) -> str:
        return f"{self.os}/{self.arch}"


@dataclass(frozen=True)
class Verdict:
    """Whether, and how, the daemon runs a platform's binaries."""

    target: Platform
    emulator: str | None  # the binfmt_misc entry it needs ("qemu-aarch64"); None: native
    problem: binfmt.Problem | None = None  # known not to run
    how: str = ""  # how it is known to run, before running it
    local: binfmt.Problem | None = None  # what the local binfmt_misc says against it

    @property
    def native(self) -> bool:
        return self.emulator is None

    @property
    def confirmed(self) -> bool:
        """Known to run before running it: native, or a local registration seen."""
        return self.problem is None and (self.native or bool(self.how))

    @property
    def runs(self) -> str:
        return "native" if self.native else f"emulated ({self.emulator})"


def daemon_host(runner: Runner) -> DaemonHost:
    """The daemon's OS and architecture, and whether it runs on this machine."""
    found = docker.daemon(runner)
    return DaemonHost(
        found.os, binfmt.host_arch(found.arch), found.name, _is_local(found.name, found.system)
    )


def _is_local(name: str, system: str) -> bool:
    """A daemon on this machine: reached through a local socket, answering with this
    machine's host name, and not Docker Desktop's VM."""
    where = os.environ.get("DOCKER_HOST", "")
    return (
        (not where or where.startswith("unix://"))
        and name == socket.gethostname()
        and "Docker Desktop" not in system
    )


def judge(target: Platform, host: DaemonHost, binfmt_root: Path = binfmt.ROOT) -> Verdict:
    """What is known, without running anything, about `host` running `target`."""
    if target.os != host.os:
        problem = binfmt.Problem(
            f"{target} binaries do not run on the daemon's {host.os} host",
            f"test it with a {target.os} Docker daemon",
        )
        return Verdict(target, None, problem)
    emulator = binfmt.interpreter(target, host.arch)
    if emulator is None:
        return Verdict(target, None)
    if not host.local:
        return Verdict(target, emulator)  # only the daemon's host can tell: run it
    problem = binfmt.problem(target, binfmt_root, host.arch)
    if problem is None:
        return Verdict(target, emulator, how=f"{binfmt_root / emulator} is enabled with flag F")
    # only a shortcut: binfmt_misc may be mounted elsewhere; the daemon's kernel decides
    return Verdict(target, emulator, local=problem)


def exec_format_error(output: str) -> bool:
    """Whether a container's output is the kernel refusing to run its binary."""
    return "exec format error" in output


def cannot_run(verdict: Verdict, host: DaemonHost) -> binfmt.Problem:
    """The problem to report once running showed the daemon's host cannot run `target`;
    with what the local registration says against it, where it says something."""
    target = verdict.target
    refused = f"the Docker daemon ({host.platform}) cannot run {target}: exec format error"
    if verdict.local is not None:
        return binfmt.Problem(f"{refused}; {verdict.local.what}", verdict.local.fix)
    where = "this machine" if host.local else f"the daemon's host {host.name!r}"
    return binfmt.Problem(
        f"{refused}, so {where} has no working {verdict.emulator} emulation",
        binfmt.install_fix(target)
        + ("" if host.local else "; on Docker Desktop: enable its multi-platform support"),
    )
