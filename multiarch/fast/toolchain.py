"""Where a fast build compiles: the build stage's own image, in containers kept running.

The image is the Dockerfile's build stage up to its `COPY . DIR`, built by BuildKit for
the daemon's platform and loaded as multiarch-fast-toolchain:<key>: whatever the stage
does before copying the sources (installs a package, runs `go mod download`) is in it,
on the base image BuildKit resolved. It is built at the first fast build after a full
one whose fingerprint it was not built for.

The containers run that image idle, one per platform (each has its own /out), so that
a build starts none. Nothing of the client's is mounted in them, so that they work on
any Docker host (Docker Desktop, a remote daemon, docker-in-docker): before each build,
one `docker cp` (an archive upload) brings the build context (what .dockerignore lets
through) up to date where the stage copies the sources, sending what changed since
the last one, and empties /out; the go build step runs with `docker exec`, as this
user, its cache mounts as Docker volumes of this user's (`multiarch-cache-*`); the
binaries come back with one `docker cp` from /out. The step's secrets are written
through `docker exec -i`'s input into a tmpfs of the container (linked from where the
step mounts them), when the container starts and when they change: in no argument,
label, layer or printed command.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import tarfile
import threading
from pathlib import Path
from typing import Protocol

from ..build.full import FullBuild
from ..build.planning import Plan
from ..core.command import Runner, cause
from ..core.errors import UserError
from ..core.platforms import Platform, parse_one
from ..dockerfile import context_files
from ..dockerfile.build_step import BuildStep
from ..golang.compiler import CompileError
from ..host import docker, emulation, engine


class Place(Protocol):
    """Where a fast build keeps its state (`fast.Place` is one)."""

    key: str
    dir: Path


class Fast(Protocol):
    """What the toolchain needs of a fast build (`fast.Fast` is one): described here, so
    that this module, which `fast` calls, does not import it back."""

    plan: Plan
    place: Place
    step: BuildStep
    record: dict

    @property
    def record_id(self) -> str: ...


LABEL = "io.multiarch.fast"  # on the containers: the key of the image they build
IMAGE = "multiarch-fast-toolchain"


SECRETS = "/run/multiarch-secrets"  # a tmpfs in each container: the step's secrets


class Toolchain:
    def __init__(self, fast: Fast, mount_point: str, runner: Runner):
        self.fast, self.runner = fast, runner
        p, place = fast.plan, fast.place
        uid, gid = os.getuid(), os.getgid()
        self.owner = (uid, gid)
        self.user = f"{uid}:{gid}"
        self.at = mount_point.strip("/")
        self.image = f"{IMAGE}:{place.key}-{fast.record_id}"
        mounts = []
        for m in fast.step.mounts:
            if m.kind == "cache":
                volume = "multiarch-cache-" + hashlib.sha256(m.id.encode()).hexdigest()[:12]
                mounts.append(("volume", f"{volume}-{uid}", m.target))
        given = p.go.secrets()
        self.secrets = {m.id: (given[m.id], m.target) for m in fast.step.mounts if m.id in given}
        if self.secrets:
            mounts.append(("tmpfs", "", SECRETS, "tmpfs-mode=0700"))
        self.caches = [m.target for m in fast.step.mounts if m.kind == "cache"]
        self.mounts = mounts
        self.network = fast.step.network or p.go.network
        self.starting = threading.Lock()  # one platform's thread at a time starts containers
        ident = json.dumps([self.image, mounts, self.network, self.user, mount_point])
        self.ident = hashlib.sha256(ident.encode()).hexdigest()[:12]

    def name(self, platform: Platform) -> str:
        return f"multiarch-fast-{self.fast.place.key}-{self.ident}-{platform.slug}"

    def _sent_file(self, name: str) -> Path:
        """What was sent to a container: its sources and its secrets' sizes and times."""
        return self.fast.place.dir / "sent" / f"{name}.json"

    def build_image(self) -> dict:
        """Build the toolchain image (the build stage up to its sources) for the daemon's
        platform; what the fast build needs to know of it."""
        p, step = self.fast.plan, self.fast.step
        head = "".join(p.dockerfile_sent.splitlines(keepends=True)[: step.sources_line - 1])
        host = parse_one(emulation.daemon_host(self.runner).platform)
        settings = p.settings.of_stage(step.stage).loaded().with_cache()
        plan = (
            p.with_settings(settings)
            .with_dockerfile_text(head)
            .for_platforms([host])
            .with_references([self.image])
        )
        FullBuild(self.runner).run([plan])
        doc = docker.inspect(self.runner, "image", self.image) or {}
        return {"Id": doc.get("Id", ""), "platform": str(host), "Env": _env(doc)}

    def ensure(self, platforms: list[Platform]) -> None:
        """Start the platforms' containers that are not running, and remove the ones this
        image had before (an earlier toolchain, mounts, or user)."""
        mine = f"label={LABEL}={self.fast.place.key}"
        listed = self.runner.query(
            ["docker", "ps", "-a", "--filter", mine, "--format", "{{.Names}} {{.State}}"]
        ).stdout.split("\n")
        states = dict(line.split(" ", 1) for line in listed if " " in line)
        wanted = {self.name(t): t for t in platforms}
        stale = [n for n in states if n.split("-")[3] != self.ident]
        if stale:
            self.runner.run(["docker", "rm", "-f", *stale], capture=True)
            for name in stale:
                self._sent_file(name).unlink(missing_ok=True)
        for name in wanted:
            if states.get(name) == "running":
                continue
            if name in states:
                self.runner.run(["docker", "rm", "-f", name], capture=True)
            self._sent_file(name).unlink(missing_ok=True)  # a new container holds nothing
            self._start(name)

    def _start(self, name: str) -> None:
        argv = ["docker", "run", "-d", "--name", name, "--label", f"{LABEL}={self.fast.place.key}"]
        for kind, source, at, *options in self.mounts:
            fields = [f"type={kind}", f"source={source}" if source else "", f"target={at}"]
            argv += ["--mount", ",".join(filter(None, [*fields, *options]))]
        if self.network:
            argv += ["--network", self.network]
        # it only waits; the step runs in it with `docker exec`, as this user, who must be
        # able to write the caches and read the secrets
        argv += ["--user", "0:0", "--entrypoint", "sleep", self.image, "infinity"]
        self.runner.run(argv, capture=True, hint="the fast path runs the build stage's image")
        owned = [*self.caches, *([SECRETS] if self.secrets else [])]
        if owned:
            self.runner.run(["docker", "exec", name, "chown", self.user, *owned], capture=True)

    def commands(self, platforms: list[Platform], args: dict[str, str]) -> dict[Platform, list]:
        """The `docker exec` of the step for each platform, shown."""
        image = self.fast.record["toolchain"]
        build = parse_one(image["platform"])
        commands = {}
        for target in platforms:
            env = self.fast.step.environment(args, target, build, image["Env"])
            argv = ["docker", "exec", "-u", self.user, "-w", self.fast.step.workdir]
            for key, value in env.items():
                if f"{key}={value}" not in image["Env"]:
                    argv += ["-e", f"{key}={value}"]
            commands[target] = [*argv, self.name(target), "sh", "-c", self.fast.step.command]
            self.runner.show(commands[target])
        return commands

    def compile(
        self, target: Platform, argv: list[str], files: dict[str, Path]
    ) -> dict[str, bytes]:
        """Bring the platform's container up to date with `files` (path where the stage
        copies the sources -> file here), run the step there; the files it wrote to /out,
        by name. The containers are kept between builds: one is started only when it is
        not there."""
        name = self.name(target)
        for attempt in range(2):
            sent = self._send(name, files)
            result = engine.exec_(argv) if sent.returncode == 0 else sent
            if result.returncode == 0 or not _no_container(result) or attempt:
                break
            with self.starting:
                self.ensure([target])
        if sent.returncode != 0:
            raise UserError(
                f"cannot copy the sources into {name}: {cause(sent.stderr)}",
                "check the daemon (`invoke doctor`); `invoke clean` starts the containers anew",
            )
        if result.returncode != 0:
            raise CompileError({str(target): result.stdout + result.stderr})
        copied = engine.copy_out(name, "/out")
        if copied.returncode != 0:
            raise UserError(f"cannot copy /out from {name}: {cause(copied.stderr)}")
        return _files(copied.stdout)

    def _send(self, name: str, files: dict[str, Path]) -> subprocess.CompletedProcess:
        """One `docker cp` of the sources that changed since the last one to this container,
        and an empty /out; the secrets, when the container has not got them as they are."""
        record = self._sent_file(name)
        try:
            held = json.loads(record.read_text())
        except (OSError, ValueError):
            held = {"files": {}, "secrets": {}}
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
            state = context_files.send(tar, files, held["files"], self.at, self.owner)
            context_files.empty_directory(tar, "out", self.owner)
            for ident, (_, target) in self.secrets.items():
                link = tarfile.TarInfo(target.lstrip("/"))
                link.type, link.linkname = tarfile.SYMTYPE, f"{SECRETS}/{ident}"
                tar.addfile(link)
        result = engine.copy_in(name, buffer.getvalue())
        if result.returncode != 0:
            return result
        secrets = {}
        for ident, (path, _) in self.secrets.items():
            st = path.stat()
            secrets[ident] = [st.st_size, st.st_mtime_ns]
            if held["secrets"].get(ident) != secrets[ident]:
                result = self._write_secret(name, ident, path)
                if result.returncode != 0:
                    return result
        record.parent.mkdir(parents=True, exist_ok=True)
        record.write_text(json.dumps({"files": state, "secrets": secrets}))
        return result

    def _write_secret(self, name: str, ident: str, path: Path) -> subprocess.CompletedProcess:
        """The secret's content through the command's input, into the container's tmpfs."""
        argv = ["docker", "exec", "-i", "-u", self.user, name,
                "sh", "-c", f"umask 077 && cat > {SECRETS}/{ident}"]  # fmt: skip
        self.runner.show(argv)
        try:
            content = path.read_bytes()
        except OSError as e:
            raise UserError(f"cannot read {path}: {e.strerror}", "check the file") from None
        result = subprocess.run(argv, input=content, capture_output=True)
        return subprocess.CompletedProcess(argv, result.returncode, "", result.stderr.decode())


def _files(archive: bytes) -> dict[str, bytes]:
    """The regular files of a tar, by name."""
    found = {}
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for member in tar:
            if member.isfile():
                found[member.name.rsplit("/", 1)[-1]] = tar.extractfile(member).read()
    return found


def _env(doc: dict) -> list[str]:
    return (doc.get("Config") or {}).get("Env") or []


def _no_container(result: subprocess.CompletedProcess) -> bool:
    said = result.stderr
    return "No such container" in said or "is not running" in said


def remove(key: str, runner: Runner) -> None:
    """The containers and toolchain images of one image's fast builds."""
    containers = runner.query(
        ["docker", "ps", "-aq", "--filter", f"label={LABEL}={key}"], check=False
    ).stdout.split()
    if containers:
        runner.run(["docker", "rm", "-f", *containers], capture=True)
    tags = runner.query(
        ["docker", "image", "ls", IMAGE, "--format", "{{.Repository}}:{{.Tag}}"], check=False
    ).stdout.split()
    mine = [tag for tag in tags if tag.startswith(f"{IMAGE}:{key}-")]
    if mine:
        runner.run(["docker", "image", "rm", *mine], capture=True)
