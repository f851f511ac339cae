"""What the Go compiler said when a build failed: its first error, per platform, in one line.

A full build's output is BuildKit's: each failed step's last log lines in a block after
the progress (` > [linux/amd64->arm64 builder 8/8] RUN ...:` then `1.480 ./main.go:36:2:
undefined: nope` lines), and, with plain progress, every log line as it came (`#12 1.480
...`). A fast build's is the step's own output, one per platform. Either way the error
is one line naming the platforms and the compiler's first error; platforms that failed
the same way are named together, and their output is shown once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from typing import TypeVar

from rich.markup import escape

from ..core.command import console
from ..core.errors import UserError

HINT = "the compiler's output is above"
# ./main.go:39:17: undefined: nope (a column only where go knows it)
_GO_ERROR = re.compile(r"^\S+\.go:\d+(?::\d+)?: \S")
_HEADER = re.compile(r"\[([^\]]+)\]")
_PLAIN_VERTEX = re.compile(r"^#(\d+) \[")
_PLAIN_LOG = re.compile(r"^#(\d+) \d+\.\d+ (.*)$")
_SUMMARY_START = re.compile(r"^ > \[")
_SUMMARY_LOG = re.compile(r"^\d+\.\d+ (.*)$")
_GOOS = {
    "aix", "android", "darwin", "dragonfly", "freebsd", "illumos", "ios", "js", "linux",
    "netbsd", "openbsd", "plan9", "solaris", "wasip1", "windows",
}  # fmt: skip

T = TypeVar("T")


class CompileError(UserError):
    """The go build step failed on some platforms; the compiler's output, per platform."""

    def __init__(self, outputs: Mapping[str, str]):
        self.outputs = dict(outputs)
        super().__init__(one_line(self.outputs), HINT)


def first_error(output: str) -> str:
    """The compiler's first error in a step's output (`./main.go:39:17: undefined: nope`);
    else its first `go: ...` line; else its last line."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    for line in lines:
        if _GO_ERROR.match(line):
            return line
    said = next((line for line in lines if line.startswith("go: ")), "")
    return said or (lines[-1] if lines else "no output")


def one_line(outputs: Mapping[str, str]) -> str:
    """`go build failed for linux/amd64 and linux/arm64: ./main.go:36:2: undefined: nope`;
    platforms with another first error get their own part."""
    by_error: dict[str, list[str]] = {}
    for platform, output in outputs.items():
        by_error.setdefault(first_error(output), []).append(platform)
    parts = [f"{_and(names)}: {error}" for error, names in by_error.items()]
    return "go build failed for " + "; for ".join(parts)


def _and(names: list[str]) -> str:
    return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]


def show(outputs: Mapping[str, str]) -> None:
    """Print each distinct output once, naming the platforms that gave it."""
    by_output: dict[str, list[str]] = {}
    for platform, output in outputs.items():
        by_output.setdefault(output.strip(), []).append(platform)
    for output, names in by_output.items():
        console.print(f"[bold red]go build failed for {escape(_and(names))}:[/]")
        console.print(escape(output), style="red")


def gather(futures: Mapping[str, Future[T]]) -> dict[str, T]:
    """Every platform's result, waiting for all; when some failed to compile, one
    CompileError for them all, their output shown once each. Another error is raised
    as it is (the first platform's)."""
    failed: dict[str, str] = {}
    other: BaseException | None = None
    done = {}
    for platform, future in futures.items():
        try:
            done[platform] = future.result()
        except CompileError as e:
            failed.update(e.outputs)
        except Exception as e:  # noqa: BLE001 - kept, raised after every platform is done
            other = other or e
    if failed:
        show(failed)
        raise CompileError(failed)
    if other is not None:
        raise other
    return done


def from_buildkit(lines: Sequence[str], platforms: Sequence[str]) -> dict[str, str]:
    """The failed steps' log lines in a buildx build's output, by platform. Plain
    progress lines are complete; the block after the progress holds only each step's
    last lines, so it counts where no plain progress was kept. A step without a
    platform in its name (a one-platform build) is the one platform's."""
    names: dict[str, str] = {}  # plain progress: vertex number -> its name
    plain: dict[str, list[str]] = {}
    summary: dict[str, list[str]] = {}
    block: list[str] | None = None
    for line in lines:
        if block is not None:
            if line.startswith("------"):
                block = None
            elif found := _SUMMARY_LOG.match(line):
                block.append(found[1])
            continue
        if _SUMMARY_START.match(line) and (header := _HEADER.search(line)):
            block = summary.setdefault(header[1], [])
            block.clear()
        elif found := _PLAIN_LOG.match(line):
            if found[1] in names:
                plain.setdefault(names[found[1]], []).append(found[2])
        elif (found := _PLAIN_VERTEX.match(line)) and (header := _HEADER.search(line)):
            names[found[1]] = header[1]
    outputs: dict[str, str] = {}
    for name, logged in summary.items():
        complete = plain.get(name, [])
        text = "\n".join(complete if len(complete) >= len(logged) else logged)
        if any(_GO_ERROR.match(line.strip()) for line in text.splitlines()):
            platform = vertex_platform(name) or (platforms[0] if len(platforms) == 1 else "")
            outputs[platform or "the build platform"] = text
    # in the order asked for, not the order the steps happened to fail in
    order = {platform: i for i, platform in enumerate(platforms)}
    return dict(sorted(outputs.items(), key=lambda item: order.get(item[0], len(order))))


def vertex_platform(name: str) -> str:
    """The target platform in a step's name: `linux/amd64->arm/v7 builder 8/8` is
    linux/arm/v7, `api linux/arm64 builder 8/8` linux/arm64; "" when it names none."""
    for word in name.split():
        if "/" not in word or re.fullmatch(r"\d+/\d+", word):
            continue
        build, _, target = word.partition("->")
        if not target:
            return build
        if target.split("/")[0] in _GOOS:
            return target
        return f"{build.split('/')[0]}/{target}"
    return ""


def explain(lines: Sequence[str], platforms: Sequence[str]) -> CompileError | None:
    """A failed buildx build as one line, when the compiler failed in it; else None."""
    outputs = from_buildkit(lines, platforms)
    return CompileError(outputs) if outputs else None
