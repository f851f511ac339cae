"""SLSA v1 provenance of a release, made from its build plan.

BuildKit 0.13 (Docker Engine 26) writes only SLSA v0.2 provenance (`--provenance
version=v1` is ignored there), and a local registry gets none (attestations=auto), so the
statement is written here from what the plan says was built, one per platform, and goes
into that platform's attestation manifest beside its SBOM (attestations.py). The platform
manifests are not touched: their digests stay what the build made.

What it names (https://slsa.dev/spec/v1.0/provenance):

- buildDefinition.buildType: BUILD_TYPE, this build (the README's "SLSA provenance", which
  points to docs/tasks/release.md);
- externalParameters: the source (its public URL, without credentials), the tag released,
  the commit, the platforms, the Dockerfile (its path in the module, or "default"), the
  target, the main package and the build args, those that may hold a secret left out and
  any user or token taken out of a URL;
- resolvedDependencies: the git source (digest `gitCommit`) and the base images of the
  Dockerfile, with their digest where the local daemon builds and has them;
- runDetails.builder: multiarch and its version, the buildx builder and its driver;
  metadata: an invocation id, and when the release started and finished.

A netrc or CA reaches the build as a BuildKit secret (goenv.py), never as a build arg,
so it has no place here at all.
"""

from __future__ import annotations

import re
import urllib.parse
import uuid
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from ..core.command import Runner
from ..core.errors import UserError
from ..core.platforms import Platform
from .planning import Plan, build_args

PREDICATE_TYPE = "https://slsa.dev/provenance/v1"
STATEMENT = "https://in-toto.io/Statement/v1"
HOME = "https://github.com/multiarch/hellorld"
BUILD_TYPE = f"{HOME}/blob/main/README.md#slsa-provenance"
# build args whose name says they may carry a secret: never written down
SECRET_NAME = re.compile(r"PASS|TOKEN|SECRET|NETRC|AUTH|CRED|KEY|COOKIE", re.I)
_ARG = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")
_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/@\s,|]*@")


@dataclass(frozen=True)
class Run:
    """When the release ran, and through which buildx."""

    started: str  # RFC 3339
    finished: str
    buildx: str  # `docker buildx version`'s version
    invocation: str = ""  # default: a new UUID


def public(value: str) -> str:
    """`value` with any user and password or token taken out of the URLs in it."""
    return _USERINFO.sub(r"\g<scheme>", value)


def public_args(args: dict[str, str]) -> dict[str, str]:
    """The build args fit to publish: none whose name hints at a secret, no URL credentials."""
    return {k: public(v) for k, v in sorted(args.items()) if not SECRET_NAME.search(k)}


@dataclass(frozen=True)
class Base:
    """A base image a Dockerfile's FROM names, and the FROM's --platform ("" for none)."""

    image: str
    platform: str = ""


def base_images(text: str, args: dict[str, str]) -> list[Base]:
    """The images a Dockerfile's FROM lines name, with ${ARG}s filled in from `args`, then
    from the global ARG defaults; not scratch and not the file's own stages."""
    defaults: dict[str, str] = {}
    stages: set[str] = set()
    found: list[Base] = []
    seen_from = False
    for line in text.splitlines():
        words = line.split()
        if not words:
            continue
        keyword = words[0].upper()
        if keyword == "ARG" and not seen_from:
            for word in words[1:]:
                name, _, value = word.partition("=")
                defaults[name] = value.strip("\"'")
        elif keyword == "FROM":
            seen_from = True
            rest = [w for w in words[1:] if not w.startswith("--")]
            flags = [w.partition("=")[2] for w in words[1:] if w.startswith("--platform=")]
            if not rest:
                continue
            image = _ARG.sub(lambda m: args.get(m[1], defaults.get(m[1], "")), rest[0])
            base = Base(image, flags[0] if flags else "")
            if len(rest) >= 3 and rest[1].upper() == "AS":
                stages.add(rest[2].lower())
            if image != "scratch" and image.lower() not in stages and base not in found:
                found.append(base)
    return found


def purl(image: str) -> str:
    """An image reference as a package URL, as BuildKit writes it: pkg:docker/NAME@TAG."""
    name, _, pinned = image.partition("@")
    slash = name.rfind("/")
    if ":" in name[slash + 1 :]:
        name, _, tag = name.rpartition(":")
    else:
        tag = "latest"
    return f"pkg:docker/{name}@{pinned or tag}"


def predicate(
    p: Plan, platform: Platform, run: Run, bases: dict[Base, str], invocation: str
) -> dict:
    """The SLSA v1 predicate of one platform of a release's plan; `bases`: base image ->
    its digest where known ("" where not)."""
    rev = p.revision
    s = p.settings
    ref = f"refs/tags/{rev.version}"
    source = public(rev.source)
    git = {"digest": {"gitCommit": rev.commit}, "name": "source"}
    if source:
        git["uri"] = f"git+{source}@{ref}"
    images = []
    for base, digest in bases.items():
        entry = {"uri": purl(base.image), "name": base.image}
        if not base.platform or "TARGETPLATFORM" in base.platform:  # the platform's own
            entry["uri"] += f"?platform={urllib.parse.quote(str(platform), safe='')}"
        else:  # another (the build platform's, --platform=$BUILDPLATFORM)
            entry["annotations"] = {"platform": base.platform}
        if digest:
            algorithm, _, hexdigest = digest.partition(":")
            entry["digest"] = {algorithm: hexdigest}
        images.append(entry)
    builder = p.builder
    dockerfile = "default"
    if p.dockerfile.path is not None:
        path, module = p.dockerfile.path.resolve(), Path(s.context).resolve()
        dockerfile = str(path.relative_to(module)) if module in path.parents else path.name
    ours = version("multiarch")
    return {
        "buildDefinition": {
            "buildType": BUILD_TYPE,
            "externalParameters": {
                "source": source,
                "ref": ref,
                "commit": rev.commit,
                "platform": str(platform),
                "platforms": [str(each) for each in p.platforms],
                "dockerfile": dockerfile,
                "target": s.target,
                "main": p.main.package,
                "buildArgs": public_args(build_args(p)),
            },
            "internalParameters": {"references": p.references},
            "resolvedDependencies": [git, *images],
        },
        "runDetails": {
            "builder": {
                "id": f"{HOME}/tree/main/multiarch@{ours}"
                f"?builder={builder.name or 'default'}&driver={builder.driver}",
                "version": {"multiarch": ours, "buildx": run.buildx},
            },
            "metadata": {
                "invocationId": invocation,
                "startedOn": run.started,
                "finishedOn": run.finished,
            },
        },
    }


def of_release(p: Plan, run: Run, runner: Runner) -> dict[str, dict]:
    """Each platform's SLSA v1 predicate (by platform, as `os/arch[/variant]`), one
    invocation id for the whole release."""
    invocation = run.invocation or str(uuid.uuid4())
    args = build_args(p)
    bases = {b: digest_of(b.image, p, runner) for b in base_images(p.dockerfile_sent, args)}
    return {str(each): predicate(p, each, run, bases, invocation) for each in p.platforms}


def digest_of(image: str, p: Plan, runner: Runner) -> str:
    """The base image's digest: the one it is pinned to, else the local daemon's, when the
    build ran there; "" when not known (another builder resolves it itself)."""
    if "@" in image:
        return image.partition("@")[2]
    if not p.builder.local_daemon:
        return ""
    done = runner.query(["docker", "image", "inspect", "--format", "{{.Id}}", image], check=False)
    found = done.stdout.strip()
    return found if done.returncode == 0 and found.startswith("sha256:") else ""


def check_commit(predicates: dict[str, dict], platforms: dict[str, str], commit: str) -> None:
    """UserError when a platform's provenance (`predicates`: manifest digest -> predicate)
    names another commit than `commit`."""
    for digest, found in predicates.items():
        named = found.get("buildDefinition", {}).get("externalParameters", {}).get("commit")
        if named != commit:
            raise UserError(
                f"the provenance of {platforms.get(digest, digest)} names commit {named}, "
                f"not {commit}",
                "the image is not of the commit its labels name",
            )
