"""The builders `invoke builder` makes: a docker-container builder, remote BuildKit nodes,
a kubernetes builder; each node with the platforms it takes (a build farm).

The builder.* settings describe one builder, so that a team writes its farm once in
invoke.yaml. Its nodes are whitespace-separated entries, one per node:

    ENDPOINT=PLATFORMS   a node at ENDPOINT taking those platforms (remote: tcp://, unix://;
                         docker-container: a Docker host or context)
    ENDPOINT             a node taking every platform it can
    PLATFORMS            a node with no endpoint (kubernetes: pods on nodes of that
                         architecture; docker-container: the current Docker host)

The first node creates the builder (`docker buildx create`), every further one is
appended to it (`docker buildx create --append --platform ...`): buildx then sends each
platform of a build to the node that takes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..core import platforms
from ..core.errors import UserError
from ..core.options import settings_of

# what buildx accepts as a builder or node name
NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9._-]*$")
# a node's architecture as kubernetes labels its nodes (kubernetes.io/arch)
ARCH_LABEL = "kubernetes.io/arch"
HINT = "see the farm recipe in multiarch's docs/tasks/builder.md"


@dataclass(frozen=True)
@settings_of("builder")
class BuilderSettings:
    """The builder.* settings (their entries: core/options.py)."""


@dataclass(frozen=True)
class NodeSpec:
    endpoint: str  # "" for none
    platforms: str  # as buildx takes them: "linux/arm64,linux/arm/v7"; "" for any


def parse_nodes(text: str) -> list[NodeSpec]:
    """builder.nodes: ENDPOINT=PLATFORMS, ENDPOINT or PLATFORMS per entry (module doc)."""
    nodes = []
    for entry in text.split():
        endpoint, sep, wanted = entry.rpartition("=")
        if not sep:
            endpoint, wanted = (entry, "") if "://" in entry else ("", entry)
        elif "://" not in endpoint:
            raise UserError(
                f"builder.nodes entry {entry!r}: {endpoint!r} is not an endpoint",
                "write ENDPOINT=PLATFORMS, as in tcp://arm1:1234=linux/arm64",
            )
        if wanted:
            wanted = platforms.join(platforms.parse(wanted))
        nodes.append(NodeSpec(endpoint, wanted))
    return nodes


def check(s: BuilderSettings) -> list[NodeSpec]:
    """Everything buildx would refuse, or get wrong, refused before anything is created;
    the nodes."""
    if not s.name:
        raise UserError("no builder name", "pass --name or set builder.name")
    if not NAME.match(s.name):
        raise UserError(f"invalid builder name {s.name!r}", "use letters, digits, '.', '_', '-'")
    nodes = parse_nodes(s.nodes) or [NodeSpec("", "")]
    for node in nodes:
        scheme = node.endpoint.partition("://")[0]
        if s.driver == "remote" and scheme not in ("tcp", "unix"):
            raise UserError(
                f"remote node {node.endpoint or node.platforms!r} has no tcp:// or unix:// "
                "endpoint",
                "write ENDPOINT=PLATFORMS in builder.nodes, as in tcp://arm1:1234=linux/arm64",
            )
        if s.driver == "kubernetes" and node.endpoint:
            raise UserError(
                f"kubernetes node {node.endpoint!r}: the kubernetes driver takes no endpoint",
                "give platforms only; the pods go to cluster nodes of their architecture",
            )
        if s.driver == "kubernetes" and not node.platforms:
            raise UserError("kubernetes nodes need platforms", "as in linux/arm64,linux/arm/v7")
    tls = {"cacert": s.cacert, "cert": s.cert, "key": s.key}
    if any(tls.values()):
        if s.driver != "remote":
            raise UserError("builder.cacert, cert and key are for the remote driver only")
        if bool(s.cert) != bool(s.key):
            raise UserError("builder.cert and builder.key go together", "give both, or neither")
        for what, path in tls.items():
            if path and not Path(path).is_file():
                raise UserError(f"builder.{what}: no file {path}", "give the PEM file's path")
    if s.config and not Path(s.config).is_file():
        raise UserError(f"builder.config: no file {s.config}", "give a buildkitd.toml's path")
    if s.config and s.driver == "remote":
        raise UserError(
            "builder.config is not for the remote driver: a remote buildkitd reads its own",
            "put the settings in that daemon's buildkitd.toml",
        )
    for opt in s.driver_opts.split():
        if "=" not in opt:
            raise UserError(f"builder.driver_opts: {opt!r} is not KEY=VALUE", HINT)
    return nodes


def arch(node_platforms: str) -> str:
    """The architecture of a node's first platform: what its machine must be."""
    first = node_platforms.split(",")[0]
    return platforms.parse_one(first).arch if first else ""


def node_name(s: BuilderSettings, index: int, node: NodeSpec) -> str:
    """name-arm64 for a kubernetes node (its deployment), else name0, name1, ... as buildx."""
    if s.driver == "kubernetes":
        return f"{s.name}-{arch(node.platforms)}"
    return f"{s.name}{index}"


def driver_opts(s: BuilderSettings, node: NodeSpec) -> list[str]:
    opts = []
    if s.driver == "docker-container" and s.network:
        opts.append(f"network={s.network}")
    if s.driver == "remote" and node.endpoint.startswith("tcp://"):
        for key in ("cacert", "cert", "key"):
            if getattr(s, key):
                opts.append(f"{key}={Path(getattr(s, key)).resolve()}")
        if s.servername:
            opts.append(f"servername={s.servername}")
    if s.driver == "kubernetes":
        opts.append(f"nodeselector={ARCH_LABEL}={arch(node.platforms)}")
    return [*opts, *s.driver_opts.split()]


def create_commands(s: BuilderSettings) -> list[list[str]]:
    """The `docker buildx create` commands: the first node, then each further one appended."""
    nodes = check(s)
    commands = []
    for index, node in enumerate(nodes):
        argv = ["docker", "buildx", "create", "--name", s.name]
        argv += ["--append"] if index else ["--driver", s.driver]
        argv += ["--node", node_name(s, index, node)]
        if node.platforms:
            argv += ["--platform", node.platforms]
        for opt in driver_opts(s, node):
            argv += ["--driver-opt", opt]
        if s.config:
            argv += ["--config", str(Path(s.config).resolve())]
        if s.driver != "remote":
            # lets a build use --network host: a module proxy on this machine (goenv)
            argv += ["--buildkitd-flags", "--allow-insecure-entitlement network.host"]
        if node.endpoint:
            argv.append(node.endpoint)
        commands.append(argv)
    return commands


def remove_command(name: str) -> list[str]:
    return ["docker", "buildx", "rm", name]
