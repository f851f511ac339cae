"""Where a fast build compiles: the build stage's own image, in containers kept running.

The image is the Dockerfile's build stage up to its `COPY . DIR`, built by BuildKit for
the daemon's platform and loaded as multiarch-fast-toolchain:<key>: whatever the stage
does before copying the sources (installs a package, runs `go mod download`) is in it,
on the base image BuildKit resolved. It is built at the first fast build after a full
one whose fingerprint it was not built for.

The containers run that image idle, one per platform (each has its own /out), so that
a build starts none. The go build step runs in them with `docker exec`, as this user,
its cache mounts as Docker volumes of this user's (`multiarch-cache-*`), its secrets
as read-only files, a mirror of the build context (what .dockerignore lets through)
where the stage copies the sources, and a directory of the state's as /out.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import subprocess
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from . import build as builds
from . import docker, emulation, engine
from .command import Runner
from .compiler import CompileError
from .platforms import Platform, parse_one

if TYPE_CHECKING:
    from .fast import Fast

LABEL = "io.multiarch.fast"  # on the containers: the key of the image they build
IMAGE = "multiarch-fast-toolchain"


class Toolchain:
    def __init__(self, fast: Fast, mount_point: str, runner: Runner):
        self.fast, self.runner = fast, runner
        p, place = fast.plan, fast.place
        uid, gid = os.getuid(), os.getgid()
        self.user = f"{uid}:{gid}"
        self.mirror = place.dir / "src"
        self.image = f"{IMAGE}:{place.key}-{fast.record_id}"
        mounts = [("bind", str(self.mirror), mount_point)]
        secrets = p.go.secrets()
        for m in fast.step.mounts:
            if m.kind == "cache":
                volume = "multiarch-cache-" + hashlib.sha256(m.id.encode()).hexdigest()[:12]
                mounts.append(("volume", f"{volume}-{uid}", m.target))
            elif m.id in secrets:
                mounts.append(("bind", str(secrets[m.id]), m.target, "readonly"))
        self.caches = [m.target for m in fast.step.mounts if m.kind == "cache"]
        self.mounts = mounts
        self.network = fast.step.network or p.go.network
        self.starting = threading.Lock()  # one platform's thread at a time starts containers
        if not runner.dry:
            for directory in (self.mirror, place.dir / "out"):
                directory.mkdir(parents=True, exist_ok=True)
        # the directories' inodes: a container started before they were made anew has
        # the old ones mounted, and is replaced
        inodes = [d.stat().st_ino for d in (self.mirror, place.dir / "out") if d.exists()]
        ident = json.dumps([self.image, mounts, self.network, self.user, inodes])
        self.ident = hashlib.sha256(ident.encode()).hexdigest()[:12]

    def name(self, platform: Platform) -> str:
        return f"multiarch-fast-{self.fast.place.key}-{self.ident}-{platform.slug}"

    def out(self, platform: Platform) -> Path:
        return self.fast.place.dir / "out" / platform.slug

    def build_image(self) -> dict:
        """Build the toolchain image (the build stage up to its sources) for the daemon's
        platform; what the fast build needs to know of it."""
        p, step = self.fast.plan, self.fast.step
        head = "".join(p.dockerfile_sent.splitlines(keepends=True)[: step.sources_line - 1])
        host = parse_one(emulation.daemon_host(self.runner).platform)
        settings = dataclasses.replace(
            p.settings, target=step.stage, push=False, load=True, output="", no_cache=False
        )
        plan = dataclasses.replace(
            p, settings=settings, platforms=[host], references=[self.image], dockerfile_text=head
        )
        builds.run([plan], self.runner)
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
        for name, target in wanted.items():
            if states.get(name) == "running":
                continue
            if name in states:
                self.runner.run(["docker", "rm", "-f", name], capture=True)
            self.out(target).mkdir(parents=True, exist_ok=True)
            self._start(name, target)

    def _start(self, name: str, target: Platform) -> None:
        argv = ["docker", "run", "-d", "--name", name, "--label", f"{LABEL}={self.fast.place.key}"]
        for kind, source, at, *options in [*self.mounts, ("bind", str(self.out(target)), "/out")]:
            argv += [
                "--mount",
                ",".join([f"type={kind}", f"source={source}", f"target={at}", *options]),
            ]
        if self.network:
            argv += ["--network", self.network]
        # it only waits; the step runs in it with `docker exec`, as this user, who must be
        # able to write the caches
        argv += ["--user", "0:0", "--entrypoint", "sleep", self.image, "infinity"]
        self.runner.run(argv, capture=True, hint="the fast path runs the build stage's image")
        if self.caches:
            self.runner.run(
                ["docker", "exec", name, "chown", self.user, *self.caches], capture=True
            )

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

    def compile(self, target: Platform, argv: list[str]) -> Path:
        """Run the step for one platform; its output directory. The containers are kept
        between builds: one is started only when it is not there."""
        _empty(self.out(target))
        result = engine.exec_(argv)
        if result.returncode != 0 and _no_container(result):
            with self.starting:
                self.ensure([target])
            result = engine.exec_(argv)
        if result.returncode != 0:
            raise CompileError({str(target): result.stdout + result.stderr})
        return self.out(target)


def _env(doc: dict) -> list[str]:
    return (doc.get("Config") or {}).get("Env") or []


def _no_container(result: subprocess.CompletedProcess) -> bool:
    said = result.stderr
    return "No such container" in said or "is not running" in said


def _empty(directory: Path) -> None:
    """Remove what a directory holds, not the directory: a container has it mounted."""
    directory.mkdir(parents=True, exist_ok=True)
    for entry in directory.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


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
