"""Reproducible images and `invoke verify`, with the real daemon, buildx and registry, on a
throwaway committed copy of hellorld."""

from __future__ import annotations

import pytest

from multiarch.oci.registry_api import RegistryAPI
from tests.gomodules import commit_of, hellorld_repo, in_repo
from tests.helpers import assert_one_line_error, machine_test, sh, table_rows

pytestmark = pytest.mark.integration

PLATFORMS = ["linux/amd64", "linux/arm64", "linux/arm/v7"]


@pytest.fixture(scope="module")
def repo(module_registry, tmp_path_factory):
    """A committed hellorld, built and pushed once as repro:first."""
    where = hellorld_repo(tmp_path_factory.mktemp("repro") / "hellorld")
    result = in_repo(module_registry, where, "build", "--image", "repro", "--tag", "first")
    assert result.returncode == 0, result.stderr
    return where


def digests(reg, tag: str) -> tuple[str, dict[str, str]]:
    index = RegistryAPI(reg["host"]).index("repro", tag)
    return index.digest, {m.platform: m.digest for m in index.manifests}


def test_a_no_cache_build_of_the_same_commit_gives_the_same_digests(repo, module_registry):
    again = in_repo(module_registry, repo, "build", "--image", "repro", "--tag", "again",
                    "--no-cache")  # fmt: skip
    assert again.returncode == 0, again.stderr
    first, second = digests(module_registry, "first"), digests(module_registry, "again")
    assert sorted(first[1]) == sorted(PLATFORMS)
    assert second == first


@pytest.mark.machine
def test_after_pruning_the_build_cache_the_same_index(repo, module_registry):
    machine_test("empties the daemon's whole build cache (docker buildx prune -af)")
    sh("docker", "buildx", "prune", "-af")
    pruned = in_repo(module_registry, repo, "build", "--image", "repro", "--tag", "pruned")
    assert pruned.returncode == 0, pruned.stderr
    assert digests(module_registry, "pruned") == digests(module_registry, "first")


def test_verify_passes_on_a_freshly_built_image(repo, module_registry):
    ref = f"{module_registry['host']}/repro:first"
    result = in_repo(module_registry, repo, "verify", "--image", ref)
    assert result.returncode == 0, result.stderr
    rows = table_rows(result.stdout)
    assert sorted(rows) == sorted(PLATFORMS)
    assert all(cells[1] == "same" for cells in rows.values()), result.stdout
    assert f"rebuilding commit {commit_of(repo)}" in result.stderr
    assert "--no-cache" in result.stderr and "type=oci" in result.stderr
    assert "all 3 platforms reproduce" in result.stderr
    # the temporary worktree is gone, from disk and from git
    worktrees = sh("git", "worktree", "list", "--porcelain", cwd=repo).stdout
    assert worktrees.count("worktree ") == 1


def tampered(reg, tmp_path, base: str, tag: str, *lines: str, platform="linux/arm64") -> str:
    """An image made by hand from `base`: its labels stay, `lines` change it."""
    (tmp_path / "Dockerfile").write_text("\n".join([f"FROM {base}", *lines]) + "\n")
    ref = f"{reg['host']}/repro:{tag}"
    sh("docker", "buildx", "build", "--platform", platform, "--provenance=false",
       "--output", "type=registry,oci-mediatypes=true", "-t", ref, str(tmp_path))  # fmt: skip
    return ref


def test_verify_fails_naming_the_file_changed_by_hand(repo, module_registry, tmp_path):
    script = "#!/bin/sh\necho not the built binary\n"
    (tmp_path / "hellorld").write_text(script)
    (tmp_path / "hellorld").chmod(0o755)
    base = f"{module_registry['host']}/repro:first"
    ref = tampered(module_registry, tmp_path, base, "byhand", "COPY hellorld /hellorld")
    result = in_repo(module_registry, repo, "verify", "--image", ref)
    assert_one_line_error(result, "is not what commit", "linux/arm64 differ")
    out = result.stdout
    assert "linux/arm64: files that differ" in out
    changed = out[out.index("  /hellorld") :].splitlines()
    assert changed[1].startswith(f"    image:   {len(script)} bytes, -rwxr-xr-x, 0:0, mtime ")
    assert changed[2].startswith("    rebuilt: ") and "sha256:" in changed[2]
    assert "/etc/passwd" not in out, "only the files that differ are named"


@pytest.mark.parametrize(
    "label, words",
    [
        ('io.multiarch.workspace="{}"', "built from local go.work checkouts"),
        ("org.opencontainers.image.version=v0-dirty", "tree with uncommitted changes"),
    ],
    ids=["workspace", "dirty"],
)
def test_verify_refuses_what_no_commit_holds(repo, module_registry, tmp_path, label, words):
    base = f"{module_registry['host']}/repro:first"
    ref = tampered(module_registry, tmp_path, base, "refused", f"LABEL {label}")
    result = in_repo(module_registry, repo, "verify", "--image", ref)
    assert_one_line_error(result, f"{ref} cannot be verified", words)
    assert "docker buildx build" not in result.stderr and "worktree" not in result.stderr


def test_verify_dry_run_builds_nothing(repo, module_registry):
    ref = f"{module_registry['host']}/repro:first"
    result = in_repo(module_registry, repo, "--dry", "verify", "--image", ref)
    assert result.returncode == 0, result.stderr
    assert "$ git -C" in result.stderr and "worktree add --detach" in result.stderr
    assert "docker buildx build" not in result.stderr
    assert sh("git", "worktree", "list", "--porcelain", cwd=repo).stdout.count("worktree ") == 1
