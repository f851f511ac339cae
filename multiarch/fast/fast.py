"""`invoke build --fast`: a Go source change into the registry without BuildKit.

A full build pushed to a registry on this machine by `--fast` (or `invoke dev`) records
what it was made of, taken before it ran: its fingerprint (the Dockerfile as sent, the
target, the build args but the version, revision and times, the platforms, every
module's go.mod and go.sum, go.work, the workspace's layout, the builder asked for, the
Go environment's flags, the attestations), the base images' ids in the image store, and
every file of the contexts that is not Go source. When only Go source changed since,
the build compiles with the Dockerfile's own go build step (build_step, toolchain) and
pushes the last full build's image with only the binary's layer made anew (fast_image).
Anything else changed, nothing recorded, a registry elsewhere, a Dockerfile the fast
path cannot follow: a full build, and one line saying why.
"""

from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import json
import os
import posixpath
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..build.full import Build, FullBuild, Result
from ..build.planning import Plan, build_args
from ..build.settings import attestation_flags
from ..core import files
from ..core.command import Runner, say, warn
from ..core.errors import UserError
from ..core.platforms import Platform
from ..dockerfile import build_step, context_files
from ..dockerfile.build_step import BuildStep, Unsupported
from ..golang import compiler
from ..oci.registry_api import PlatformManifest, RegistryAPI, is_loopback, split_reference
from . import fast_image, toolchain
from .fast_image import Changed

# Build args that differ from build to build of the same tree; the labels that carry
# them are rewritten instead.
PER_BUILD_ARGS = ("VERSION", "REVISION", "CREATED", "SOURCE_DATE_EPOCH")
STATE_VERSION = 2


def home() -> Path:
    """Where the fast path keeps its state: $XDG_CACHE_HOME/multiarch/fast."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "multiarch" / "fast"


@dataclass(frozen=True)
class Place:
    """One image of one main package of one module: its state directory."""

    key: str
    repository: str  # registry/name
    dir: Path

    @classmethod
    def of(cls, p: Plan) -> Place:
        host, repo, _ = split_reference(p.reference)
        ident = json.dumps([str(p.layout.module.dir), p.main.package, f"{host}/{repo}"])
        key = hashlib.sha256(ident.encode()).hexdigest()[:16]
        return cls(key, f"{host}/{repo}", home() / key)

    @property
    def record_file(self) -> Path:
        return self.dir / "full-build.json"

    @contextmanager
    def locked(self) -> Iterator[None]:
        """One fast build (or record) of this image at a time: they share the
        containers and what was sent to them (invoke dev and a build by hand)."""
        self.dir.mkdir(parents=True, exist_ok=True)
        with open(self.dir / "lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def load(self) -> dict | None:
        try:
            record = json.loads(self.record_file.read_text())
        except (OSError, ValueError):
            return None
        return record if record.get("version") == STATE_VERSION else None

    def store(self, record: dict) -> None:
        try:
            tmp = self.record_file.with_suffix(".tmp")
            tmp.write_text(json.dumps(record))
            tmp.replace(self.record_file)
        except OSError as e:  # the build itself is done: only --fast loses
            warn(f"cannot record this build for --fast in {self.dir}: {e.strerror}")


def fingerprint(p: Plan) -> dict[str, str]:
    """What a build's result depends on besides Go source and the base images, by what a
    change is called."""
    module_files = {}
    for m in p.layout.modules:
        for name in ("go.mod", "go.sum"):
            path = m.dir / name
            module_files[f"{m.rel}/{name}"] = files.sha256(path) if path.is_file() else ""
    for path in p.layout.work_files():
        module_files[path.name] = files.sha256(path)
    args = {k: v for k, v in build_args(p).items() if k not in PER_BUILD_ARGS}
    parts = {
        "the Dockerfile": p.dockerfile_sent,
        "the target": p.settings.target,
        "the build args": args,
        "the platforms": [str(t) for t in p.platforms],
        "go.mod or go.sum": module_files,
        "the workspace": [[m.rel, m.path] for m in p.layout.modules] + [str(p.layout.work)],
        "the builder": p.settings.builder,  # as asked for: a fast build waits for no daemon
        "the Go environment's flags": p.go.flags(),
        "the attestations": attestation_flags(p.settings, p.settings.registry),
    }
    return {
        what: hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()
        for what, value in parts.items()
    }


def context_snapshot(p: Plan, previous: dict[str, list]) -> dict[str, list]:
    """Every file of the build contexts that is not Go source: path -> [size, mtime_ns,
    sha256]; a file whose size and time are as before keeps its hash unread. A link is
    known by where it points, as BuildKit sends it."""
    snapshot: dict[str, list] = {}
    for m in p.layout.modules:
        stats = context_files.walk(m.dir, context_files.Ignore.read(m.dir))
        for rel, st in stats.items():
            if rel.endswith(".go"):
                continue
            name = f"{m.rel}/{rel}"
            old = previous.get(name)
            if old and old[0] == st.st_size and old[1] == st.st_mtime_ns:
                snapshot[name] = old
            else:
                snapshot[name] = [st.st_size, st.st_mtime_ns, _content(m.dir / rel)]
    return snapshot


def _content(path: Path) -> str:
    try:
        if path.is_symlink():
            return "-> " + os.readlink(path)
        return files.sha256(path)
    except OSError as e:
        raise UserError(f"cannot read {path}: {e.strerror}", "check the file") from None


def base_images(p: Plan, runner: Runner) -> dict[str, str]:
    """The local image store's id of every image the Dockerfile's FROMs name ("" for one
    it does not hold: BuildKit pulled it itself)."""
    names = build_step.from_images(p.dockerfile_sent, build_args(p))
    if not names:
        return {}
    # one look-up for all (listing the whole store is slow where it holds many images)
    result = runner.query(["docker", "image", "inspect", *names], check=False)
    held = {}
    for doc in json.loads(result.stdout or "[]"):
        for known in [*(doc.get("RepoTags") or []), *(doc.get("RepoDigests") or [])]:
            held[_normal(known)] = doc.get("Id", "")
    return {name: held.get(_normal(name), "") for name in names}


def _normal(name: str) -> str:
    """An image name as the image store holds it: golang:1.24, not docker.io/library/..."""
    for prefix in ("docker.io/library/", "docker.io/", "index.docker.io/library/"):
        name = name.removeprefix(prefix)
    last = name.rsplit("/", 1)[-1]
    return name if ":" in last or "@" in last else f"{name}:latest"


def record(p: Plan, runner: Runner) -> dict | None:
    """What a full build about to run is made of, for the fast builds after it; None when
    it will have no fast path (a dry run, or pushed elsewhere)."""
    if runner.dry or p.output != "push" or not is_loopback(p.settings.registry):
        return None
    previous = Place.of(p).load() or {}
    return {
        "version": STATE_VERSION,
        "module": str(p.layout.module.dir),
        "fingerprint": fingerprint(p),
        "base_images": base_images(p, runner),
        "files": context_snapshot(p, previous.get("files", {})),
        "args": {k: v for k, v in build_args(p).items() if k in PER_BUILD_ARGS},
    }


@dataclass
class Fast:
    """A fast build of one plan, decided on; `run` does it."""

    plan: Plan
    place: Place
    step: BuildStep
    record: dict
    mount_point: str

    @property
    def record_id(self) -> str:
        """Which full build this is a fast build after: its fingerprint and base images."""
        what = json.dumps([self.record["fingerprint"], self.record["base_images"]], sort_keys=True)
        return hashlib.sha256(what.encode()).hexdigest()[:12]


def decide(p: Plan) -> Fast | str:
    """A fast build of the plan, or why it must be a full one (one line)."""
    s = p.settings
    if p.output != "push":
        return "only a push to a registry on this machine has a fast path"
    if not is_loopback(s.registry):
        return f"{s.registry} is not on this machine: it always gets a full build"
    if s.no_cache:
        return "--no-cache asks for a full build"
    place = Place.of(p)
    recorded = place.load()
    if recorded is None:
        return f"no full build of {place.repository} from this module is recorded yet"
    try:
        step = build_step.read(p.dockerfile_sent, s.target, build_args(p))
        mount_point = _mount_point(p, step)
    except Unsupported as e:
        return f"the fast path cannot follow the Dockerfile: {e}"
    now = fingerprint(p)
    changed = [what for what, value in now.items() if recorded["fingerprint"].get(what) != value]
    if changed:
        return f"{_listed(changed, most=len(changed))} changed since the last full build"
    before = recorded["files"]
    snapshot = context_snapshot(p, before)
    others = sorted(
        name
        for name in set(snapshot) | set(before)
        if (snapshot.get(name) or [0, 0, ""])[2] != (before.get(name) or [0, 0, ""])[2]
    )
    if others:
        return f"{_listed([n.removeprefix('./') for n in others])} changed, which is not Go source"
    return Fast(p, place, step, recorded, mount_point)


def _listed(names: list[str], most: int = 3) -> str:
    """ "a", "a and b", "a, b and c", "a, b, c and 2 more"."""
    if len(names) > most:
        return f"{', '.join(names[:most])} and {len(names) - most} more"
    return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]


def _mount_point(p: Plan, step: BuildStep) -> str:
    """Where the modules go in the container: the module must land where
    the stage copies the sources, its siblings beside it as the workspace stage puts them."""
    rel = p.layout.module.rel
    if step.sources == "/":
        raise Unsupported("the sources are copied to /")
    if rel == ".":
        if p.layout.others or p.layout.work is not None:
            raise Unsupported("a module at the root of its workspace")
        return step.sources
    if not step.sources.endswith("/" + rel):
        raise Unsupported(f"the sources are copied to {step.sources}, not /src/{rel}")
    rels = [m.rel for m in p.layout.modules]
    if any(a != b and (b + "/").startswith(a + "/") for a in rels for b in rels):
        raise Unsupported("one module of the workspace is inside another")
    return step.sources[: -len(rel) - 1] or "/"


def run(fast: Fast, runner: Runner) -> Result | None:
    """Compile, make each platform's image from the last full one, push; None if dry.
    Each platform goes on to its image as soon as its binary is there."""
    p = fast.plan
    args = build_args(p)
    tools = toolchain.Toolchain(fast, fast.mount_point, runner)
    api = RegistryAPI(p.settings.registry)
    _, repo, _ = split_reference(p.reference)
    if runner.dry:
        if fast.record.get("toolchain", {}).get("for") == fast.record_id:
            tools.commands(p.platforms, args)
        else:
            say(f"[dim]would build the toolchain image {tools.image}[/]")
        say(f"[dim]would replace the binary layer of {fast.record['index'][:19]} and push[/]")
        return None
    with fast.place.locked():
        if fast.record.get("toolchain", {}).get("for") != fast.record_id:
            fast.record["toolchain"] = {**tools.build_image(), "for": fast.record_id}
            fast.place.store(fast.record)
        with ThreadPoolExecutor(len(p.platforms) + 2) as pool:
            # while the binaries compile: are the base images still those of the last
            # full build, and what is that build's image
            images = pool.submit(base_images, p, runner)
            cache = fast.place.dir / "full-image.json"
            full = pool.submit(fast_image.read, api, repo, fast.record["index"], cache)
            files = sources(p)
            commands = tools.commands(p.platforms, args)
            relabel = fast_image.Relabel.between(fast.record["args"], args, p.labels)
            epoch = args.get("SOURCE_DATE_EPOCH")
            mtime = int(epoch) if epoch else int(time.time())

            def one(target: Platform) -> fast_image.Pushed:
                out = tools.compile(target, commands[target], files)
                base = full.result().platforms.get(str(target))
                if base is None:
                    raise Changed(f"the last full build has no {target} image")
                created = args.get("CREATED", base.config.get("created", ""))
                return fast_image.remake(api, repo, base, target, out, relabel, created, mtime)

            made = compiler.gather({str(t): pool.submit(one, t) for t in p.platforms})
            if images.result() != fast.record["base_images"]:
                raise Changed("the base images changed since the last full build")
        tags = [split_reference(ref)[2] for ref in p.references]
        digest = fast_image.push(api, repo, full.result(), made, tags)
    return Result(p.reference, digest, [PlatformManifest(k, v.digest) for k, v in made.items()])


def sources(p: Plan) -> dict[str, Path]:
    """The build contexts as the build stage sees them where it copies them: each module at
    its place, go.work beside them (path there -> file here)."""
    found = {}
    for m in p.layout.modules:
        for rel in context_files.walk(m.dir, context_files.Ignore.read(m.dir)):
            found[posixpath.normpath(f"{m.rel}/{rel}")] = m.dir / rel
    for path in p.layout.work_files():
        found[posixpath.normpath(os.path.relpath(path, p.layout.root))] = path
    return found


class Recorded:
    """A full build recorded for the fast builds after it: what each plan is made of is
    taken before the build runs (an edit meanwhile counts), and stored with the index it
    pushed once it has run. A plan with no fast path (a dry run, a push elsewhere) is not
    recorded."""

    def __init__(self, full: FullBuild):
        self.full = full

    def run(self, plans: list[Plan]) -> list[Result]:
        records = [record(p, self.full.runner) for p in plans]
        results = self.full.run(plans)
        for p, result, made in zip(plans, results, records, strict=False):
            if made is not None:
                place = Place.of(p)
                with place.locked():
                    place.store({**made, "index": result.digest})
        return results


class FastBuild:
    """`--fast`: a fast build of each plan that can have one, then one run of `full` for
    the others (a bake of several), each said by `tell` with why; a full build's Result
    says why too."""

    def __init__(self, runner: Runner, full: Build, tell: Callable[[str], None] = say):
        self.runner, self.full, self.tell = runner, full, tell

    def run(self, plans: list[Plan]) -> list[Result]:
        decided = [decide(p) for p in plans]  # every plan before any is built
        results = []
        why: dict[int, str] = {}  # index in plans -> why that plan gets a full build
        for i, (p, decision) in enumerate(zip(plans, decided, strict=True)):
            if isinstance(decision, str):
                why[i] = decision
                continue
            self.tell(
                f"fast build of {p.main.binary}: only Go source changed since the last full build"
            )
            try:
                result = run(decision, self.runner)
            except Changed as e:
                why[i] = str(e)
                continue
            if result is not None:
                results.append(result)
        full = sorted(why)
        for i in full:
            self.tell(f"full build of {plans[i].main.binary}: {why[i]}")
        if full:
            made = self.full.run([plans[i] for i in full])
            results += [
                dataclasses.replace(result, why=why[i])
                for i, result in zip(full, made, strict=False)
            ]
        return results


def build(runner: Runner, fast: bool = True, tell: Callable[[str], None] = say) -> Build:
    """The build `invoke build` and `invoke dev` run: with `fast`, the fast path over the
    full build, which is recorded for the next fast one; without, the full build alone."""
    full = FullBuild(runner)
    return FastBuild(runner, Recorded(full), tell) if fast else full


def forget(module: Path, runner: Runner) -> list[str]:
    """Remove what the fast path keeps for a module: its containers, toolchain images and
    state (the Go caches' volumes stay, as BuildKit's cache does); what was removed."""
    removed = []
    for found in sorted(home().glob("*/full-build.json")):
        place = Place(found.parent.name, "", found.parent)
        if (place.load() or {}).get("module") != str(module.resolve()):
            continue
        toolchain.remove(place.key, runner)
        runner.run(["rm", "-rf", str(place.dir)])
        removed.append(str(place.dir))
    return removed
