"""`docker exec` and `docker cp` through the Docker Engine's API, where the CLI would
reach it.

A fast build copies its sources into a container per platform, runs its go build step
there with `docker exec`, and copies the binaries out, side by side, while Go compiles;
each docker CLI process costs a few tens of milliseconds of CPU that the compilers want.
When the CLI would talk to a daemon on a unix socket (no DOCKER_HOST other than unix://,
no docker context chosen), the same requests are made over that socket instead: those
the CLI makes (exec: create, start attached, inspect; cp: PUT or GET of the container's
archive), so the command shown is what runs. Elsewhere (a daemon over tcp:// or ssh://,
a context) the CLI runs. Either way only the daemon sees the files: nothing is mounted
from the client.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import socket
import struct
import subprocess
from pathlib import Path
from urllib.parse import quote

DEFAULT_SOCKET = "/var/run/docker.sock"


def socket_path(environ=os.environ) -> str | None:
    """The daemon's unix socket, when it is certainly the one the docker CLI uses."""
    host = environ.get("DOCKER_HOST", "")
    if environ.get("DOCKER_CONTEXT") or _context_chosen(environ):
        return None
    if host and not host.startswith("unix://"):
        return None
    path = host.removeprefix("unix://") or DEFAULT_SOCKET
    return path if Path(path).is_socket() else None


def _context_chosen(environ) -> bool:
    config = Path(environ.get("DOCKER_CONFIG") or Path.home() / ".docker") / "config.json"
    try:
        current = json.loads(config.read_text()).get("currentContext", "")
    except (OSError, ValueError, AttributeError):
        return False
    return current not in ("", "default")


class _Connection(http.client.HTTPConnection):
    def __init__(self, path: str):
        super().__init__("localhost")
        self.socket_path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.socket_path)


def _call(path: str, method: str, url: str, body: dict | bytes | None = None) -> tuple[int, bytes]:
    connection = _Connection(path)
    try:
        data, kind = body, "application/x-tar"
        if not isinstance(body, bytes):
            data = json.dumps(body).encode() if body is not None else None
            kind = "application/json"
        # a daemon that refuses an upload may answer before reading it all: its answer
        # says why, so a broken pipe while sending is not the error
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            connection.request(method, url, body=data, headers={"Content-Type": kind})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def get(url: str) -> dict | None:
    """A JSON document of the API (`/info`) over the socket, where socket_path() allows;
    None where the CLI must be asked (elsewhere, or the socket does not answer)."""
    path = socket_path()
    if path is None:
        return None
    try:
        status, answer = _call(path, "GET", url)
        return json.loads(answer) if status == 200 else None
    except (OSError, ValueError):
        return None


def images(names: list[str]) -> list[dict] | None:
    """`docker image inspect NAMES...` over the socket, where socket_path() allows: the
    documents of the images the store holds; None where the CLI must be asked."""
    path = socket_path()
    if path is None:
        return None
    found = []
    try:
        for name in names:
            status, answer = _call(path, "GET", f"/images/{quote(name, safe='/:@')}/json")
            if status == 200:
                found.append(json.loads(answer))
    except (OSError, ValueError):
        return None
    return found


def _refused(argv: list[str], answer: bytes) -> subprocess.CompletedProcess:
    """A request the daemon refused, as the CLI reports it ("No such container: x")."""
    try:
        said = json.loads(answer or b"{}").get("message", "")
    except ValueError:
        said = answer.decode(errors="replace")
    return subprocess.CompletedProcess(argv, 1, "", f"Error response from daemon: {said}\n")


def copy_in(container: str, archive: bytes) -> subprocess.CompletedProcess:
    """`docker cp - CONTAINER:/`: unpack a tar at the container's root (its names are
    paths from there), as root, keeping the owners and modes it gives."""
    argv = ["docker", "cp", "-", f"{container}:/"]
    path = socket_path()
    if path is None:
        result = subprocess.run(argv, input=archive, capture_output=True)
        return subprocess.CompletedProcess(argv, result.returncode, "", result.stderr.decode())
    status, answer = _call(path, "PUT", f"/containers/{quote(container)}/archive?path=/", archive)
    if status != 200:
        return _refused(argv, answer)
    return subprocess.CompletedProcess(argv, 0, "", "")


def copy_out(container: str, where: str) -> subprocess.CompletedProcess:
    """`docker cp CONTAINER:WHERE -`: a tar of WHERE (its stdout, bytes)."""
    argv = ["docker", "cp", f"{container}:{where}", "-"]
    path = socket_path()
    if path is None:
        result = subprocess.run(argv, capture_output=True)
        return subprocess.CompletedProcess(
            argv, result.returncode, result.stdout, result.stderr.decode()
        )
    url = f"/containers/{quote(container)}/archive?path={quote(where)}"
    status, answer = _call(path, "GET", url)
    if status != 200:
        return _refused(argv, answer)
    return subprocess.CompletedProcess(argv, 0, answer, "")


def exec_(argv: list[str]) -> subprocess.CompletedProcess[str]:
    """Run a `docker exec [-u U] [-w W] [-e K=V]... CONTAINER CMD...` command line: over
    the API where socket_path() allows, else with the CLI; its output captured."""
    path = socket_path()
    if path is None:
        return subprocess.run(argv, capture_output=True, text=True)
    request, container, command = _parse(argv)
    status, answer = _call(
        path, "POST", f"/containers/{container}/exec", {**request, "Cmd": command}
    )
    if status != 201:  # the CLI's own words: "No such container", "is not running"
        return _refused(argv, answer)
    ident = json.loads(answer)["Id"]
    _, stream = _call(path, "POST", f"/exec/{ident}/start", {"Detach": False, "Tty": False})
    out, err = _demultiplex(stream)
    _, inspected = _call(path, "GET", f"/exec/{ident}/json")
    code = json.loads(inspected).get("ExitCode")
    return subprocess.CompletedProcess(argv, 1 if code is None else code, out, err)


def _parse(argv: list[str]) -> tuple[dict, str, list[str]]:
    """What toolchain.Toolchain.commands writes: docker exec -u U -w W -e K=V... NAME CMD."""
    request: dict = {"AttachStdout": True, "AttachStderr": True, "Env": []}
    rest = argv[2:]
    while rest[0] in ("-u", "-w", "-e"):
        flag, value, rest = rest[0], rest[1], rest[2:]
        if flag == "-e":
            request["Env"].append(value)
        else:
            request["User" if flag == "-u" else "WorkingDir"] = value
    return request, rest[0], rest[1:]


def _demultiplex(stream: bytes) -> tuple[str, str]:
    """The attach stream's frames (8-byte header: stream, 0, 0, 0, length) as stdout and
    stderr."""
    out, err, at = [], [], 0
    while at + 8 <= len(stream):
        kind, length = stream[at], struct.unpack(">I", stream[at + 4 : at + 8])[0]
        (err if kind == 2 else out).append(stream[at + 8 : at + 8 + length])
        at += 8 + length
    return b"".join(out).decode(errors="replace"), b"".join(err).decode(errors="replace")
