"""The options the build tasks share (build, manifest.build, bin, release, dev, test,
verify, sign, dockerfile): their help, and the settings made from them."""

from __future__ import annotations

from pathlib import Path

from ..build.settings import BuildSettings
from ..core import files
from ..core.config import default
from ..golang.goenv import GoSettings
from ..host.builder_setup import BuilderSettings
from .options import options

# the help of the options several build tasks take
BUILD_HELP = {
    "platforms": f"comma-separated os/arch[/variant] (default {default('build', 'platforms')})",
    "registry": f"registry host[:port] to push to (default {default('build', 'registry')}, "
    "the local registry, started if need be)",
    "image": "image name (default: the binary's name, as `go build` names it)",
    "main": "main packages to build, comma-separated, relative to the module: one image "
    "each (default ., config build.main; e.g. ./cmd/api,./cmd/worker)",
    "tag": "image tag (default: git describe --tags --dirty --always)",
    "builder": "buildx builder (default: the default builder if it can push "
    "multi-platform images, else a docker-container builder 'multiarch')",
    "push": "push to the registry (default); --no-push only builds",
    "load": "load the image into the local image store instead (with --no-push)",
    "cache": "use BuildKit's cache (default); --no-cache builds without it (Go's cache "
    "mounts stay)",
    "allow-workspace": "allow pushing a build of local go.work checkouts to a "
    "registry that is not on this machine",
    "attestations": "auto (none for a registry on this machine), on or off",
}
DIST_HELP = (
    f"directory for binaries and archives, relative to the module (default "
    f"{default('dist', 'dir')}; config dist.dir)"
)


def build_settings(c, cache: bool | None = None, **flags) -> BuildSettings:
    """Build settings: Invoke configuration (build.*, go.*), overridden by the flags given
    (None: not given); `cache` is the flag pair --cache/--no-cache."""
    no_cache = None if cache is None else not cache
    go = GoSettings(**options(c, "go"))
    setup = BuilderSettings(**options(c, "builder"))
    return BuildSettings(**options(c, "build", no_cache=no_cache, **flags), go=go, builders=setup)


def dist_dir(c, dist: str | None) -> Path:
    """dist.dir (or --dist), relative to the module's directory, not to where invoke runs;
    checked: inside the module and writable."""
    module = Path(options(c, "build")["context"])
    path = Path(dist or options(c, "dist")["dir"])
    return files.output_dir(path if path.is_absolute() else module / path, module)
