"""What several commands cost: one `invoke build` of N main packages against N builds.

    .venv/bin/python benchmarks/commands.py [--commands 4] [--runs 5] [--write]

A throwaway module with N commands under cmd/ that all import one shared package. Each
run makes a one-line change in that package never made before (so every command is
recompiled, as after a real change), then times, in rotating order:

- one command alone: `invoke build --main ./cmd/c1`
- all N in one invocation: `invoke build --main ./cmd/c1,...` (one `buildx bake`)
- N invocations, one per command, one after the other (what a script would do)

for the three default platforms, pushing to the registry the INVOKE_* environment
names (default: the local one). Medians and the cost of each command beyond the first.
--write puts the table into docs/speed.md, between its <!-- commands:start/end --> markers.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from speed_page import write_table  # beside this script

REPO = Path(__file__).resolve().parent.parent
TASKS_PY = (
    "from pathlib import Path\n\nfrom multiarch.tasks import namespace\n\n"
    "ns = namespace(root=Path(__file__).parent)\n"
)


# The registry (2.8) sometimes answers a HEAD of the tag being pushed with 500: such a
# run is repeated, as benchmarks/build_speed.py does, and its time not kept.
REGISTRY_RACE = "500 Internal Server Error"


class RegistryRace(Exception):
    pass


def sh(*argv: str, cwd: Path) -> None:
    result = subprocess.run(argv, cwd=cwd, text=True, capture_output=True)
    if result.returncode != 0:
        if REGISTRY_RACE in result.stderr:
            raise RegistryRace
        sys.exit(f"benchmark: `{' '.join(argv[:5])} …` failed: {result.stderr[-2000:]}")


def make_module(where: Path, n: int) -> list[str]:
    """The module with n commands; the --main values of each."""
    (where / "go.mod").write_text("module example.com/fleet\n\ngo 1.24\n")
    (where / "tasks.py").write_text(TASKS_PY)
    (where / "shared").mkdir()
    change(where)
    mains = []
    for i in range(1, n + 1):
        d = where / "cmd" / f"c{i}"
        d.mkdir(parents=True)
        (d / "main.go").write_text(
            'package main\n\nimport (\n\t"fmt"\n\n\t"example.com/fleet/shared"\n)\n\n'
            f'func main() {{ fmt.Println("c{i}", shared.Value) }}\n'
        )
        mains.append(f"./cmd/c{i}")
    for argv in (["init", "-q"], ["add", "."], ["commit", "-qm", "bench"]):
        sh("git", "-c", "user.name=b", "-c", "user.email=b@localhost", *argv, cwd=where)
    return mains


def change(where: Path) -> None:
    """A one-line change in the shared package never made before: every command rebuilds."""
    (where / "shared" / "shared.go").write_text(
        f'package shared\n\nconst Value = "{time.time_ns()}"\n'
    )


def timed(action: Callable[[], None]) -> float:
    for _ in range(3):
        start = time.perf_counter()
        try:
            action()
        except RegistryRace:
            continue
        return time.perf_counter() - start
    sys.exit(f"benchmark: the registry answered 500 three times in a row ({REGISTRY_RACE})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=4)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--write", action="store_true", help="put the table into docs/speed.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="multiarch-bench-") as tmp:
        where = Path(tmp)
        mains = make_module(where, args.commands)

        def build(*main: str) -> Callable[[], None]:
            argv = [sys.executable, "-m", "invoke", "build", "--tag", "bench"]
            return lambda: sh(*argv, "--main", ",".join(main), cwd=where)

        def separately() -> None:
            for m in mains:
                build(m)()

        contenders = {
            "one command": build(mains[0]),
            f"{len(mains)} commands, one invoke build": build(*mains),
            f"{len(mains)} commands, {len(mains)} invoke builds": separately,
        }
        timed(build(*mains))  # warm: base image, go mod download, the standard library
        times: dict[str, list[float]] = {name: [] for name in contenders}
        names = list(contenders)
        for run in range(args.runs):
            for name in names[run % len(names) :] + names[: run % len(names)]:
                change(where)
                times[name].append(timed(contenders[name]))
    report = render(times, len(mains))
    print(report)
    if args.write:
        write_table(report, "commands")


def render(times: dict[str, list[float]], n: int) -> str:
    med = {name: statistics.median(t) for name, t in times.items()}
    one, together, apart = med.values()
    lines = [
        "| warm, one-line change in a shared package | time | each command beyond the first |",
        "| --- | ---: | ---: |",
        f"| one command | {one:.2f} s | |",
        f"| {n} commands, one `invoke build` (one bake) | {together:.2f} s "
        f"| +{(together - one) / (n - 1):.2f} s |",
        f"| {n} commands, {n} `invoke build`s | {apart:.2f} s | +{(apart - one) / (n - 1):.2f} s |",
        "",
        f"Medians of {len(next(iter(times.values())))} runs, 3 platforms "
        "(linux/amd64, linux/arm64, linux/arm/v7), pushed to a",
        "local registry.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
