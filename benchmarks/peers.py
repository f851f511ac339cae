"""multiarch beside its peers, ko and GoReleaser: paired and interleaved, in one run.

    .venv/bin/python benchmarks/peers.py [--runs 5] [--scenarios warm,release] [--write]

ko (github.com/google/ko) and GoReleaser (github.com/goreleaser/goreleaser/v2) are
installed with `go install` into ~/.cache/multiarch-bench/bin (GOBIN), once. Every
contender builds the same module (a copy of hellorld in a git repository of its own)
for the same three platforms and pushes to the same local registry (the one `invoke
build` pushes to: INVOKE_BUILD_REGISTRY, else the default), each round in a rotating
order, and the table gives medians and ratios: absolute times on a shared machine are
noise, ratios measured together are not.

Scenarios:
- warm: a one-line change in main.go (a new one before every build), pushed as a
  3-platform index: `invoke build --fast`, `invoke build`, `ko build --sbom=none` and
  the raw `docker buildx build` that `invoke build` runs. ko needs a base image from a
  registry: a stand-in (a FROM scratch index of one small file, three platforms) is pushed
  to the local registry and named by its defaultBaseImage (KO_CONFIG_PATH). ko
  compiles with the host's go and its own build cache here, kept warm between runs.
  Two more rows give the floor under `--fast`: host `go build` of the three targets
  side by side (what its go build steps do) and `invoke --list` (Python, Invoke and the
  task modules started, nothing run); their sum against ko says how close to ko any
  Python tool that compiles the same binaries can get.
- nocache: the same change, with BuildKit's cache left out (`--no-cache`: the Dockerfile's
  Go cache mounts stay warm) against ko (no layer cache of its own; Go's cache warm):
  what a rebuild of every step costs. A cold build (BuildKit's and Go's caches emptied)
  needs `docker buildx prune -af`, which empties every user's build cache on this
  daemon: build_speed.py --scenarios cold does that, on a machine of one's own.
- release: a one-line change committed and tagged vX.Y.Z, then `invoke release` (every
  platform built once, pushed under X.Y.Z, X.Y, X and latest, an OCI archive and its
  checksum under dist/) against `goreleaser release --snapshot --clean` with a
  configuration written here: the same three binaries (-trimpath, the same -ldflags),
  a tar.gz archive each and a checksum file. GoReleaser's snapshot neither builds nor
  pushes an image here (its docker support needs a Dockerfile of prebuilt binaries and
  pushes only in a real release): it does less than `invoke release`.

--write puts the table into docs/speed.md, between its <!-- peers:start/end --> markers.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from build_speed import (  # noqa: E402
    IMAGE,
    MODULE_FILES,
    PLATFORMS,
    REPO,
    Contenders,
    arguments,
    bytecode,
    git_copy,
    median,
    paired,
    sh,
    timed,
    touch_line,
)
from speed_page import write_table  # noqa: E402

KO = "github.com/google/ko@v0.19.1"
GORELEASER = "github.com/goreleaser/goreleaser/v2@v2.17.1"
TOOLS = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "multiarch-bench"
SCENARIOS = ("warm", "nocache", "release")
BASE = "multiarch-bench-base:scratch"
GIT = ["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost"]


def install(module: str) -> Path:
    """A peer's binary, installed from the module proxy into TOOLS/bin once."""
    name = module.split("@")[0].rstrip("/").split("/")[-1]
    name = "goreleaser" if name == "v2" else name
    binary = TOOLS / "bin" / name
    if not binary.exists():
        print(f"installing {module} into {binary.parent} …", file=sys.stderr)
        env = {**os.environ, "GOBIN": str(binary.parent), "CGO_ENABLED": "0"}
        subprocess.run(["go", "install", module], env=env, check=True)
    return binary


class Peers(Contenders):
    """The contenders of Contenders (invoke, raw buildx, host go) and ko, GoReleaser."""

    def __init__(self, module: Path, work: Path):
        super().__init__(module, work / "gocache")
        self.registry = self.settings.registry
        self.work = work
        self.ko_bin = install(KO)
        (work / "ko").mkdir()
        (work / "ko" / ".ko.yaml").write_text(f"defaultBaseImage: {self.registry}/{BASE}\n")
        self.ko_env = {
            **os.environ,
            "KO_DOCKER_REPO": f"{self.registry}/{IMAGE}-ko",
            "KO_CONFIG_PATH": str(work / "ko"),
            "GOCACHE": str(work / "ko-gocache"),
            "GOFLAGS": "-buildvcs=false",
        }
        self.release_config = work / "goreleaser.yaml"
        self.release_config.write_text(GORELEASER_CONFIG.format(dist=work / "goreleaser-dist"))
        self.version = 0

    def push_base(self) -> None:
        """ko's base image: a FROM scratch index for the platforms, in the registry."""
        context = self.work / "base"
        context.mkdir()
        # one small file: BuildKit (Engine 26) panics on an image with no layer at all
        (context / "stand-in").write_text("a stand-in base image for ko\n")
        (context / "Dockerfile").write_text(
            "FROM scratch\nCOPY stand-in /etc/stand-in\n"
            "LABEL org.opencontainers.image.description=stand-in\n"
        )
        sh("docker", "buildx", "build", "--platform", PLATFORMS, "--provenance=false",
           "--output", "type=registry,oci-mediatypes=true", "-t", f"{self.registry}/{BASE}",
           str(context))  # fmt: skip

    def ko(self, *flags: str) -> float:
        argv = [str(self.ko_bin), "build", "--sbom=none", "--bare", "--tags", "bench",
                f"--platform={PLATFORMS}", *flags, "."]  # fmt: skip
        return timed(lambda: sh(*argv, cwd=self.module, env=self.ko_env))

    def tag_release(self) -> None:
        """A one-line change, committed and tagged with the next version."""
        touch_line(self.module)
        self.version += 1
        sh(*GIT, "commit", "-qam", "bench", cwd=self.module)
        sh("git", "tag", f"v0.1.{self.version}", cwd=self.module)

    def release(self) -> float:
        argv = [sys.executable, "-m", "invoke", "-r", str(REPO), "release", "--image",
                f"{IMAGE}-release"]  # fmt: skip
        return timed(lambda: sh(*argv, env=self.env))

    def goreleaser(self) -> float:
        argv = [str(install(GORELEASER)), "release", "--snapshot", "--clean",
                "--config", str(self.release_config)]  # fmt: skip
        env = {**os.environ, "GOCACHE": str(self.work / "ko-gocache")}
        return timed(lambda: sh(*argv, cwd=self.module, env=env))


GORELEASER_CONFIG = """\
version: 2
project_name: hellorld
dist: {dist}
builds:
  - env: [CGO_ENABLED=0]
    goos: [linux]
    goarch: [amd64, arm64, arm]
    goarm: ["7"]
    flags: [-trimpath]
    ldflags: ["-s -w -X main.version={{{{.Version}}}} -X main.commit={{{{.Commit}}}}"]
archives:
  - formats: [tar.gz]
checksum:
  name_template: checksums.txt
release:
  disable: true
changelog:
  disable: true
"""


def main() -> None:
    args, chosen = arguments(__doc__, SCENARIOS)
    shutil.which("go") or sys.exit("benchmark: host go is missing (scripts/provision.sh)")
    bytecode()
    load = os.getloadavg()[0]

    with tempfile.TemporaryDirectory(prefix="bench-peers-") as tmp:
        tmp = Path(tmp)
        files = {name: (REPO / name).read_text() for name in MODULE_FILES}
        files[".gitignore"] = "dist/\n"  # where invoke release writes: no untracked file
        peers = Peers(git_copy(files, tmp / "hellorld"), tmp)
        rows: dict[str, dict[str, list[float]]] = {}
        try:
            peers.push_base()
            change = lambda _: touch_line(peers.module)  # noqa: E731
            if "warm" in chosen or "nocache" in chosen:
                print("filling the caches …", file=sys.stderr)
                peers.fast()  # the full build the fast path starts from, recorded
                touch_line(peers.module)
                peers.fast()  # the toolchain image and containers
                peers.ko()  # ko's Go cache
                peers.go()  # host go's
            if "warm" in chosen:
                print("warm, one-line change …", file=sys.stderr)
                rows["warm one-line change, pushed"] = paired(
                    args.runs, change, **{
                        "invoke build --fast": peers.fast,
                        "invoke build": peers.invoke,
                        "ko build": peers.ko,
                        "raw buildx": peers.raw,
                        # the floor under --fast: its go build steps, and starting invoke
                        "host go build": peers.go,
                        "invoke start-up": peers.start_up,
                    },
                )  # fmt: skip
            if "nocache" in chosen:
                print("no layer cache, one-line change …", file=sys.stderr)
                rows["one-line change, --no-cache"] = paired(
                    args.runs, change, **{
                        "invoke build": lambda: peers.invoke("--no-cache"),
                        "ko build": peers.ko,
                        "raw buildx": lambda: peers.raw(no_cache=True),
                    },
                )  # fmt: skip
            if "release" in chosen:
                print("release of a new tag …", file=sys.stderr)
                peers.tag_release()
                peers.release()  # caches for the release's own build
                peers.goreleaser()
                rows["release of a new tag"] = paired(
                    args.runs, lambda _: peers.tag_release(), **{
                        "invoke release": peers.release,
                        "goreleaser --snapshot": peers.goreleaser,
                    },
                )  # fmt: skip
        finally:
            if rows:  # what was measured, even when a later scenario fails
                print(render(rows, args.runs, load), file=sys.stderr)
            subprocess.run([sys.executable, "-m", "invoke", "-r", str(REPO), "clean"],
                           env=peers.env, capture_output=True)  # fmt: skip
    report = render(rows, args.runs, load)
    print(report)
    if args.write:
        write_table(report, "peers")


def render(rows: dict[str, dict[str, list[float]]], runs: int, load: float) -> str:
    lines = [
        "| scenario | contender | median | / ko build | / raw buildx |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for scenario, times in rows.items():
        ko = median(times["ko build"]) if "ko build" in times else None
        raw = median(times["raw buildx"]) if "raw buildx" in times else None
        for name, t in times.items():
            m = median(t)
            by_ko = f"{m / ko:.2f}" if ko else ""
            by_raw = f"{m / raw:.2f}" if raw else ""
            lines.append(f"| {scenario} | {name} | {m:.2f} s | {by_ko} | {by_raw} |")
    warm = rows.get("warm one-line change, pushed")
    if warm and "invoke start-up" in warm:
        floor = median(warm["host go build"]) + median(warm["invoke start-up"])
        lines.append(
            f"| warm one-line change, pushed | floor of --fast: host go build + invoke "
            f"start-up | {floor:.2f} s | {floor / median(warm['ko build']):.2f} | |"
        )
    release = rows.get("release of a new tag")
    if release:
        ours, theirs = (median(release[k]) for k in ("invoke release", "goreleaser --snapshot"))
        lines.append(f"| release of a new tag | invoke / goreleaser | {ours / theirs:.2f} | | |")
    lines += [
        "",
        f"Medians of {runs} paired runs each, in seconds; 3 platforms (linux/amd64, "
        f"linux/arm64, linux/arm/v7); load average {load:.1f} on 2 cores at the start.",
        "Rerun: `.venv/bin/python benchmarks/peers.py` (installs ko and GoReleaser into "
        "~/.cache/multiarch-bench/bin once).",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
