"""How a Go module and its go.work workspace become buildx named build contexts.

`go build` runs inside the image, so everything the go command reads from disk must be
there at the same relative places as on the host: every module the workspace uses, every
local `replace` target, and go.work itself. This module finds those directories the way
the go command does, reading go.mod and go.work with the grammar of
golang.org/x/mod/modfile (no Go toolchain needed on the host), places them under their
deepest common directory, and says how to copy each one into the image as a named
build context.

Paths are handled lexically, as the go command joins them, not through symlinks: inside
the image go resolves `use ../lib` against the copied go.work, so `../lib` must be where
the copy lands.
"""

import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import UserError

GOWORK_CONTEXT = "gowork"
"""The named context holding only go.work and its sum file, not the directory around it."""

_WORK_HINT = "fix that line, or set GOWORK=off to build the module alone"
_MOD_HINT = "fix that line of go.mod"
# The directives a build uses; every other one is skipped, blocks included.
_MOD_USED = {"module", "replace"}
_WORK_USED = {"use", "replace"}

_GO_VERSION = re.compile(r"([1-9][0-9]*)\.(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))?([a-z]+[0-9]+)?")
_TOOLCHAIN = re.compile(r"default|go1(\..*)?")
_PRERELEASE_ID = r"(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)"
_SEMVER = re.compile(
    r"v(0|[1-9][0-9]*)(?:\.(0|[1-9][0-9]*)(?:\.(0|[1-9][0-9]*)"
    rf"(-{_PRERELEASE_ID}(?:\.{_PRERELEASE_ID})*)?"
    r"(\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?)?)?"
)
_ESCAPE = re.compile(
    r'\\(?:([abfnrtv\\"])|x([0-9a-fA-F]{2})|([0-7]{3})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8}))|\\'
)
_SIMPLE_ESCAPES = dict(zip('abfnrtv\\"', '\a\b\f\n\r\t\v\\"', strict=True))
_WORKSPACE_STAGE = re.compile(
    r"^[ \t]*FROM[ \t]+scratch[ \t]+AS[ \t]+workspace[ \t]*\r?$", re.I | re.M
)


@dataclass(frozen=True)
class Use:
    """A `use` directive: a module directory, relative to go.work's directory or absolute.

    modfile also has a ModulePath field, but nothing fills it from the file (`go work edit
    -json` never shows one), so it is left out; module paths come from each go.mod.
    """

    disk_path: str


@dataclass(frozen=True)
class Replace:
    """A `replace` directive; versions are '' when absent."""

    old_path: str
    old_version: str
    new_path: str
    new_version: str

    @property
    def is_local(self) -> bool:
        """Whether the replacement is a directory on disk rather than another module version."""
        return _is_directory_path(self.new_path)


@dataclass(frozen=True)
class WorkFile:
    """What of go.work matters for a build; godebug lines are checked and ignored."""

    go: str | None
    toolchain: str | None
    use: list[Use]
    replace: list[Replace]


@dataclass(frozen=True)
class ModFile:
    """What of go.mod matters for a build; every other directive is accepted and ignored."""

    module: str
    replace: list[Replace]
    go: str | None = None  # "1.25.0", as written
    toolchain: str | None = None  # "go1.26.3" or "default", as written


def parse_work(path: Path) -> WorkFile:
    """Read a go.work file as the go command does (modfile.ParseWork), for what a build
    uses: `use` and `replace`, checked strictly. Any other directive or block (go,
    toolchain, godebug, one a future Go adds) is read leniently: what does not parse is
    skipped, for the go command in the build to judge."""
    go = toolchain = None
    use: list[Use] = []
    replace: list[Replace] = []
    for verb, args, line in _directives(path, _WORK_USED, _WORK_HINT):
        try:
            match verb, args:
                case _, None if verb.split()[0] in _WORK_USED:
                    raise ValueError(f"unknown block type: {verb}")
                case "use", list():
                    if len(args) != 1:
                        raise ValueError("usage: use local/dir")
                    use.append(Use(_string(args[0])))
                case "replace", list():
                    replace.append(_replace(args, exact_versions=True))
                case "go", list() if go is None:
                    go = _lenient(_go_version, args)
                case "toolchain", list() if toolchain is None:
                    toolchain = _lenient(_toolchain, args)
        except ValueError as e:
            raise UserError(f"{path}:{line}: {e}", _WORK_HINT) from None
    return WorkFile(go, toolchain, use, replace)


def _lenient(parse: Callable[[list[str]], str], args: list[str]) -> str | None:
    try:
        return parse(args)
    except ValueError:
        return None


def parse_mod(path: Path, main: bool = True) -> ModFile:
    """Read a go.mod file as the go command does (modfile.Parse, or ParseLax unless main),
    for what a build uses: `module` and, in a main module, `replace`, checked strictly.

    Every other directive or block (one a future Go adds too) is skipped: the go command
    in the build judges those. For any other module (a replacement directory) the go
    command ignores everything but a few directives, replace included. Versions that are
    not semantic versions (branch names) are kept as written: the go command resolves
    those over the network, and only local replacements matter here.
    """
    module = go = toolchain = None
    replace: list[Replace] = []
    for verb, args, line in _directives(path, _MOD_USED, _MOD_HINT):
        try:
            if args is None:
                if main and verb.split()[0] in _MOD_USED:
                    raise ValueError(f"unknown block type: {verb}")
                continue
            elif verb == "go" and go is None:
                go = _lenient(_go_version, args)
            elif verb == "toolchain" and toolchain is None:
                toolchain = _lenient(_toolchain, args)
            elif verb == "module":
                if module is not None:
                    raise ValueError("repeated module statement")
                if len(args) != 1:
                    raise ValueError("usage: module module/path")
                module = _string(args[0])
            elif main and verb == "replace":
                replace.append(_replace(args, exact_versions=False))
        except ValueError as e:
            raise UserError(f"{path}:{line}: {e}", _MOD_HINT) from None
    if not module:
        raise UserError(
            f"{path}: missing module declaration", "add a line `module example.com/name`"
        )
    return ModFile(module, replace if main else [], go, toolchain)


def find_work(module_dir: Path, environ: Mapping[str, str]) -> Path | None:
    """The go.work file the go command would use from module_dir, or None for module mode.

    Mirrors cmd/go's FindGoWork: GOWORK=off disables workspaces, unset/empty/auto searches
    upward for go.work, anything else must be an absolute path to the file (of any name).
    """
    gowork = environ.get("GOWORK", "")
    if gowork == "off":
        return None
    if gowork in ("", "auto"):
        start = Path(os.path.abspath(module_dir))
        return next(
            (d / "go.work" for d in (start, *start.parents) if (d / "go.work").is_file()), None
        )
    if not os.path.isabs(gowork):
        raise UserError(
            f"invalid GOWORK: not an absolute path: {gowork}",
            "set GOWORK to the absolute path of a go.work file, or to off",
        )
    path = Path(os.path.normpath(gowork))
    if not path.is_file():
        raise UserError(
            f"GOWORK={gowork}: no such file", "point GOWORK at a go.work file, or unset it"
        )
    return path


@dataclass(frozen=True)
class Module:
    """A module directory the build needs, on the host and relative to Layout.root."""

    dir: Path
    rel: str
    path: str
    context: str = ""
    """Its named build context; '' for the main module, which is the main build context."""


@dataclass(frozen=True)
class Layout:
    """Where the main module, the other directories it needs and go.work go under /src."""

    root: Path
    module: Module
    others: list[Module]
    work: Path | None
    # the newest Go the go.mod and go.work files ask for (go and toolchain lines), as
    # "1.26.3"; None when none says
    go_version: str | None = None

    @property
    def vendored(self) -> bool:
        """Whether the main module's dependencies are vendored (and go uses vendor/: not in
        a workspace, whose vendor directory is go.work's)."""
        return self.work is None and (self.module.dir / "vendor" / "modules.txt").is_file()

    @property
    def go_minor(self) -> str | None:
        """The Go release line of go_version ("1.26"): the golang image's tag to build on."""
        return go_minor(self.go_version) if self.go_version else None

    @property
    def modules(self) -> list[Module]:
        """The main module, then the others."""
        return [self.module, *self.others]

    def build_args(self) -> dict[str, str]:
        """MODULE_DIR (where to build, under /src) and GOWORK (the copied go.work, or off)."""
        gowork = "off" if self.work is None else f"/src/{self._rel(self.work)}"
        return {"MODULE_DIR": self.module.rel, "GOWORK": gowork}

    def stage_lines(self) -> list[str]:
        """The COPY lines for the `workspace` stage, whose whole content lands in /src/."""
        lines = [_copy(m.context, m.rel) for m in self.others]
        if self.work is not None:
            lines.append(_copy(GOWORK_CONTEXT, self._rel(self.work.parent)))
        return lines

    def insert_stage(self, dockerfile_text: str) -> str:
        """dockerfile_text with stage_lines() right after its `FROM scratch AS workspace` line."""
        lines = self.stage_lines()
        if not lines:
            return dockerfile_text
        m = _WORKSPACE_STAGE.search(dockerfile_text)
        if m is None:
            raise UserError(
                "the Dockerfile has no `FROM scratch AS workspace` line to copy modules into",
                "add that stage and COPY --from=workspace / /src/ in the build stage",
            )
        head, tail = dockerfile_text[: m.end()], dockerfile_text[m.end() :]
        return head + "\n" + "\n".join(lines) + tail

    @contextmanager
    def contexts(self) -> Iterator[dict[str, Path]]:
        """The named contexts for `--build-context NAME=DIR`, valid inside the `with`.

        go.work travels in a temporary directory of its own (with its sum file, named as
        the go command names it) so that its directory is not sent whole; the directory
        is removed on the way out, however the build ends.
        """
        named = {m.context: m.dir for m in self.others}
        if self.work is None:
            yield named
            return
        with tempfile.TemporaryDirectory(prefix="multiarch-gowork-") as tmp:
            for path in self.work_files():
                shutil.copy2(path, tmp)
            yield {**named, GOWORK_CONTEXT: Path(tmp)}

    def work_files(self) -> list[Path]:
        """go.work and its sum file (named as the go command names it), those that exist."""
        if self.work is None:
            return []
        both = [self.work, self.work.with_name(self.work.name + ".sum")]
        return [path for path in both if path.is_file()]

    def _rel(self, path: Path) -> str:
        return Path(os.path.relpath(path, self.root)).as_posix()


def resolve(module_dir: Path, environ: Mapping[str, str]) -> Layout:
    """Lay out the module in module_dir with what the go command will need to build it.

    Without a workspace that is the module and the local replacements in its go.mod. With
    one it is every `use` directory, go.work's local replacements, and each used module's
    local replacements (not those of replacement modules: the go command ignores them).
    """
    module_dir = Path(os.path.abspath(module_dir))
    if not (module_dir / "go.mod").is_file():
        raise UserError(f"{module_dir} has no go.mod", "pass the directory of a Go module")
    work = find_work(module_dir, environ)
    if work is None:
        mains = {module_dir: parse_mod(module_dir / "go.mod")}
        main_dir, work_replace, asked = module_dir, [], []
    else:
        work_file = parse_work(work)
        asked = [work_file.go, work_file.toolchain]
        mains = _used_modules(work, work_file)
        main_dir = next((d for d in mains if os.path.samefile(d, module_dir)), None)
        if main_dir is None:
            rel = os.path.relpath(module_dir, work.parent)
            raise UserError(
                f"{module_dir} is not one of the modules used by {work}",
                f"run `go work use {rel}` in {work.parent}, or set GOWORK=off to build it alone",
            )
        work_replace = [(work, r) for r in work_file.replace]

    # go.work's replacements override the used modules' ones for the same module (version).
    overridden = {(r.old_path, r.old_version) for _, r in work_replace}
    replaces = work_replace + [
        (d / "go.mod", r)
        for d, mod in mains.items()
        for r in mod.replace
        if (r.old_path, "") not in overridden and (r.old_path, r.old_version) not in overridden
    ]
    needed = {d: mod.module for d, mod in mains.items()}
    for file, r in replaces:
        if r.is_local:
            hint = _WORK_HINT if file == work else "fix or remove that line of go.mod"
            target = _local_dir(file, f"replace {r.old_path} => {r.new_path}", r.new_path, hint)
            needed.setdefault(target, parse_mod(target / "go.mod", main=False).module)

    others = [d for d in needed if d != main_dir and main_dir not in d.parents]
    anchors = [main_dir, *others] + ([work.parent] if work is not None else [])
    root = Path(os.path.commonpath(anchors))

    def rel(d: Path) -> str:
        return Path(os.path.relpath(d, root)).as_posix()

    others.sort(key=rel)
    asked += [line for mod in mains.values() for line in (mod.go, mod.toolchain)]
    return Layout(
        root=root,
        module=Module(main_dir, rel(main_dir), needed[main_dir]),
        others=[Module(d, rel(d), needed[d], _context_name(n, d)) for n, d in enumerate(others, 1)],
        work=work,
        go_version=newest_go(asked),
    )


def newest_go(lines: list[str | None]) -> str | None:
    """The newest Go version among go lines ("1.25.0") and toolchain lines ("go1.26.3";
    "default" says none), as a go line writes it; None if none says one. The go command
    runs the newest of them (GOTOOLCHAIN=auto), a workspace's for all its modules."""
    versions = [v.removeprefix("go") for v in lines if v and v != "default"]
    versions = [v for v in versions if _GO_VERSION.fullmatch(v)]
    return max(versions, key=_go_order, default=None)


def go_minor(version: str) -> str:
    """A Go version's release line: "1.26.3" and "1.26rc1" are "1.26"."""
    found = _GO_VERSION.fullmatch(version)
    if found is None:
        raise ValueError(f"not a Go version: {version!r}")
    return f"{found[1]}.{found[2]}"


def _go_order(version: str) -> tuple[int, int, int, int, int]:
    """Go's own order (gover.Compare): 1.21rc1 < 1.21.0; "1.20" (a line) is 1.20.0."""
    found = _GO_VERSION.fullmatch(version)
    major, minor, patch, pre = found[1], found[2], found[4], found[5]
    if pre:  # "rc1", "beta2": before the release, rc after beta (alphabetical)
        kind, number = re.fullmatch(r"([a-z]+)([0-9]+)", pre).groups()
        return int(major), int(minor), -1, ord(kind[0]), int(number)
    return int(major), int(minor), int(patch or 0), 0, 0


def _used_modules(work: Path, work_file: WorkFile) -> dict[Path, ModFile]:
    """Each `use` directory, checked as cmd/go's LoadWorkFile does, with its go.mod."""
    mains: dict[Path, ModFile] = {}
    for use in work_file.use:
        d = _local_dir(work, f"use {use.disk_path}", use.disk_path, _WORK_HINT)
        if d in mains:
            raise UserError(f"{work}: use {use.disk_path}: {d} appears twice", _WORK_HINT)
        mains[d] = parse_mod(d / "go.mod")
    return mains


def _local_dir(file: Path, directive: str, disk_path: str, hint: str) -> Path:
    """The module directory a use/replace line of file names, which must hold a go.mod."""
    where = f"{file}: {directive}"
    if os.path.isabs(disk_path):
        raise UserError(
            f"{where}: an absolute path cannot be reproduced inside the image",
            f"make it relative to {file.parent}",
        )
    d = Path(os.path.normpath(file.parent / disk_path))
    if not d.is_dir():
        raise UserError(f"{where}: directory {d} does not exist", hint)
    if not (d / "go.mod").is_file():
        raise UserError(f"{where}: {d} has no go.mod", hint)
    return d


def _context_name(n: int, d: Path) -> str:
    """A unique build context name that says which directory it is: gomod-<n>-<dir name>.

    Only [a-z0-9] runs joined by '-', since buildkit parses the name as an image reference.
    """
    slug = re.sub(r"[^a-z0-9]+", "-", d.name.lower()).strip("-")[:40].strip("-")
    return f"gomod-{n}-{slug}" if slug else f"gomod-{n}"


def _copy(context: str, rel: str) -> str:
    """A COPY of a whole named context to /<rel>/ of the workspace stage.

    The Dockerfile expands `$`, backslashes and quotes in COPY paths, so they are escaped,
    and a path with spaces needs the JSON form.
    """
    dest = re.sub(r"""([\\$'"])""", r"\\\1", "/" if rel == "." else f"/{rel}/")
    if any(c.isspace() for c in dest):
        return f"COPY --from={context} {json.dumps(['/', dest])}"
    return f"COPY --from={context} / {dest}"


# The go.mod / go.work grammar, after golang.org/x/mod/modfile (read.go and rule.go).


def _directives(
    path: Path, block_verbs: set[str], hint: str
) -> list[tuple[str, list[str] | None, int]]:
    """(verb, raw argument tokens, line) for each directive, `verb ( ... )` blocks expanded.

    block_verbs are the verbs allowed to open a block; any other block comes as
    (its header, None, line), for the caller to refuse in turn or to skip. The whole file
    is read first, so a syntax error is reported before any directive, as modfile does.
    """

    def fail(line: int, what: str) -> UserError:
        return UserError(f"{path}:{line}: {what}", hint)

    lines, eof_line = _lex(path, fail)
    directives: list[tuple[str, list[str] | None, int]] = []
    rest = iter(lines)
    for line, tokens in rest:
        kinds, words = [k for k, _ in tokens], [t for _, t in tokens]
        if len(tokens) > 1 and kinds[-1] == "(":
            verb, body = words[:-1], []
            for inner_line, inner in rest:
                if inner[0][0] == ")":
                    if len(inner) > 1:
                        raise fail(
                            inner_line, "syntax error (expected newline after closing paren)"
                        )
                    break
                body.append((inner_line, [t for _, t in inner]))
            else:
                raise fail(eof_line, f"syntax error (unterminated block started at line {line})")
        elif len(tokens) > 2 and kinds[-2:] == ["(", ")"]:
            verb, body = words[:-2], []  # `verb ()`, an empty block
        else:
            directives.append((words[0], words[1:], line))
            continue
        if len(verb) != 1 or verb[0] not in block_verbs:
            directives.append((" ".join(verb), None, line))
            continue
        directives.extend((verb[0], args, inner_line) for inner_line, args in body)
    return directives


def _lex(
    path: Path, fail: Callable[[int, str], UserError]
) -> tuple[list[tuple[int, list[tuple[str, str]]]], int]:
    """The file's non-empty lines as modfile's lexer reads them, and the line of its end.

    Each line is (number, tokens); a token is (kind, text) with kind "(", ")" or "word"
    (any other token, quoted strings still quoted). A // comment runs to the end of line.
    """
    try:
        text = path.read_bytes().decode(errors="replace")  # bytes: a lone \r is no newline
    except OSError as e:
        raise UserError(f"cannot read {path}: {e.strerror}") from None
    lines: list[tuple[int, list[tuple[str, str]]]] = []
    tokens: list[tuple[str, str]] = []
    i, line = 0, 1
    while i < len(text):
        c = text[i]
        if c == "\n":
            if tokens:
                lines.append((line, tokens))
                tokens = []
            line += 1
            i += 1
        elif c in " \t\r":
            i += 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
        elif text.startswith("/*", i):
            raise fail(line, "mod files must use // comments (not /* */ comments)")
        elif c in "()[]{},":
            tokens.append((c if c in "()" else "word", c))
            i += 1
        elif c in '"`':
            j = i + 1
            while j < len(text) and text[j] not in (c, "\n"):
                escaped = c == '"' and text[j] == "\\" and text[j + 1 : j + 2] != "\n"
                j += 2 if escaped else 1
            if j >= len(text):
                raise fail(line, "unexpected EOF in string")
            if text[j] == "\n":
                raise fail(line, "unexpected newline in string")
            tokens.append(("word", text[i : j + 1]))
            i = j + 1
        else:
            j = i
            while j < len(text) and _is_ident(text[j]) and not text.startswith("//", j):
                if text.startswith("/*", j):
                    raise fail(line, "mod files must use // comments (not /* */ comments)")
                j += 1
            if j == i:
                raise fail(line, f"unexpected input character {c!r}")
            tokens.append(("word", text[i:j]))
            i = j
    if tokens:
        lines.append((line, tokens))
    return lines, line


def _is_ident(c: str) -> bool:
    return c not in " ()[]{}," and not c.isspace() and c.isprintable()


def _string(token: str) -> str:
    """An argument's value: a "double-quoted" Go string unquoted, a bare word as is.

    Other quotes are reserved by the go command, so a `raw string` is an error.
    """
    if token.startswith('"'):
        return _unquote(token)
    if any(q in token for q in "\"'`"):
        raise ValueError("invalid quoted string: unquoted string cannot contain quote")
    return token


def _unquote(token: str) -> str:
    """strconv.Unquote for a double-quoted token the lexer has checked is terminated."""
    body, out, pos = token[1:-1], bytearray(), 0
    for m in _ESCAPE.finditer(body):
        out += body[pos : m.start()].encode()
        simple, byte_hex, byte_octal, rune4, rune8 = m.groups()
        if simple:
            out += _SIMPLE_ESCAPES[simple].encode()
        elif byte_hex or byte_octal:
            n = int(byte_hex, 16) if byte_hex else int(byte_octal, 8)
            if n > 0xFF:
                raise ValueError("invalid quoted string: invalid syntax")
            out.append(n)
        elif rune4 or rune8:
            n = int(rune4 or rune8, 16)
            if n > 0x10FFFF or 0xD800 <= n < 0xE000:
                raise ValueError("invalid quoted string: invalid syntax")
            out += chr(n).encode()
        else:
            raise ValueError("invalid quoted string: invalid syntax")
        pos = m.end()
    out += body[pos:].encode()
    try:
        return out.decode()
    except UnicodeDecodeError:
        raise ValueError("invalid quoted string: not valid UTF-8") from None


def _replace(args: list[str], exact_versions: bool) -> Replace:
    """A replace line's arguments: `old [version] => new [version]` (modfile.parseReplace)."""
    arrow = 1 if len(args) >= 2 and args[1] == "=>" else 2
    if not arrow + 2 <= len(args) <= arrow + 3 or args[arrow] != "=>":
        raise ValueError(
            "usage: replace module/path [v1.2.3] => other/module v1.4"
            " or replace module/path [v1.2.3] => ../local/directory"
        )
    old = _string(args[0])
    old_version = _version(old, args[1], exact_versions) if arrow == 2 else ""
    new = _string(args[arrow + 1])
    new_version = ""
    if len(args) == arrow + 2:
        if not _is_directory_path(new):
            if "@" in new:
                raise ValueError(
                    "replacement module must match format 'path version', not 'path@version'"
                )
            raise ValueError(
                "replacement module without version must be directory path"
                " (rooted or starting with . or ..)"
            )
        if "\\" in new:
            raise ValueError(
                "replacement directory appears to be Windows path (on a non-windows system)"
            )
    else:
        new_version = _version(new, args[arrow + 2], exact_versions)
        if _is_directory_path(new):
            raise ValueError(f'replacement module directory path "{new}" cannot have version')
    return Replace(old, old_version, new, new_version)


def _version(module: str, token: str, exact: bool) -> str:
    """A version in its canonical form (v1.2 is v1.2.0, build metadata dropped).

    go.work must hold semantic versions; in go.mod anything else is kept as written.
    """
    version = _string(token)
    m = _SEMVER.fullmatch(version)
    if m is None:
        if exact:
            raise ValueError(
                f'replace {module}: version "{version}" invalid: must be of the form v1.2.3'
            )
        return version
    major, minor, patch, prerelease, build = m.groups()
    canonical = f"v{major}.{minor or 0}.{patch or 0}{prerelease or ''}"
    return canonical + build if build == "+incompatible" else canonical


def _go_version(args: list[str]) -> str:
    if len(args) != 1:
        raise ValueError("go directive expects exactly one argument")
    if not _GO_VERSION.fullmatch(args[0]):
        raise ValueError(f"invalid go version '{args[0]}': must match format 1.23.0")
    return args[0]


def _toolchain(args: list[str]) -> str:
    if len(args) != 1:
        raise ValueError("toolchain directive expects exactly one argument")
    if not _TOOLCHAIN.fullmatch(args[0]):
        raise ValueError(
            f"invalid toolchain version '{args[0]}': must match format go1.23.0 or default"
        )
    return args[0]


def _is_directory_path(path: str) -> bool:
    """modfile.IsDirectoryPath: '.', '..', './x', '../x', rooted, in Unix or Windows syntax."""
    return (
        path in (".", "..")
        or path.startswith(("./", ".\\", "../", "..\\", "/", "\\"))
        or (len(path) >= 2 and path[0].isascii() and path[0].isalpha() and path[1] == ":")
    )
