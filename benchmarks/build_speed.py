"""How fast is `invoke build`? Paired, in one run, against raw buildx and host `go build`.

    .venv/bin/python benchmarks/build_speed.py [--runs 5] [--cold-runs 2] [--write]
                                               [--scenarios cold,warm,workspace,...]

Each scenario runs `invoke build`, the equivalent raw `docker buildx build` (the very
command line `invoke build` would run, from the same library) and host `go build` for
the same platforms, interleaved, in alternating order, and reports medians and ratios:
absolute times on these shared machines are noise, ratios measured together are not.

Scenarios: cold (BuildKit cache and Go caches emptied: `docker buildx prune -af` wipes
this daemon's whole build cache), warm with no change, warm after a one-line change in
main.go, a 12-module go.work workspace (warm, no change), what the default
attestation (provenance) manifests cost a warm one-line-change build, and what
reproducibility (SOURCE_DATE_EPOCH and the Dockerfile's fixed file times) costs a warm
build of a new commit, and `invoke build --fast` after a one-line change (the
Dockerfile's go build step in a kept container, only the binary's layer replaced and
pushed). `--scenarios` runs some of them: all but `cold` leave the build cache alone.

Builds push to the local registry (started if need be) as hellorld-bench:bench.
--write puts the table into docs/speed.md, between its <!-- benchmark:start/end --> markers.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from speed_page import write_table  # noqa: E402  (beside this script)

from multiarch.build import buildx, planning  # noqa: E402
from multiarch.build.settings import BuildSettings  # noqa: E402
from multiarch.core.command import Runner  # noqa: E402
from multiarch.core.platforms import parse  # noqa: E402

PLATFORMS = "linux/amd64,linux/arm64,linux/arm/v7"
IMAGE = "hellorld-bench"
MODULE_FILES = ("go.mod", "main.go", "Dockerfile", ".dockerignore")
WORKSPACE_MODULES = 12
DEBOUNCE = 0.2  # invoke dev's default
SCENARIOS = ("cold", "warm", "fast", "workspace", "attestations", "reproducibility")


# Docker 26 on the containerd store pushes an index with attestations twice, and the
# registry (2.8) sometimes answers a HEAD of the tag being written with 500. Such a run
# is repeated (and counted); its time is not kept.
REGISTRY_RACE = "500 Internal Server Error"
repeated = 0


def sh(*argv: str, cwd: Path | None = None, env=None, input=None) -> None:
    result = subprocess.run(argv, cwd=cwd, env=env, input=input, text=True, capture_output=True)
    if result.returncode != 0:
        if REGISTRY_RACE in result.stderr:
            raise RegistryRace
        sys.exit(f"benchmark: `{' '.join(argv[:4])} …` failed: {result.stderr[-2000:]}")


class RegistryRace(Exception):
    pass


def timed(action: Callable[[], None]) -> float:
    global repeated
    for _ in range(3):
        start = time.perf_counter()
        try:
            action()
        except RegistryRace:
            repeated += 1
            continue
        return time.perf_counter() - start
    sys.exit(f"benchmark: the registry answered 500 three times in a row ({REGISTRY_RACE})")


def git_copy(src_files: dict[str, str], where: Path) -> Path:
    where.mkdir(parents=True)
    for name, text in src_files.items():
        (where / name).write_text(text)
    sh("git", "init", "-q", cwd=where)
    sh("git", "add", ".", cwd=where)
    sh("git", "-c", "user.name=bench", "-c", "user.email=bench@localhost",
       "commit", "-qm", "bench", cwd=where)  # fmt: skip
    return where


def commit_line(module: Path) -> None:
    """A one-line change, committed: a clean tree, so the build is a reproducible one."""
    touch_line(module)
    sh("git", "-c", "user.name=bench", "-c", "user.email=bench@localhost",
       "commit", "-qam", "bench", cwd=module)  # fmt: skip


def touch_line(module: Path) -> None:
    """A one-line change never made before: no cache holds its result, Go recompiles."""
    main = module / "main.go"
    lines = main.read_text().splitlines()
    if lines[-1].startswith("// bench"):
        lines.pop()
    main.write_text("\n".join([*lines, f"// bench {time.time_ns()}"]) + "\n")


def make_workspace(root: Path) -> Path:
    """go.work with an app and 12 sibling modules it imports; returns the app's dir."""
    mods = [f"m{i:02d}" for i in range(1, WORKSPACE_MODULES + 1)]
    for m in mods:
        (root / m).mkdir(parents=True)
        (root / m / "go.mod").write_text(f"module example.com/{m}\n\ngo 1.24\n")
        (root / m / f"{m}.go").write_text(f'package {m}\n\nconst Name = "{m}"\n')
    files = {name: (REPO / name).read_text() for name in MODULE_FILES}
    files["go.mod"] = (
        "module example.com/hellorld\n\ngo 1.24\n\nrequire (\n"
        + "".join(f"\texample.com/{m} v0.0.0\n" for m in mods)
        + ")\n"
    )
    imports = "".join(f'\t"example.com/{m}"\n' for m in mods)
    names = " + ".join(f"{m}.Name" for m in mods)
    files["main.go"] = (
        files["main.go"]
        .replace("import (\n", f"import (\n{imports}")
        .replace("func main() {\n", f"func main() {{\n\tfmt.Println({names})\n")
    )
    app = git_copy(files, root / "app")
    (root / "go.work").write_text(
        "go 1.24\n\nuse (\n\t./app\n" + "".join(f"\t./{m}\n" for m in mods) + ")\n"
    )
    return app


class Contenders:
    """The three ways to build one module; each call is one timed build."""

    def __init__(self, module: Path, gocache: Path):
        self.module = module
        self.gocache = gocache
        # the fast path's state and containers: the benchmark's own, removed at the end
        self.env = {**os.environ, "INVOKE_BUILD_CONTEXT": str(module),
                    "XDG_CACHE_HOME": str(gocache.parent / "cache")}  # fmt: skip
        # invoke reads the bytecode bytecode() made, as an installed package's is read
        self.env.pop("PYTHONDONTWRITEBYTECODE", None)
        # the registry `invoke build` pushes to (INVOKE_BUILD_REGISTRY may name another)
        registry = os.environ.get("INVOKE_BUILD_REGISTRY", BuildSettings.registry)
        self.settings = BuildSettings(
            platforms=PLATFORMS, registry=registry, image=IMAGE, tag="bench", context=str(module)
        )

    def invoke(self, *flags: str) -> float:
        argv = [sys.executable, "-m", "invoke", "-r", str(REPO), "build",
                "--image", IMAGE, "--tag", "bench", *flags]  # fmt: skip
        return timed(lambda: sh(*argv, env=self.env))

    def fast(self) -> float:
        return self.invoke("--fast")

    def dev(self, saves: int) -> list[float]:
        """`invoke dev`'s own figure for each of `saves` one-line changes: the time from
        the save to the pushed index, debounce included (its one line per cycle)."""
        argv = [sys.executable, "-m", "invoke", "-r", str(REPO), "dev", "--image", IMAGE,
                "--tag", "bench", "--debounce", str(DEBOUNCE)]  # fmt: skip
        dev = subprocess.Popen(argv, env=self.env, stderr=subprocess.PIPE, text=True)
        took = []
        try:
            for n in range(saves + 1):  # the first cycle is the build at start
                line = ""
                while "in the registry" not in line:
                    line = dev.stderr.readline()
                    if not line or "still watching" in line:
                        sys.exit(f"benchmark: invoke dev failed: {line}")
                if n:
                    took.append(float(line.split("in the registry ")[1].split(" s ")[0]))
                if n < saves:
                    time.sleep(1)
                    touch_line(self.module)
        finally:
            dev.send_signal(signal.SIGINT)
            dev.wait(timeout=60)
        return took

    def raw(
        self, buildx_attestations: bool = False, reproducible: bool = True, no_cache: bool = False
    ) -> float:
        """The command `invoke build` would run; or with buildx's default attestations, or
        without SOURCE_DATE_EPOCH (file times left as built), or with --no-cache."""
        [plan] = planning.plan(self.settings, Runner(), self.env)
        with plan.layout.contexts() as contexts:
            argv = buildx.command(plan, contexts, None)
            if buildx_attestations:
                argv = [a for a in argv if not a.startswith(("--provenance", "--sbom"))]
            if not reproducible:
                at = argv.index(f"SOURCE_DATE_EPOCH={plan.revision.epoch}")
                del argv[at - 1 : at + 1]
            if no_cache:
                argv.insert(-1, "--no-cache")
            return timed(lambda: sh(*argv, input=plan.dockerfile_text))

    def go(self) -> float:
        """Host `go build` for the same targets, in parallel as buildx runs them."""
        env = {**os.environ, "GOCACHE": str(self.gocache), "CGO_ENABLED": "0"}
        out = self.gocache.parent / "out"

        def build_all() -> None:
            procs = []
            for p in parse(PLATFORMS):
                penv = {**env, "GOOS": p.os, "GOARCH": p.arch, "GOARM": p.goarm}
                procs.append(subprocess.Popen(
                    ["go", "build", "-trimpath", "-o", str(out / p.slug) + "/", "."],
                    cwd=self.module, env=penv,
                ))  # fmt: skip
            if any(proc.wait() != 0 for proc in procs):
                sys.exit("benchmark: host go build failed")

        return timed(build_all)


def bytecode() -> None:
    """The package's bytecode, made once as an installation makes it: where the
    environment sets PYTHONDONTWRITEBYTECODE, every run would compile it anew (~0.1 s
    quiet, more under load) and count that as invoke's own time."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    sh(sys.executable, "-m", "compileall", "-q", str(REPO / "multiarch"), env=env)


def paired(runs: int, prepare: Callable[[int], None], **contenders) -> dict[str, list[float]]:
    """Run every contender `runs` times, interleaved, order rotating each round."""
    times: dict[str, list[float]] = {name: [] for name in contenders}
    names = list(contenders)
    counter = 0
    for r in range(runs):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            counter += 1
            prepare(counter)
            times[name].append(contenders[name]())
    return times


def cold(c: Contenders) -> Callable[[int], None]:
    def prepare(_: int) -> None:
        sh("docker", "buildx", "prune", "-af")
        shutil.rmtree(c.gocache, ignore_errors=True)

    return prepare


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def arguments(
    doc: str, scenarios: tuple[str, ...], parser: argparse.ArgumentParser | None = None
) -> tuple[argparse.Namespace, list[str]]:
    """The options every benchmark takes (--runs, --write, --scenarios), added to `parser`
    (one with options of its own) and read; the scenarios chosen, each a known one."""
    ap = parser or argparse.ArgumentParser()
    ap.description = doc.splitlines()[0]
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--write", action="store_true", help="put the table into docs/speed.md")
    ap.add_argument("--scenarios", default=",".join(scenarios),
                    help=f"comma-separated, of {','.join(scenarios)} (default: all)")  # fmt: skip
    args = ap.parse_args()
    chosen = args.scenarios.split(",")
    if unknown := set(chosen) - set(scenarios):
        sys.exit(f"benchmark: unknown scenarios {', '.join(sorted(unknown))}")
    return args, chosen


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cold-runs", type=int, default=2)
    args, chosen = arguments(__doc__, SCENARIOS, ap)
    if args.write and chosen != list(SCENARIOS):
        sys.exit("benchmark: --write needs every scenario")
    shutil.which("go") or sys.exit("benchmark: host go is missing (scripts/provision.sh)")
    bytecode()
    load = os.getloadavg()[0]

    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        tmp = Path(tmp)
        files = {name: (REPO / name).read_text() for name in MODULE_FILES}
        plain = Contenders(git_copy(files, tmp / "plain"), tmp / "gocache-plain")
        ws = Contenders(make_workspace(tmp / "ws"), tmp / "gocache-ws")
        no_change = lambda _: None  # noqa: E731
        change = lambda _: touch_line(plain.module)  # noqa: E731
        both = {"invoke": plain.invoke, "raw": plain.raw, "go": plain.go}

        rows, extra = {}, {}
        if "cold" in chosen:
            print("cold …", file=sys.stderr)
            rows["cold"] = paired(args.cold_runs, cold(plain), **both)
        if "warm" in chosen:
            print("warm, no change …", file=sys.stderr)
            rows["warm, no change"] = paired(args.runs, no_change, **both)
            print("warm, one-line change in main.go …", file=sys.stderr)
            rows["warm, one-line change"] = paired(args.runs, change, **both)
        if "fast" in chosen:
            print("fast path, one-line change in main.go …", file=sys.stderr)
            plain.fast()  # nothing recorded yet: the full build the fast path starts from
            touch_line(plain.module)
            plain.fast()  # the first fast one builds the toolchain, starts its containers
            rows["--fast, one-line change"] = paired(
                args.runs, change, invoke=plain.fast, raw=plain.raw, go=plain.go
            )
            print("invoke dev, a save to the pushed index …", file=sys.stderr)
            extra["dev"] = {"save to index": plain.dev(args.runs)}
            sh(sys.executable, "-m", "invoke", "-r", str(REPO), "clean", env=plain.env)
        if "workspace" in chosen:
            print(f"{WORKSPACE_MODULES}-module workspace …", file=sys.stderr)
            ws.invoke()  # its first build fills the caches
            rows[f"warm, {WORKSPACE_MODULES}-module go.work"] = paired(
                args.runs, no_change, invoke=ws.invoke, raw=ws.raw, go=ws.go
            )
        if "attestations" in chosen:
            print("attestations …", file=sys.stderr)
            extra["attestations"] = paired(
                args.runs,
                change,
                without=plain.raw,
                default=lambda: plain.raw(buildx_attestations=True),
            )
        if "reproducibility" in chosen:
            print("reproducibility, a new commit …", file=sys.stderr)
            plain.raw()  # fills the caches, as the warm scenarios do
            extra["reproducibility"] = paired(
                args.runs,
                lambda _: commit_line(plain.module),
                reproducible=plain.raw,
                plain=lambda: plain.raw(reproducible=False),
            )

    report = render(rows, extra) + f"Load average at the start: {load:.1f} (2 cores).\n"
    print(report)
    if args.write:
        write_table(report, "benchmark")


def render(
    rows: dict[str, dict[str, list[float]]], extra: dict[str, dict[str, list[float]]]
) -> str:
    lines = [
        "| scenario | invoke build | raw buildx | host go build | invoke / raw | invoke / go |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, t in rows.items():
        i, r, g = median(t["invoke"]), median(t["raw"]), median(t["go"])
        lines.append(f"| {name} | {i:.2f} s | {r:.2f} s | {g:.2f} s | {i / r:.2f} | {i / g:.1f} |")
    m = {name: median(t["invoke"]) for name, t in rows.items()}
    change = "warm, one-line change"
    ws = f"warm, {WORKSPACE_MODULES}-module go.work"
    lines.append("")
    if "cold" in m and change in m:
        lines.append(f"- warm one-line change / cold: {m[change] / m['cold']:.1%} (target < 10%)")
    if change in m:
        ratio = m[change] / median(rows[change]["raw"])
        lines.append(f"- invoke / raw buildx, warm one-line change: {ratio:.2f} (target ≤ 1.15)")
    if ws in m and "warm, no change" in m:
        lines.append(
            f"- {WORKSPACE_MODULES}-module workspace adds {m[ws] - m['warm, no change']:+.2f} s "
            "to a warm no-change build (target < 0.3 s)"
        )
    fast = "--fast, one-line change"
    if fast in m:
        raw, go = median(rows[fast]["raw"]), median(rows[fast]["go"])
        lines.append(
            f"- invoke build --fast / raw buildx, one-line change: {m[fast] / raw:.2f} "
            f"(target ≤ 0.4); / host go build: {m[fast] / go:.2f} (target ≤ 2.5)"
        )
    if "dev" in extra:
        saved = median(extra["dev"]["save to index"])
        lines.append(
            f"- invoke dev, a one-line save to the pushed index: {saved:.2f} s, debounce "
            f"{DEBOUNCE} s included (its own figure, median)"
        )
    if "attestations" in extra:
        off, on = median(extra["attestations"]["without"]), median(extra["attestations"]["default"])
        lines.append(
            f"- buildx's default provenance attestation on a local push: {on:.2f} s against "
            f"{off:.2f} s without ({on / off:.2f}x)"
        )
    if "reproducibility" in extra:
        on, off = (median(extra["reproducibility"][k]) for k in ("reproducible", "plain"))
        lines.append(
            f"- reproducibility, warm build of a new commit (raw buildx): {on:.2f} s against "
            f"{off:.2f} s without SOURCE_DATE_EPOCH ({on - off:+.2f} s, {on / off:.2f}x)"
        )
    lines += [
        "",
        "Medians in seconds; 3 platforms (linux/amd64, linux/arm64, linux/arm/v7).",
        f"Runs repeated after the registry's 500 on a double push: {repeated}.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
