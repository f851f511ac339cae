"""Plain binaries of the Go module for every platform, Windows included, under dist/.

They come from the same Dockerfile as the images: its `binary` stage holds only what
`go build -o /out/` wrote (hellorld, or hellorld.exe for Windows), and buildx's local
exporter copies it out. So no Go toolchain is needed on the host, the build is the one
the image gets (same flags, version, caches), and a go.work workspace is carried in
exactly as for `invoke build`. Several main packages (build.main) are built together,
and each platform's directory holds all their binaries.

For several platforms buildx writes DEST/<os>_<arch>[_<variant>]/; for one it writes
straight into DEST. The build goes to a scratch directory inside dist/, laid out the
same way in both cases, and each platform's directory then replaces the old one, so an
interrupted or failed build leaves the previous binaries as they were. Each main
package is exported to a scratch directory of its own, and joined per platform there.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..core import platforms
from ..core.command import Runner
from ..core.errors import UserError
from ..core.platforms import Platform
from . import planning
from .full import FullBuild
from .settings import BuildSettings

TARGET = "binary"
SCRATCH_PREFIX = ".multiarch-bin-"


@dataclass(frozen=True)
class Binary:
    platform: Platform
    path: Path
    size: int


def directory(dist: Path, platform: Platform) -> Path:
    """dist/linux_arm_v7: where buildx puts a platform's files in a multi-platform export."""
    return dist / platform.slug.replace("-", "_")


def settings(base: BuildSettings, dest: Path) -> BuildSettings:
    """The build of the `binary` stage for base's platforms, exported to dest.

    Attestations are off: the local exporter would write them beside the binaries.
    """
    targets = platforms.parse(base.platforms)
    out = dest if len(targets) > 1 else directory(dest, targets[0])
    return base.of_stage(TARGET).exported_to(f"type=local,dest={out}").without_attestations()


def build(
    base: BuildSettings, dist: Path, runner: Runner, environ: Mapping[str, str]
) -> list[Binary]:
    """Build every platform's binary into dist/<os>_<arch>[_<variant>]/; [] in a dry run."""
    dist = dist.resolve()
    with _scratch(dist, runner.dry) as scratch:
        plans = [
            p.with_settings(settings(p.settings, scratch / p.main.binary))
            for p in planning.plan(settings(base, scratch), runner, environ)
        ]
        FullBuild(runner).run(plans)
        if runner.dry:
            return []
        targets = plans[0].platforms
        for platform in targets:
            joined = directory(scratch / ".joined", platform)
            joined.mkdir(parents=True)
            for p in plans:
                made = directory(scratch / p.main.binary, platform)
                if not made.is_dir() or not any(made.iterdir()):
                    raise UserError(
                        f"the {TARGET!r} stage wrote nothing for {p.main.package} on {platform}",
                        "it should hold what `go build -o /out/` wrote: check "
                        f"{p.dockerfile.shown}",
                    )
                for f in made.iterdir():
                    os.replace(f, joined / f.name)
            final = directory(dist, platform)
            shutil.rmtree(final, ignore_errors=True)
            os.replace(joined, final)
    return [binary for p in targets for binary in collect(dist, p)]


@contextmanager
def _scratch(dist: Path, dry: bool) -> Iterator[Path]:
    """A directory inside dist/ for the export, removed afterwards; only named in a dry run."""
    if dry:
        yield dist / f"{SCRATCH_PREFIX}tmp"
        return
    dist.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dist, prefix=SCRATCH_PREFIX) as tmp:
        yield Path(tmp)


def collect(dist: Path, platform: Platform) -> list[Binary]:
    """The files in a platform's directory."""
    files = sorted(directory(dist, platform).iterdir())
    return [Binary(platform, f, f.stat().st_size) for f in files if f.is_file()]
