"""What a binary really is, read from its bytes: ELF or PE header, and Go's build information.

The smoke test proves each platform of an image with this before running anything: a
binary says nothing about itself here, so an amd64 binary in the arm64 slot of an index
(which qemu's F flag, or the host itself, would happily run) is caught by its header.

- ELF: class (32/64-bit), byte order, e_machine, and for 32-bit ARM the EABI version
  and float ABI flags of e_flags.
- PE (Windows): the COFF header's Machine.
- Go build information (Go 1.18+): the "\\xff Go buildinf:" header, then the Go version
  and the module information as varint-prefixed strings; the module information holds
  the main module ("mod\\tPATH\\tVERSION"), every dependency ("dep\\tPATH\\tVERSION\\tSUM",
  followed by "=>\\tPATH\\tVERSION\\tSUM" when it is replaced) and the build settings
  ("build\\tGOARCH=arm"), as runtime/debug.BuildInfo writes and `go version -m` prints it.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field

from ..core.platforms import Platform

# e_machine -> GOARCH; some depend on class and byte order (see _elf_arch).
ELF_MACHINES = {
    3: "386",
    8: "mips",
    20: "ppc",
    21: "ppc64",
    22: "s390x",
    40: "arm",
    62: "amd64",
    183: "arm64",
    243: "riscv64",
    258: "loong64",
}
# The name the toolchains give each e_machine, for messages ("x86-64", not "amd64").
ELF_MACHINE_NAMES = {
    3: "i386",
    8: "MIPS",
    20: "PowerPC",
    21: "PowerPC64",
    22: "s390x",
    40: "ARM",
    62: "x86-64",
    183: "aarch64",
    243: "RISC-V",
    258: "LoongArch",
}
ELF_OSABI = {0: "", 3: "linux", 9: "freebsd", 12: "openbsd"}
EF_ARM_EABIMASK = 0xFF000000
EF_ARM_ABI_FLOAT_SOFT = 0x200
EF_ARM_ABI_FLOAT_HARD = 0x400
PE_MACHINES = {0x14C: "386", 0x8664: "amd64", 0xAA64: "arm64", 0x1C4: "arm"}
PE_MACHINE_NAMES = {0x14C: "i386", 0x8664: "x86-64", 0xAA64: "ARM64", 0x1C4: "ARMv7"}
BUILDINFO_MAGIC = b"\xff Go buildinf:"
BUILDINFO_INLINE = 0x2  # flags bit: version and modinfo are inline strings (Go 1.18+)


@dataclass(frozen=True)
class Module:
    """A module in a binary's build information; `replace` is what replaced it, if anything."""

    path: str
    version: str  # "v0.14.0", "(devel)" for a local directory
    sum: str = ""  # "h1:..." (go.sum's hash); "" for a local directory or the main module
    replace: Module | None = None

    def to_json(self) -> dict:
        shown = {"path": self.path, "version": self.version, "sum": self.sum}
        return {**shown, "replace": self.replace.to_json() if self.replace else None}


@dataclass(frozen=True)
class GoBuild:
    """Go's build information embedded in a binary."""

    go_version: str  # "go1.24.4"
    path: str = ""  # the main package's import path
    module: str = ""  # the main module's path
    module_version: str = ""  # "(devel)" for a local build, "v1.2.3" for `go install m@v1.2.3`
    settings: dict[str, str] = field(default_factory=dict)  # "GOARCH": "arm", "GOARM": "7", ...
    deps: tuple[Module, ...] = ()  # in the order the binary lists them (by path)
    module_sum: str = ""  # the main module's sum: set for `go install m@v1.2.3`

    def to_json(self) -> dict:
        return {
            "version": self.go_version,
            "path": self.path,
            "module": self.module,
            "module_version": self.module_version,
            "settings": self.settings,
            "deps": [d.to_json() for d in self.deps],
        }


@dataclass(frozen=True)
class Executable:
    """The facts of one binary file; `arch` and `os` as Go names them."""

    format: str  # "ELF", "PE", or "" when it is neither
    os: str = ""
    arch: str = ""
    bits: int = 0
    byte_order: str = ""  # "little", "big"
    machine: str = ""  # as toolchains name it: "x86-64", "aarch64", "ARM"
    arm_eabi: int | None = None  # ELF ARM only: the EABI version of e_flags
    float_abi: str = ""  # ELF ARM only: "hard", "soft", or "" when the flags say neither
    go: GoBuild | None = None
    note: str = ""  # when neither ELF nor PE: what it starts with

    @property
    def variant(self) -> str:
        """The platform variant the Go build settings give ("v7", "v3"); "" if none."""
        settings = self.go.settings if self.go else {}
        if self.arch == "arm" and settings.get("GOARM"):
            return "v" + settings["GOARM"].split(",")[0]
        if self.arch == "amd64" and settings.get("GOAMD64"):
            return settings["GOAMD64"]
        return ""

    @property
    def platform(self) -> str:
        """ "linux/arm/v7", as an index would name it (amd64's v1 left out, as buildx does)."""
        variant = "" if self.variant == "v1" else self.variant
        return "/".join(p for p in (self.os or "?", self.arch or "?", variant) if p)

    def describe(self) -> str:
        """One phrase: "linux/arm/v7: ELF 32-bit LSB ARM EABI5, Go go1.24.4, example.com/app"."""
        if not self.format:
            return f"not an ELF or PE binary ({self.note})"
        order = {"little": "LSB", "big": "MSB"}.get(self.byte_order, "")
        header = f"{self.format} {self.bits}-bit {order} {self.machine}".replace("  ", " ")
        if self.arm_eabi is not None:
            header += f" EABI{self.arm_eabi}" if self.arm_eabi else " OABI"
        if self.float_abi:
            header += f" {self.float_abi}-float"
        parts = [f"{self.platform}: {header}"]
        if self.go:
            parts.append(f"Go {self.go.go_version}")
            if self.go.module:
                parts.append(f"{self.go.module} {self.go.module_version}".strip())
        else:
            parts.append("no Go build info")
        return ", ".join(parts)

    def to_json(self) -> dict:
        return {
            "platform": self.platform,
            "format": self.format,
            "os": self.os,
            "arch": self.arch,
            "variant": self.variant,
            "bits": self.bits,
            "byte_order": self.byte_order,
            "machine": self.machine,
            "arm_eabi": self.arm_eabi,
            "float_abi": self.float_abi,
            "go": self.go.to_json() if self.go else None,
            "note": self.note,
        }


def read(data: bytes) -> Executable:
    """The facts of a binary; an Executable with format "" when it is not ELF or PE."""
    go = go_build(data)
    if data[:4] == b"\x7fELF":
        exe = _elf(data)
    elif data[:2] == b"MZ":
        exe = _pe(data)
    else:
        shown = data[:2].decode("latin-1") if data[:2] == b"#!" else data[:8].hex()
        return Executable("", note=f"starts with {shown!r}", go=go)
    go_os = go.settings.get("GOOS", "") if go else ""
    return Executable(**{**exe.__dict__, "go": go, "os": go_os or exe.os})


def _elf(data: bytes) -> Executable:
    if len(data) < 52 or data[4] not in (1, 2) or data[5] not in (1, 2):
        return Executable("ELF", note="truncated or malformed ELF header")
    bits = 32 if data[4] == 1 else 64
    order = "<" if data[5] == 1 else ">"
    (machine,) = struct.unpack_from(order + "H", data, 18)
    (flags,) = struct.unpack_from(order + "I", data, 36 if bits == 32 else 48)
    arch = _elf_arch(machine, bits, order == "<")
    eabi = float_abi = None
    if machine == 40:
        eabi = (flags & EF_ARM_EABIMASK) >> 24
        if flags & EF_ARM_ABI_FLOAT_HARD:
            float_abi = "hard"
        elif flags & EF_ARM_ABI_FLOAT_SOFT:
            float_abi = "soft"
    return Executable(
        "ELF",
        os=ELF_OSABI.get(data[7], "") or "linux",
        arch=arch,
        bits=bits,
        byte_order="little" if order == "<" else "big",
        machine=ELF_MACHINE_NAMES.get(machine, f"e_machine {machine}"),
        arm_eabi=eabi,
        float_abi=float_abi or "",
    )


def _elf_arch(machine: int, bits: int, little: bool) -> str:
    arch = ELF_MACHINES.get(machine, f"e_machine {machine}")
    if arch in ("mips", "ppc") and bits == 64:
        arch += "64"
    if arch in ("mips", "mips64", "ppc64") and little:
        arch += "le"
    return arch


def _pe(data: bytes) -> Executable:
    if len(data) < 0x40:
        return Executable("PE", note="truncated MZ header")
    (offset,) = struct.unpack_from("<I", data, 0x3C)
    if data[offset : offset + 4] != b"PE\0\0":
        return Executable("", note="an MZ (DOS) file without a PE header")
    (machine,) = struct.unpack_from("<H", data, offset + 4)
    arch = PE_MACHINES.get(machine, f"machine 0x{machine:x}")
    bits = 64 if arch in ("amd64", "arm64") else 32
    name = PE_MACHINE_NAMES.get(machine, arch)
    return Executable("PE", os="windows", arch=arch, bits=bits, byte_order="little", machine=name)


def go_build(data: bytes) -> GoBuild | None:
    """Go's build information, or None when the binary has none (not Go, or pre-1.18)."""
    at = data.find(BUILDINFO_MAGIC)
    while at != -1 and at % 16:  # the header is 16-byte aligned
        at = data.find(BUILDINFO_MAGIC, at + 1)
    if at == -1 or not data[at + 15] & BUILDINFO_INLINE:
        return None
    pos = at + 32
    version, pos = _varint_string(data, pos)
    modinfo, _ = _varint_string(data, pos)
    # modinfo is framed by two 16-byte sentinels
    if len(modinfo) >= 33 and modinfo[-17] == "\n":
        modinfo = modinfo[16:-16]
    return _modinfo(version, modinfo)


def _varint_string(data: bytes, pos: int) -> tuple[str, int]:
    length = shift = 0
    while pos < len(data):
        byte = data[pos]
        pos += 1
        length |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            break
    return data[pos : pos + length].decode("utf-8", "replace"), pos + length


def _modinfo(version: str, text: str) -> GoBuild:
    path = ""
    main = Module("", "")
    deps: list[Module] = []
    settings: dict[str, str] = {}
    for line in text.splitlines():
        kind, _, rest = line.partition("\t")
        if kind == "path":
            path = rest
        elif kind == "mod":
            main = _module(rest)
        elif kind == "dep":
            deps.append(_module(rest))
        elif kind == "=>" and deps:  # replaces the dependency just listed
            deps[-1] = Module(deps[-1].path, deps[-1].version, deps[-1].sum, _module(rest))
        elif kind == "build":
            key, _, value = rest.partition("=")
            settings[key] = _unquoted(value)
    return GoBuild(version, path, main.path, main.version, settings, tuple(deps), main.sum)


def _module(fields: str) -> Module:
    """ "PATH\tVERSION\tSUM" (the sum, even the version, may be missing)."""
    path, version, sum_ = (fields.split("\t") + ["", ""])[:3]
    return Module(path, version, sum_)


def _unquoted(value: str) -> str:
    """A build setting as Go wrote it: quoted (strconv.Quote) when it holds spaces, tabs,
    quotes or = (`-ldflags="-s -w"`). Go's quoting is JSON's for what such values hold."""
    if len(value) >= 2 and value[0] == value[-1] == '"':
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def mismatch(exe: Executable, target: Platform) -> str | None:
    """Why `exe` is not a binary for `target`; None when it is.

    The variant is a floor: a binary built for GOARM=6 runs on every v7 CPU, one built
    for GOARM=7 does not run on v6; likewise GOAMD64 against amd64/vN.
    """
    if not exe.format:
        return exe.describe()
    said = f"the binary is {exe.describe()}"
    if exe.os != target.os or exe.arch != target.arch:
        return f"{said}, not {target}"
    go_arch = exe.go.settings.get("GOARCH") if exe.go else None
    if go_arch and go_arch != exe.arch:
        return f"{said}, but its Go build info says GOARCH={go_arch}"
    if exe.arm_eabi == 0:
        return f"{said}: the old ARM ABI, which {target} kernels do not run"
    wanted = target.variant or {"amd64": "v1", "arm": "v7"}.get(target.arch, "")
    if exe.variant and wanted and _level(exe.variant) > _level(wanted):
        return f"{said}: it needs {exe.variant}, more than {target} promises"
    return None


def _level(variant: str) -> int:
    digits = variant.removeprefix("v").split(".")[0]
    return int(digits) if digits.isdigit() else 0
