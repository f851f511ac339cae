"""The full build of a Go module's main packages for several platforms: the plans run
through buildx (buildx.py), and what was pushed, as the registry serves it.

One main package is one `docker buildx build`; several are one `docker buildx bake`.
`Build` is the one interface of every way to build (`run(plans)`): FullBuild here, and
the fast path over it (fast.FastBuild, fast.Recorded).
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ..core.command import NETWORK_TIMEOUT, Runner, say
from ..core.errors import UserError
from ..golang import compiler
from ..host import builder as builders
from ..host.registry import LocalRegistry, RegistrySettings
from ..oci import layers
from ..oci.registry_api import (
    PlatformManifest,
    RegistryAPI,
    is_loopback,
    platform_manifests,
    split_reference,
)
from .buildx import bake_command, bake_definition, bake_targets, command
from .planning import Plan


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
    # a full build where a fast one was asked for (fast.FastBuild): why; "" otherwise
    why: str = ""


class Build(Protocol):
    """A way to build plans, the one interface of the full build (FullBuild) and the fast
    one (fast.FastBuild) and of what wraps either (fast.Recorded)."""

    def run(self, plans: list[Plan]) -> list[Result]:
        """Build the plans: a Result per image pushed (or loaded, or exported), [] in a
        dry run."""
        ...


@dataclass(frozen=True)
class FullBuild:
    """The full build: one `docker buildx build` of one main package, one `docker buildx
    bake` of several."""

    runner: Runner

    def run(self, plans: list[Plan]) -> list[Result]:
        """Run the build of every main package at once; [] in a dry run."""
        runner = self.runner
        first = plans[0]
        if len(plans) > 1 and first.go.network:
            say(
                f"one build per main package: this buildx's bake cannot give a target the "
                f"network {first.go.network} (go.network)"
            )
            return [result for p in plans for result in self.run([p])]
        if len(plans) > 1 and first.client_push:
            say("one build per main package: each comes back as an OCI layout to push from here")
            return [result for p in plans for result in self.run([p])]
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
                    builders.explain(lines)
                    or first.go.explain(lines)
                    or compiler.explain(lines, built)
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


def pushed_manifests(runner: Runner, reference: str) -> list[PlatformManifest]:
    """The platforms of a pushed index, as the registry serves it."""
    host, repo, tag = split_reference(reference)
    if is_loopback(host):  # plain HTTP, no credentials: ask it directly, it is quicker
        return RegistryAPI(host).index(repo, tag).manifests
    raw = runner.query(
        ["docker", "buildx", "imagetools", "inspect", "--raw", reference], timeout=NETWORK_TIMEOUT
    )
    return platform_manifests(json.loads(raw.stdout))
