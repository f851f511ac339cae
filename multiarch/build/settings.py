"""A build's settings (build.*, and the flags over them), derived by named methods, and
what Docker would refuse in them, refused before anything runs."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from ..core.errors import UserError
from ..core.options import settings_of
from ..golang.goenv import GoSettings
from ..host.builder_setup import BuilderSettings
from ..oci import reference
from ..oci.registry_api import is_loopback


@dataclass(frozen=True)
@settings_of("build")
class BuildSettings:
    """The build.* settings (their entries: core/options.py), and where the result goes.

    build.tag, when empty, is the git version (`git describe --tags --dirty --always`, made a
    valid tag); several comma-separated tags name the same image ("1.4.2,1.4,1,latest").
    build.attestations "auto" makes no attestation manifests for a registry on this machine
    (see docs/tasks/build.md: they cost a local build time and nothing reads them), buildx's
    default elsewhere."""

    # the module's directory: the task layer sets build.context to that of tasks.py
    context: str = "."
    # a buildx --output spec (type=local,dest=dist, type=oci,dest=x.tar) instead of
    # push or load
    output: str = ""
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
    if s.cache_registry not in ("auto", "off"):
        reference.check_registry(
            s.cache_registry.split("/", 1)[0], "cache registry (build.cache_registry)"
        )


def attestation_flags(settings: BuildSettings, registry: str) -> list[str]:
    mode = settings.attestations
    if mode == "auto":
        return ["--provenance=false"] if is_loopback(registry) else []
    if mode in ("off", "false"):
        return ["--provenance=false", "--sbom=false"]
    if mode in ("on", "true"):
        return ["--provenance=mode=max", "--sbom=true"]
    raise UserError(f"unknown attestations setting {mode!r}", "use auto, on or off")
