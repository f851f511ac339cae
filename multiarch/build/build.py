"""One build of a Go module's main packages for several platforms, and where it goes.

The plan (what to build, for which platforms, from which modules, to where) is made
and checked before anything runs, so that every mistake is reported before a build
starts; the command itself is a plain function of the plan. There is one plan per main
package (build.main). One main package is one `docker buildx build`; several are one
`docker buildx bake` of a generated definition with a target per main package, so that
they share one BuildKit session, one solve of the steps they have in common, and one
round of the fixed costs (see docs/speed.md).
"""

from __future__ import annotations

import dataclasses
import json
import re
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..core import platforms
from ..core.command import NETWORK_TIMEOUT, Runner, say
from ..core.config import default
from ..core.errors import UserError
from ..core.platforms import Platform
from ..dockerfile import dockerfile as dockerfiles
from ..golang import compiler, goenv, workspace
from ..golang import mains as main_packages
from ..golang.goenv import GoEnv, GoSettings
from ..golang.mains import Main
from ..golang.version import Revision, commit_states, describe
from ..host import builder as builders
from ..host.builder import Builder
from ..host.builder_setup import BuilderSettings
from ..host.registry import LocalRegistry, RegistrySettings
from ..oci import layers, reference
from ..oci.registry_api import (
    PlatformManifest,
    RegistryAPI,
    is_loopback,
    platform_manifests,
    split_reference,
)

WORKSPACE_LABEL = "io.multiarch.workspace"
PUSH_OUTPUT = "type=registry,oci-mediatypes=true"


def _build(key: str):
    return default("build", key)


@dataclass(frozen=True)
class BuildSettings:
    """The build.* settings (defaults: config.DEFAULTS), and where the result goes."""

    platforms: str = _build("platforms")
    registry: str = _build("registry")
    image: str = _build("image")  # empty: the binary's name, as `go build` names it
    # empty: the git version (`git describe --tags --dirty --always`, made a valid tag);
    # several comma-separated tags name the same image ("1.4.2,1.4,1,latest")
    tag: str = _build("tag")
    builder: str = _build("builder")
    push: bool = _build("push")
    load: bool = _build("load")
    no_cache: bool = _build("no_cache")
    allow_workspace: bool = _build("allow_workspace")
    # "auto": no attestation manifests for a registry on this machine (see docs/tasks/build.md:
    # they cost a local build time and nothing reads them), buildx's default elsewhere
    attestations: str = _build("attestations")
    context: str = "."
    # main packages, comma-separated, relative to the module: ".", "./cmd/api,./cmd/worker"
    main: str = _build("main")
    # empty: the module's Dockerfile, else the one shipped in the package
    dockerfile: str = _build("dockerfile")
    target: str = _build("target")
    # a buildx --output spec (type=local,dest=dist, type=oci,dest=x.tar) instead of
    # push or load
    output: str = ""
    # auto: a registry cache for builders other than the local daemon; off; a reference
    cache_registry: str = _build("cache_registry")
    # auto: the builder pushes unless it cannot reach the registry; builder; client
    push_from: str = _build("push_from")
    go: GoSettings = field(default_factory=GoSettings)  # where modules come from
    # builder.*: the docker-container builder made when the daemon needs one gets its config
    builders: BuilderSettings = field(default_factory=BuilderSettings)
    # more KEY=VALUE build arguments (invoke test: the Go image and the packages)
    build_args: tuple[str, ...] = ()

    def __post_init__(self):
        # "localhost:5000/" names the registry "localhost:5000": references are made as
        # REGISTRY/IMAGE:TAG, and a second "/" would make "localhost:5000//hellorld:e2e"
        object.__setattr__(self, "registry", self.registry.rstrip("/"))

    # derived settings: each says what the other build is, none changes this one

    def for_platforms(self, platforms: str) -> BuildSettings:
        """The same build for other platforms ("linux/amd64,linux/arm64")."""
        return dataclasses.replace(self, platforms=platforms)

    def tagged(self, *tags: str) -> BuildSettings:
        """The same build under these tags instead of build.tag's."""
        return dataclasses.replace(self, tag=",".join(tags))

    def in_context(self, context: str) -> BuildSettings:
        """The same build from another directory (a worktree of the same module)."""
        return dataclasses.replace(self, context=context)

    def of_stage(self, target: str) -> BuildSettings:
        """The build of another stage of the same Dockerfile."""
        return dataclasses.replace(self, target=target)

    def of_dockerfile(
        self, dockerfile: str, target: str, main: str, build_args: tuple[str, ...]
    ) -> BuildSettings:
        """The build of a stage of another Dockerfile, with its main package ("" for none)
        and build arguments."""
        return dataclasses.replace(
            self, dockerfile=dockerfile, target=target, main=main, build_args=build_args
        )

    def pushed(self) -> BuildSettings:
        """Pushed to the registry, neither loaded nor exported."""
        return dataclasses.replace(self, push=True, load=False, output="")

    def loaded(self) -> BuildSettings:
        """Loaded into the daemon, neither pushed nor exported."""
        return dataclasses.replace(self, push=False, load=True, output="")

    def kept(self) -> BuildSettings:
        """Neither pushed nor loaded: kept in the builder, or exported (output)."""
        return dataclasses.replace(self, push=False, load=False)

    def exported_to(self, output: str) -> BuildSettings:
        """Exported (a buildx --output, "type=oci,dest=..."), neither pushed nor loaded."""
        return dataclasses.replace(self.kept(), output=output)

    def without_attestations(self) -> BuildSettings:
        return dataclasses.replace(self, attestations="off")

    def without_cache(self) -> BuildSettings:
        """Every step run again (--no-cache)."""
        return dataclasses.replace(self, no_cache=True)

    def with_cache(self) -> BuildSettings:
        """Steps reused from the builder's cache, whatever build.no_cache says."""
        return dataclasses.replace(self, no_cache=False)


@dataclass
class Plan:
    settings: BuildSettings
    platforms: list[Platform]
    layout: workspace.Layout
    revision: Revision
    builder: Builder
    references: list[str]
    main: Main
    dockerfile: dockerfiles.Source
    dockerfile_text: str | None = None  # set when the Dockerfile goes through stdin
    labels: dict[str, str] = field(default_factory=dict)
    go: GoEnv = field(default_factory=GoEnv)

    @property
    def reference(self) -> str:
        return self.references[0]

    @property
    def dockerfile_sent(self) -> str:
        """The Dockerfile as the build gets it: filled in, or as it is."""
        return self.dockerfile_text if self.dockerfile_text is not None else self.dockerfile.text

    @property
    def output(self) -> str:
        s = self.settings
        if s.output:
            return "output"
        return "load" if s.load else "push" if s.push else "cache"

    @property
    def client_push(self) -> bool:
        """Whether the build comes back as an OCI layout and is pushed from here: asked
        for, or the builder cannot reach the registry (one on this machine, seen from a
        node on another)."""
        if self.output != "push" or self.settings.push_from == "builder":
            return False
        if self.settings.push_from == "client":
            return True
        return is_loopback(self.settings.registry) and not self.builder.reaches_loopback

    @property
    def cache_ref(self) -> str:
        """The registry cache the build reads and writes, "" for none: the local daemon
        keeps its own; a builder that cannot reach the registry cannot use one there; by
        default only a push has one (the registry is known to run)."""
        s = self.settings
        if s.cache_registry == "off" or self.builder.local_daemon or self.client_push:
            return ""
        if s.cache_registry != "auto":
            return s.cache_registry
        if self.output != "push":
            return ""
        host, repo, _ = split_reference(self.reference)
        return str(reference.Reference(host, repo, "buildcache"))

    # derived plans: each says what the other build is, none changes this one

    def for_platforms(self, platforms: list[Platform]) -> Plan:
        """The same build for some (or other) platforms."""
        return dataclasses.replace(self, platforms=platforms)

    def with_references(self, references: list[str]) -> Plan:
        """The same build under other references (REGISTRY/IMAGE:TAG)."""
        return dataclasses.replace(self, references=references)

    def with_settings(self, settings: BuildSettings) -> Plan:
        """The same main package and sources, built as settings say (output, stage, ...)."""
        return dataclasses.replace(self, settings=settings)

    def exported_to(self, output: str) -> Plan:
        """The same build exported (buildx --output) instead of pushed or loaded."""
        return self.with_settings(self.settings.exported_to(output))

    def of_revision(self, revision: Revision) -> Plan:
        """The same build labelled and stamped as another revision of the sources."""
        return dataclasses.replace(self, revision=revision)

    def at_version(self, version: str) -> Plan:
        """The same build with the binary and labels saying this version ("v1.4.2"),
        whatever `git describe` picks."""
        return self.of_revision(dataclasses.replace(self.revision, version=version))

    def with_dockerfile_text(self, text: str) -> Plan:
        """The same build from another Dockerfile text, sent through stdin (a cut of this
        one: the toolchain image's stages)."""
        return dataclasses.replace(self, dockerfile_text=text)


def plan(settings: BuildSettings, runner: Runner, environ) -> list[Plan]:
    """Check everything a build needs and decide how it runs, one plan per main package;
    nothing is built yet."""
    s = settings
    context = Path(s.context).resolve()
    targets = platforms.parse(s.platforms)
    check(s)
    if s.load and s.push and not s.output:
        raise UserError("--load and pushing exclude each other", "add --no-push to --load")
    layout = workspace.resolve(context, environ)
    go = goenv.resolve(s.go, environ, layout.go_minor, layout.vendored)
    # no main package (invoke test): one build of the module as a whole
    chosen_mains = (
        main_packages.parse(s.main, context, layout.module.path)
        if s.main
        else [main_packages.whole(layout.module.path)]
    )
    if s.image and len(chosen_mains) > 1:
        raise UserError(
            f"--image names one image, but build.main names {len(chosen_mains)} packages",
            "leave build.image unset: each image is named after its binary",
        )
    source = dockerfiles.source(context, s.dockerfile)
    registry = s.registry
    pushing = s.push and not s.load and not s.output
    if layout.others and pushing and not is_loopback(registry) and not s.allow_workspace:
        names = ", ".join(m.path or m.rel for m in layout.others)
        raise UserError(
            f"refusing to push a build of local checkouts ({names}) to {registry}",
            "push to a registry on this machine, set GOWORK=off, or pass --allow-workspace",
        )
    # git and the daemon are asked side by side: both are on every build's path
    chosen = builders.Pending(runner, s.builder, s.builders)
    with ThreadPoolExecutor(2) as pool:
        described = pool.submit(describe, context)
        labelled = pool.submit(provenance_labels, layout)
        revision, labels = described.result(), labelled.result()
    if s.load and len(targets) > 1 and not chosen.multi_platform_load:
        raise UserError(
            f"builder {chosen.name or 'default'} ({chosen.driver}) cannot --load "
            f"{len(targets)} platforms at once",
            "push instead, or --load one platform",
        )
    tags = tag_list(s, revision)
    plans = []
    for main in chosen_mains:
        inserted = layout.insert_stage(source.for_binary(main.binary))
        image = image_of(s, main)
        plans.append(
            Plan(
                settings=s,
                platforms=targets,
                layout=layout,
                revision=revision,
                builder=chosen,
                references=[str(reference.Reference(registry, image, tag)) for tag in tags],
                main=main,
                dockerfile=source,
                # the file as it is on disk, unless it is filled in or has none
                dockerfile_text=None if inserted == source.text and source.path else inserted,
                labels=labels,
                go=go,
            )
        )
    return plans


def image_names(settings: BuildSettings) -> list[str]:
    """The images' names, one per main package: as set, else each binary's name."""
    chosen = main_packages.of_module(settings.main, Path(settings.context))
    return [image_of(settings, main) for main in chosen]


def image_of(settings: BuildSettings, main: Main) -> str:
    """A main package's image name: as set, else its binary's name in lower case, as
    image names are."""
    if settings.image:
        return settings.image
    return reference.check_name(main.binary.lower(), f"the image name from {main.package}")


def check(settings: BuildSettings) -> None:
    """What Docker would refuse in the settings, refused first: the registry address, the
    image name, each tag given, the attestations mode."""
    s = settings
    reference.check_registry(s.registry, "registry (--registry, build.registry)")
    if s.image:
        reference.check_name(s.image, "image name (--image, build.image)")
    for tag in s.tag.split(",") if s.tag else []:
        reference.check_tag(tag.strip(), "tag (--tag, build.tag)")
    attestation_flags(s, s.registry)
    if s.push_from not in ("auto", "builder", "client"):
        raise UserError(f"unknown push_from setting {s.push_from!r}", "use auto, builder or client")
    if s.cache_registry not in ("auto", "off"):
        reference.check_registry(
            s.cache_registry.split("/", 1)[0], "cache registry (build.cache_registry)"
        )


def image_name(settings: BuildSettings) -> str:
    """The image of the first main package (the one `invoke smoke` tests)."""
    return image_names(settings)[0]


def tag_list(settings: BuildSettings, revision: Revision) -> list[str]:
    """The tags: as set (comma-separated), else the git version made a valid tag."""
    if settings.tag:
        return [t.strip() for t in settings.tag.split(",")]
    return [reference.valid_tag(revision.version)]


def default_image(settings: BuildSettings) -> str:
    """What `invoke build` pushes from this checkout (of the first main package, under
    the first tag): the image `invoke verify` and `invoke sign` take by default."""
    tag = tag_list(settings, describe(Path(settings.context), quiet=True))[0]
    return str(reference.Reference(settings.registry, image_name(settings), tag))


def provenance_labels(layout: workspace.Layout) -> dict[str, str]:
    """What a workspace build was made of: each module's path, place, commit, state."""
    if not layout.others:
        return {}
    every = layout.modules
    states = commit_states([m.dir for m in every])
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


def build_args(p: Plan) -> dict[str, str]:
    """The build args of the Dockerfile contract (docs/dockerfile.md), for one main package, and the
    settings' own: what `docker buildx build` and a bake target both get."""
    rev = p.revision
    args = {
        "VERSION": rev.version,
        "REVISION": rev.commit,
        "CREATED": rev.created,
        "SOURCE": rev.source,
        **p.layout.build_args(),
        "MAIN": p.main.package,
        "BINARY": p.main.binary,
        **p.go.build_args(),
    }
    if rev.epoch is not None:  # times from the commit: the image reproduces (docs/tasks/build.md)
        args["SOURCE_DATE_EPOCH"] = str(rev.epoch)
    # the settings' own (invoke test: the Go image and the packages)
    args.update(arg.split("=", 1) for arg in p.settings.build_args)
    return args


def cache(p: Plan) -> dict[str, str]:
    """cache-from and cache-to of the registry cache, if the build uses one ({} if not):
    a second farm node, or a fresh CI runner, starts warm from it."""
    ref = p.cache_ref
    if not ref:
        return {}
    return {
        "cache-from": f"type=registry,ref={ref}",
        "cache-to": f"type=registry,ref={ref},mode=max,oci-mediatypes=true",
    }


def command(
    p: Plan, contexts: dict[str, Path], metadata_file: Path | None, layout: Path | None = None
) -> list[str]:
    """The `docker buildx build` command line for a plan; `layout`: where an OCI layout
    goes that is pushed from here (Plan.client_push)."""
    s = p.settings
    args = ["docker", "buildx", "build", *p.builder.flags()]
    args += ["--platform", platforms.join(p.platforms), "--target", s.target]
    args += ["-f", "-" if p.dockerfile_text is not None else str(p.dockerfile.path)]
    for key, value in build_args(p).items():
        args += ["--build-arg", f"{key}={value}"]
    for name, path in contexts.items():
        args += ["--build-context", f"{name}={path}"]
    for key, value in p.labels.items():
        args += ["--label", f"{key}={value}"]
    args += p.go.flags()
    args += attestation_flags(s, s.registry)
    if s.no_cache:
        args.append("--no-cache")
    for key, spec in cache(p).items():
        args += [f"--{key}", spec]
    for ref in p.references:
        args += ["-t", ref]
    if p.client_push:
        args += ["--output", f"type=oci,dest={layout},tar=false"]
    else:
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
        if not runner.dry and RegistryAPI(host).answers():
            return  # up: no need to ask the daemon about its container (fast builds)
        LocalRegistry(local, runner).ensure()
    elif not runner.dry and not RegistryAPI(host).answers():
        raise UserError(f"registry {host} does not answer", "check --registry, or start it")


@dataclass(frozen=True)
class Result:
    reference: str
    digest: str
    manifests: list[PlatformManifest]  # attestations left out


def run(plans: list[Plan], runner: Runner) -> list[Result]:
    """Run the build of every main package at once; [] in a dry run."""
    first = plans[0]
    if len(plans) > 1 and first.go.network:
        say(
            f"one build per main package: this buildx's bake cannot give a target the "
            f"network {first.go.network} (go.network)"
        )
        return [result for p in plans for result in run([p], runner)]
    if len(plans) > 1 and first.client_push:
        say("one build per main package: each comes back as an OCI layout to push from here")
        return [result for p in plans for result in run([p], runner)]
    if first.layout.stage_lines():
        say("[dim]the workspace stage gets:[/]")
        for line in first.layout.stage_lines():
            say(f"[dim]  {line}[/]")
    if first.client_push:
        pushed = run_client_push(first, runner)
        return [pushed] if pushed else []
    with (
        first.layout.contexts() as contexts,
        tempfile.TemporaryDirectory(prefix="multiarch-build-") as tmp,
    ):
        metadata = Path(tmp) / "metadata.json"
        if len(plans) == 1:
            argv, text = command(first, contexts, metadata), first.dockerfile_text
        else:
            definition = Path(tmp) / "bake.json"
            targets = bake_targets(plans)
            for name, p in targets.items():
                to = p.settings.output if p.output == "output" else " ".join(p.references)
                say(f"[dim]bake target {name}: {p.main.package} -> {to}[/]")
            definition.write_text(json.dumps(bake_definition(targets, contexts), indent=2))
            argv, text = bake_command(first, definition, metadata), None

        def explain(lines: list[str]) -> UserError | None:
            built = [str(t) for t in first.platforms]
            return (
                builders.explain(lines) or first.go.explain(lines) or compiler.explain(lines, built)
            )

        def build() -> None:
            runner.run(
                argv, input=text, hint="the build's own output above says why", explain=explain
            )

        try:
            build()
        except UserError as e:
            if not tag_race(first, e):
                raise
            say(
                "the registry answered 500 to a look-up of a tag being written (registry 2.8 "
                "races when several tags are pushed at once): pushing again, from the cache"
            )
            build()
        if runner.dry:
            return []
        written = json.loads(metadata.read_text()) if metadata.exists() else {}
    if len(plans) == 1:
        written = {"": written}
        targets = {"": first}
    results = []
    for name, p in targets.items():
        digest = written.get(name, {}).get("containerimage.digest", "")
        pushed = pushed_manifests(runner, p.reference) if p.output == "push" else []
        results.append(Result(p.reference, digest, pushed))
    return results


def run_client_push(p: Plan, runner: Runner) -> Result | None:
    """Build to OCI layouts and push them from here (Plan.client_push); None in a dry run.

    buildx exports no OCI layout from a build spread over several nodes: on a farm, one
    build per platform (each goes to the node that takes it), one index made of them."""
    reason = (
        "asked for (build.push_from)"
        if p.settings.push_from == "client"
        else f"builder {p.builder.name!r} cannot reach {p.settings.registry}, which is on this "
        "machine and not on the builder's"
    )
    split = len(p.builder.nodes) > 1 and len(p.platforms) > 1
    say(
        f"the build comes back as an OCI layout and is pushed from here: {reason}"
        + (
            "; one build per platform, as buildx exports no layout from several nodes"
            if split
            else ""
        )
    )
    groups = [[one] for one in p.platforms] if split else [p.platforms]
    with p.layout.contexts() as contexts, tempfile.TemporaryDirectory(prefix="multiarch-") as tmp:
        layouts = [Path(tmp) / f"oci-{i}" for i in range(len(groups))]
        for group, layout in zip(groups, layouts, strict=True):
            argv = command(p.for_platforms(group), contexts, None, layout)
            runner.run(
                argv,
                input=p.dockerfile_text,
                hint="the build's own output above says why",
                explain=p.go.explain,
            )
        if runner.dry:
            return None
        say(f"pushing {len(layouts)} OCI layout(s) to {', '.join(p.references)}")
        digest = layers.push_layouts([layers.Layout(d) for d in layouts], p.references)
    return Result(p.reference, digest, pushed_manifests(runner, p.reference))


def tag_race(p: Plan, failure: UserError) -> bool:
    """Whether a push failed on registry 2.8's race: a HEAD of a tag that another push of
    the same build is writing answers 500 (seen with several tags, and with attestations).
    Only a registry on this machine is pushed to again."""
    said = str(failure)
    return (
        p.output == "push"
        and is_loopback(p.settings.registry)
        and "unexpected status from HEAD request" in said
        and "500" in said
    )


def bake_targets(plans: list[Plan]) -> dict[str, Plan]:
    """The plans by bake target name: the binary's name in the characters bake allows."""
    targets: dict[str, Plan] = {}
    for p in plans:
        name = re.sub(r"[^A-Za-z0-9_-]", "_", p.main.binary)
        while name in targets:
            name += "_"
        targets[name] = p
    return targets


def bake_definition(targets: dict[str, Plan], contexts: dict[str, Path]) -> dict:
    """A bake file (JSON) with one target per main package, each what `command` gives
    `docker buildx build` for it: the same args, labels, tags, contexts and output."""
    definition: dict = {"group": {"default": {"targets": list(targets)}}, "target": {}}
    for name, p in targets.items():
        s = p.settings
        target = {
            "context": str(s.context),
            "target": s.target,
            "platforms": [str(one) for one in p.platforms],
            "args": build_args(p),
            "labels": p.labels,
            "tags": p.references,
            "contexts": {key: str(path) for key, path in contexts.items()},
            "no-cache": s.no_cache,
            "output": {
                "push": [PUSH_OUTPUT],
                "load": ["type=docker"],
                "cache": ["type=cacheonly"],
                "output": [s.output],
            }[p.output],
        }
        target.update({key: [spec] for key, spec in cache(p).items()})
        secrets = p.go.secrets()
        if secrets:
            target["secret"] = [f"id={key},src={path}" for key, path in secrets.items()]
        if p.dockerfile_text is not None:
            target["dockerfile-inline"] = p.dockerfile_text
        else:
            target["dockerfile"] = str(p.dockerfile.path)
        definition["target"][name] = target
    return _bake_escaped(definition)


def _bake_escaped(value):
    """Bake interpolates ${...} and %{...} in every string (HCL's JSON syntax): $${ and
    %%{ keep them as they are, for the Dockerfile's own variables."""
    if isinstance(value, str):
        return value.replace("${", "$${").replace("%{", "%%{")
    if isinstance(value, list):
        return [_bake_escaped(v) for v in value]
    if isinstance(value, dict):
        return {k: _bake_escaped(v) for k, v in value.items()}
    return value


def bake_command(p: Plan, definition: Path, metadata_file: Path) -> list[str]:
    """The `docker buildx bake` command line for a definition of several main packages."""
    args = ["docker", "buildx", "bake", *p.builder.flags(), "-f", str(definition)]
    args += attestation_flags(p.settings, p.settings.registry)
    return [*args, "--metadata-file", str(metadata_file)]


def pushed_manifests(runner: Runner, reference: str) -> list[PlatformManifest]:
    """The platforms of a pushed index, as the registry serves it."""
    host, repo, tag = split_reference(reference)
    if is_loopback(host):  # plain HTTP, no credentials: ask it directly, it is quicker
        return RegistryAPI(host).index(repo, tag).manifests
    raw = runner.query(
        ["docker", "buildx", "imagetools", "inspect", "--raw", reference], timeout=NETWORK_TIMEOUT
    )
    return platform_manifests(json.loads(raw.stdout))
