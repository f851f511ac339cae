"""What git says about a checkout, read through GitPython from real repositories."""

import subprocess
from pathlib import Path

import pytest

from multiarch.golang.version import _described, commit_states, describe, tags_at_head

GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@localhost"]


def repo(where: Path, origin: str = "") -> Path:
    where.mkdir()
    (where / "main.go").write_text("package main\n")
    for argv in (["init", "-q"], ["add", "."], ["commit", "-qm", "one"]):
        subprocess.run([*GIT, *argv], cwd=where, check=True)
    if origin:
        subprocess.run(["git", "remote", "add", "origin", origin], cwd=where, check=True)
    return where


def test_version_commit_and_dirty_state(tmp_path):
    checkout = repo(tmp_path / "r")
    clean = describe(checkout)
    assert not clean.dirty and len(clean.commit) == 40 and clean.version == clean.commit[:7]
    subprocess.run(["git", "tag", "v1.2.3"], cwd=checkout, check=True)
    (checkout / "main.go").write_text("package main\n\n// changed\n")
    dirty = describe(checkout)
    assert (dirty.version, dirty.tag, dirty.dirty) == ("v1.2.3-dirty", "v1.2.3", True)


def test_outside_git_is_dev(tmp_path):
    assert describe(tmp_path, quiet=True).version == "dev"


@pytest.mark.parametrize(
    "origin, source",
    [
        ("https://user:ghp_secret@github.com/o/r.git", "https://github.com/o/r.git"),
        ("ssh://git:token@example.com:2222/o/r.git", "ssh://example.com:2222/o/r.git"),
        ("git@github.com:o/r.git", "github.com:o/r.git"),
    ],
)
def test_source_label_never_carries_credentials(tmp_path, origin, source):
    assert describe(repo(tmp_path / "r", origin)).source == source


def test_a_nested_module_is_versioned_by_its_own_tags(tmp_path):
    checkout = repo(tmp_path / "r")
    nested = checkout / "sub" / "dir"
    nested.mkdir(parents=True)
    (nested / "go.mod").write_text("module example.com/r/sub/dir\n")
    for argv in (["add", "."], ["commit", "-qm", "two"]):
        subprocess.run([*GIT, *argv], cwd=checkout, check=True)
    # only the nested module is tagged: the root module has no version of its own yet
    subprocess.run(["git", "tag", "sub/dir/v0.3.0"], cwd=checkout, check=True)
    root = describe(checkout)
    assert root.version == root.commit[:7] and root.tag == ""
    assert tags_at_head(checkout) == []
    sub = describe(nested)
    assert (sub.version, sub.tag) == ("v0.3.0", "v0.3.0")
    assert tags_at_head(nested) == ["v0.3.0"]
    subprocess.run(["git", "tag", "v1.0.0"], cwd=checkout, check=True)
    assert describe(checkout).version == "v1.0.0" and tags_at_head(checkout) == ["v1.0.0"]
    assert describe(nested).version == "v0.3.0"


def test_each_module_of_one_repository_is_dirty_where_a_change_touches_it(tmp_path):
    checkout = tmp_path / "r"
    for d in ("app", "lib/sub", "ü mod"):
        (checkout / d).mkdir(parents=True)
        (checkout / d / "x.go").write_text("package x\n")
    for argv in (["init", "-q"], ["add", "."], ["commit", "-qm", "one"]):
        subprocess.run([*GIT, *argv], cwd=checkout, check=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    dirs = [checkout / d for d in ("app", "lib", "lib/sub", "ü mod")] + [outside, checkout]
    assert [dirty for _, dirty in commit_states(dirs)] == [False] * 4 + [None, False]
    (checkout / "lib/sub/x.go").write_text("package y\n")  # unstaged, in a nested dir
    (checkout / "ü mod/x.go").write_text("package y\n")  # staged, a name git would quote
    subprocess.run(["git", "add", "ü mod/x.go"], cwd=checkout, check=True)
    states = commit_states(dirs)
    assert [dirty for _, dirty in states] == [False, True, True, True, None, True]
    assert {commit for commit, _ in states} == {describe(checkout).commit, ""}


def test_one_describe_gives_the_version_and_the_tag_at_head(tmp_path):
    checkout = repo(tmp_path / "r")
    subprocess.run(["git", "tag", "v1.2.3"], cwd=checkout, check=True)
    (checkout / "main.go").write_text("package main\n\n// changed\n")
    subprocess.run([*GIT, "commit", "-qam", "two"], cwd=checkout, check=True)
    after = describe(checkout)
    plain = subprocess.run(["git", "describe", "--tags", "--dirty", "--always"], cwd=checkout,
                           capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    assert (after.version, after.tag) == (plain, "") and plain.startswith("v1.2.3-1-g")


@pytest.mark.parametrize(
    "long, version, tag",
    [
        ("v1.2.3-0-gabc1234", "v1.2.3", "v1.2.3"),
        ("v1.2.3-0-gabc1234-dirty", "v1.2.3-dirty", "v1.2.3"),
        ("v1.2.3-4-gabc1234", "v1.2.3-4-gabc1234", ""),
        ("rel-3-gfff-0-gabc1234", "rel-3-gfff", "rel-3-gfff"),  # a tag that looks described
        ("abc1234", "abc1234", ""),  # no tag: the commit alone
        ("abc1234-dirty", "abc1234-dirty", ""),
    ],
)
def test_describe_long_read_as_plain(long, version, tag):
    assert _described(long) == (version, tag)
