"""The buildx builder a build runs on, and what it can do.

The default builder (docker driver) builds and pushes multi-platform images only when
the daemon uses the containerd image store. Without it, a docker-container builder is
needed; it runs with the host's network so that it reaches a registry on localhost, and
may grant a build the host's network so that RUN steps reach a module proxy there.

Any other builder is named (--builder, build.builder): a remote BuildKit node, a farm of
nodes each taking some platforms, a kubernetes one (builder_setup.py makes them). Its
nodes, as `docker buildx inspect` lists them, tell whether it reaches a registry on this
machine: a node on another machine sees its own loopback, not ours.
"""

from __future__ import annotations

import os
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from ..core.command import Runner, say
from ..core.errors import UserError
from ..oci.registry_api import is_loopback
from . import builder_setup, docker
from .builder_setup import BuilderSettings

CONTAINER_BUILDER = "multiarch"
CONTAINERD_FIX = (
    'enable the containerd image store: {"features": {"containerd-snapshotter": true}} in '
    "/etc/docker/daemon.json, then restart dockerd"
)


@dataclass(frozen=True)
class Node:
    """One node of a builder, as `docker buildx inspect` lists it."""

    name: str
    endpoint: str
    status: str  # running, inactive, stopped, or "error" (then `error` says why)
    platforms: tuple[str, ...] = ()
    buildkit: str = ""  # BuildKit's version
    error: str = ""
    driver: str = ""  # the builder's

    @property
    def answers(self) -> bool:
        """Running, or a container or pod that the first build starts; a remote node that
        buildx cannot reach it calls "inactive"."""
        if self.error or not self.status:
            return False
        return self.status == "running" or (
            self.status in ("inactive", "stopped") and self.driver != "remote"
        )

    def fix(self, builder: str) -> str:
        """What to do about a node that does not answer."""
        leave = f"docker buildx create --leave --name {builder} --node {self.name}"
        if self.endpoint.startswith(("tcp://", "unix://")):
            return (
                f"start buildkitd there (buildkitd --addr {self.endpoint}) or check its address "
                f"and TLS files; or take the node out: {leave}"
            )
        return f"docker buildx inspect --bootstrap {builder} says why; or take it out: {leave}"

    def down(self, builder: str) -> UserError:
        why = self.error or self.status or "no status"
        return UserError(
            f"node {self.name} of builder {builder} ({self.endpoint}) does not answer: {why}",
            self.fix(builder),
        )

    @property
    def on_this_machine(self) -> bool:
        """Whether the node runs here, so that its loopback is ours: a unix socket, a
        Docker context, or tcp:// (ssh://) to a loopback address."""
        url = urllib.parse.urlsplit(self.endpoint)
        if url.scheme in ("tcp", "ssh", "http", "https"):
            return is_loopback(url.hostname or "")
        return url.scheme != "kubernetes"


@dataclass(frozen=True)
class Builder:
    name: str  # "" for the default builder: no --builder flag at all
    driver: str
    containerd_store: bool
    nodes: tuple[Node, ...] = ()

    @property
    def local_daemon(self) -> bool:
        """BuildKit inside the Docker daemon: its cache is the daemon's own."""
        return self.driver == "docker"

    @property
    def reaches_loopback(self) -> bool:
        """Whether every node sees a registry on this machine's loopback as we do."""
        return self.driver != "kubernetes" and all(n.on_this_machine for n in self.nodes)

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
        raise not_installed()
    return result.stdout.split()[1] if len(result.stdout.split()) > 1 else result.stdout.strip()


def not_installed() -> UserError:
    return UserError(
        "docker buildx is not installed",
        "install the docker-buildx package (scripts/provision.sh does)",
    )


def explain(output: list[str]) -> UserError | None:
    """A build that failed because this docker CLI has no buildx after all (its plugin
    file was found where another CLI looks, see buildx_installed)."""
    said = "\n".join(output[-5:])
    return not_installed() if "'buildx' is not a docker command" in said else None


def inspect(runner: Runner, name: str = "") -> dict[str, str] | None:
    """`docker buildx inspect [NAME]`'s header lines as a dict, or None if none such."""
    text = inspect_text(runner, name)
    return None if text is None else header(text)


def inspect_text(runner: Runner, name: str = "") -> str | None:
    result = runner.query(["docker", "buildx", "inspect", *([name] if name else [])], check=False)
    return result.stdout if result.returncode == 0 else None


def header(text: str) -> dict[str, str]:
    """The builder's own lines of `docker buildx inspect`: Name, Driver, ..."""
    return _fields(text.split("\nNodes:", 1)[0].splitlines())


def parse_nodes(text: str) -> list[Node]:
    """The nodes `docker buildx inspect` lists under "Nodes:", one block each."""
    _, _, listed = text.partition("\nNodes:\n")
    blocks, block = [], []
    for line in listed.splitlines():
        if line.startswith("Name:") and block:
            blocks.append(block)
            block = []
        block.append(line)
    if block:
        blocks.append(block)
    driver = header(text).get("Driver", "")
    nodes = []
    for lines in blocks:
        fields = _fields(lines)
        status = fields.get("Status", "")
        platforms = fields.get("Platforms", "")
        nodes.append(
            Node(
                name=fields.get("Name", ""),
                endpoint=fields.get("Endpoint", ""),
                status=status,
                platforms=tuple(p.strip().rstrip("*") for p in platforms.split(",") if p.strip()),
                buildkit=fields.get("BuildKit version") or fields.get("Buildkit", ""),
                error=fields.get("Error", ""),
                driver=driver,
            )
        )
    return nodes


def _fields(lines: list[str]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in lines:
        key, sep, value = line.partition(":")
        if sep and key and not key.startswith(" ") and key not in fields:
            fields[key.strip()] = value.strip()
    return fields


def nodes(runner: Runner, name: str) -> list[Node]:
    """A builder's nodes, each asked for its status (a remote one over the network);
    UserError if there is no such builder."""
    text = inspect_text(runner, name)
    if text is None:
        raise no_such_builder(name)
    return parse_nodes(text)


def no_such_builder(name: str) -> UserError:
    return UserError(
        f"no buildx builder named {name!r}",
        "see `docker buildx ls`; `invoke builder.create` makes the one builder.* describes",
    )


def create(setup: BuilderSettings, runner: Runner, bootstrap: bool = True) -> None:
    """Create the builder setup describes (`invoke builder.create`): every check first,
    then its first node, each further one appended and, with bootstrap, every node started
    and waited for; a builder left half-made by a failure is removed."""
    commands = builder_setup.create_commands(setup)  # every check, before anything runs
    if inspect(runner, setup.name) is not None:
        raise UserError(
            f"a builder named {setup.name!r} exists",
            f"`invoke builder.rm --name {setup.name}` first, or choose another name",
        )
    try:
        for argv in commands:
            runner.run(argv, hint="buildx's message above says why")
        if bootstrap:
            runner.run(
                ["docker", "buildx", "inspect", "--bootstrap", setup.name],
                hint="a node did not answer: start its buildkitd, check its endpoint and TLS "
                "files; or --no-bootstrap to create the builder as it is",
            )
    except UserError:
        say(f"removing the half-made builder {setup.name!r}")
        runner.run(builder_setup.remove_command(setup.name))
        raise


def remove(runner: Runner, name: str) -> None:
    """Remove a builder (`invoke builder.rm`); UserError if there is no such builder."""
    if inspect(runner, name) is None:
        raise no_such_builder(name)
    runner.run(builder_setup.remove_command(name))


def default_builder(runner: Runner) -> Builder:
    """The builder `docker buildx build` uses without --builder."""
    fields = inspect(runner) or {}
    return Builder("", fields.get("Driver", "docker"), docker.daemon(runner).containerd_store)


class Pending:
    """The builder, chosen when first used: a fast build (fast.py) never uses one, and
    does not wait for the daemon's answers."""

    def __init__(self, runner: Runner, name: str, setup: BuilderSettings | None = None):
        self._runner, self._name, self._setup = runner, name, setup or BuilderSettings()
        self._chosen: Builder | None = None

    def __getattr__(self, attribute: str):
        if attribute.startswith("_"):  # not the builder's: copy and pickle ask for these
            raise AttributeError(attribute)
        if self._chosen is None:
            self._chosen = choose(self._runner, self._name, self._setup)
        return getattr(self._chosen, attribute)


def choose(runner: Runner, name: str = "", setup: BuilderSettings | None = None) -> Builder:
    """The named builder; else the default one if it can push multi-platform images;
    else a docker-container builder with host networking, created if need be (with
    `setup`'s buildkitd.toml, builder.config, if one is set)."""
    if not buildx_installed():
        buildx_version(runner)  # the CLI may know a place we do not; else the fix
    daemon = docker.daemon(runner)
    if name:
        text = inspect_text(runner, name)
        if text is None:
            raise no_such_builder(name)
        driver = header(text).get("Driver", "")
        found = parse_nodes(text)
        for node in found:
            if not node.answers:
                raise node.down(name)
        return Builder(name, driver, daemon.containerd_store, tuple(found))
    # Without --builder, buildx uses the docker driver (unless `docker buildx use` chose
    # another builder, which the user then wants); the daemon's image store decides.
    if daemon.containerd_store:
        return Builder("", "docker", True)
    say(
        "the default builder cannot push multi-platform images (no containerd image store): "
        f"using the docker-container builder {CONTAINER_BUILDER!r}"
    )
    if inspect(runner, CONTAINER_BUILDER) is None:
        config = setup.config if setup else ""
        container = BuilderSettings(CONTAINER_BUILDER, "docker-container", config=config)
        (create,) = builder_setup.create_commands(container)
        runner.run(
            [*create, "--bootstrap"],
            hint=f"it runs the moby/buildkit image, which must be pullable; or {CONTAINERD_FIX}",
        )
    return Builder(CONTAINER_BUILDER, "docker-container", False)
