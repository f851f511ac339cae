"""SLSA v1 provenance made from a release's plan, without Docker."""

from __future__ import annotations

import dataclasses
import json
import subprocess
from pathlib import Path

import pytest

from multiarch.build import provenance
from multiarch.core.errors import UserError
from multiarch.golang.goenv import GoEnv
from multiarch.golang.version import Revision
from multiarch.host.builder import Builder
from tests.unit.test_build_plan import make_plan, module

COMMIT = "c0ffee" + "0" * 34
NETRC = "machine git.example.com login bot password h20b-netrc-pw-9d1"
LOCAL = Builder("", "docker", True)
RUN = provenance.Run("2026-12-07T00:00:00Z", "2026-12-07T00:05:00Z", "v0.13.1", "id-1")


class FakeDocker:
    """Answers `docker image inspect --format {{.Id}} IMAGE` for the images it has."""

    dry = False

    def __init__(self, images: dict[str, str]):
        self.images = images

    def query(self, argv, check=True, hint=None):
        assert argv[:4] == ["docker", "image", "inspect", "--format"]
        found = self.images.get(argv[-1])
        return subprocess.CompletedProcess(argv, 0 if found else 1, found or "", "")


def release_plan(tmp_path: Path, builder=LOCAL, **settings):
    where = module(tmp_path / "mod")
    (where / "Dockerfile").write_text(
        "ARG GO_VERSION=1.24\nFROM scratch AS workspace\n"
        "FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS builder\n"
        "FROM builder AS test\nFROM scratch AS image\n"
    )
    plan = make_plan(
        where, platforms="linux/amd64,linux/arm/v7", registry="localhost:5000", tag="1.4.2",
        build_args=("PASSWORD=h20b-pw-1", "GH_TOKEN=h20b-tok-2", "LEVEL=3"), **settings,
    )  # fmt: skip
    revision = Revision(
        "v1.4.2", COMMIT, False, "2026-01-01T00:00:00Z", "https://github.com/o/hellorld", "v1.4.2"
    )
    go = GoEnv(
        variables={"GOPROXY": "https://bot:h20b-proxy-pw@proxy.example.com,direct"},
        netrc=tmp_path / "netrc",
        version="1.24",
    )
    return dataclasses.replace(plan, revision=revision, go=go, builder=builder)


def test_names_the_commit_the_source_and_the_builder(tmp_path):
    plan = release_plan(tmp_path)
    made = provenance.of_release(plan, RUN, FakeDocker({"golang:1.24": "sha256:" + "b" * 64}))
    assert sorted(made) == ["linux/amd64", "linux/arm/v7"]
    slsa = made["linux/arm/v7"]
    definition = slsa["buildDefinition"]
    assert definition["buildType"] == provenance.BUILD_TYPE
    params = definition["externalParameters"]
    assert params["commit"] == COMMIT
    assert params["source"] == "https://github.com/o/hellorld"
    assert params["ref"] == "refs/tags/v1.4.2"
    assert params["platform"] == "linux/arm/v7"
    assert params["platforms"] == ["linux/amd64", "linux/arm/v7"]
    assert params["dockerfile"] == "Dockerfile" and params["target"] == "image"
    assert params["buildArgs"]["REVISION"] == COMMIT and params["buildArgs"]["LEVEL"] == "3"
    assert definition["resolvedDependencies"] == [
        {"uri": "git+https://github.com/o/hellorld@refs/tags/v1.4.2",
         "digest": {"gitCommit": COMMIT}, "name": "source"},
        {"uri": "pkg:docker/golang@1.24", "name": "golang:1.24",
         "annotations": {"platform": "$BUILDPLATFORM"}, "digest": {"sha256": "b" * 64}},
    ]  # fmt: skip
    builder = slsa["runDetails"]["builder"]
    assert builder["id"].endswith("?builder=default&driver=docker")
    assert builder["version"]["buildx"] == "v0.13.1" and builder["version"]["multiarch"]
    assert slsa["runDetails"]["metadata"] == {
        "invocationId": "id-1",
        "startedOn": "2026-12-07T00:00:00Z",
        "finishedOn": "2026-12-07T00:05:00Z",
    }
    # one invocation for every platform of the release
    assert made["linux/amd64"]["runDetails"] == slsa["runDetails"]


def test_no_secret_build_arg_netrc_or_url_credential_appears(tmp_path):
    plan = release_plan(tmp_path)
    (tmp_path / "netrc").write_text(NETRC)
    made = provenance.of_release(plan, RUN, FakeDocker({}))
    text = json.dumps(made)
    for secret in ("h20b-pw-1", "h20b-tok-2", "h20b-proxy-pw", "bot:", NETRC, "password"):
        assert secret not in text
    args = made["linux/amd64"]["buildDefinition"]["externalParameters"]["buildArgs"]
    assert "PASSWORD" not in args and "GH_TOKEN" not in args
    assert args["GOPROXY"] == "https://proxy.example.com,direct"


def test_another_builder_resolves_base_images_itself(tmp_path):
    plan = release_plan(tmp_path, builder=Builder("h20b-farm", "docker-container", False))
    made = provenance.of_release(plan, RUN, FakeDocker({"golang:1.24": "sha256:" + "b" * 64}))
    slsa = made["linux/amd64"]
    base = slsa["buildDefinition"]["resolvedDependencies"][1]
    assert base == {"uri": "pkg:docker/golang@1.24", "name": "golang:1.24",
                    "annotations": {"platform": "$BUILDPLATFORM"}}  # fmt: skip
    assert slsa["runDetails"]["builder"]["id"].endswith(
        "?builder=h20b-farm&driver=docker-container"
    )


def test_base_images_fill_in_args_and_skip_stages_and_scratch():
    text = (
        "ARG GO_VERSION=1.24\nARG BASE=alpine:3.20\nFROM scratch AS workspace\n"
        "FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS builder\n"
        "FROM builder AS test\nFROM $BASE AS image\n"
        "FROM --platform=$BUILDPLATFORM golang:1.25\n"
    )
    assert provenance.base_images(text, {"GO_VERSION": "1.25"}) == [
        provenance.Base("golang:1.25", "$BUILDPLATFORM"),
        provenance.Base("alpine:3.20"),
    ]


def test_a_base_image_of_the_target_platform_and_one_pinned_by_digest(tmp_path):
    plan = release_plan(tmp_path)
    pinned = "registry.example:5000/base/img@sha256:" + "d" * 64
    plan = dataclasses.replace(plan, dockerfile_text=f"FROM alpine:3.20\nFROM {pinned}\n")
    slsa = provenance.of_release(plan, RUN, FakeDocker({}))["linux/arm/v7"]
    assert slsa["buildDefinition"]["resolvedDependencies"][1:] == [
        {"uri": "pkg:docker/alpine@3.20?platform=linux%2Farm%2Fv7", "name": "alpine:3.20"},
        {"uri": f"pkg:docker/registry.example:5000/base/img@sha256:{'d' * 64}"
                "?platform=linux%2Farm%2Fv7",
         "name": pinned, "digest": {"sha256": "d" * 64}},
    ]  # fmt: skip


def test_a_default_dockerfile_and_no_origin(tmp_path):
    plan = release_plan(tmp_path)
    plan = dataclasses.replace(
        plan,
        dockerfile=dataclasses.replace(plan.dockerfile, path=None),
        revision=dataclasses.replace(plan.revision, source=""),
    )
    slsa = provenance.of_release(plan, RUN, FakeDocker({}))["linux/amd64"]
    assert slsa["buildDefinition"]["externalParameters"]["dockerfile"] == "default"
    source = slsa["buildDefinition"]["resolvedDependencies"][0]
    assert source == {"digest": {"gitCommit": COMMIT}, "name": "source"}


def test_verify_refuses_provenance_of_another_commit(tmp_path):
    made = provenance.of_release(release_plan(tmp_path), RUN, FakeDocker({}))
    by_digest = {"sha256:1": made["linux/amd64"], "sha256:2": made["linux/arm/v7"]}
    platforms = {"sha256:1": "linux/amd64", "sha256:2": "linux/arm/v7"}
    provenance.check_commit(by_digest, platforms, COMMIT)
    with pytest.raises(UserError) as refused:
        provenance.check_commit(by_digest, platforms, "f" * 40)
    assert str(refused.value).startswith(f"the provenance of linux/amd64 names commit {COMMIT}")
