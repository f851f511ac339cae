"""The Dockerfile's `go build` step, as the fast path reads it (no Docker)."""

from pathlib import Path

import pytest

from multiarch.core.platforms import parse_one
from multiarch.dockerfile import build_step
from multiarch.dockerfile.build_step import Mount, Unsupported

REPO = Path(__file__).parents[2]
DOCKERFILES = [REPO / "Dockerfile", REPO / "multiarch" / "data" / "Dockerfile"]
ARM = parse_one("linux/arm/v7")
AMD64 = parse_one("linux/amd64")


def dockerfile(builder: str, image: str = "FROM scratch AS image\nCOPY --from=b /out/ /\n") -> str:
    """A small Dockerfile: a build stage `b` with the given lines, then the image stage."""
    return f"FROM --platform=$BUILDPLATFORM golang:1.24 AS b\n{builder}{image}"


def unsupported(text: str, target: str = "image", args=None) -> str:
    with pytest.raises(Unsupported) as e:
        build_step.read(text, target, args or {})
    return str(e.value)


# instructions()


def test_instructions_drop_comments_and_join_continuation_lines():
    text = (
        "# a comment\n"
        "\n"
        "FROM --platform=$BUILDPLATFORM golang:1.24 AS b\n"
        "  # an indented comment\n"
        "RUN a \\\n"
        "    b \\  \n"
        "    c\n"
        "env K=v\n"
    )
    found = build_step.instructions(text)
    assert [(i.keyword, i.line) for i in found] == [("FROM", 3), ("RUN", 5), ("ENV", 8)]
    assert found[0].text == "--platform=$BUILDPLATFORM golang:1.24 AS b"
    assert found[1].text.split() == ["a", "b", "c"]
    assert found[2].text == "K=v"


def test_instructions_skip_comment_lines_inside_a_continuation():
    text = "RUN a \\\n# not part of it\n    b \\\n  # nor this\n    c\nENV K=v\n"
    found = build_step.instructions(text)
    assert [i.keyword for i in found] == ["RUN", "ENV"]
    assert found[0].text.split() == ["a", "b", "c"]
    assert "#" not in found[0].text


def test_instructions_refuse_another_escape_character():
    with pytest.raises(Unsupported, match="escape character is `"):
        build_step.instructions("# syntax=docker/dockerfile:1\n# escape=`\nFROM scratch\n")
    # the default one, said explicitly, is fine; a directive only counts at the top
    assert build_step.instructions("# escape=\\\nFROM scratch\n")[0].keyword == "FROM"
    assert build_step.instructions("FROM scratch\n# escape=`\n")[0].text == "scratch"


# stages()


def test_stages_global_args_and_names():
    text = (
        "ARG PLAIN\n"
        "ARG GO_VERSION=1.24 OTHER\n"
        "FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS Builder\n"
        "ARG NOT_GLOBAL=1\n"
        "RUN go build -o /out/ .\n"
        "FROM alpine\n"
        "FROM scratch as Image\n"
    )
    global_args, stages = build_step.stages(text)
    assert global_args == {"PLAIN": None, "GO_VERSION": "1.24", "OTHER": None}
    assert [(s.name, s.base) for s in stages] == [
        ("builder", "golang:${GO_VERSION}"),
        ("1", "alpine"),
        ("image", "scratch"),
    ]
    assert [i.keyword for i in stages[0].instructions] == ["ARG", "RUN"]
    assert stages[1].instructions == []


# read() on the shipped Dockerfiles


@pytest.mark.parametrize("path", DOCKERFILES, ids=["repository", "shipped"])
def test_read_the_dockerfiles(path):
    text = path.read_text()
    step = build_step.read(text, "image", {})
    assert step.image == "golang:1.24"
    assert step.workdir == "/src"
    assert step.sources == "/src"
    assert "go build" in step.command
    assert "-o /out/" in step.command
    assert not step.command.startswith("--")
    assert step.network == ""
    assert step.mounts == (
        Mount("cache", "/cache/go-mod", "/cache/go-mod"),
        Mount("cache", "/cache/go-build", "/cache/go-build"),
        Mount("secret", "/run/secrets/netrc", "netrc"),
        Mount("secret", "/run/go-ca/ca.crt", "go-ca"),
    )
    other = build_step.read(text, "Image", {"GO_VERSION": "1.23", "MODULE_DIR": "app"})
    assert other.image == "golang:1.23"
    assert other.workdir == "/src/app"
    assert other.sources == "/src/app"
    assert other.command == step.command


# BuildStep.environment()


def test_environment_of_the_shipped_dockerfile():
    step = build_step.read(DOCKERFILES[1].read_text(), "image", {})
    args = {"GOWORK": "/src/go.work", "VERSION": "v1.2.3", "BINARY": "api", "CREATED": "now"}
    image_env = ["PATH=/usr/local/go/bin:/usr/bin", "GOLANG_VERSION=1.24.0", "GOCACHE=/root"]
    env = step.environment(args, ARM, AMD64, image_env)
    assert env["PATH"] == "/usr/local/go/bin:/usr/bin"  # the image's kept
    assert env["GOLANG_VERSION"] == "1.24.0"
    assert env["GOCACHE"] == "/cache/go-build"  # ENV over the image's
    assert env["CGO_ENABLED"] == "0"
    assert env["GOWORK"] == "/src/go.work"  # ENV GOWORK=${GOWORK}, from the build arg
    assert env["VERSION"] == "v1.2.3"  # declared, given
    assert env["REVISION"] == "unknown"  # declared, its default
    assert "SOURCE_DATE_EPOCH" not in env  # declared, neither given nor defaulted
    assert "GOPROXY" not in env
    assert "BINARY" not in env and "CREATED" not in env  # not declared in the stage
    assert (env["TARGETOS"], env["TARGETARCH"], env["TARGETVARIANT"]) == ("linux", "arm", "v7")
    assert "BUILDARCH" not in env  # not declared
    plain = step.environment({"SOURCE_DATE_EPOCH": "1700000000"}, AMD64, AMD64, [])
    assert plain["GOWORK"] == "off"
    assert plain["SOURCE_DATE_EPOCH"] == "1700000000"
    assert (plain["TARGETARCH"], plain["TARGETVARIANT"]) == ("amd64", "")


def test_environment_env_forms_and_quotes():
    text = dockerfile(
        "ENV OLD some value\n"
        'ENV A="x y" B=\'$A literal\' C="${A}!" D=$UNSET\n'
        "ARG TARGETARCH\n"
        "ENV ARCH=$TARGETARCH\n"
        "COPY . .\n"
        "RUN go build -o /out/ .\n"
    )
    env = build_step.read(text, "image", {}).environment({}, ARM, AMD64, ["A=image"])
    assert env["OLD"] == "some value"
    assert env["A"] == "x y"
    assert env["B"] == "$A literal"
    assert env["C"] == "image!"  # a line sees what was set before it, as BuildKit does
    assert env["D"] == ""
    assert env["ARCH"] == "arm"


def test_environment_global_arg_default_reaches_a_stage_that_declares_it():
    text = "ARG V=1.0\n" + dockerfile("ARG V\nCOPY . .\nRUN go build -o /out/ .\n")
    step = build_step.read(text, "image", {})
    assert step.environment({}, AMD64, AMD64, [])["V"] == "1.0"
    assert step.environment({"V": "2.0"}, AMD64, AMD64, [])["V"] == "2.0"


# expand()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$X", "x"),
        ("a${X}b", "axb"),
        ("$X/$MISSING/", "x//"),
        ("${MISSING:-dflt}", "dflt"),
        ("${EMPTY:-dflt}", "dflt"),
        ("${X:-dflt}", "x"),
        ("${MISSING:-$X}", "x"),
        ("${X:+word}", "word"),
        ("${MISSING:+word}", ""),
        (r"\$X", "$X"),
        ("cost $", "cost $"),
    ],
)
def test_expand(text, expected):
    assert build_step.expand(text, {"X": "x", "EMPTY": ""}) == expected


def test_expand_refuses_what_it_cannot_do():
    with pytest.raises(Unsupported, match="unterminated"):
        build_step.expand("${X", {})
    with pytest.raises(Unsupported, match="cannot expand"):
        build_step.expand("${X#v}", {"X": "v7"})


# from_images()


def test_from_images():
    text = (
        "ARG GO_VERSION=1.24\n"
        "ARG BASE\n"
        "FROM scratch AS workspace\n"
        "FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS builder\n"
        "FROM builder AS tests\n"
        "FROM ${BASE:-alpine:3} AS runtime\n"
        "FROM golang:1.24\n"
        "FROM runtime AS image\n"
    )
    assert build_step.from_images(text, {}) == ["golang:1.24", "alpine:3"]
    assert build_step.from_images(text, {"GO_VERSION": "1.23", "BASE": "debian"}) == [
        "golang:1.23",
        "debian",
        "golang:1.24",
    ]
    for path in DOCKERFILES:
        assert build_step.from_images(path.read_text(), {}) == ["golang:1.24"]


# read(): what the fast path cannot follow


def test_read_an_inline_dockerfile():
    text = dockerfile(
        "ARG DIR=app\n"
        "WORKDIR /src\n"
        "WORKDIR ${DIR}\n"
        "COPY go.mod ./\n"
        "RUN go mod download\n"
        "COPY --chown=1:1 . ./code\n"
        "RUN --network=host --mount=type=tmpfs,target=/tmp \\\n"
        "    --mount=type=cache,id=gomod,dst=/go/pkg/mod \\\n"
        "    --mount=type=secret,id=tok \\\n"
        "    go   build -o /out/ ./cmd/x\n"
    )
    step = build_step.read(text, "image", {"DIR": "svc"})
    assert (step.workdir, step.sources) == ("/src/svc", "/src/svc/code")
    assert step.command.split() == ["go", "build", "-o", "/out/", "./cmd/x"]
    assert step.network == "host"
    assert step.mounts == (
        Mount("cache", "/go/pkg/mod", "gomod"),
        Mount("secret", "/run/secrets/tok", "tok"),
    )


def test_unsupported_heredoc():
    text = dockerfile("COPY . .\nRUN <<EOF\ngo build -o /out/ .\nEOF\n")
    assert "heredoc" in unsupported(text)


def test_unsupported_exec_form():
    text = dockerfile('COPY . .\nRUN ["/bin/sh", "-c", "go build -o /out/ ."]\n')
    assert "exec form" in unsupported(text)


def test_unsupported_a_second_run_after_the_sources():
    text = dockerfile("COPY . .\nRUN go generate ./...\nRUN go build -o /out/ .\n")
    assert "line 3 runs more than go build after the sources" in unsupported(text)
    after = dockerfile("COPY . .\nRUN go build -o /out/ .\nRUN strip /out/x\n")
    assert "line 4 runs more than go build" in unsupported(after)


def test_unsupported_copies_after_the_step():
    text = dockerfile("COPY . .\nRUN go build -o /out/ .\nCOPY extra /extra\n")
    assert "copies files after the go build step" in unsupported(text)


@pytest.mark.parametrize("mount", ["type=bind,target=/src", "target=/src", "type=ssh"])
def test_unsupported_bind_and_other_mounts(mount):
    text = dockerfile(f"COPY . .\nRUN --mount={mount} go build -o /out/ .\n")
    message = unsupported(text)
    assert "line 3" in message
    assert "mount" in message


def test_unsupported_other_run_flags():
    text = dockerfile("COPY . .\nRUN --security=insecure go build -o /out/ .\n")
    assert "uses --security" in unsupported(text)


def test_unsupported_no_stage_copies_from_a_go_build_stage():
    text = dockerfile(
        "COPY . .\nRUN go build -o /out/ .\n",
        "FROM alpine AS other\nRUN true\nFROM scratch AS image\nCOPY --from=other / /\n",
    )
    assert "the image stage copies from no one stage that runs go build" in unsupported(text)
    two = dockerfile(
        "COPY . .\nRUN go build -o /out/ .\n",
        "FROM --platform=$BUILDPLATFORM golang AS c\nCOPY . .\nRUN go build -o /out/ .\n"
        "FROM scratch AS image\nCOPY --from=b /out/ /a/\nCOPY --from=c /out/ /b/\n",
    )
    assert "no one stage" in unsupported(two)


def test_unsupported_no_copy_of_the_sources():
    text = dockerfile("COPY go.mod main.go ./\nRUN go build -o /out/ .\n")
    assert "does not `COPY . DIR` and then run go build" in unsupported(text)


def test_unsupported_missing_target():
    text = dockerfile("COPY . .\nRUN go build -o /out/ .\n")
    assert "no stage 'release'" in unsupported(text, target="release")


def test_unsupported_build_stage_from_another_stage():
    text = (
        "FROM golang:1.24 AS base\n"
        "ENV CGO_ENABLED=0\n"
        "FROM base AS b\n"
        "COPY . .\n"
        "RUN go build -o /out/ .\n"
        "FROM scratch AS image\n"
        "COPY --from=b /out/ /\n"
    )
    assert "starts from another stage (base)" in unsupported(text)
