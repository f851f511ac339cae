"""The Dockerfile a build uses: the repository's own, or the default one shipped here.

The default (multiarch/data/Dockerfile) names nothing of any program: the main package
comes in as the build arg MAIN, the binary's name as BINARY (the title label), and the
entrypoint line names `${BINARY}`, which the tasks fill in themselves: a Dockerfile's
exec form expands no variables, and an image FROM scratch has no shell that could. Any
Dockerfile may use that placeholder on its ENTRYPOINT and CMD lines; one that does is
sent to buildx on stdin, filled in for each main package.

What the tasks rely on in any Dockerfile is the Dockerfile contract (docs/dockerfile.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..core import files
from ..core.command import say
from ..core.errors import UserError

NAME = "Dockerfile"
PLACEHOLDER = "${BINARY}"
_EXEC_LINE = re.compile(r"^[ \t]*(ENTRYPOINT|CMD)\b.*$", re.I | re.M)


def shipped(name: str = NAME) -> str:
    """The text of a file shipped in the package: Dockerfile, or dockerignore."""
    return resources.files("multiarch").joinpath("data", name).read_text()


@dataclass(frozen=True)
class Source:
    path: Path | None  # None: the default one shipped in the package
    text: str

    @property
    def shown(self) -> str:
        return str(self.path) if self.path else "the default Dockerfile of multiarch"

    def for_binary(self, binary: str) -> str:
        """The text with the binary's name in place of ${BINARY} on ENTRYPOINT/CMD lines."""
        return _EXEC_LINE.sub(lambda m: m[0].replace(PLACEHOLDER, binary), self.text)


def source(context: Path, setting: str) -> Source:
    """build.dockerfile if set (relative to the module), else the module's Dockerfile,
    else the default one."""
    if setting:
        path = context / setting
        if not path.is_file():
            raise UserError(f"no Dockerfile at {path}", "fix build.dockerfile, or unset it")
        return Source(path, files.read_text(path, "the Dockerfile"))
    path = context / NAME
    if path.is_file():
        return Source(path, files.read_text(path, "the Dockerfile"))
    return Source(None, shipped())


def write(context: Path, binaries: list[str], dry: bool) -> list[Path]:
    """Write the default Dockerfile and .dockerignore into the module, for customising.

    With one main package the entrypoint names its binary; with several the placeholder
    stays, filled in per build. Refuses, before writing either, if one exists.
    """
    text = shipped()
    written = {
        context / NAME: Source(None, text).for_binary(binaries[0]) if len(binaries) == 1 else text,
        context / ".dockerignore": shipped("dockerignore"),
    }
    present = [p for p in written if p.exists()]
    if present:
        raise UserError(
            f"refusing to overwrite {', '.join(str(p) for p in present)}",
            "move it aside first; the tasks use a Dockerfile of the module's own as it is",
        )
    for path, text in written.items():
        say(f"{'would write' if dry else 'writing'} {path}")
        if not dry:
            path.write_text(text)
    return list(written)
