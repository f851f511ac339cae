"""One `docker buildx build` of a Go module for several platforms, and where it goes.

The plan (what to build, for which platforms, from which modules, to where) is made
and checked before anything runs, so that every mistake is reported before a build
starts; the command itself is a plain function of the plan.
"""

from __future__ import annotations

import json
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from . import builder as builders
from . import platforms, workspace
from .builder import Builder
from .command import Runner, say
from .errors import UserError
from .platforms import Platform
from .registry import LocalRegistry, RegistrySettings
from .registry_api import (
    PlatformManifest,
    RegistryAPI,
    is_loopback,
    platform_manifests,
    split_reference,
)
from .version import Revision, commit_state, describe

WORKSPACE_LABEL = "io.multiarch.workspace"
PUSH_OUTPUT = "type=registry,oci-mediatypes=true"


@dataclass(frozen=True)
class BuildSettings:
    platforms: str = "linux/amd64,linux/arm64,linux/arm/v7"
    registry: str = "localhost:5000"
    image: str = ""  # default: the last element of the Go module's path
    # default: the git version (`git describe --tags --dirty --always`); several
    # comma-separated tags name the same image ("1.4.2,1.4,1,latest")
    tag: str = ""
    builder: str = ""
    push: bool = True
    load: bool = False
    no_cache: bool = False
    allow_workspace: bool = False
    # "auto": no attestation manifests for a registry on this machine (see README:
    # they cost a local build time and nothing reads them), buildx's default elsewhere
    attestations: str = "auto"
    context: str = "."
    dockerfile: str = "Dockerfile"
    target: str = "image"
    # a buildx --output spec (type=local,dest=dist, type=oci,dest=x.tar) instead of
    # push or load
    output: str = ""


@dataclass
class Plan:
    settings: BuildSettings
    platforms: list[Platform]
    layout: workspace.Layout
    revision: Revision
    builder: Builder
    references: list[str]
    dockerfile_text: str | None = None  # set when the Dockerfile goes through stdin
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def reference(self) -> str:
        return self.references[0]

    @property
    def output(self) -> str:
        s = self.settings
        if s.output:
            return "output"
        return "load" if s.load else "push" if s.push else "cache"


def plan(settings: BuildSettings, runner: Runner, environ) -> Plan:
    """Check everything a build needs and decide how it runs; nothing is built yet."""
    s = settings
    context = Path(s.context).resolve()
    targets = platforms.parse(s.platforms)
    if s.load and s.push and not s.output:
        raise UserError("--load and pushing exclude each other", "add --no-push to --load")
    layout = workspace.resolve(context, environ)
    registry = s.registry.rstrip("/")
    pushing = s.push and not s.load and not s.output
    if layout.others and pushing and not is_loopback(registry) and not s.allow_workspace:
        names = ", ".join(m.path or m.rel for m in layout.others)
        raise UserError(
            f"refusing to push a build of local checkouts ({names}) to {registry}",
            "push to a registry on this machine, set GOWORK=off, or pass --allow-workspace",
        )
    # git and the daemon are asked side by side: both are on every build's path
    with ThreadPoolExecutor(2) as pool:
        described = pool.submit(describe, context)
        labelled = pool.submit(provenance_labels, layout)
        chosen = builders.choose(runner, s.builder)
        revision, labels = described.result(), labelled.result()
    if s.load and len(targets) > 1 and not chosen.multi_platform_load:
        raise UserError(
            f"builder {chosen.name or 'default'} ({chosen.driver}) cannot --load "
            f"{len(targets)} platforms at once",
            "push instead, or --load one platform",
        )
    image = image_name(s)
    tags = tag_list(s, revision)
    dockerfile = context / s.dockerfile
    if not dockerfile.is_file():
        raise UserError(f"no Dockerfile at {dockerfile}", "set build.dockerfile")
    text = dockerfile.read_text()
    inserted = layout.insert_stage(text)
    return Plan(
        settings=s,
        platforms=targets,
        layout=layout,
        revision=revision,
        builder=chosen,
        references=[f"{registry}/{image}:{tag}" for tag in tags],
        dockerfile_text=inserted if inserted != text else None,
        labels=labels,
    )


def image_name(settings: BuildSettings) -> str:
    """The image's name: as set, else the last element of the Go module's path."""
    if settings.image:
        return settings.image
    module = workspace.parse_mod(Path(settings.context) / "go.mod").module
    return module.rstrip("/").rsplit("/", 1)[-1]


def tag_list(settings: BuildSettings, revision: Revision) -> list[str]:
    """The tags: as set (comma-separated), else the git version ("+" is no tag character)."""
    return [t.strip() for t in (settings.tag or revision.version.replace("+", "-")).split(",")]


def provenance_labels(layout: workspace.Layout) -> dict[str, str]:
    """What a workspace build was made of: each module's path, place, commit, state."""
    if not layout.others:
        return {}
    every = [layout.module, *layout.others]
    with ThreadPoolExecutor(8) as pool:  # a git look-up per module: side by side
        states = list(pool.map(commit_state, [m.dir for m in every]))
    modules = [
        {"path": m.path, "dir": m.rel, "commit": commit, "dirty": dirty}
        for m, (commit, dirty) in zip(every, states, strict=True)
    ]
    work = str(layout.work.relative_to(layout.root)) if layout.work else ""
    return {WORKSPACE_LABEL: json.dumps({"go_work": work, "modules": modules})}


def attestation_flags(settings: BuildSettings, registry: str) -> list[str]:
    mode = settings.attestations
    if mode == "auto":
        return ["--provenance=false"] if is_loopback(registry) else []
    if mode in ("off", "false"):
        return ["--provenance=false", "--sbom=false"]
    if mode in ("on", "true"):
        return ["--provenance=mode=max", "--sbom=true"]
    raise UserError(f"unknown attestations setting {mode!r}", "use auto, on or off")


def command(p: Plan, contexts: dict[str, Path], metadata_file: Path | None) -> list[str]:
    """The `docker buildx build` command line for a plan."""
    s, rev = p.settings, p.revision
    args = ["docker", "buildx", "build", *p.builder.flags()]
    args += ["--platform", platforms.join(p.platforms), "--target", s.target]
    args += ["-f", "-" if p.dockerfile_text is not None else str(Path(s.context) / s.dockerfile)]
    build_args = {
        "VERSION": rev.version,
        "REVISION": rev.commit,
        "CREATED": rev.created,
        "SOURCE": rev.source,
        **p.layout.build_args(),
    }
    if rev.epoch is not None:  # times from the commit: the image reproduces (see README)
        build_args["SOURCE_DATE_EPOCH"] = str(rev.epoch)
    for key, value in build_args.items():
        args += ["--build-arg", f"{key}={value}"]
    for name, path in contexts.items():
        args += ["--build-context", f"{name}={path}"]
    for key, value in p.labels.items():
        args += ["--label", f"{key}={value}"]
    args += attestation_flags(s, s.registry)
    if s.no_cache:
        args.append("--no-cache")
    for reference in p.references:
        args += ["-t", reference]
    args += {
        # OCI media types, as the OCI archive of `invoke release` and `invoke verify` has
        # them: otherwise the docker driver pushes Docker's, and the same image gets
        # other manifest digests in the registry than in the archive
        "push": ["--output", PUSH_OUTPUT],
        "load": ["--load"],
        "cache": [],
        "output": ["--output", s.output],
    }[p.output]
    if metadata_file is not None:
        args += ["--metadata-file", str(metadata_file)]
    args.append(str(s.context))
    return args


def ensure_registry(p: Plan, registry_settings: RegistrySettings, runner: Runner) -> None:
    """Start the local registry if the push goes there; check any other one answers."""
    if p.output != "push":
        return
    host = p.settings.registry
    local = registry_settings
    if is_loopback(host) and host.rsplit(":", 1)[-1] == str(local.port):
        LocalRegistry(local, runner).ensure()
    elif not runner.dry and not RegistryAPI(host).answers():
        raise UserError(f"registry {host} does not answer", "check --registry, or start it")


@dataclass(frozen=True)
class Result:
    reference: str
    digest: str
    manifests: list[PlatformManifest]  # attestations left out


def run(p: Plan, runner: Runner) -> Result | None:
    """Run the build; None in a dry run."""
    if p.dockerfile_text is not None:
        say("[dim]the workspace stage gets:[/]")
        for line in p.layout.stage_lines():
            say(f"[dim]  {line}[/]")
    with p.layout.contexts() as contexts, tempfile.TemporaryDirectory() as tmp:
        metadata = Path(tmp) / "metadata.json"
        argv = command(p, contexts, metadata)
        runner.run(
            argv,
            input=p.dockerfile_text,
            hint="the build's own output above says why",
        )
        if runner.dry:
            return None
        written = json.loads(metadata.read_text()) if metadata.exists() else {}
        digest = written.get("containerimage.digest", "")
    if p.output != "push":
        return Result(p.reference, digest, [])
    return Result(p.reference, digest, pushed_manifests(runner, p.reference))


def pushed_manifests(runner: Runner, reference: str) -> list[PlatformManifest]:
    """The platforms of a pushed index, as the registry serves it."""
    host, repo, tag = split_reference(reference)
    if is_loopback(host):  # plain HTTP, no credentials: ask it directly, it is quicker
        return RegistryAPI(host).index(repo, tag).manifests
    raw = runner.query(["docker", "buildx", "imagetools", "inspect", "--raw", reference])
    return platform_manifests(json.loads(raw.stdout))
