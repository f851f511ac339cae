"""`invoke build --fast`: a Go source change into the registry without BuildKit.

After a full build pushed to a registry on this machine, what that build was made of is
remembered (its fingerprint: the Dockerfile as sent, the target, the build args but the
version, revision and times, the base images' ids, the platforms, every module's go.mod
and go.sum, the workspace's layout, every file of the contexts that is not Go source).
When only Go source changed since, the fast path:

1. compiles with the Dockerfile's own `go build` step (build_step), in a container of
   the build stage's image per platform, kept running between builds, with its cache
   mounts as volumes and a mirror of the build context (what .dockerignore lets through)
   where the stage copies the sources;
2. takes the last full build's image and replaces only the layer holding the binary;
   every other layer, the config's entrypoint, user, env and labels stay, but the labels
   that carried the version, revision and time, which get the new ones;
3. pushes through the registry's API only the blobs it does not have, each platform's
   manifest, and the index under the build's tags.

Anything else changed, nothing remembered, a registry elsewhere, a Dockerfile this cannot
follow: a full build, and one line saying why.
"""

from __future__ import annotations

import copy
import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from rich.markup import escape

from . import build as builds
from . import build_step, context_files
from .build import Plan, Result, build_args
from .build_step import BuildStep, Unsupported
from .command import Runner, console, say, warn
from .errors import UserError
from .layers import Remote
from .platforms import Platform, parse_one
from .registry_api import PlatformManifest, RegistryAPI, is_loopback, platform_of, split_reference

# Build args that differ from build to build of the same tree; the labels that carry
# them are rewritten instead.
PER_BUILD_ARGS = ("VERSION", "REVISION", "CREATED", "SOURCE_DATE_EPOCH")
LABEL = "io.multiarch.fast"  # on the toolchain containers: the image they build
STATE_VERSION = 1


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


def _sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _file_sha(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def dockerfile_text(p: Plan) -> str:
    return p.dockerfile_text if p.dockerfile_text is not None else p.dockerfile.text


def fingerprint(p: Plan) -> dict[str, str]:
    """What a build's result depends on besides Go source and the base images, by what a
    change is called."""
    modules = [p.layout.module, *p.layout.others]
    module_files = {}
    for m in modules:
        for name in ("go.mod", "go.sum"):
            path = m.dir / name
            module_files[f"{m.rel}/{name}"] = _file_sha(path) if path.is_file() else ""
    if p.layout.work is not None:
        for path in (p.layout.work, p.layout.work.with_name(p.layout.work.name + ".sum")):
            module_files[path.name] = _file_sha(path) if path.is_file() else ""
    args = {k: v for k, v in build_args(p).items() if k not in PER_BUILD_ARGS}
    parts = {
        "the Dockerfile": dockerfile_text(p),
        "the target": p.settings.target,
        "the build args": args,
        "the platforms": [str(t) for t in p.platforms],
        "go.mod or go.sum": module_files,
        "the workspace": [[m.rel, m.path] for m in modules] + [str(p.layout.work)],
        "the builder": p.settings.builder,  # as asked for: a fast build waits for no daemon
        "the Go environment's flags": p.go.flags(),
    }
    return {
        what: hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()
        for what, value in parts.items()
    }


def context_snapshot(p: Plan, previous: dict[str, list]) -> dict[str, list]:
    """Every file of the build contexts that is not Go source: path -> [size, mtime_ns,
    sha256]; a file whose size and time are as before keeps its hash unread."""
    snapshot: dict[str, list] = {}
    for m in [p.layout.module, *p.layout.others]:
        stats = context_files.walk(m.dir, context_files.Ignore.read(m.dir))
        for rel, st in stats.items():
            if rel.endswith(".go"):
                continue
            name = f"{m.rel}/{rel}"
            old = previous.get(name)
            if old and old[0] == st.st_size and old[1] == st.st_mtime_ns:
                snapshot[name] = old
            else:
                snapshot[name] = [st.st_size, st.st_mtime_ns, _file_sha(m.dir / rel)]
    return snapshot


def base_images(p: Plan, runner: Runner) -> dict[str, dict]:
    """The local image store's view of every image the Dockerfile's FROMs name."""
    names = build_step.from_images(dockerfile_text(p), build_args(p))
    if not names:
        return {}
    result = runner.query(["docker", "image", "inspect", *names], check=False)
    found = {}
    for doc in json.loads(result.stdout or "[]"):
        for name in names:
            if (
                name in doc.get("RepoTags", [])
                or doc.get("Id") == name
                or name in [d.split("@")[0] for d in doc.get("RepoDigests", [])]
            ):
                found[name] = doc
    return {name: found.get(name, {}) for name in names}


def _ids(images: dict[str, dict]) -> dict[str, str]:
    return {name: doc.get("Id", "") for name, doc in images.items()}


def remember(p: Plan, result: Result, runner: Runner) -> None:
    """After a full build pushed to a registry on this machine: what it was made of, for
    the next fast build. Base images the build pulled itself are pulled into the image
    store, where the fast path's compiler runs them."""
    if runner.dry or p.output != "push" or not is_loopback(p.settings.registry):
        return
    try:
        images = base_images(p, runner)
    except Unsupported:
        return  # a Dockerfile no fast build can follow: nothing to remember
    for name, doc in images.items():
        if not doc:
            runner.run(["docker", "pull", name], capture=True)
    if any(not doc for doc in images.values()):
        images = base_images(p, runner)
    place = Place.of(p)
    previous = _load(place)
    try:
        step = build_step.read(dockerfile_text(p), p.settings.target, build_args(p))
        doc = images.get(step.image) or {}
        toolchain = {k: doc.get(k) for k in ("Id", "Os", "Architecture", "Config")}
    except Unsupported:
        toolchain = {}
    record = {
        "version": STATE_VERSION,
        "module": str(p.layout.module.dir),
        "index": result.digest,
        "fingerprint": fingerprint(p),
        "base_images": _ids(images),
        "toolchain": toolchain,
        "files": context_snapshot(p, previous.get("files", {}) if previous else {}),
        "args": {k: v for k, v in build_args(p).items() if k in PER_BUILD_ARGS},
    }
    try:
        place.dir.mkdir(parents=True, exist_ok=True)
        tmp = place.record_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(record))
        tmp.replace(place.record_file)
    except OSError as e:  # the build itself is done: only --fast loses
        warn(f"cannot record this build for --fast in {place.dir}: {e.strerror}")


def _load(place: Place) -> dict | None:
    try:
        record = json.loads(place.record_file.read_text())
    except (OSError, ValueError):
        return None
    return record if record.get("version") == STATE_VERSION else None


@dataclass
class Fast:
    """A fast build of one plan, decided on; `run` does it."""

    plan: Plan
    place: Place
    step: BuildStep
    record: dict

    @property
    def image(self) -> dict:
        """The build stage's image, as `docker image inspect` showed it at the full build."""
        return self.record["toolchain"]


def decide(p: Plan, runner: Runner) -> Fast | str:
    """A fast build of the plan, or why it must be a full one (one line)."""
    s = p.settings
    if p.output != "push":
        return "only a push to a registry on this machine has a fast path"
    if not is_loopback(s.registry):
        return f"{s.registry} is not on this machine: it always gets a full build"
    if s.no_cache:
        return "--no-cache asks for a full build"
    place = Place.of(p)
    record = _load(place)
    if record is None:
        return f"no full build of {place.repository} from this module is recorded yet"
    try:
        step = build_step.read(dockerfile_text(p), s.target, build_args(p))
        _mount_point(p, step)
    except Unsupported as e:
        return f"the fast path cannot follow the Dockerfile: {e}"
    now = fingerprint(p)
    changed = [what for what, value in now.items() if record["fingerprint"].get(what) != value]
    if changed:
        listed = ", ".join(changed[:-1]) + " and " + changed[-1] if len(changed) > 1 else changed[0]
        return f"{listed} changed since the last full build"
    snapshot = context_snapshot(p, record["files"])
    others = sorted(
        name
        for name in set(snapshot) | set(record["files"])
        if (snapshot.get(name) or [0, 0, ""])[2] != (record["files"].get(name) or [0, 0, ""])[2]
    )
    if others:
        shown = ", ".join(n.removeprefix("./") for n in others[:3])
        more = f" and {len(others) - 3} more" if len(others) > 3 else ""
        return f"{shown}{more} changed, which is not Go source"
    if not record.get("toolchain"):
        return "the last full build did not record the build stage's image"
    return Fast(p, place, step, record)


def _mount_point(p: Plan, step: BuildStep) -> str:
    """Where the mirror of the modules goes in the container: the module must land where
    the stage copies the sources, its siblings beside it as the workspace stage puts them."""
    rel = p.layout.module.rel
    if rel == ".":
        if p.layout.others or p.layout.work is not None:
            raise Unsupported("a module at the root of its workspace")
        return step.sources
    if not step.sources.endswith("/" + rel):
        raise Unsupported(f"the sources are copied to {step.sources}, not /src/{rel}")
    rels = [m.rel for m in [p.layout.module, *p.layout.others]]
    if any(a != b and (b + "/").startswith(a + "/") for a in rels for b in rels):
        raise Unsupported("one module of the workspace is inside another")
    return step.sources[: -len(rel) - 1] or "/"


class Toolchain:
    """The containers the step runs in, one per platform (each with its own /out), kept
    running between builds; the cache mounts are volumes of this user's."""

    def __init__(self, fast: Fast, runner: Runner):
        self.fast, self.runner = fast, runner
        p = fast.plan
        uid, gid = os.getuid(), os.getgid()
        self.user = f"{uid}:{gid}"
        self.mirror = fast.place.dir / "src"
        mounts = [("bind", str(self.mirror), _mount_point(p, fast.step))]
        secrets = p.go.secrets()
        for m in fast.step.mounts:
            if m.kind == "cache":
                volume = "multiarch-cache-" + hashlib.sha256(m.id.encode()).hexdigest()[:12]
                mounts.append(("volume", f"{volume}-{uid}", m.target))
            elif m.id in secrets:
                mounts.append(("bind", str(secrets[m.id]), m.target))
        self.caches = [m.target for m in fast.step.mounts if m.kind == "cache"]
        self.starting = threading.Lock()  # one platform's thread at a time starts containers
        self.mounts = mounts
        network = fast.step.network or ("host" if p.go.host_network else "")
        self.network = network
        # a new token when the state directory was made anew: the mounts of containers
        # started before then point at directories that are gone
        token = fast.place.dir / "token"
        if not token.is_file() and not runner.dry:
            fast.place.dir.mkdir(parents=True, exist_ok=True)
            token.write_text(os.urandom(8).hex())
        made = token.read_text() if token.is_file() else ""
        ident = json.dumps([fast.image.get("Id"), mounts, network, self.user, made])
        self.ident = hashlib.sha256(ident.encode()).hexdigest()[:12]

    def name(self, platform: Platform) -> str:
        return f"multiarch-fast-{self.fast.place.key}-{self.ident}-{platform.slug}"

    def out(self, platform: Platform) -> Path:
        return self.fast.place.dir / "out" / platform.slug

    def ensure(self, platforms: list[Platform]) -> None:
        """Start the platforms' containers that are not running, and remove the ones of
        an earlier image, mounts or user of this image's."""
        listed = self.runner.query(
            [
                "docker",
                "ps",
                "-a",
                "--filter",
                f"label={LABEL}={self.fast.place.key}",
                "--format",
                "{{.Names}} {{.State}}",
            ],  # fmt: skip
        ).stdout.split("\n")
        states = dict(line.split(" ", 1) for line in listed if " " in line)
        wanted = {self.name(t): t for t in platforms}
        stale = [n for n in states if n.split("-")[3] != self.ident and n not in wanted]
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
        for kind, source, target_path in [*self.mounts, ("bind", str(self.out(target)), "/out")]:
            argv += ["--mount", f"type={kind},source={source},target={target_path}"]
        if self.network:
            argv += ["--network", self.network]
        # it only waits; the steps run in it with `docker exec`, as this user, who must be
        # able to write the caches
        argv += ["--user", "0:0", "--entrypoint", "sleep", self.fast.step.image, "infinity"]
        self.runner.run(argv, capture=True, hint="the fast path runs the build stage's image")
        if self.caches:
            self.runner.run(
                ["docker", "exec", name, "chown", self.user, *self.caches], capture=True
            )

    def commands(self, platforms: list[Platform], args: dict[str, str]) -> dict[Platform, list]:
        """The `docker exec` of the step for each platform, shown."""
        image = self.fast.image
        build = parse_one(f"{image.get('Os', 'linux')}/{image.get('Architecture', 'amd64')}")
        image_env = (image.get("Config") or {}).get("Env") or []
        commands = {}
        for target in platforms:
            env = self.fast.step.environment(args, target, build, image_env)
            argv = ["docker", "exec", "-u", self.user, "-w", self.fast.step.workdir]
            for key, value in env.items():
                if f"{key}={value}" not in image_env:
                    argv += ["-e", f"{key}={value}"]
            commands[target] = [*argv, self.name(target), "sh", "-c", self.fast.step.command]
            self.runner.show(commands[target])
        return commands

    def compile(self, target: Platform, argv: list[str]) -> Path:
        """Run the step for one platform; its output directory. The containers are kept
        between builds: one is started only when it is not there."""
        _empty(self.out(target))
        result = _quiet(argv)
        if result.returncode != 0 and _no_container(result):
            with self.starting:
                self.ensure([target])
            result = _quiet(argv)
        if result.returncode != 0:
            console.print(escape((result.stdout + result.stderr).strip()), style="red")
            raise CompileError(str(target))
        return self.out(target)


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


class Changed(Exception):
    """Found while the fast build ran: something besides Go source changed after all."""


class CompileError(UserError):
    """The go build step failed (the compiler's output is shown)."""

    def __init__(self, platform: str):
        super().__init__(f"go build failed for {platform}", "the compiler's output is above")


def _quiet(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True)


def run(fast: Fast, runner: Runner) -> Result | None:
    """Compile, make each platform's image from the last full one, push; None if dry.
    Each platform goes on to its image as soon as its binary is there."""
    p = fast.plan
    toolchain = Toolchain(fast, runner)
    api = RegistryAPI(p.settings.registry)
    _, repo, _ = split_reference(p.reference)
    relabel = _relabels(fast.record["args"], build_args(p), p.labels)
    with ThreadPoolExecutor(len(p.platforms) + 2) as pool:
        # while the binaries compile: are the base images still those of the last full
        # build, and what is that build's image
        images = pool.submit(base_images, p, runner)
        base = pool.submit(_base_images, api, repo, fast.record["index"])
        sync_modules(p, toolchain.mirror)
        commands = toolchain.commands(p.platforms, build_args(p))
        if runner.dry:
            say(f"[dim]would replace the binary layer of {fast.record['index'][:19]} and push[/]")
            return None

        def one(target: Platform) -> tuple[str, int]:
            out = toolchain.compile(target, commands[target])
            found = base.result()[1].get(str(target))
            if found is None:
                raise Changed(f"the last full build has no {target} image")
            return _replace_binary(api, repo, found, out, relabel, p)

        made = dict(zip(map(str, p.platforms), pool.map(one, p.platforms), strict=True))
        if _ids(images.result()) != fast.record["base_images"]:
            raise Changed("the base images changed since the last full build")
        index = base.result()[0]
    entries = []
    for entry in index["manifests"]:
        platform = platform_of(entry)
        if platform in made:
            digest, size = made[platform]
            entry = {**entry, "digest": digest, "size": size}
        entries.append(entry)
    doc = json.dumps({**index, "manifests": entries}, separators=(",", ":")).encode()
    media_type = index.get("mediaType", "application/vnd.oci.image.index.v1+json")
    digest = ""
    for ref in p.references:
        _, _, tag = split_reference(ref)
        digest = api.put_manifest(repo, tag, doc, media_type)
    return Result(
        p.reference, digest, [PlatformManifest(platform, made[platform][0]) for platform in made]
    )


def sync_modules(p: Plan, mirror: Path) -> list[str]:
    """Make the mirror hold the build contexts as the build stage sees them under /src:
    each module at its place, and go.work beside them."""
    changed = []
    for m in [p.layout.module, *p.layout.others]:
        target = mirror / m.rel
        changed += context_files.sync(m.dir, target, context_files.Ignore.read(m.dir))
    if p.layout.work is not None:
        where = mirror / Path(os.path.relpath(p.layout.work.parent, p.layout.root))
        for path in (p.layout.work, p.layout.work.with_name(p.layout.work.name + ".sum")):
            if path.is_file():
                shutil.copy2(path, where / path.name)
    return changed


@dataclass(frozen=True)
class Base:
    """One platform of the last full build's image, as a fast build remakes it."""

    manifest: dict
    config: dict
    position: int  # of the layer holding the binary
    members: list[tarfile.TarInfo]  # that layer's entries (the binaries' content not kept)

    @property
    def files(self) -> set[str]:
        return {m.name.rsplit("/", 1)[-1] for m in self.members if m.isfile()}


def _base_images(api: RegistryAPI, repo: str, index_digest: str) -> tuple[dict, dict[str, Base]]:
    """The last full build's index, and each platform's image (read while the binaries
    compile, so it costs a fast build nothing)."""
    try:
        index, _, _ = api.manifest(repo, index_digest)
    except LookupError:
        raise Changed(
            f"the last full build's image {index_digest[:19]} is gone from the registry"
        ) from None
    entries = {platform_of(e): e for e in index.get("manifests", [])}
    if "unknown/unknown" in entries:
        raise Changed(
            "the last full build has attestation manifests, which a fast build cannot remake"
        )
    with ThreadPoolExecutor(len(entries)) as pool:
        bases = pool.map(lambda e: _base(Remote(api, repo), e["digest"]), entries.values())
        return index, dict(zip(entries, bases, strict=True))


def _base(image: Remote, digest: str) -> Base:
    """A platform's image, and its topmost layer that holds a regular file: the binary's,
    which the Dockerfile copies in last."""
    manifest = image.manifest(digest)
    config = json.loads(image.blob(manifest["config"]["digest"]))
    layers = manifest["layers"]
    for position in range(len(layers) - 1, -1, -1):
        members = _tar(image.blob(layers[position]["digest"])).getmembers()
        if any(m.isfile() for m in members):
            return Base(manifest, config, position, members)
    raise Changed("no layer of the last full build holds a file")


def _relabels(old: dict[str, str], new: dict[str, str], labels: dict[str, str]) -> dict:
    """Label values to rewrite: the full build's version, revision and time to this
    build's; and the labels the build gives itself (the workspace record)."""
    values = {old[k]: new.get(k, "") for k in ("VERSION", "REVISION", "CREATED") if old.get(k)}
    return {"values": values, "labels": labels}


def _replace_binary(
    api: RegistryAPI, repo: str, base: Base, out: Path, relabel: dict, p: Plan
) -> tuple[str, int]:
    """Push one platform's image: the full build's, with the layer holding the binary
    made anew from what the step wrote; returns its manifest's digest and size."""
    made = {f.name: f for f in out.rglob("*") if f.is_file()}
    if base.files != set(made):
        raise Changed(
            f"the last full build's top layer holds {', '.join(sorted(base.files))}, but the "
            f"go build step wrote {', '.join(sorted(made)) or 'nothing'} to /out/"
        )
    epoch = build_args(p).get("SOURCE_DATE_EPOCH")
    layer = _new_layer(base.members, made, int(epoch) if epoch else int(time.time()))
    blob = gzip.compress(layer, compresslevel=1, mtime=0)
    digest = _sha(blob)
    config = json.loads(json.dumps(base.config))
    config["rootfs"]["diff_ids"][base.position] = _sha(layer)
    settings = config.setdefault("config", {})
    settings["Labels"] = {
        k: relabel["values"].get(v, v) for k, v in (settings.get("Labels") or {}).items()
    } | relabel["labels"]
    config["created"] = build_args(p).get("CREATED", config.get("created"))
    config_bytes = json.dumps(config, separators=(",", ":")).encode()
    config_digest = _sha(config_bytes)
    api.put_blob(repo, digest, blob)
    api.put_blob(repo, config_digest, config_bytes)
    layers = list(base.manifest["layers"])
    layers[base.position] = {**layers[base.position], "digest": digest, "size": len(blob)}
    manifest = base.manifest
    new = {
        **manifest,
        "config": {**manifest["config"], "digest": config_digest, "size": len(config_bytes)},
        "layers": layers,
    }
    doc = json.dumps(new, separators=(",", ":")).encode()
    media_type = manifest.get("mediaType", "application/vnd.oci.image.manifest.v1+json")
    return api.put_manifest(repo, _sha(doc), doc, media_type), len(doc)


def _tar(blob: bytes) -> tarfile.TarFile:
    data = gzip.decompress(blob) if blob[:2] == b"\x1f\x8b" else blob
    return tarfile.open(fileobj=io.BytesIO(data))


def _new_layer(members: list[tarfile.TarInfo], made: dict[str, Path], mtime: int) -> bytes:
    """The layer's entries as they were (names, modes, owners), the binaries' content new."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as new:
        for member in members:
            member = copy.copy(member)  # the base's own stays as it was
            if member.isfile():
                data = made[member.name.rsplit("/", 1)[-1]].read_bytes()
                member.size, member.mtime = len(data), mtime
                new.addfile(member, io.BytesIO(data))
            else:
                new.addfile(member)
    return buffer.getvalue()


@dataclass(frozen=True)
class Outcome:
    result: Result
    why: str  # "" for a fast build; else why it was a full one


def build(plans: list[Plan], runner: Runner, fast: bool = True) -> list[Outcome]:
    """Fast builds of the plans that can have one (with `fast`), one full build of the
    others, saying why each is a full one; every full build pushed here is remembered."""
    decided = {id(p): decide(p, runner) if fast else "" for p in plans}
    for p in plans:
        if not fast:
            continue
        if isinstance(why := decided[id(p)], str):
            say(f"full build of {p.main.binary}: {why}")
        else:
            say(f"fast build of {p.main.binary}: only Go source changed since the last full build")
    outcomes = []
    for p in plans:
        if not isinstance(decided[id(p)], Fast):
            continue
        try:
            result = run(decided[id(p)], runner)
        except Changed as e:
            say(f"full build of {p.main.binary}: {e}")
            decided[id(p)] = str(e)
            continue
        if result is not None:
            outcomes.append(Outcome(result, ""))
    full = [p for p in plans if isinstance(decided[id(p)], str)]
    if full:
        for p, result in zip(full, builds.run(full, runner), strict=False):
            remember(p, result, runner)
            outcomes.append(Outcome(result, decided[id(p)] or "a full build"))
    return outcomes


def forget(module: Path, runner: Runner) -> list[str]:
    """Remove what the fast path keeps for a module: its toolchain containers and its
    state (the Go caches' volumes stay, as BuildKit's cache does); what was removed."""
    removed = []
    for place in sorted(home().glob("*/full-build.json")):
        record = _load(Place(place.parent.name, "", place.parent)) or {}
        if record.get("module") != str(module.resolve()):
            continue
        key = place.parent.name
        names = runner.query(
            ["docker", "ps", "-aq", "--filter", f"label={LABEL}={key}"], check=False
        ).stdout.split()
        if names:
            runner.run(["docker", "rm", "-f", *names], capture=True)
        runner.run(["rm", "-rf", str(place.parent)])
        removed.append(str(place.parent))
    return removed
