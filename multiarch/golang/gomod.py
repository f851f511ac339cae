"""The go.mod and go.work grammar, after golang.org/x/mod/modfile (read.go and rule.go).

What a build needs of the two files (go.mod's module and replace lines, go.work's use
and replace lines, and the go and toolchain lines of both) is read as the go command
reads it, checked as strictly where a build depends on it, so that no Go toolchain is
needed on the host; workspace.py lays the modules out from it. Go versions are compared
here too, in Go's own order.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import UserError

WORK_HINT = "fix that line, or set GOWORK=off to build the module alone"
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
    for verb, args, line in _directives(path, _WORK_USED, WORK_HINT):
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
            raise UserError(f"{path}:{line}: {e}", WORK_HINT) from None
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
