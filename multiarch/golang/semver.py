"""Release versions: git tags vMAJOR.MINOR.PATCH[-PRERELEASE][+BUILD] (semver.org 2.0.0),
and the image tags a release gets.

The tags follow docker/metadata-action's `type=semver` patterns `{{version}}`,
`{{major}}.{{minor}}` and `{{major}}` with `latest=auto`, so that images published by
`invoke release` are tagged as most published images are: v1.4.2 gives 1.4.2, 1.4, 1 and
latest. A prerelease (v2.0.0-rc.1) gets only its own tag: it is not what someone pulling
`2` or `latest` wants. Two choices come from metadata-action's README rather than its
defaults: major version zero gets no `0` tag (0.y.z promises no stability, so `0` would
move between incompatible versions), and build metadata (+...) is left out of the tag, as
`{{version}}` leaves it out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..core.errors import UserError

_NUMBER = r"0|[1-9][0-9]*"
_PRERELEASE_ID = rf"(?:{_NUMBER}|[0-9]*[A-Za-z-][0-9A-Za-z-]*)"
_TAG = re.compile(
    rf"v?(?P<major>{_NUMBER})\.(?P<minor>{_NUMBER})\.(?P<patch>{_NUMBER})"
    rf"(?:-(?P<prerelease>{_PRERELEASE_ID}(?:\.{_PRERELEASE_ID})*))?"
    r"(?:\+(?P<build>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
)
HINT = "tag the commit vMAJOR.MINOR.PATCH, e.g. `git tag v1.4.2` or `git tag v2.0.0-rc.1`"


@dataclass(frozen=True)
class Version:
    major: int
    minor: int
    patch: int
    prerelease: str = ""
    build: str = ""
    tag: str = ""  # the git tag it was read from, as written

    def __str__(self) -> str:
        """The version as an image tag gives it: no "v", no build metadata."""
        core = f"{self.major}.{self.minor}.{self.patch}"
        return f"{core}-{self.prerelease}" if self.prerelease else core

    @property
    def is_prerelease(self) -> bool:
        return bool(self.prerelease)

    def image_tags(self) -> list[str]:
        """1.4.2, 1.4, 1, latest; a prerelease only its own tag; 0.y.z no `0`."""
        if self.is_prerelease:
            return [str(self)]
        tags = [str(self), f"{self.major}.{self.minor}"]
        if self.major > 0:
            tags.append(str(self.major))
        return [*tags, "latest"]

    def precedence(self) -> tuple:
        """A sort key in semver precedence order (build metadata does not count)."""
        if not self.prerelease:
            pre: tuple = (1,)  # a release ranks above all of its prereleases
        else:
            ids = self.prerelease.split(".")
            # numeric identifiers rank below alphanumeric ones and compare as numbers
            pre = (0, *((0, int(i), "") if i.isdigit() else (1, 0, i) for i in ids))
        return (self.major, self.minor, self.patch, pre)


def parse(tag: str) -> Version:
    """A git tag as a version; UserError when it is not a semantic version."""
    m = _TAG.fullmatch(tag.strip())
    if m is None:
        raise UserError(f"tag {tag!r} is not a semantic version", HINT)
    return Version(
        int(m["major"]),
        int(m["minor"]),
        int(m["patch"]),
        m["prerelease"] or "",
        m["build"] or "",
        tag.strip(),
    )


def is_version(tag: str) -> bool:
    return _TAG.fullmatch(tag.strip()) is not None


def newest(tags: list[str]) -> Version | None:
    """The highest version among tags (others ignored), or None when none is one."""
    versions = [parse(t) for t in tags if is_version(t)]
    return max(versions, key=Version.precedence, default=None)
