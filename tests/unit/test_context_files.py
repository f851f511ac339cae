"""The build context's files: .dockerignore patterns as BuildKit reads and matches them,
the walk of the context, and the tar that brings a fast build's copy of it up to date."""

from __future__ import annotations

import io
import os
import shutil
import tarfile
from pathlib import Path

import pytest

from multiarch.core.errors import UserError
from multiarch.dockerfile.context_files import Ignore, empty_directory, send, walk


@pytest.mark.parametrize(
    ("lines", "rel", "excluded"),
    [
        (["**/__pycache__"], "__pycache__/m.pyc", True),
        (["**/__pycache__"], "pkg/sub/__pycache__/m.pyc", True),
        (["**.go"], "cmd/main.go", True),  # patternmatcher's suffix shortcut, not a regexp
        (["*.md"], "README.md", True),
        (["*.md"], "docs/guide.md", False),  # `*` stops at a slash
        (["*.md", "!README.md"], "README.md", False),
        (["*.md", "!README.md"], "CHANGES.md", True),
        (["dir"], "dir/a/b", True),
        (["dir"], "dirt", False),
        (["/abs"], "abs/x", True),
        (["/abs"], "sub/abs", False),
        (["./a/../b/"], "b/c", True),  # cleaned as path.Clean does
        (["a/**/b"], "a/b", True),
        (["a/**/b"], "a/x/y/b", True),
        (["a/**/b"], "a/x/c", False),
        (["x/**"], "x/y/z", True),
        (["x/**"], "x", False),
        (["?.go"], "a.go", True),
        (["?.go"], "ab.go", False),
        (["[ab].txt"], "b.txt", True),
        (["[^ab].txt"], "a.txt", False),
        (["[^ab].txt"], "c.txt", True),
        (["a\\*b"], "a*b", True),
        (["a\\*b"], "axb", False),
        (["# comment", "", "   "], "# comment", False),
        (["  # not a comment"], "# not a comment", True),  # trimmed after the comment check
        (["/ *"], "x", True),  # trimmed again after the leading / goes
        (["*", "/!keep"], "keep", False),  # ... so this is an exception
        (["!keep", "keep"], "keep", True),  # the last matching line decides
        (["dir", "!dir/keep"], "dir/keep/x", False),
        (["dir", "!dir/keep", "dir/keep/x"], "dir/keep/x", True),
    ],
)
def test_patterns_match_as_buildkit(lines, rel, excluded):
    assert Ignore(lines).excluded(rel) is excluded


@pytest.mark.parametrize("line", ["!", "! ", "[a", "[]", "a\\", "a\\1"])
def test_a_bad_pattern_is_a_user_error(line):
    with pytest.raises(UserError, match=".dockerignore"):
        Ignore([line])


def test_read_takes_the_dockerignore_and_its_absence(tmp_path):
    assert not Ignore.read(tmp_path).excluded("anything")
    (tmp_path / ".dockerignore").write_text("\ufeffdist\r\n# note\r\n!dist/keep\r\n")
    ignore = Ignore.read(tmp_path)
    assert ignore.excluded("dist/a", is_dir=True)
    assert not ignore.excluded("dist/keep")


def files(root: Path, layout: dict[str, str]) -> Path:
    """Write layout (relative path: text) under root."""
    for rel, text in layout.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def test_walk_keeps_files_and_links_but_not_what_is_excluded(tmp_path):
    ctx = files(tmp_path / "ctx", {"main.go": "", "pkg/a.go": "", "dist/out": "", "x.md": ""})
    (ctx / "pkg" / "link").symlink_to("a.go")
    (ctx / "dirlink").symlink_to("pkg")
    os.mkfifo(ctx / "fifo")
    found = walk(ctx, Ignore(["dist", "*.md"]))
    assert sorted(found) == ["dirlink", "main.go", "pkg/a.go", "pkg/link"]
    assert found["dirlink"].st_mode == (ctx / "dirlink").lstat().st_mode


@pytest.fixture
def scanned(monkeypatch) -> list[Path]:
    """The directories os.scandir is asked to read from now on."""
    seen: list[Path] = []
    real = os.scandir

    def spy(path):
        seen.append(Path(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", spy)
    return seen


def test_walk_does_not_enter_an_excluded_directory(tmp_path, scanned):
    ctx = files(tmp_path, {"main.go": "", ".git/objects/x": ""})
    assert list(walk(ctx, Ignore([".git"]))) == ["main.go"]
    assert ctx / ".git" not in scanned


def test_walk_enters_it_when_an_exception_may_bring_files_back(tmp_path, scanned):
    ctx = files(tmp_path, {"vendor/a/x.go": "", "vendor/a/y.go": "", "vendor/b/z.go": ""})
    found = walk(ctx, Ignore(["vendor", "!vendor/a/x.go"]))
    assert list(found) == ["vendor/a/x.go"]
    assert ctx / "vendor" / "b" in scanned


def unpack(archive: bytes, root: Path) -> None:
    """As Docker unpacks an archive upload: an entry replaces what is at its path, unless
    both are directories."""
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for m in tar:
            path = root / m.name
            if path.is_symlink() or path.is_file():
                path.unlink()
            elif path.is_dir() and not m.isdir():
                shutil.rmtree(path)
            path.parent.mkdir(parents=True, exist_ok=True)
            if m.isdir():
                path.mkdir(exist_ok=True)
            elif m.issym():
                path.symlink_to(m.linkname)
            else:
                path.write_bytes(tar.extractfile(m).read())
                path.chmod(m.mode)


def sync(src: Path, root: Path, held: dict, ignore: Ignore) -> tuple[dict, list[str]]:
    """Send src's context into root/src as a fast build does; the new state, and the names
    the tar held."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        state = send(tar, {rel: src / rel for rel in walk(src, ignore)}, held, "src", (7, 8))
    with tarfile.open(fileobj=io.BytesIO(buffer.getvalue())) as tar:
        members = tar.getmembers()
    assert all((m.uid, m.gid) == (7, 8) for m in members)
    unpack(buffer.getvalue(), root)
    return state, [m.name for m in members]


def test_send_copies_what_is_sent_and_nothing_else(tmp_path):
    src = files(tmp_path / "src", {"main.go": "package main", "pkg/a.go": "a", "secret": "s"})
    (src / "run.sh").write_text("#!/bin/sh\n")
    (src / "run.sh").chmod(0o755)
    _, names = sync(src, tmp_path / "c", {}, Ignore(["secret"]))
    assert names == ["src/main.go", "src/pkg/a.go", "src/run.sh"]
    copy = tmp_path / "c" / "src"
    assert (copy / "pkg" / "a.go").read_text() == "a"
    assert (copy / "run.sh").stat().st_mode & 0o777 == 0o755
    assert not (copy / "secret").exists()


def test_a_second_send_sends_nothing(tmp_path):
    src = files(tmp_path / "src", {"main.go": "x", "pkg/a.go": "a"})
    (src / "link").symlink_to("main.go")
    state, _ = sync(src, tmp_path / "c", {}, Ignore([]))
    assert sync(src, tmp_path / "c", state, Ignore([])) == (state, [])


def test_send_sends_a_changed_file_only(tmp_path):
    src = files(tmp_path / "src", {"main.go": "old", "other.go": "same"})
    state, _ = sync(src, tmp_path / "c", {}, Ignore([]))
    (src / "main.go").write_text("new text")
    _, names = sync(src, tmp_path / "c", state, Ignore([]))
    assert names == ["src/main.go"]
    assert (tmp_path / "c" / "src" / "main.go").read_text() == "new text"


def test_a_file_gone_sends_its_nearest_remaining_directory_anew(tmp_path):
    src = files(tmp_path / "src", {"main.go": "", "old/deep/a.go": "", "kept/b.go": "",
                                   "pkg/x.go": "", "pkg/y.go": ""})  # fmt: skip
    state, _ = sync(src, tmp_path / "c", {}, Ignore([]))
    (src / "pkg" / "y.go").unlink()
    _, names = sync(src, tmp_path / "c", state, Ignore([]))
    assert names == ["src/pkg", "src/pkg", "src/pkg/x.go"]  # a file, then a directory
    assert sorted(p.name for p in (tmp_path / "c" / "src" / "pkg").iterdir()) == ["x.go"]
    state, _ = sync(src, tmp_path / "c", {}, Ignore([]))
    shutil.rmtree(src / "old")
    (src / "new.go").write_text("")
    sync(src, tmp_path / "c", state, Ignore([]))
    copy = tmp_path / "c" / "src"
    assert sorted(p.name for p in copy.iterdir()) == ["kept", "main.go", "new.go", "pkg"]


def test_a_newly_excluded_file_leaves_the_copy(tmp_path):
    src = files(tmp_path / "src", {"main.go": "", "notes.md": ""})
    state, _ = sync(src, tmp_path / "c", {}, Ignore([]))
    sync(src, tmp_path / "c", state, Ignore(["*.md"]))
    assert not (tmp_path / "c" / "src" / "notes.md").exists()


def test_a_symlink_stays_a_symlink(tmp_path):
    src = files(tmp_path / "src", {"pkg/a.go": "a"})
    (src / "alias").symlink_to("pkg")
    (src / "dangling").symlink_to("nowhere")
    copy = tmp_path / "c" / "src"
    state, _ = sync(src, tmp_path / "c", {}, Ignore([]))
    assert os.readlink(copy / "alias") == "pkg"
    assert os.readlink(copy / "dangling") == "nowhere"
    (src / "alias").unlink()
    (src / "alias").symlink_to("elsewhere")
    (src / "dangling").unlink()
    (src / "dangling").write_text("a file now")
    _, names = sync(src, tmp_path / "c", state, Ignore([]))
    assert names == ["src/alias", "src/dangling"]
    assert os.readlink(copy / "alias") == "elsewhere"
    assert not (copy / "dangling").is_symlink()


def test_empty_directory_replaces_whatever_was_there():
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        empty_directory(tar, "out", (1, 2))
    with tarfile.open(fileobj=io.BytesIO(buffer.getvalue())) as tar:
        members = tar.getmembers()
    assert [(m.name, m.isfile(), m.isdir()) for m in members] == [
        ("out", True, False), ("out", False, True)
    ]  # fmt: skip


def test_a_file_gone_since_the_walk_is_left_out(tmp_path):
    src = files(tmp_path / "src", {"main.go": "x"})
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        found = {"main.go": src / "main.go", ".main.go.swp": src / ".main.go.swp"}
        state = send(tar, found, {}, "src", (0, 0))
    assert list(state) == ["main.go"]
