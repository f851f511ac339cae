"""The Dockerfile's `go build` step, read so that it can run outside BuildKit.

`invoke build --fast` compiles with exactly what the Dockerfile's build stage runs: the
stage's base image, its ENV and ARG values, its WORKDIR, the cache and secret mounts of
the step, and the step's own shell command, run as it is. The Dockerfile stays the one
source of truth for the `go build` line; this module only reads it. A Dockerfile this
reading does not cover (heredocs, an exec-form step, other steps after the sources are
copied, a bind mount) raises Unsupported, saying what: the build is then a full one.

Which step: the image stage (build.target) copies from a stage whose last RUN that calls
`go build` is the step. Everything the stage does before copying the sources depends on
the Dockerfile, the build args, the base image and go.mod: built once with BuildKit, up
to that COPY, it is the image the step runs in (toolchain.py). After the copy only the
step may run.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..core.platforms import Platform

GO_BUILD = re.compile(r"\bgo\b[\s\",]+build\b")  # shell form, or ["go", "build", ...]
_DIRECTIVE = re.compile(r"^#\s*([a-zA-Z]+)\s*=\s*(\S+)\s*$")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class Unsupported(Exception):
    """What of the Dockerfile the fast path cannot run; the build is a full one."""


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case: FROM, RUN, COPY, ...
    text: str  # the rest, continuation lines joined
    line: int


@dataclass
class Stage:
    name: str
    base: str  # the FROM image as written (ARGs not expanded)
    platform: str = ""  # its --platform, as written
    instructions: list[Instruction] = field(default_factory=list)


@dataclass(frozen=True)
class Mount:
    kind: str  # "cache" or "secret"
    target: str
    id: str = ""


@dataclass(frozen=True)
class BuildStep:
    """The step, ready to run in a container of `image` for each platform."""

    image: str  # the build stage's base image, ARGs expanded
    stage: str  # its name
    sources_line: int  # the line of its `COPY . DIR`: what comes before makes the toolchain
    workdir: str
    sources: str  # where the stage copies the build context to
    command: str  # the RUN step's shell command
    mounts: tuple[Mount, ...]
    network: str  # "" (default), "host", "none"
    env_steps: tuple[Instruction, ...]  # the stage's ARG and ENV lines, in order
    global_args: Mapping[str, str | None]

    def environment(
        self, args: Mapping[str, str], platform: Platform, build: Platform, image_env: list[str]
    ) -> dict[str, str]:
        """The step's environment on one platform: the image's, then the stage's ENV and
        declared ARGs (the given value, else the default), as BuildKit sets it."""
        env = dict(item.split("=", 1) for item in image_env if "=" in item)
        for step in self.env_steps:
            _declare(step, env, args, _automatic(platform, build), self.global_args)
        return env


def _declare(
    step: Instruction,
    env: dict[str, str],
    args: Mapping[str, str],
    automatic: Mapping[str, str],
    global_args: Mapping[str, str | None],
) -> None:
    """What an ENV or ARG line sets, into env: an ARG declared in the stage takes the
    given build arg, else BuildKit's platform arg, else its default, else the global one."""
    if step.keyword == "ENV":
        env.update(_pairs(step.text, env, legacy=True))
        return
    for name, default in _pairs(step.text, env, legacy=False, bare=True):
        for value in (args.get(name), automatic.get(name), default, global_args.get(name)):
            if value is not None:
                env[name] = value
                break


def instructions(text: str) -> list[Instruction]:
    """The Dockerfile's instructions, with comments dropped and continuation lines
    joined as BuildKit joins them."""
    lines = text.splitlines()
    for line in lines:
        directive = _DIRECTIVE.match(line)
        if directive is None:
            break
        if directive[1].lower() == "escape" and directive[2] != "\\":
            raise Unsupported(f"the Dockerfile's escape character is {directive[2]}")
    found: list[Instruction] = []
    current: list[str] = []
    start = 0
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if current and (not stripped or stripped.startswith("#")):
            continue  # an empty or comment line inside a continued instruction
        if not current:
            start = number
        if line.rstrip().endswith("\\"):
            current.append(line.rstrip()[:-1])
            continue
        current.append(line)
        found.append(_instruction("".join(current), start))
        current = []
    if current:
        found.append(_instruction("".join(current), start))
    return found


def _instruction(text: str, line: int) -> Instruction:
    keyword, _, rest = text.strip().partition(" ")
    return Instruction(keyword.upper(), rest.strip(), line)


def stages(text: str) -> tuple[dict[str, str | None], list[Stage]]:
    """The global ARGs (name -> default) and the stages, in order."""
    global_args: dict[str, str | None] = {}
    found: list[Stage] = []
    for ins in instructions(text):
        if ins.keyword == "FROM":
            words = [w for w in ins.text.split() if not w.startswith("--")]
            name = words[2] if len(words) >= 3 and words[1].lower() == "as" else str(len(found))
            found.append(
                Stage(name.lower(), words[0] if words else "", _flag(ins.text, "platform"))
            )
        elif not found:
            if ins.keyword == "ARG":
                known = {k: v for k, v in global_args.items() if v is not None}
                global_args.update(_pairs(ins.text, known, legacy=False, bare=True))
        else:
            found[-1].instructions.append(ins)
    return global_args, found


def read(text: str, target: str, args: Mapping[str, str]) -> BuildStep:
    """The go build step that the `target` stage's binary comes from; Unsupported if the
    Dockerfile is one the fast path cannot follow."""
    heredoc = next(
        (i for i in instructions(text) if "<<" in i.text and i.keyword in ("RUN", "COPY", "ADD")),
        None,
    )
    if heredoc is not None:  # its lines would be read as instructions
        raise Unsupported(f"line {heredoc.line} uses a heredoc")
    global_args, every = stages(text)
    by_name = {s.name: s for s in every}
    image_stage = by_name.get(target.lower())
    if image_stage is None:
        raise Unsupported(f"the Dockerfile has no stage {target!r}")
    sources = {
        _flag(ins.text, "from").lower()
        for ins in image_stage.instructions
        if ins.keyword == "COPY" and _flag(ins.text, "from")
    }
    builders = [
        by_name[name]
        for name in sorted(sources)
        if name in by_name and any(_is_build(i) for i in by_name[name].instructions)
    ]
    if len(builders) != 1:
        raise Unsupported(f"the {target} stage copies from no one stage that runs go build")
    stage = builders[0]
    if stage.base.lower() in by_name:
        raise Unsupported(f"the build stage starts from another stage ({stage.base})")
    if stage.platform.replace("{", "").replace("}", "") != "$BUILDPLATFORM":
        # a full build would compile each platform natively, under emulation
        raise Unsupported("the build stage is not FROM --platform=$BUILDPLATFORM")
    scope = {**{k: v for k, v in global_args.items() if v is not None}, **args}
    step, copied_to, env_steps, workdir, sources_line = None, None, [], "/", 0
    stage_scope: dict[str, str] = {}  # what the stage's ARG and ENV lines set so far
    for ins in stage.instructions:
        if step is not None:  # what follows the step does not change it
            if ins.keyword == "RUN":
                raise Unsupported(f"line {ins.line} runs more than go build after the sources")
            if ins.keyword in ("COPY", "ADD"):
                raise Unsupported(f"line {ins.line} copies files after the go build step")
            continue
        if ins.keyword == "SHELL":
            raise Unsupported(f"line {ins.line} changes the shell")
        if ins.keyword in ("ARG", "ENV"):
            env_steps.append(ins)
            _declare(ins, stage_scope, args, {}, global_args)
        elif ins.keyword == "WORKDIR":
            workdir = posixpath.join(workdir, expand(ins.text.strip(), stage_scope))
        elif ins.keyword in ("COPY", "ADD") and not _flag(ins.text, "from"):
            words = _copy_words(ins.text)
            if words[:-1] == ["."]:
                dest = expand(words[-1], stage_scope)
                copied_to = posixpath.normpath(posixpath.join(workdir, dest))
                sources_line = ins.line
        elif ins.keyword == "RUN" and copied_to is not None:
            if not _is_build(ins):
                raise Unsupported(f"line {ins.line} runs more than go build after the sources")
            step = ins
    if step is None or copied_to is None:
        raise Unsupported("the build stage does not `COPY . DIR` and then run go build")
    flags, command = _run_flags(step)
    return BuildStep(
        image=expand(stage.base, scope),
        stage=stage.name,
        sources_line=sources_line,
        workdir=posixpath.normpath(workdir),
        sources=copied_to,
        command=command,
        mounts=tuple(m for m in (_mount(f, step) for f in flags.get("mount", [])) if m),
        network=(flags.get("network") or [""])[-1],
        env_steps=tuple(env_steps),
        global_args=global_args,
    )


def from_images(text: str, args: Mapping[str, str] | None = None) -> list[str]:
    """Every image a FROM names (stages and scratch left out), the global ARGs' defaults
    and `args` filled in; a FROM this reading cannot expand is left out."""
    try:
        global_args, every = stages(text)
    except Unsupported:
        return []
    names = {s.name for s in every}
    scope = {**{k: v for k, v in global_args.items() if v is not None}, **(args or {})}
    images = []
    for stage in every:
        try:
            images.append(expand(stage.base, scope))
        except Unsupported:
            continue
    return [i for i in dict.fromkeys(images) if i.lower() not in names and i != "scratch"]


def go_images(text: str, args: Mapping[str, str] | None = None) -> list[str]:
    """The golang images among from_images (golang, library/golang, REGISTRY/golang)."""
    return [i for i in from_images(text, args) if re.search(r"(^|/)golang([:@]|$)", i)]


def _is_build(ins: Instruction) -> bool:
    return ins.keyword == "RUN" and bool(GO_BUILD.search(ins.text))


def _flag(text: str, name: str) -> str:
    m = re.search(rf"(?:^|\s)--{name}=(\S+)", text)
    return m[1] if m else ""


def _copy_words(text: str) -> list[str]:
    words = [w for w in text.split() if not w.startswith("--")]
    if text.lstrip().startswith("["):
        words = json.loads(text[text.index("[") :])
    return words


def _run_flags(step: Instruction) -> tuple[dict[str, list[str]], str]:
    """A RUN's --flags and its command, which must be in shell form."""
    flags: dict[str, list[str]] = {}
    rest = step.text
    while rest.startswith("--"):
        word, _, rest = rest.partition(" ")
        name, _, value = word[2:].partition("=")
        flags.setdefault(name, []).append(value)
        rest = rest.lstrip()
    if rest.startswith("["):
        raise Unsupported(f"the go build step (line {step.line}) is in exec form")
    if others := sorted(set(flags) - {"mount", "network"}):
        raise Unsupported(f"the go build step uses --{others[0]}")
    return flags, rest


def _mount(spec: str, step: Instruction) -> Mount | None:
    fields = dict(part.partition("=")[::2] for part in spec.split(","))
    kind = fields.get("type", "bind")
    target = fields.get("target") or fields.get("dst") or fields.get("destination") or ""
    if kind == "cache":
        return Mount("cache", target, fields.get("id") or target)
    if kind == "secret":
        secret = fields.get("id") or posixpath.basename(target)
        return Mount("secret", target or f"/run/secrets/{secret}", secret)
    if kind == "tmpfs":
        return None
    raise Unsupported(f"the go build step (line {step.line}) has a {kind} mount")


def _automatic(platform: Platform, build: Platform) -> dict[str, str]:
    """BuildKit's own platform args, for a stage that declares them."""
    return {
        "TARGETPLATFORM": str(platform),
        "TARGETOS": platform.os,
        "TARGETARCH": platform.arch,
        "TARGETVARIANT": platform.variant,
        "BUILDPLATFORM": str(build),
        "BUILDOS": build.os,
        "BUILDARCH": build.arch,
        "BUILDVARIANT": build.variant,
    }


def _pairs(text: str, scope: Mapping[str, str], legacy: bool, bare: bool = False):
    """ENV/ARG words as (name, value) pairs: `K=V K2="a b"`; ENV's old `K V` form; with
    `bare`, a name alone (an ARG without default) pairs with None."""
    words = _words(text, scope)
    if legacy and words and "=" not in words[0][0]:
        return [(words[0][0], " ".join(w for w, _ in words[1:]))]
    pairs = []
    for word, _ in words:
        name, eq, value = word.partition("=")
        if not eq and not bare:
            raise Unsupported(f"cannot read {text!r}")
        pairs.append((name, value if eq else None))
    return pairs


def _words(text: str, scope: Mapping[str, str]) -> list[tuple[str, bool]]:
    """Split a line into words as the Dockerfile does: quotes, backslashes, and $VAR /
    ${VAR} / ${VAR:-word} / ${VAR:+word} expanded (not inside single quotes)."""
    words: list[tuple[str, bool]] = []
    word, quoted, started = [], False, False
    i = 0
    while i < len(text):
        c = text[i]
        if c.isspace():
            if started:
                words.append(("".join(word), quoted))
            word, quoted, started = [], False, False
            i += 1
            continue
        started = True
        if c == "\\" and i + 1 < len(text):
            word.append(text[i + 1])
            i += 2
        elif c == "'":
            end = text.index("'", i + 1) if "'" in text[i + 1 :] else len(text)
            word.append(text[i + 1 : end])
            quoted, i = True, end + 1
        elif c == '"':
            value, i = _expanded(text, i + 1, scope, escapes='"\\$', stop='"')
            word.append(value)
            quoted, i = True, i + 1
        elif c == "$":
            value, i = _variable(text, i, scope)
            word.append(value)
        else:
            word.append(c)
            i += 1
    if started:
        words.append(("".join(word), quoted))
    return words


def expand(text: str, scope: Mapping[str, str]) -> str:
    """$VAR and ${VAR...} in one word (a FROM image, a WORKDIR), as the Dockerfile does."""
    return _expanded(text, 0, scope, escapes="$")[0]


def _expanded(
    text: str, i: int, scope: Mapping[str, str], escapes: str, stop: str = ""
) -> tuple[str, int]:
    """From text[i] to `stop` (or the end): variables expanded, a backslash before one of
    `escapes` taking that character as it is; the text, and where it stopped."""
    out = []
    while i < len(text) and text[i] != stop:
        if text[i] == "\\" and i + 1 < len(text) and text[i + 1] in escapes:
            out.append(text[i + 1])
            i += 2
        elif text[i] == "$":
            value, i = _variable(text, i, scope)
            out.append(value)
        else:
            out.append(text[i])
            i += 1
    return "".join(out), i


def _variable(text: str, i: int, scope: Mapping[str, str]) -> tuple[str, int]:
    """The value of the variable reference at text[i] ("$"), and where it ends."""
    if text.startswith("${", i):
        end = text.find("}", i)
        if end < 0:
            raise Unsupported(f"unterminated ${{ in {text!r}")
        body = text[i + 2 : end]
        m = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)(?::([-+])(.*))?", body)
        if m is None:
            raise Unsupported(f"cannot expand ${{{body}}}")
        value = scope.get(m[1], "")
        if m[2] == "-":
            value = value or expand(m[3], scope)
        elif m[2] == "+":
            value = expand(m[3], scope) if value else ""
        return value, end + 1
    m = _NAME.match(text, i + 1)
    if m is None:
        return "$", i + 1
    return scope.get(m[0], ""), m.end()
