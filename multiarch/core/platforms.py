"""Target platforms: "os/arch[/variant]" strings, checked and normalised as buildx does."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import UserError

# GOOS/GOARCH pairs worth an image or a binary (a subset of `go tool dist list`).
KNOWN = {
    "linux": {"amd64", "arm64", "arm", "386", "ppc64le", "s390x", "riscv64", "mips64le"},
    "windows": {"amd64", "arm64", "386"},
    "darwin": {"amd64", "arm64"},
    "freebsd": {"amd64", "arm64"},
}
VARIANTS = {"arm": {"v5", "v6", "v7"}, "arm64": {"v8"}, "amd64": {"v1", "v2", "v3", "v4"}}
# What buildx assumes when no variant is given, and what it leaves out.
DEFAULT_VARIANT = {"arm": "v7"}
IMPLIED_VARIANT = {"arm64": "v8", "amd64": "v1"}

HINT = "write platforms as os/arch[/variant], e.g. linux/amd64,linux/arm64,linux/arm/v7"


@dataclass(frozen=True, order=True)
class Platform:
    os: str
    arch: str
    variant: str = ""

    def __str__(self) -> str:
        return "/".join(p for p in (self.os, self.arch, self.variant) if p)

    @property
    def slug(self) -> str:
        """For names: "linux-arm-v7" (tag suffixes); `slug.replace("-", "_")` for dirs."""
        return str(self).replace("/", "-")

    @property
    def goarm(self) -> str:
        return self.variant.removeprefix("v") if self.arch == "arm" else ""


def parse_one(text: str) -> Platform:
    parts = text.strip().lower().split("/")
    if len(parts) not in (2, 3) or not all(parts):
        raise UserError(f"malformed platform {text.strip()!r}", HINT)
    os_, arch = parts[0], parts[1]
    variant = parts[2] if len(parts) == 3 else DEFAULT_VARIANT.get(arch, "")
    if os_ not in KNOWN or arch not in KNOWN[os_]:
        raise UserError(f"unknown platform {text.strip()!r}", HINT)
    if variant and variant not in VARIANTS.get(arch, ()):
        raise UserError(f"unknown variant {variant!r} in platform {text.strip()!r}", HINT)
    if IMPLIED_VARIANT.get(arch) == variant:
        variant = ""
    return Platform(os_, arch, variant)


def parse(text: str | list[str]) -> list[Platform]:
    """ "linux/amd64,linux/arm/v7" (or a list) -> platforms, in order, without repeats."""
    items = text.split(",") if isinstance(text, str) else list(text)
    platforms: list[Platform] = []
    for item in items:
        if not item.strip():
            raise UserError(f"empty platform in {text!r}", HINT)
        platform = parse_one(item)
        if platform not in platforms:
            platforms.append(platform)
    return platforms


def join(platforms: list[Platform]) -> str:
    return ",".join(str(p) for p in platforms)
