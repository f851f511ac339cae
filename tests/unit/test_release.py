"""Release decisions without Docker: versions and their tags, what may be released, clean."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from multiarch.build import release
from multiarch.core.command import Runner
from multiarch.core.errors import UserError
from multiarch.golang import semver

GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@localhost"]


@pytest.mark.parametrize(
    "tag, tags",
    [
        ("v1.4.2", ["1.4.2", "1.4", "1", "latest"]),
        ("1.4.2", ["1.4.2", "1.4", "1", "latest"]),
        ("v2.0.0-rc.1", ["2.0.0-rc.1"]),
        ("v1.0.0-alpha", ["1.0.0-alpha"]),
        ("v0.3.1", ["0.3.1", "0.3", "latest"]),  # no `0`: 0.y.z promises nothing
        ("v1.2.3+build.7", ["1.2.3", "1.2", "1", "latest"]),
        ("v9.5.7-alpha.2+fork.3", ["9.5.7-alpha.2"]),
        ("v10.20.30", ["10.20.30", "10.20", "10", "latest"]),
    ],
)
def test_tags_as_docker_metadata_action_gives_them(tag, tags):
    assert semver.parse(tag).image_tags() == tags


@pytest.mark.parametrize(
    "tag",
    ["v1.4", "v1", "1.4.2.0", "v01.4.2", "v1.04.2", "v1.4.2-", "v1.4.2-rc..1", "v1.4.2-01",
     "release-1", "latest", "v1.4.2+", "V1.4.2", " "],
)  # fmt: skip
def test_what_is_not_a_version(tag):
    assert not semver.is_version(tag)
    with pytest.raises(UserError, match="not a semantic version"):
        semver.parse(tag)


def test_precedence_follows_semver():
    # semver.org, item 11
    ordered = ["v1.0.0-alpha", "v1.0.0-alpha.1", "v1.0.0-alpha.beta", "v1.0.0-beta",
               "v1.0.0-beta.2", "v1.0.0-beta.11", "v1.0.0-rc.1", "v1.0.0", "v1.0.1", "v1.1.0",
               "v2.0.0"]  # fmt: skip
    shuffled = ordered[::2] + ordered[1::2]
    assert [v.tag for v in sorted(map(semver.parse, shuffled), key=semver.Version.precedence)] == (
        ordered
    )


def test_newest_ignores_tags_that_are_no_versions():
    assert semver.newest(["nightly", "v2.0.0-rc.1", "v2.0.0"]).tag == "v2.0.0"
    assert semver.newest(["nightly"]) is None
    assert semver.newest([]) is None


def repo(where: Path, tags=("v1.4.2",)) -> Path:
    where.mkdir(parents=True, exist_ok=True)
    (where / "go.mod").write_text("module example.com/hellorld\n\ngo 1.24\n")
    (where / ".gitignore").write_text("dist/\n")
    subprocess.run(["git", "init", "-q"], cwd=where, check=True)
    subprocess.run([*GIT, "add", "."], cwd=where, check=True)
    subprocess.run([*GIT, "commit", "-qm", "init"], cwd=where, check=True)
    for tag in tags:
        subprocess.run(["git", "tag", tag], cwd=where, check=True)
    return where


def test_the_version_at_head(tmp_path):
    assert release.version_at_head(repo(tmp_path)).tag == "v1.4.2"


def test_a_promoted_prerelease_releases_the_release(tmp_path):
    version = release.version_at_head(repo(tmp_path, ("v2.0.0-rc.1", "v2.0.0", "stable")))
    assert version.tag == "v2.0.0"


def test_ignored_files_do_not_count(tmp_path):
    (repo(tmp_path) / "dist").mkdir()
    (tmp_path / "dist" / "x.tar").write_text("x")
    assert release.version_at_head(tmp_path).tag == "v1.4.2"


@pytest.mark.parametrize(
    "change, words",
    [
        (lambda d: (d / "go.mod").write_text("module example.com/other\n"), "uncommitted"),
        (lambda d: (d / "stray.go").write_text("package main\n"), "untracked files (stray.go)"),
    ],
)
def test_refuses_a_tree_that_is_not_the_tagged_commit(tmp_path, change, words):
    change(repo(tmp_path))
    with pytest.raises(UserError, match=words.replace("(", r"\(").replace(")", r"\)")):
        release.version_at_head(tmp_path)


@pytest.mark.parametrize(
    "tags, words",
    [((), "has no version tag"), (("nightly", "v1.4"), "has no version tag (only nightly, v1.4)")],
)
def test_refuses_a_head_without_a_version_tag(tmp_path, tags, words):
    with pytest.raises(UserError) as e:
        release.version_at_head(repo(tmp_path, tags))
    assert words in e.value.message
    assert "git tag v" in e.value.hint


def test_refuses_outside_git(tmp_path):
    with pytest.raises(UserError, match="not in a git checkout"):
        release.version_at_head(tmp_path)


def test_checksum_reads_as_sha256sum_writes_it(tmp_path):
    archive = tmp_path / "hellorld-1.4.2.oci.tar"
    archive.write_bytes(b"\0" * 3_000_000)
    checksum = tmp_path / "hellorld-1.4.2.oci.tar.sha256"
    release.write_checksum(archive, checksum)
    got = subprocess.run(
        ["sha256sum", "-c", checksum.name], cwd=tmp_path, text=True, capture_output=True
    )
    assert got.returncode == 0 and got.stdout.strip() == f"{archive.name}: OK"


@pytest.fixture
def scratch_tmp(tmp_path, monkeypatch):
    """A temporary directory of the test's own, as tempfile.gettempdir() answers it."""
    where = tmp_path / "tmp"
    where.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(where))
    return where


def test_clean_removes_dist_and_stale_contexts_only(tmp_path, scratch_tmp):
    module = repo(tmp_path / "mod")
    (module / "dist" / "linux_arm64").mkdir(parents=True)
    stale = scratch_tmp / "multiarch-gowork-old"
    fresh = scratch_tmp / "multiarch-gowork-now"  # a build running right now
    other = scratch_tmp / "someone-else"
    for d in (stale, fresh, other):
        d.mkdir()
    old = time.time() - release.STALE_AFTER - 60
    os.utime(stale, (old, old))
    os.utime(other, (old, old))
    removed = release.clean(module / "dist", module, Runner())
    assert removed == [module / "dist", stale]
    assert not (module / "dist").exists() and not stale.exists()
    assert fresh.exists() and other.exists() and (module / "go.mod").exists()
    assert release.clean(module / "dist", module, Runner()) == []


def test_clean_in_a_dry_run_removes_nothing(tmp_path, scratch_tmp):
    module = repo(tmp_path / "mod")
    (module / "dist").mkdir()
    assert release.clean(module / "dist", module, Runner(dry=True)) == [module / "dist"]
    assert (module / "dist").exists()


@pytest.mark.parametrize("dist", [".", "..", "../elsewhere", "/usr"])
def test_clean_refuses_anything_but_a_directory_inside_the_module(tmp_path, scratch_tmp, dist):
    module = repo(tmp_path / "mod")
    with pytest.raises(UserError, match="output goes to a directory inside the module"):
        release.clean(module / dist, module, Runner())
    assert (module / "go.mod").exists()


def test_the_tasks_own_untracked_files_do_not_count(tmp_path):
    checkout = repo(tmp_path)
    (checkout / "__pycache__").mkdir()
    (checkout / "__pycache__" / "tasks.cpython-311.pyc").write_bytes(b"")
    (checkout / "out").mkdir()
    (checkout / "out" / "app-1.0.0.oci.tar").write_text("x")
    assert release.version_at_head(checkout, checkout / "out").tag == "v1.4.2"
    with pytest.raises(UserError, match="untracked files"):
        release.version_at_head(checkout)


def test_output_directories_inside_the_module_only(tmp_path):
    from multiarch.core.files import output_dir

    module = tmp_path / "mod"
    (module / "sub").mkdir(parents=True)
    assert output_dir(module / "dist", module) == (module / "dist").resolve()
    assert output_dir(module / "sub" / "new" / "deeper", module).name == "deeper"
    for bad in (module, tmp_path, Path("/"), module / ".." / "x"):
        with pytest.raises(UserError, match="inside the module"):
            output_dir(bad, module)
    (module / "file").write_text("x")
    with pytest.raises(UserError, match="is not a directory"):
        output_dir(module / "file" / "dist", module)
