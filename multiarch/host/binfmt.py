"""Whether this host can run a platform's binaries: natively, or through qemu and binfmt_misc.

A foreign binary runs in a container only when the kernel has a binfmt_misc entry for
its architecture that is enabled and has flag F ("fix binary"): the kernel then opens
the qemu interpreter when the entry is registered, so it works inside containers that
do not contain qemu. Everything here reads files under a root that tests can replace.
"""

from __future__ import annotations

import platform as host_platform
from dataclasses import dataclass
from pathlib import Path

from ..core.platforms import Platform

ROOT = Path("/proc/sys/fs/binfmt_misc")

# `uname -m` -> GOARCH of the host.
HOST_ARCH = {
    "x86_64": "amd64",
    "amd64": "amd64",
    "aarch64": "arm64",
    "arm64": "arm64",
    "armv7l": "arm",
    "armv6l": "arm",
    "i686": "386",
    "i386": "386",
    "ppc64le": "ppc64le",
    "s390x": "s390x",
    "riscv64": "riscv64",
}
# GOARCH -> the name qemu (and so the binfmt_misc entry "qemu-NAME") gives it.
QEMU_ARCH = {
    "amd64": "x86_64",
    "arm64": "aarch64",
    "arm": "arm",
    "386": "i386",
    "ppc64le": "ppc64le",
    "s390x": "s390x",
    "riscv64": "riscv64",
    "mips64le": "mips64el",
}
# What a host's kernel runs without help besides its own architecture.
ALSO_NATIVE = {"amd64": {"386"}}


@dataclass(frozen=True)
class Problem:
    """Why a platform cannot run here, and the fix."""

    what: str
    fix: str

    def __str__(self) -> str:
        return f"{self.what}; fix: {self.fix}"


@dataclass(frozen=True)
class Entry:
    """One /proc/sys/fs/binfmt_misc/<name> file."""

    enabled: bool
    flags: str
    interpreter: str


def host_arch(machine: str | None = None) -> str:
    machine = machine or host_platform.machine()
    return HOST_ARCH.get(machine.lower(), machine.lower())


def interpreter(target: Platform, machine: str | None = None) -> str | None:
    """The binfmt_misc entry a platform needs on this host ("qemu-aarch64"); None if native."""
    host = host_arch(machine)
    if target.arch == host or target.arch in ALSO_NATIVE.get(host, ()):
        return None
    return f"qemu-{QEMU_ARCH.get(target.arch, target.arch)}"


def parse_entry(text: str) -> Entry:
    """ "enabled", then "key value" lines ("interpreter /usr/...", "flags: PF", ...)."""
    lines = [line.strip() for line in text.splitlines()]
    fields = {}
    for line in lines[1:]:
        key, _, value = line.partition(" ")
        fields[key.rstrip(":")] = value.strip()
    return Entry(
        enabled=bool(lines) and lines[0] == "enabled",
        flags=fields.get("flags", ""),
        interpreter=fields.get("interpreter", ""),
    )


def install_fix(target: Platform) -> str:
    return (
        "install Debian's qemu-user-static (apt-get install qemu-user-static binfmt-support), "
        "or where images can be pulled: "
        f"docker run --privileged --rm tonistiigi/binfmt --install {target.arch}"
    )


def problem(target: Platform, root: Path = ROOT, machine: str | None = None) -> Problem | None:
    """What keeps `target`'s binaries from running in containers here; None if nothing."""
    if target.os != "linux":
        return Problem(f"{target} binaries do not run on a Linux host", "test it on its own OS")
    name = interpreter(target, machine)
    if name is None:
        return None
    if not (root / "status").is_file():
        return Problem(
            f"binfmt_misc is not mounted at {root}, so {target} cannot be emulated",
            f"mount -t binfmt_misc binfmt_misc {root}; then {install_fix(target)}",
        )
    if (root / "status").read_text().strip() != "enabled":
        return Problem(
            f"binfmt_misc is disabled as a whole ({root / 'status'})",
            f"echo 1 > {root / 'status'}",
        )
    path = root / name
    if not path.is_file():
        return Problem(
            f"no binfmt_misc entry {name} for {target} ({path} is missing)", install_fix(target)
        )
    entry = parse_entry(path.read_text())
    if not entry.enabled:
        return Problem(
            f"binfmt_misc entry {name} for {target} is disabled",
            f"echo 1 > {path} (or update-binfmts --enable {name}); if it stays off, "
            f"register it anew: {install_fix(target)}",
        )
    if "F" not in entry.flags:
        return Problem(
            f"binfmt_misc entry {name} lacks flag F (flags: {entry.flags or 'none'}), "
            "so containers cannot reach its interpreter",
            f"register it again with flag F: {install_fix(target)}",
        )
    return None
