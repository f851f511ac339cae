"""Image references as Docker reads them: the distribution reference grammar.

Checked before anything runs, so that a name or tag Docker would refuse is reported
before a registry is started or a build begins, not by buildx halfway through. A tag
computed from `git describe` is made valid instead (`valid_tag`).

    reference  := name [ ":" tag ] [ "@" digest ]
    name       := [domain "/"] path-component ["/" path-component]*   (at most 255)
    path-component := [a-z0-9]+ ((\\.|_|__|-+) [a-z0-9]+)*
    domain     := host [":" port]      (a host name, or an IPv6 literal in brackets)
    tag        := [\\w][\\w.-]{0,127}
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..core.errors import UserError

COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
HOST = r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])"  # noqa: E501
DOMAIN = rf"{HOST}(?::[0-9]+)?"
PATH = rf"{COMPONENT}(?:/{COMPONENT})*"
TAG = r"[\w][\w.-]{0,127}"
DIGEST = r"[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,}"
NAME_MAX = 255

_DOMAIN = re.compile(DOMAIN)
_PATH = re.compile(PATH)
_TAG = re.compile(TAG, re.ASCII)
_REFERENCE = re.compile(
    rf"(?:(?P<domain>{DOMAIN})/)?(?P<path>{PATH})(?::(?P<tag>{TAG}))?(?:@{DIGEST})?", re.ASCII
)  # noqa: E501


def check_name(name: str, what: str) -> str:
    """An image name (a repository path, without registry or tag); UserError if invalid."""
    if not _PATH.fullmatch(name) or len(name) > NAME_MAX:
        raise UserError(
            f"{what} {name!r} is not a valid image name",
            "use lower-case letters, digits and . _ - between them, components separated by /",
        )
    return name


def check_tag(tag: str, what: str) -> str:
    if not _TAG.fullmatch(tag):
        raise UserError(
            f"{what} {tag!r} is not a valid tag",
            "a tag is at most 128 letters, digits, _ . and -, not starting with . or -",
        )
    return tag


def check_registry(host: str, what: str) -> str:
    if not _DOMAIN.fullmatch(host):
        raise UserError(f"{what} {host!r} is not a registry address", "write it as HOST[:PORT]")
    return host


def check_reference(ref: str, what: str) -> str:
    """A whole reference (registry:2, localhost:5000/app:1.0, app@sha256:...)."""
    if not _REFERENCE.fullmatch(ref) or len(ref.split("@")[0].rsplit(":", 1)[0]) > NAME_MAX:
        raise UserError(
            f"{what} {ref!r} is not a valid image reference", "write it as [HOST[:PORT]/]NAME[:TAG]"
        )
    return ref


def valid_tag(text: str) -> str:
    """A tag made from any text (`git describe`: v1.2.3+meta, a branch-like name): every
    character a tag cannot hold becomes "-", it starts with a word character, and it is
    cut to 128 characters."""
    tag = re.sub(r"[^\w.-]", "-", text, flags=re.ASCII).lstrip(".-")
    return (tag or "dev")[:128]


@dataclass(frozen=True)
class Reference:
    """An image reference in a registry, split as Docker splits it: the registry's address
    (HOST[:PORT]), the repository, and a tag or a digest. `str()` writes it back."""

    host: str
    repository: str
    tag: str = ""
    digest: str = ""

    @classmethod
    def parse(cls, ref: str) -> Reference:
        """ "localhost:5000/app:1.0", "ghcr.io/o/app@sha256:..."; no tag means "latest".
        The first component is the registry if it has a "." or ":" or is localhost."""
        host, _, rest = ref.partition("/")
        if not rest or ("." not in host and ":" not in host and host != "localhost"):
            raise UserError(f"{ref!r} names no registry", "write it as HOST[:PORT]/NAME[:TAG]")
        if "@" in rest:
            repository, _, digest = rest.partition("@")
            return cls(host, repository, digest=digest)
        if ":" in rest.rsplit("/", 1)[-1]:
            repository, _, tag = rest.rpartition(":")
        else:
            repository, tag = rest, ""
        return cls(host, repository, tag or "latest")

    def at_digest(self, digest: str) -> Reference:
        """The same repository at a digest, without a tag ("sha256:..."; "" for neither)."""
        return Reference(self.host, self.repository, digest=digest)

    def __str__(self) -> str:
        tag = f":{self.tag}" if self.tag else ""
        digest = f"@{self.digest}" if self.digest else ""
        return f"{self.host}/{self.repository}{tag}{digest}"
