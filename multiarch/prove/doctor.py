"""Everything the build-and-smoke-test workflow needs, checked, each problem with its fix.

Checks are data (name, ok, detail, fix, required) so the task layer only prints them.
A check that needs the Docker daemon says so when the daemon does not answer, instead
of failing with a second, confusing error. "required" marks what the default workflow
(`invoke build`, then `nox -s e2e`) cannot do without; the rest are warnings.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..core.command import Runner, cause
from ..core.errors import UserError
from ..core.platforms import Platform
from ..dockerfile import build_step
from ..golang import goenv, gomod, workspace
from ..golang.version import describe
from ..host import binfmt, docker, emulation
from ..host import builder as builders
from ..host.registry import RegistrySettings
from ..oci.registry_api import RegistryAPI


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    required: bool = True

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "ok": self.ok,
            "required": self.required,
            "detail": self.detail,
            "fix": self.fix,
        }


@dataclass(frozen=True)
class Setup:
    """What the workflow is configured to use."""

    platforms: list[Platform]
    registry: RegistrySettings
    dockerfile: str  # the text of the Dockerfile builds use
    checkout: Path
    binfmt_root: Path = binfmt.ROOT
    go: goenv.GoSettings = goenv.GoSettings()
    builder: str = ""  # a named builder: its nodes instead of the default builder


def run(setup: Setup, runner: Runner) -> list[Check]:
    """Every check, in table order; without a daemon, those that need it say so."""
    daemon = daemon_check(runner)
    tools = buildx_check(runner)
    checks = [daemon, tools]
    if tools.ok and setup.builder:
        checks += node_checks(setup.builder, runner)
    elif daemon.ok and tools.ok:
        checks.append(builder_check(runner))
    else:
        checks.append(_not_checked("builder", "the Docker daemon and buildx"))
    if daemon.ok:
        host = emulation.daemon_host(runner)
        checks += [platform_check(p, host, setup.binfmt_root) for p in setup.platforms]
    else:
        checks.append(_not_checked("running platforms", "the Docker daemon"))
    checks.append(registry_check(setup.registry, runner if daemon.ok else None))
    go, version = go_check(setup, os.environ)
    checks.append(go)
    if daemon.ok:
        checks += [image_check(ref, runner) for ref in base_images(setup, version)]
    else:
        checks.append(_not_checked("base images", "the Docker daemon"))
    checks.append(git_check(setup.checkout))
    return checks


def _not_checked(name: str, needs: str) -> Check:
    return Check(name, False, f"not checked: needs {needs}", f"fix {needs} first")


def daemon_check(runner: Runner) -> Check:
    where = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    try:
        version = docker.server_version(runner)
    except UserError as e:
        return Check("Docker daemon", False, e.message, e.hint or "")
    return Check("Docker daemon", True, f"Docker Engine {version} at {where}")


def buildx_check(runner: Runner) -> Check:
    try:
        version = builders.buildx_version(runner)
    except UserError as e:
        return Check("buildx", False, e.message, e.hint or "")
    return Check("buildx", True, f"docker buildx {version}")


def builder_check(runner: Runner) -> Check:
    """Can the default builder push multi-platform images, or is a container builder needed?"""
    default = builders.default_builder(runner)
    if default.multi_platform_push:
        how = "containerd image store" if default.containerd_store else f"{default.driver} driver"
        return Check("builder", True, f"the default builder pushes multi-platform images ({how})")
    name = builders.CONTAINER_BUILDER
    if builders.inspect(runner, name) is not None:
        return Check(
            "builder",
            True,
            "the default builder cannot push multi-platform images (no containerd image "
            f"store): invoke build uses the docker-container builder {name!r}",
        )
    return Check(
        "builder",
        False,
        "the default builder cannot push multi-platform images (no containerd image store) "
        f"and there is no docker-container builder {name!r}",
        f"{builders.CONTAINERD_FIX}; or let invoke build create {name!r} (pulls moby/buildkit)",
    )


def node_checks(name: str, runner: Runner) -> list[Check]:
    """One check per node of a named builder: endpoint, status, BuildKit, platforms; a node
    that does not answer with what to do."""
    try:
        nodes = builders.nodes(runner, name)
    except UserError as e:
        return [Check(f"builder {name}", False, e.message, e.hint or "")]
    return [node_check(name, node) for node in nodes]


def node_check(builder: str, node: builders.Node) -> Check:
    check = f"node {node.name}"
    if not node.answers:
        problem = node.down(builder)
        return Check(check, False, problem.message, problem.hint or "")
    if node.status != "running":  # a container or pod not started yet: the first build does
        return Check(check, True, f"{node.endpoint}: {node.status} (starts on first use)")
    platforms = ", ".join(node.platforms)
    return Check(check, True, f"{node.endpoint}: running, BuildKit {node.buildkit}, {platforms}")


def platform_check(target: Platform, host: emulation.DaemonHost, root: Path) -> Check:
    """Can the daemon run `target`? Judged by its host; the local binfmt_misc counts only
    when the daemon runs on this machine."""
    name = f"run {target}"
    verdict = emulation.judge(target, host, root)
    if verdict.problem is not None:
        return Check(name, False, verdict.problem.what, verdict.problem.fix)
    if verdict.native:
        return Check(name, True, f"native on the daemon's {host.platform} host")
    if verdict.confirmed:
        return Check(name, True, f"emulated: {verdict.how}")
    if verdict.local is not None:  # the daemon is here, and its kernel says no
        return Check(name, False, verdict.local.what, verdict.local.fix)
    return Check(
        name,
        False,
        f"emulated ({verdict.emulator}) on the daemon's host {host.name!r}, which is not this "
        "machine: not checked from here; invoke smoke finds out by running it",
        "nothing, if invoke smoke passes; else enable emulation on the daemon's host",
        required=False,
    )


def registry_check(settings: RegistrySettings, runner: Runner | None) -> Check:
    """The local registry answers; `runner` (None without a daemon) looks at its container."""
    url = f"http://{settings.address}/v2/"
    answers = RegistryAPI(settings.address).answers()
    detail = f"answers on {url}" if answers else f"nothing answers on {url}"
    if runner is not None:
        info = docker.inspect(runner, "container", settings.name)
        detail += f"; container {settings.name!r}: {info['State']['Status'] if info else 'absent'}"
    fix = "" if answers else "invoke registry (starts it and waits for it)"
    return Check("local registry", answers, detail, fix)


def go_check(setup: Setup, environ) -> tuple[Check, str | None]:
    """Which Go each module (and go.work) asks for, and the golang image that builds
    them; with the GO_VERSION it takes (None: the Dockerfile's default)."""
    try:
        layout = workspace.resolve(setup.checkout, environ)
        version = goenv.image_version(setup.go, layout.go_minor)
    except UserError as e:
        return Check("Go version", False, e.message, e.hint or ""), None
    asks = [
        f"{m.path}: {_asks(gomod.parse_mod(m.dir / 'go.mod', main=False))}" for m in layout.modules
    ]
    if layout.work is not None:
        asks.append(f"{layout.work.name}: {_asks(gomod.parse_work(layout.work))}")
    images = build_step.go_images(setup.dockerfile, goenv.version_args(version)) or [
        "no golang FROM image"
    ]
    why = (
        "go.version"
        if setup.go.version
        else f"go {layout.go_version}"
        if version
        else "the Dockerfile's default"
    )
    return Check("Go version", True, f"{'; '.join(asks)} -> {images[0]} ({why})"), version


def _asks(file: gomod.ModFile | gomod.WorkFile) -> str:
    said = [f"go {file.go}"] if file.go else []
    if file.toolchain:
        said.append(f"toolchain {file.toolchain}")
    return ", ".join(said) or "no go line"


def base_images(setup: Setup, go_version: str | None = None) -> list[str]:
    """The images the Dockerfile builds FROM (GO_VERSION given), and the registry's image."""
    refs = build_step.from_images(setup.dockerfile, goenv.version_args(go_version))
    return [*refs, *([setup.registry.image] if setup.registry.image not in refs else [])]


def image_check(ref: str, runner: Runner) -> Check:
    name = f"image {ref}"
    info = docker.inspect(runner, "image", ref)
    if info is not None:
        labels = info.get("Config", {}).get("Labels") or {}
        if not labels.get("io.multiarch.standin"):
            return Check(name, True, "present")
        of = labels.get("org.opencontainers.image.version")
        return Check(name, True, f"present (local stand-in{f' of {of}' if of else ''})")
    probe = runner.query(
        ["docker", "buildx", "imagetools", "inspect", ref], check=False, timeout=60
    )
    if probe.returncode == 0:
        return Check(name, True, "not here, but pullable")
    return Check(
        name,
        False,
        f"not here and not pullable: {cause(probe.stderr) or 'no answer'}",
        "scripts/provision.sh builds a local stand-in; or docker pull it where a registry answers",
    )


def git_check(checkout: Path) -> Check:
    rev = describe(checkout, quiet=True)
    if rev.commit == "unknown":
        return Check(
            "git metadata",
            False,
            f"{checkout} is not a git checkout with commits: images get version 'dev'",
            "build from a git clone with at least one commit (and its tags)",
            required=False,
        )
    dirty = ", uncommitted changes" if rev.dirty else ""
    return Check("git metadata", True, f"version {rev.version}, commit {rev.commit[:12]}{dirty}")
