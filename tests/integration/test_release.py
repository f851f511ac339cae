"""`invoke release` and `invoke clean` on throwaway tagged copies of hellorld, pushing to a
registry of the tests' own."""

from __future__ import annotations

import json
import tarfile

import pytest

from multiarch.build.buildx import PUSH_OUTPUT
from multiarch.oci.registry_api import RegistryAPI, platform_manifests
from tests.gomodules import commit_of, hellorld_repo, in_repo
from tests.helpers import assert_one_line_error, sh

pytestmark = pytest.mark.integration

PLATFORMS = ["linux/amd64", "linux/arm64", "linux/arm/v7"]


@pytest.fixture(scope="module")
def released(module_registry, tmp_path_factory):
    where = hellorld_repo(tmp_path_factory.mktemp("rel") / "hellorld", "v1.4.2")
    result = in_repo(module_registry, where, "release", "--image", "rel")
    assert result.returncode == 0, result.stderr
    return where, result


def test_pushes_exactly_the_version_tags(released, module_registry):
    api = RegistryAPI(module_registry["host"])
    assert api.tags("rel") == ["1", "1.4", "1.4.2", "latest"]
    digests = {api.index("rel", tag).digest for tag in ["1", "1.4", "1.4.2", "latest"]}
    assert len(digests) == 1, "every tag names the same index"
    assert sorted(api.index("rel", "latest").platforms) == sorted(PLATFORMS)
    _, result = released
    assert "releasing v1.4.2 as 1.4.2, 1.4, 1, latest" in result.stderr


def test_the_released_binary_says_its_version(released, module_registry):
    where, _ = released
    ref = f"{module_registry['host']}/rel:1.4"
    out = sh("docker", "run", "--rm", "--platform", "linux/arm/v7", ref).stdout.strip()
    assert out == f"hellorld v1.4.2 (commit {commit_of(where)}) on linux/arm/v7"
    api = RegistryAPI(module_registry["host"])
    entry = api.index("rel", "1.4").manifests[0]
    labels = api.config("rel", entry.digest)["config"]["Labels"]
    assert labels["org.opencontainers.image.version"] == "v1.4.2"


def test_the_archive_holds_every_platform_and_loads(released, module_registry):
    where, result = released
    archive = where / "dist" / "rel-1.4.2.oci.tar"
    assert "archive:  " in result.stdout and archive.name in result.stdout
    check = sh("sha256sum", "-c", f"{archive.name}.sha256", cwd=archive.parent)
    assert check.stdout.strip() == f"{archive.name}: OK"

    # the OCI layout, read as skopeo would: index.json names the image index
    with tarfile.open(archive) as tar:
        top = json.load(tar.extractfile("index.json"))
        (entry,) = top["manifests"]
        ref = f"{module_registry['host']}/rel:1.4.2"
        assert entry["annotations"]["io.containerd.image.name"] == ref
        index = json.load(tar.extractfile(f"blobs/sha256/{entry['digest'].split(':')[1]}"))
    assert sorted(m.platform for m in platform_manifests(index)) == sorted(PLATFORMS)

    # and docker load (containerd image store) takes it, every platform included
    sh("docker", "rmi", ref, check=False)
    try:
        loaded = sh("docker", "load", "-i", str(archive)).stdout
        assert f"Loaded image: {ref}" in loaded
        image_id = sh("docker", "image", "inspect", "--format", "{{.Id}}", ref).stdout.strip()
        assert image_id == entry["digest"]
        for platform in PLATFORMS:
            out = sh("docker", "run", "--rm", "--pull=never", "--platform", platform, ref)
            assert out.stdout.strip().endswith(f"(commit {commit_of(where)}) on {platform}")
    finally:
        sh("docker", "rmi", ref, check=False)


def test_the_archive_holds_the_digests_the_registry_serves(released, module_registry):
    where, _ = released
    with tarfile.open(where / "dist" / "rel-1.4.2.oci.tar") as tar:
        (entry,) = json.load(tar.extractfile("index.json"))["manifests"]
        index = json.load(tar.extractfile(f"blobs/sha256/{entry['digest'].split(':')[1]}"))
    pushed = RegistryAPI(module_registry["host"]).index("rel", "1.4.2")
    assert entry["digest"] == pushed.digest
    assert platform_manifests(index) == pushed.manifests


def test_a_prerelease_gets_only_its_own_tag(module_registry, tmp_path):
    where = hellorld_repo(tmp_path / "hellorld", "v2.0.0-rc.1")
    result = in_repo(module_registry, where, "release", "--image", "relrc")
    assert result.returncode == 0, result.stderr
    assert RegistryAPI(module_registry["host"]).tags("relrc") == ["2.0.0-rc.1"]
    assert (where / "dist" / "relrc-2.0.0-rc.1.oci.tar").is_file()


@pytest.mark.parametrize(
    "spoil, words",
    [
        (lambda d: (d / "main.go").write_text("package main\n"), "uncommitted changes"),
        (lambda d: (d / "extra.go").write_text("package main\n"), "untracked files (extra.go)"),
        (lambda d: sh("git", "tag", "-d", "v1.4.2", cwd=d), "has no version tag"),
    ],
    ids=["dirty", "untracked", "untagged"],
)
def test_refuses_before_building(module_registry, tmp_path, spoil, words):
    where = hellorld_repo(tmp_path / "hellorld", "v1.4.2")
    spoil(where)
    result = in_repo(module_registry, where, "release", "--image", "refused")
    assert_one_line_error(result, words)
    assert "docker buildx build" not in result.stderr
    assert RegistryAPI(module_registry["host"]).tags("refused") == []
    assert not (where / "dist").exists()


def test_dry_run_shows_the_export_and_the_push(module_registry, tmp_path):
    where = hellorld_repo(tmp_path / "hellorld", "v1.4.2")
    result = in_repo(module_registry, where, "--dry", "release", "--image", "reldry")
    assert result.returncode == 0, result.stderr
    builds = [line for line in result.stderr.splitlines() if "$ docker buildx build" in line]
    assert len(builds) == 2
    assert f"type=oci,dest={where / 'dist' / 'reldry-1.4.2.oci.tar'}" in builds[0]
    assert builds[1].count(" -t ") == 4 and f"--output {PUSH_OUTPUT}" in builds[1]
    assert RegistryAPI(module_registry["host"]).tags("reldry") == []
    assert not (where / "dist").exists()


def test_clean_removes_dist_and_never_registry_data(released, module_registry):
    where, _ = released
    scratch = where / "dist" / "linux_amd64"
    scratch.mkdir(parents=True, exist_ok=True)
    result = in_repo(module_registry, where, "clean")
    assert result.returncode == 0, result.stderr
    assert f"$ rm -rf {where / 'dist'}" in result.stderr
    assert not (where / "dist").exists()
    assert (where / "go.mod").exists()
    # the registry, its volume and what it holds are untouched
    sh("docker", "volume", "inspect", module_registry["volume"])
    assert RegistryAPI(module_registry["host"]).tags("rel") == ["1", "1.4", "1.4.2", "latest"]
    again = in_repo(module_registry, where, "clean")
    assert again.returncode == 0 and "nothing to remove" in again.stderr
