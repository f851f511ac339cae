"""The buildx command lines of a plan: `docker buildx build` for one main package, and
`docker buildx bake` of a generated definition with a target per main package for
several, so that they share one BuildKit session, one solve of the steps they have in
common, and one round of the fixed costs (see docs/speed.md).
"""

from __future__ import annotations

import re
from pathlib import Path

from ..core import platforms
from .planning import Plan, build_args
from .settings import attestation_flags

PUSH_OUTPUT = "type=registry,oci-mediatypes=true"


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
