"""The local registry: a `registry:2` container whose data lives in a named volume.

The data outlives the container: stopping, removing and re-creating it, or restarting
the daemon, keeps every pushed image. Only `remove(purge=True)` deletes the volume.
"""

from __future__ import annotations

import errno
import ipaddress
import re
import socket
from dataclasses import dataclass

from ..core.command import Runner, say
from ..core.errors import UserError
from ..core.options import settings_of
from ..oci.reference import check_reference
from ..oci.registry_api import RegistryAPI
from . import docker

ROLE_LABEL = "io.multiarch.role=registry"
# What Docker accepts as a container or volume name; a volume "name" with a / is a path.
NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]*")


@dataclass(frozen=True)
@settings_of("registry")
class RegistrySettings:
    """The registry.* settings (their entries: core/options.py), checked when made."""

    def __post_init__(self) -> None:
        """Every setting checked, before anything runs."""
        if not NAME.fullmatch(self.name):
            raise UserError(
                f"registry name {self.name!r} is not a valid container name",
                "use letters, digits and _ . - (config registry.name, --name)",
            )
        if not 1 <= self.port <= 65535:
            raise UserError(
                f"registry port {self.port} is out of range", "use 1-65535 (--port, registry.port)"
            )
        if not self.ready_timeout > 0:
            raise UserError(
                f"registry.ready_timeout must be more than 0 seconds, not {self.ready_timeout}",
                "give the seconds to wait for the registry's API, such as 30",
            )
        if self.volume and not NAME.fullmatch(self.volume):
            raise UserError(
                f"registry volume {self.volume!r} is not a named volume: a host path would "
                "bind-mount it into the container",
                "give a volume name (letters, digits, _ . -), or leave it empty for NAME-data",
            )
        check_reference(self.image, "registry image")
        try:
            address = ipaddress.ip_address(self.bind.strip("[]"))
        except ValueError:
            raise UserError(
                f"registry bind address {self.bind!r} is not an IP address",
                "use 127.0.0.1 (this machine only), or an address of this machine with --expose",
            ) from None
        if not address.is_loopback and not self.expose:
            raise UserError(
                f"binding the registry to {self.bind} publishes it beyond this machine, and "
                "it has no authentication: anyone who reaches it can push and pull",
                "pass --expose (registry.expose: true) to confirm, or bind 127.0.0.1",
            )

    @property
    def volume_name(self) -> str:
        return self.volume or f"{self.name}-data"

    @property
    def address(self) -> str:
        """Where clients on this machine reach it (a wildcard bind answers on loopback)."""
        host = "127.0.0.1" if self.bind in ("0.0.0.0", "::") else self.bind
        return f"{_bracket(host)}:{self.port}"


@dataclass(frozen=True)
class RegistryStatus:
    state: str  # "running", "exited", ..., or "absent"
    address: str
    volume: str
    volume_exists: bool
    repositories: dict[str, list[str]]


class LocalRegistry:
    def __init__(self, settings: RegistrySettings, runner: Runner):
        self.settings = settings
        self.runner = runner
        self.api = RegistryAPI(settings.address)

    def _container(self) -> dict | None:
        info = docker.inspect(self.runner, "container", self.settings.name)
        if info is not None and not _is_registry(info):
            image = info.get("Config", {}).get("Image", "?")
            raise UserError(
                f"a container named {self.settings.name!r} exists but runs {image}, not a registry",
                "remove or rename it, or choose another name with --name",
            )
        return info

    def ensure(self) -> None:
        """Running: nothing to do. Stopped: start it. Absent: create it. Then wait."""
        s = self.settings
        info = self._container()
        if info is not None and info["State"]["Running"]:
            say(f"registry {s.name!r} is already running on {_published(info) or s.address}")
            return
        if info is not None:
            self._check_port_free()
            self.runner.run(["docker", "start", s.name], capture=True)
            self._wait_ready()
            return
        docker.ensure_image(
            self.runner, s.image, "run scripts/provision.sh to build the local stand-in"
        )
        self._check_port_free()
        new_volume = docker.inspect(self.runner, "volume", s.volume_name) is None
        created = ""
        try:
            created = self._create()
            self.runner.run(["docker", "start", created or s.name], capture=True)
            self._wait_ready()
        except (UserError, KeyboardInterrupt) as e:
            # what this call made and could not finish goes, and nothing else: a
            # container of that name that another run created meanwhile stays
            if created:
                self.runner.query(["docker", "rm", "-f", created], check=False)
            if new_volume:
                self.runner.query(["docker", "volume", "rm", s.volume_name], check=False)
            if isinstance(e, UserError):
                raise UserError(f"could not start registry {s.name!r}: {e.message}") from None
            raise

    def _create(self) -> str:
        """Create the container (not started); its id ("" in a dry run)."""
        s = self.settings
        made = self.runner.run(
            [
                "docker", "create",
                "--name", s.name,
                "--restart=always",
                "--label", ROLE_LABEL,
                "-p", f"{_bracket(s.bind)}:{s.port}:5000",
                "-v", f"{s.volume_name}:/var/lib/registry",
                s.image,
            ],
            capture=True,
        )  # fmt: skip
        return made.stdout.strip() if made else ""

    def _check_port_free(self) -> None:
        s = self.settings
        holders = self.runner.query(
            ["docker", "ps", "--filter", f"publish={s.port}", "--format", "{{.Names}}"]
        ).stdout.split()
        holders = [h for h in holders if h != s.name]
        if holders:
            raise UserError(
                f"port {s.port} is already published by container {holders[0]!r}",
                "stop that container, or choose another port with --port",
            )
        if _port_taken(s.bind, s.port):
            raise UserError(
                f"port {s.port} on {s.bind} is held by another process",
                f"find it with `ss -ltnp 'sport = :{s.port}'`, or choose another --port",
            )

    def _wait_ready(self) -> None:
        if self.runner.dry:
            return
        s = self.settings
        if not self.api.wait(s.ready_timeout):
            tail = docker.logs_tail(self.runner, s.name)
            raise UserError(
                f"registry {s.name!r} did not answer on http://{s.address}/v2/ "
                f"within {s.ready_timeout:g} s; log tail: {tail or '(empty)'}",
                f"see `docker logs {s.name}`",
            )
        say(f"registry {s.name!r} answers on http://{s.address}/v2/")

    def status(self) -> RegistryStatus:
        s = self.settings
        info = self._container()
        state = info["State"]["Status"] if info else "absent"
        volume_exists = docker.inspect(self.runner, "volume", s.volume_name) is not None
        repositories: dict[str, list[str]] = {}
        if info is not None and info["State"]["Running"]:
            api = RegistryAPI(_published(info) or s.address)
            repositories = {repo: api.tags(repo) for repo in api.catalog()}
        address = (_published(info) if info else "") or s.address
        return RegistryStatus(state, address, s.volume_name, volume_exists, repositories)

    def stop(self) -> None:
        info = self._container()
        if info is None or not info["State"]["Running"]:
            say(f"registry {self.settings.name!r} is not running")
            return
        self.runner.run(["docker", "stop", self.settings.name], capture=True)

    def remove(self, purge: bool = False) -> None:
        """Remove the container; with `purge`, its volume and every image in it too."""
        s = self.settings
        if self._container() is not None:
            self.runner.run(["docker", "rm", "-f", s.name], capture=True)
        else:
            say(f"no container named {s.name!r}")
        if not purge:
            say(f"kept volume {s.volume_name!r} with the registry's data")
        elif docker.inspect(self.runner, "volume", s.volume_name) is not None:
            self.runner.run(["docker", "volume", "rm", s.volume_name], capture=True)


def _is_registry(info: dict) -> bool:
    config = info.get("Config", {})
    labels = config.get("Labels") or {}
    key, _, value = ROLE_LABEL.partition("=")
    image = config.get("Image", "")
    return (
        labels.get(key) == value
        or image.split("@")[0].rsplit(":", 1)[0].endswith("registry")
        or any("registry" in part for part in config.get("Entrypoint") or [])
    )


def _published(info: dict) -> str:
    """The host address the container's port 5000 is published on, if any."""
    bindings = (info.get("HostConfig", {}).get("PortBindings") or {}).get("5000/tcp") or []
    for b in bindings:
        host = b.get("HostIp") or "127.0.0.1"
        host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        return f"{_bracket(host)}:{b['HostPort']}"
    return ""


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _port_taken(bind: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in bind else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((bind, port))
        except OSError as e:
            return e.errno == errno.EADDRINUSE
    return False
