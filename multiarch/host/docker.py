"""The Docker daemon: is it there, and what does it hold."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from ..core.command import NETWORK_TIMEOUT, Runner, cause
from ..core.errors import UserError
from . import engine

CONTAINERD_STORE = "io.containerd.snapshotter.v1"
START_HINT = "start it with scripts/provision.sh, or point DOCKER_HOST at a running daemon"


@dataclass(frozen=True)
class Daemon:
    version: str
    containerd_store: bool  # what lets the default builder push multi-platform images
    os: str = "linux"  # where its containers run: "linux", "windows"
    arch: str = ""  # its machine, as `uname -m` says: "x86_64", "aarch64"
    name: str = ""  # its host name ("docker-desktop" for Docker Desktop)
    system: str = ""  # "Debian GNU/Linux 12 (bookworm)", "Docker Desktop"


def daemon(runner: Runner) -> Daemon:
    """The daemon: version, image store and host, in one look-up; UserError if none answers.
    Asked over its socket where the CLI would use that socket (the CLI's process costs
    more than the question), else with `docker info`."""
    info = engine.get("/info") or {}
    if not info.get("ServerVersion"):
        result = runner.query(["docker", "info", "--format", "{{json .}}"], check=False)
        try:
            info = json.loads(result.stdout or "{}")
        except ValueError:
            info = {}
        if result.returncode != 0 or not info.get("ServerVersion"):
            raise _unreachable(result.stderr)
    driver_status = info.get("DriverStatus") or []
    return Daemon(
        info["ServerVersion"],
        any(CONTAINERD_STORE in value for _, value in driver_status),
        info.get("OSType", "linux"),
        info.get("Architecture", ""),
        info.get("Name", ""),
        info.get("OperatingSystem", ""),
    )


def server_version(runner: Runner) -> str:
    return daemon(runner).version


def _unreachable(stderr: str) -> UserError:
    where = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    why = cause(stderr)
    return UserError(f"the Docker daemon at {where} does not answer: {why}", START_HINT)


def inspect(runner: Runner, kind: str, name: str) -> dict | None:
    """`docker <kind> inspect NAME` as a dict, or None when there is no such object."""
    result = runner.query(["docker", kind, "inspect", name], check=False)
    if result.returncode != 0:
        if "no such" in result.stderr.lower():
            return None
        if "cannot connect" in result.stderr.lower():
            raise _unreachable(result.stderr)
        raise UserError(f"docker {kind} inspect {name} failed: {cause(result.stderr)}")
    return json.loads(result.stdout)[0]


def logs_tail(runner: Runner, container: str, lines: int = 5) -> str:
    result = runner.query(["docker", "logs", "--tail", str(lines), container], check=False)
    return " | ".join(
        line.strip() for line in (result.stdout + result.stderr).splitlines() if line.strip()
    )


def ensure_image(runner: Runner, image: str, hint: str) -> None:
    """Make sure `image` is here, pulling it if it is not; UserError if neither works."""
    if inspect(runner, "image", image) is not None:
        return
    try:
        runner.run(["docker", "pull", image], capture=True, timeout=NETWORK_TIMEOUT)
    except UserError as e:
        raise UserError(
            f"image {image} is not here and cannot be pulled ({e.message})", hint
        ) from None
