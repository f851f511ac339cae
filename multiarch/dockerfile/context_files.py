"""The files `docker buildx build` sends as its build context, and a copy of them.

The fast path of `invoke build` compiles Go in a container from a copy of the context
rather than from the context itself, so the copy must hold exactly what BuildKit would
send: the context directory minus what .dockerignore excludes; `send` brings a copy up
to date by a tar of what changed. The patterns are read as
BuildKit's dockerignore reader reads them and matched as moby/patternmatcher matches
them (the regexp it builds from a pattern, and its exact, prefix and suffix shortcuts,
which answer differently from the regexp for patterns such as `**.go`). The same walk
tells what changed since the last build, from file metadata alone.
"""

from __future__ import annotations

import os
import posixpath
import re
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import UserError
from ..core.files import read_text

_REGEX_ESCAPED = frozenset(".+()|{}$")
"""Regexp metacharacters that mean nothing in a filepath.Match pattern: taken literally."""

_UNREADABLE_HINT = "make it readable by this user, or list it in .dockerignore"


@dataclass(frozen=True)
class _Pattern:
    """One .dockerignore line: how it matches, and whether it re-includes (`!`)."""

    exception: bool
    matches: Callable[[str], bool]


class Ignore:
    """The patterns of a .dockerignore: which paths of the context BuildKit leaves out."""

    def __init__(self, lines: list[str]):
        self._patterns = [p for p in map(_parse, lines) if p is not None]
        self._exceptions = any(p.exception for p in self._patterns)
        self._dir_hits: dict[str, tuple[bool, ...]] = {}

    @classmethod
    def read(cls, context: Path) -> Ignore:
        """The context's .dockerignore; without one, nothing is excluded."""
        path = context / ".dockerignore"
        if not path.exists():
            return cls([])
        # BuildKit drops a UTF-8 byte order mark; read_text keeps it as a character
        return cls(read_text(path, ".dockerignore").removeprefix("\ufeff").split("\n"))

    def excluded(self, rel: str, is_dir: bool = False) -> bool:
        """Whether BuildKit leaves rel (slash-separated, relative to the context) out.

        The last pattern matching rel or one of its parent directories decides. Files and
        directories match alike; is_dir only keeps a directory's results, which every
        path below it starts from.
        """
        hits = self._hits_below_dir(rel) if is_dir else self._hits(rel)
        deciding = [p for p, hit in zip(self._patterns, hits, strict=True) if hit]
        return bool(deciding) and not deciding[-1].exception

    def _hits(self, rel: str) -> tuple[bool, ...]:
        """For each pattern, whether it matches rel or one of rel's parent directories."""
        parent = posixpath.dirname(rel)
        above = self._hits_below_dir(parent) if parent else (False,) * len(self._patterns)
        return tuple(a or p.matches(rel) for a, p in zip(above, self._patterns, strict=True))

    def _hits_below_dir(self, rel: str) -> tuple[bool, ...]:
        """_hits of a directory, kept: each of its files and subdirectories needs them."""
        hits = self._dir_hits.get(rel)
        if hits is None:
            hits = self._dir_hits[rel] = self._hits(rel)
        return hits


def walk(context: Path, ignore: Ignore) -> dict[str, os.stat_result]:
    """Every regular file and symlink of the context that BuildKit sends, by relative path.

    Symlinks are not followed (BuildKit sends the link itself). An excluded directory is
    not entered unless a `!` pattern could bring back something below it.
    """
    found: dict[str, os.stat_result] = {}
    prune = not ignore._exceptions
    pending = [""]
    while pending:
        directory = pending.pop()
        for entry in _entries(context / directory):
            rel = f"{directory}/{entry.name}" if directory else entry.name
            if entry.is_dir(follow_symlinks=False):
                if not (prune and ignore.excluded(rel, is_dir=True)):
                    pending.append(rel)
            elif _file_or_link(entry) and not ignore.excluded(rel):
                found[rel] = entry.stat(follow_symlinks=False)
    return found


Sent = dict[str, list[int]]
"""What a copy of the context holds, as sent: relative path -> [size, mode, mtime_ns]."""


def send(
    tar: tarfile.TarFile, files: dict[str, Path], held: Sent, at: str, owner: tuple[int, int]
) -> Sent:
    """Add to `tar` what makes a copy under `at` (a path in the tar) that holds `held` hold
    `files` (relative path -> the file or symlink, as `walk` finds them); the copy's new
    state. A file whose size, mode and time are as sent before is not sent again. A tar
    cannot remove a file, but unpacked by Docker a file in it replaces a directory, and
    a directory after it replaces that file: a directory a file left is sent anew, whole.
    """
    state = {}
    for rel, path in files.items():
        try:
            st = path.lstat()
        except FileNotFoundError:  # gone since the walk (an editor's temporary file)
            continue
        state[rel] = [st.st_size, st.st_mode, st.st_mtime_ns]
    anew = _emptied(held.keys() - state.keys(), state)
    for rel in anew:
        empty_directory(tar, posixpath.join(at, rel) if rel else at, owner)
    for rel in sorted(state):
        if held.get(rel) != state[rel] or any(_below(rel, d) for d in anew):
            try:
                info = tar.gettarinfo(files[rel], posixpath.join(at, rel))
                _add(tar, info, owner, files[rel] if info.isfile() else None)
            except OSError as e:
                said = f"cannot read {files[rel]}: {e.strerror}"
                raise UserError(said, _UNREADABLE_HINT) from None
    return state


def _emptied(gone: set[str], state: Sent) -> list[str]:
    """The directories to send anew: for each file gone, its nearest directory that still
    holds a file ("" for the top), none inside another."""
    found = set()
    for rel in gone:
        directory = posixpath.dirname(rel)
        while directory and not any(_below(r, directory) for r in state):
            directory = posixpath.dirname(directory)
        found.add(directory)
    return sorted(d for d in found if not any(o != d and _below(d, o) for o in found))


def _below(rel: str, directory: str) -> bool:
    return directory == "" or rel.startswith(directory + "/")


def empty_directory(tar: tarfile.TarFile, name: str, owner: tuple[int, int]) -> None:
    """Add to `tar` what makes `name` an empty directory, whatever it held."""
    _add(tar, tarfile.TarInfo(name), owner)  # replaces the directory ...
    directory = tarfile.TarInfo(name)  # ... and is replaced by an empty one
    directory.type, directory.mode = tarfile.DIRTYPE, 0o755
    _add(tar, directory, owner)


def _add(
    tar: tarfile.TarFile, info: tarfile.TarInfo, owner: tuple[int, int], path: Path | None = None
) -> None:
    info.uid, info.gid = owner
    info.uname = info.gname = ""
    if path is None:
        tar.addfile(info)
        return
    with open(path, "rb") as content:
        tar.addfile(info, content)


def _parse(line: str) -> _Pattern | None:
    """A .dockerignore line as BuildKit takes it; None for blank lines and comments.

    Two stages each trim and clean the line, BuildKit's reader and then patternmatcher,
    and the order shows: `/ *` is `*`, and `/!x` is an exception.
    """
    text = _read_line(line)
    if text is None:
        return None
    text = text.strip()
    if not text:
        return None
    text = _clean(text)
    exception = text.startswith("!")
    if exception:
        text = text[1:]
        if not text:
            raise _bad_pattern(line.strip(), 'there is no pattern after "!"')
    _check_syntax(text)
    return _Pattern(exception, _matcher(text))


def _read_line(line: str) -> str | None:
    """What BuildKit's .dockerignore reader makes of a line: trimmed, cleaned, without a
    leading /, a leading ! kept in front; None for a comment (`#` before any trimming)
    or a blank line."""
    if line.startswith("#"):
        return None
    text = line.strip()
    if not text:
        return None
    invert = text.startswith("!")
    if invert:
        text = text[1:].strip()
    if text:
        text = _clean(text)
        if len(text) > 1 and text.startswith("/"):
            text = text[1:]
    return "!" + text if invert else text


def _clean(pattern: str) -> str:
    """Go's path.Clean, which posixpath.normpath matches except that it keeps a leading //."""
    cleaned = posixpath.normpath(pattern)
    return cleaned[1:] if cleaned.startswith("//") else cleaned


def _check_syntax(pattern: str) -> None:
    """UserError for a pattern Go's filepath.Match rejects, as patternmatcher does: a
    trailing \\, or a character class that is empty, unclosed or has a dangling `-`."""
    i = 0
    while i < len(pattern):
        if pattern[i] == "[":
            i = _class_end(pattern, i + 1)
        elif pattern[i] == "\\" and i + 1 == len(pattern):
            raise _bad_pattern(pattern, "it ends in an unescaped \\")
        else:
            i += 2 if pattern[i] == "\\" else 1


def _class_end(pattern: str, i: int) -> int:
    """Past the character class whose items start at i, read as filepath.Match reads it:
    `]` closes it only after at least one item, and `a-z` is one item."""
    if pattern.startswith("^", i):
        i += 1
    items = 0
    while not (items and pattern.startswith("]", i)):
        i = _class_char(pattern, i)
        if pattern[i] == "-":
            i = _class_char(pattern, i + 1)
        items += 1
    return i + 1


def _class_char(pattern: str, i: int) -> int:
    """Past the class character at i (`\\` escapes one), as filepath.Match's getEsc reads
    it: a bare `-` or `]` is an error, and so is a class the pattern ends inside."""
    bare = i >= len(pattern) or pattern[i] in "-]"
    if not bare and pattern[i] == "\\":
        i += 1
    if bare or i + 1 >= len(pattern):
        raise _bad_pattern(pattern, "a [...] character class is malformed or not closed")
    return i + 1


def _matcher(pattern: str) -> Callable[[str], bool]:
    """How moby/patternmatcher tests a path against a cleaned pattern.

    It turns the pattern into a regexp, but uses a plain comparison when the pattern has
    no wildcard (exact), only a trailing `**` (prefix) or starts with `**` (suffix); those
    shortcuts are kept because they answer differently (`**.go` matches `a/b.go`). As in
    Go, `\\` before a letter keeps its regexp meaning (`\\d`, ASCII as in Go's RE2).
    """
    regex: list[str] = []
    kind = "exact"
    i = 0
    while i < len(pattern):
        start, ch = i, pattern[i]
        i += 1
        if pattern.startswith("**", start):
            i += 1
            if pattern.startswith("/", i):  # `**/` is read as `**`
                i += 1
            if i < len(pattern):
                regex.append("(.*/)?")
                kind = "regex"
            elif kind == "exact":
                kind = "prefix"
            else:
                regex.append(".*")
                kind = "regex"
            if start == 0:
                kind = "suffix"
        elif ch in "*?":
            regex.append("[^/]*" if ch == "*" else "[^/]")
            kind = "regex"
        elif ch in _REGEX_ESCAPED:
            regex.append("\\" + ch)
        elif ch == "\\":  # _check_syntax saw to it that a character follows
            if "0" <= pattern[i] <= "9":  # Python's back-reference, Go's error or octal
                raise _bad_pattern(pattern, f"\\{pattern[i]} is not an escape to rely on")
            regex.append("\\" + pattern[i])
            i += 1
            kind = "regex"
        elif ch in "[]":
            regex.append(ch)
            kind = "regex"
        else:
            regex.append(ch)
    if kind == "exact":
        return lambda path: path == pattern
    if kind == "prefix":
        return lambda path: path.startswith(pattern[:-2])
    if kind == "suffix":
        suffix = pattern[2:]
        return lambda path: path.endswith(suffix) or (suffix[:1] == "/" and path == suffix[1:])
    try:
        compiled = re.compile("".join(regex), re.ASCII)
    except re.error as e:
        raise _bad_pattern(pattern, str(e)) from None
    return lambda path: compiled.fullmatch(path) is not None


def _bad_pattern(pattern: str, reason: str) -> UserError:
    """BuildKit fails the build on such a line; so does the mirror, saying which line."""
    return UserError(
        f'.dockerignore pattern "{pattern}" is not valid: {reason}',
        "fix or remove that line of .dockerignore",
    )


def _entries(directory: Path) -> list[os.DirEntry[str]]:
    """A directory's entries; UserError when it cannot be read, as BuildKit would fail too."""
    try:
        with os.scandir(directory) as entries:
            return list(entries)
    except OSError as e:
        raise UserError(f"cannot read {directory}: {e.strerror}", _UNREADABLE_HINT) from None


def _file_or_link(entry: os.DirEntry[str]) -> bool:
    """What the context holds besides directories: sockets, fifos and devices are not sent."""
    return entry.is_symlink() or entry.is_file(follow_symlinks=False)
