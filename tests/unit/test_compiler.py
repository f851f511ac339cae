"""The compiler's first error, per platform, from a build's output."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from multiarch.golang.compiler import CompileError, explain, first_error, gather, vertex_platform

RUN = '[{} builder 8/8] RUN --mount=type=cache,target=/cache/go-build     go build -o /out/ "."'
# a failed 2-platform build with plain progress, as buildx 0.13 prints it (shortened)
PLAIN = f"""\
#12 {RUN.format("linux/amd64->arm64")}
#12 1.480 # github.com/multiarch/hellorld
#12 1.480 ./main.go:36:2: undefined: nope
#12 ...

#13 {RUN.format("linux/amd64")}
#13 1.353 # github.com/multiarch/hellorld
#13 1.353 ./main.go:36:2: undefined: nope
#13 ERROR: process "/bin/sh -c go build" did not complete successfully: exit code: 1
------
 > {RUN.format("linux/amd64->arm64")}:
1.480 # github.com/multiarch/hellorld
1.480 ./main.go:36:2: undefined: nope
------
------
 > {RUN.format("linux/amd64")}:
1.353 # github.com/multiarch/hellorld
1.353 ./main.go:36:2: undefined: nope
------
Dockerfile:68
ERROR: failed to solve: process "/bin/sh -c go build" did not complete successfully: exit code: 1
"""


def test_one_line_for_platforms_that_failed_alike_in_the_order_asked_for():
    # arm64's step failed first in the output; the line names the platforms as asked
    e = explain(PLAIN.splitlines(), ["linux/amd64", "linux/arm64"])
    assert e is not None
    assert e.message == (
        "go build failed for linux/amd64 and linux/arm64: ./main.go:36:2: undefined: nope"
    )
    e = explain(PLAIN.splitlines(), ["linux/arm64", "linux/amd64"])
    assert e is not None and e.message.startswith(
        "go build failed for linux/arm64 and linux/amd64:"
    )


def test_the_first_error_from_plain_progress_when_the_block_lost_it():
    # the block after the progress keeps a step's last 10 lines: the first error is gone
    many = [f"./main.go:36:{i}: undefined: nope{i}" for i in range(2, 13)]
    lines = [f"#7 {RUN.format('linux/amd64->arm/v7')}"]
    lines += [f"#7 2.1 {line}" for line in ["# example.com/x", *many]]
    lines += ["------", f" > {RUN.format('linux/amd64->arm/v7')}:"]
    lines += [f"2.1 {line}" for line in many[-10:]] + ["------"]
    e = explain(lines, ["linux/arm/v7"])
    assert e is not None and e.message.endswith("linux/arm/v7: ./main.go:36:2: undefined: nope2")


def test_tty_output_and_one_platform_builds():
    # no plain progress kept; a one-platform build names no platform in its steps
    lines = ["------", " > [builder 8/8] RUN go build .:", "0.9 ./x.go:3:1: syntax error", "------"]
    e = explain(lines, ["linux/arm64"])
    assert (
        e is not None and e.message == "go build failed for linux/arm64: ./x.go:3:1: syntax error"
    )


def test_other_failures_are_not_compile_errors():
    lines = ["------", " > [builder 3/8] RUN apk add x:", "0.1 ERROR: unable to select", "------"]
    assert explain(lines, ["linux/amd64"]) is None


@pytest.mark.parametrize(
    "name, platform",
    [
        ("linux/amd64->arm/v7 builder 8/8", "linux/arm/v7"),
        ("linux/amd64 builder 8/8", "linux/amd64"),
        ("api linux/amd64->s390x builder 8/8", "linux/s390x"),
        ("linux/amd64->windows/amd64 builder 8/8", "windows/amd64"),
        ("builder 8/8", ""),
    ],
)
def test_vertex_platform(name, platform):
    assert vertex_platform(name) == platform


def test_first_error():
    assert first_error("# m\n./a.go:1:2: x\n./a.go:3:4: y\n") == "./a.go:1:2: x"
    assert first_error("go: updating go.mod\ngo: errors parsing go.mod\n") == "go: updating go.mod"
    assert first_error("") == "no output"


def test_different_errors_each_named():
    e = CompileError({"linux/amd64": "./a.go:1:1: x", "linux/arm": "./b.go:2:2: y"})
    assert (
        e.message == "go build failed for linux/amd64: ./a.go:1:1: x; for linux/arm: ./b.go:2:2: y"
    )


def test_gather_waits_for_every_platform(capsys):
    def one(name):
        if name == "linux/amd64":
            return 1
        raise CompileError({name: "./a.go:1:1: x"})

    names = ["linux/amd64", "linux/arm64", "linux/arm/v7"]
    with ThreadPoolExecutor(3) as pool, pytest.raises(CompileError) as e:
        gather({name: pool.submit(one, name) for name in names})
    assert e.value.message == "go build failed for linux/arm64 and linux/arm/v7: ./a.go:1:1: x"
    assert capsys.readouterr().err.count("./a.go:1:1: x") == 1  # shown once
