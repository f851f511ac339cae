"""The buildx builder a build runs on, and what it can do.

The default builder (docker driver) builds and pushes multi-platform images only when
the daemon uses the containerd image store. Without it, a docker-container builder is
needed; it runs with the host's network so that it reaches a registry on localhost, and
may grant a build the host's network so that RUN steps reach a module proxy there.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from . import docker
from .command import Runner, say
from .errors import UserError

CONTAINER_BUILDER = "multiarch"
CONTAINERD_FIX = (
    'enable the containerd image store: {"features": {"containerd-snapshotter": true}} in '
    "/etc/docker/daemon.json, then restart dockerd"
)


@dataclass(frozen=True)
class Builder:
    name: str  # "" for the default builder: no --builder flag at all
    driver: str
    containerd_store: bool

    @property
    def multi_platform_push(self) -> bool:
        return self.driver != "docker" or self.containerd_store

    @property
    def multi_platform_load(self) -> bool:
        """Only the docker driver on the containerd store loads a multi-platform image."""
        return self.driver == "docker" and self.containerd_store

    def flags(self) -> list[str]:
        return ["--builder", self.name] if self.name else []


# Where the docker CLI looks for its plugins (after $DOCKER_CONFIG/cli-plugins).
PLUGIN_DIRS = (
    "/usr/local/lib/docker/cli-plugins",
    "/usr/local/libexec/docker/cli-plugins",
    "/usr/lib/docker/cli-plugins",
    "/usr/libexec/docker/cli-plugins",
)


def buildx_installed(environ=os.environ) -> bool:
    """Whether the buildx plugin is where the docker CLI finds it: a look at the file
    instead of a run of `docker buildx version` on every build."""
    config = Path(environ.get("DOCKER_CONFIG") or Path.home() / ".docker")
    dirs = [config / "cli-plugins", *map(Path, PLUGIN_DIRS)]
    return any(os.access(d / "docker-buildx", os.X_OK) for d in dirs)


def buildx_version(runner: Runner) -> str:
    result = runner.query(["docker", "buildx", "version"], check=False)
    if result.returncode != 0:
        raise UserError(
            "docker buildx is not installed",
            "install the docker-buildx package (scripts/provision.sh does)",
        )
    return result.stdout.split()[1] if len(result.stdout.split()) > 1 else result.stdout.strip()


def inspect(runner: Runner, name: str = "") -> dict[str, str] | None:
    """`docker buildx inspect [NAME]`'s header lines as a dict, or None if none such."""
    result = runner.query(["docker", "buildx", "inspect", *([name] if name else [])], check=False)
    if result.returncode != 0:
        return None
    fields: dict[str, str] = {}
    for line in result.stdout.splitlines():
        key, sep, value = line.partition(":")
        if sep and key and not key.startswith(" ") and key not in fields:
            fields[key.strip()] = value.strip()
    return fields


def default_builder(runner: Runner) -> Builder:
    """The builder `docker buildx build` uses without --builder."""
    fields = inspect(runner) or {}
    return Builder("", fields.get("Driver", "docker"), docker.daemon(runner).containerd_store)


class Pending:
    """The builder, chosen when first used: a fast build (fast.py) never uses one, and
    does not wait for the daemon's answers."""

    def __init__(self, runner: Runner, name: str):
        self._runner, self._name = runner, name
        self._chosen: Builder | None = None

    def __getattr__(self, attribute: str):
        if attribute.startswith("_"):  # not the builder's: copy and pickle ask for these
            raise AttributeError(attribute)
        if self._chosen is None:
            self._chosen = choose(self._runner, self._name)
        return getattr(self._chosen, attribute)


def choose(runner: Runner, name: str = "") -> Builder:
    """The named builder; else the default one if it can push multi-platform images;
    else a docker-container builder with host networking, created if need be."""
    if not buildx_installed():
        buildx_version(runner)  # the CLI may know a place we do not; else the fix
    daemon = docker.daemon(runner)
    if name:
        fields = inspect(runner, name)
        if fields is None:
            raise UserError(f"no buildx builder named {name!r}", "see `docker buildx ls`")
        return Builder(name, fields.get("Driver", ""), daemon.containerd_store)
    # Without --builder, buildx uses the docker driver (unless `docker buildx use` chose
    # another builder, which the user then wants); the daemon's image store decides.
    if daemon.containerd_store:
        return Builder("", "docker", True)
    say(
        "the default builder cannot push multi-platform images (no containerd image store): "
        f"using the docker-container builder {CONTAINER_BUILDER!r}"
    )
    if inspect(runner, CONTAINER_BUILDER) is None:
        runner.run(
            [
                "docker", "buildx", "create", "--name", CONTAINER_BUILDER,
                "--driver", "docker-container", "--driver-opt", "network=host",
                # lets a build use --network host: a module proxy on this machine (goenv)
                "--buildkitd-flags", "--allow-insecure-entitlement network.host",
                "--bootstrap",
            ],
            hint=f"it runs the moby/buildkit image, which must be pullable; or {CONTAINERD_FIX}",
        )  # fmt: skip
    return Builder(CONTAINER_BUILDER, "docker-container", False)
