"""The build context's files: .dockerignore patterns as BuildKit reads and matches them,
the walk of the context, and the mirror that the fast build path compiles from."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from multiarch.context_files import Ignore, sync, walk
from multiarch.errors import UserError


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


def test_sync_copies_what_is_sent_and_nothing_else(tmp_path):
    src = files(tmp_path / "src", {"main.go": "package main", "pkg/a.go": "a", "secret": "s"})
    (src / "run.sh").write_text("#!/bin/sh\n")
    (src / "run.sh").chmod(0o755)
    mirror = tmp_path / "not" / "yet" / "mirror"
    changed = sync(src, mirror, Ignore(["secret"]))
    assert changed == ["main.go", "pkg/a.go", "run.sh"]
    assert (mirror / "pkg" / "a.go").read_text() == "a"
    assert (mirror / "run.sh").stat().st_mode & 0o777 == 0o755
    assert not (mirror / "secret").exists()


def test_a_second_sync_finds_nothing_and_copies_nothing(tmp_path, monkeypatch):
    src = files(tmp_path / "src", {"main.go": "x", "pkg/a.go": "a"})
    (src / "link").symlink_to("main.go")
    sync(src, tmp_path / "mirror", Ignore([]))
    monkeypatch.setattr(shutil, "copy2", lambda *_, **__: pytest.fail("copied a file"))
    assert sync(src, tmp_path / "mirror", Ignore([])) == []


def test_sync_reports_and_applies_a_changed_file(tmp_path):
    src = files(tmp_path / "src", {"main.go": "old", "other.go": "same"})
    mirror = tmp_path / "mirror"
    sync(src, mirror, Ignore([]))
    (src / "main.go").write_text("new text")
    assert sync(src, mirror, Ignore([])) == ["main.go"]
    assert (mirror / "main.go").read_text() == "new text"


def test_a_file_gone_from_source_leaves_the_mirror_with_its_emptied_directory(tmp_path):
    src = files(tmp_path / "src", {"main.go": "", "old/deep/a.go": "", "kept/b.go": ""})
    mirror = tmp_path / "mirror"
    sync(src, mirror, Ignore([]))
    shutil.rmtree(src / "old")
    (src / "new.go").write_text("")
    assert sync(src, mirror, Ignore([])) == ["new.go", "old/deep/a.go"]
    assert sorted(p.name for p in mirror.iterdir()) == ["kept", "main.go", "new.go"]


def test_a_newly_excluded_file_leaves_the_mirror(tmp_path):
    src = files(tmp_path / "src", {"main.go": "", "notes.md": ""})
    mirror = tmp_path / "mirror"
    sync(src, mirror, Ignore([]))
    assert sync(src, mirror, Ignore(["*.md"])) == ["notes.md"]
    assert not (mirror / "notes.md").exists()


def test_a_symlink_stays_a_symlink(tmp_path):
    src = files(tmp_path / "src", {"pkg/a.go": "a"})
    (src / "alias").symlink_to("pkg")
    (src / "dangling").symlink_to("nowhere")
    mirror = tmp_path / "mirror"
    assert sync(src, mirror, Ignore([])) == ["alias", "dangling", "pkg/a.go"]
    assert os.readlink(mirror / "alias") == "pkg"
    assert os.readlink(mirror / "dangling") == "nowhere"
    (src / "alias").unlink()
    (src / "alias").symlink_to("elsewhere")
    (src / "dangling").unlink()
    (src / "dangling").write_text("a file now")
    assert sync(src, mirror, Ignore([])) == ["alias", "dangling"]
    assert os.readlink(mirror / "alias") == "elsewhere"
    assert not (mirror / "dangling").is_symlink()
    assert not (mirror / "nowhere").exists()  # not written through the old link


def test_a_directory_replaced_by_a_file_is_replaced_in_the_mirror(tmp_path):
    src = files(tmp_path / "src", {"gen/a.go": ""})
    mirror = tmp_path / "mirror"
    sync(src, mirror, Ignore([]))
    shutil.rmtree(src / "gen")
    (src / "gen").write_text("now a file")
    (mirror / "gen" / "leftover").mkdir()  # an empty directory keeps gen from being emptied
    assert sync(src, mirror, Ignore([])) == ["gen", "gen/a.go"]
    assert (mirror / "gen").read_text() == "now a file"
