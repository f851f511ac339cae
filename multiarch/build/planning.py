"""The plan of a build: what to build, for which platforms, from which modules, to where.

The plan is made and checked before anything runs, so that every mistake is reported
before a build starts; the command (buildx.py) is a plain function of the plan. There is
one plan per main package (build.main).
"""

from __future__ import annotations

import dataclasses
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..core import platforms
from ..core.command import Runner
from ..core.errors import UserError
from ..core.platforms import Platform
from ..dockerfile import dockerfile as dockerfiles
from ..golang import goenv, workspace
from ..golang import mains as main_packages
from ..golang.goenv import GoEnv
from ..golang.mains import Main
from ..golang.version import Revision, commit_state, describe
from ..host import builder as builders
from ..host.builder import Builder
from ..oci import reference
from ..oci.registry_api import is_loopback, split_reference
from .settings import BuildSettings, check

WORKSPACE_LABEL = "io.multiarch.workspace"


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
    with ThreadPoolExecutor(8) as pool:  # a git look-up per module: side by side
        states = list(pool.map(commit_state, [m.dir for m in every]))
    modules = [
        {"path": m.path, "dir": m.rel, "commit": commit, "dirty": dirty}
        for m, (commit, dirty) in zip(every, states, strict=True)
    ]
    work = str(layout.work.relative_to(layout.root)) if layout.work else ""
    return {WORKSPACE_LABEL: json.dumps({"go_work": work, "modules": modules})}


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
