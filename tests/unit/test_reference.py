"""Image names, tags and references as Docker reads them."""

from __future__ import annotations

import dataclasses

import pytest

from multiarch.build.planning import tag_list
from multiarch.build.settings import BuildSettings, check
from multiarch.core.errors import UserError
from multiarch.golang.version import Revision
from multiarch.oci import reference


@pytest.mark.parametrize("name", ["hellorld", "owner/app", "a.b_c__d-e/f--g", "x" * 255])
def test_valid_names(name):
    assert reference.check_name(name, "image") == name


@pytest.mark.parametrize("name", ["Hellorld", "app:1", "-app", "a//b", "a/", "a b", "x" * 256, ""])
def test_invalid_names(name):
    with pytest.raises(UserError, match="not a valid image name"):
        reference.check_name(name, "image")


@pytest.mark.parametrize("tag", ["1.4.2", "latest", "v1.2.3-4-gabc1234-dirty", "_x", "a" * 128])
def test_valid_tags(tag):
    assert reference.check_tag(tag, "tag") == tag


@pytest.mark.parametrize("tag", ["a" * 129, ".x", "-x", "a b", "a+b", "é", ""])
def test_invalid_tags(tag):
    with pytest.raises(UserError, match="not a valid tag"):
        reference.check_tag(tag, "tag")


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ("v1.2.3+build.7", "v1.2.3-build.7"),
        ("feature/x", "feature-x"),
        ("-weird", "weird"),
        ("", "dev"),
        ("v" + "1" * 200, "v" + "1" * 127),
    ],
)
def test_a_tag_from_git_describe_is_made_valid(text, tag):
    assert reference.valid_tag(text) == tag
    rev = Revision(text, "c" * 40, False, "", "")
    assert tag_list(BuildSettings(), rev) == [tag]


@pytest.mark.parametrize(
    "ref", ["registry:2", "localhost:5000/app:1.0", "[::1]:5000/a/b", "app@sha256:" + "a" * 64]
)
def test_valid_references(ref):
    assert reference.check_reference(ref, "image") == ref


@pytest.mark.parametrize("ref", ["Registry:2", "registry:", "a:b:c", "/app", "app@sha256:xyz"])
def test_invalid_references(ref):
    with pytest.raises(UserError, match="not a valid image reference"):
        reference.check_reference(ref, "image")


@pytest.mark.parametrize(
    ("settings", "words"),
    [
        ({"registry": "local host:5000"}, ["not a registry address"]),
        ({"image": "My App"}, ["--image", "not a valid image name"]),
        ({"tag": "ok,not ok"}, ["--tag", "'not ok'"]),
        ({"attestations": "maybe"}, ["unknown attestations setting"]),
    ],
)
def test_build_settings_checked_before_anything_runs(settings, words):
    with pytest.raises(UserError) as err:
        check(BuildSettings(**settings))
    for word in words:
        assert word in str(err.value)


@pytest.mark.parametrize("registry", ["localhost:5000/", "localhost:5000//"])
def test_a_registry_with_a_trailing_slash_names_the_registry(registry, tmp_path):
    from invoke import Config, Context

    from multiarch.core.config import DEFAULTS
    from multiarch.prove.smoke import images
    from multiarch.tasks.options import options

    settings = BuildSettings(registry=registry)
    assert settings.registry == "localhost:5000"
    check(settings)
    assert dataclasses.replace(settings, tag="x").registry == "localhost:5000"
    # smoke's default image, from invoke.yaml or INVOKE_BUILD_REGISTRY
    (tmp_path / "go.mod").write_text("module example.com/hellorld\n\ngo 1.24\n")
    (tmp_path / "main.go").write_text("package main\n\nfunc main() {}\n")
    build = {**DEFAULTS["build"], "registry": registry, "context": str(tmp_path)}
    config = Config(overrides={**DEFAULTS, "build": build})
    build = BuildSettings(**options(Context(config), "build"))
    assert images("", build) == ["localhost:5000/hellorld:e2e"]


@pytest.mark.parametrize(
    ("ref", "parts", "written"),
    [
        ("localhost:5000/app:1.0", ("localhost:5000", "app", "1.0", ""), "localhost:5000/app:1.0"),
        (
            "localhost:5000/a/b",
            ("localhost:5000", "a/b", "latest", ""),
            "localhost:5000/a/b:latest",
        ),
        (
            "ghcr.io/o/app@sha256:ab",
            ("ghcr.io", "o/app", "", "sha256:ab"),
            "ghcr.io/o/app@sha256:ab",
        ),
        ("[::1]:5000/app:e2e", ("[::1]:5000", "app", "e2e", ""), "[::1]:5000/app:e2e"),
    ],
)
def test_reference_parsed_and_written_back(ref, parts, written):
    r = reference.Reference.parse(ref)
    assert (r.host, r.repository, r.tag, r.digest) == parts
    assert str(r) == written


def test_reference_at_a_digest_has_no_tag():
    r = reference.Reference.parse("localhost:5000/hellorld:dev")
    assert str(r.at_digest("sha256:ab")) == "localhost:5000/hellorld@sha256:ab"
    assert str(r.at_digest("")) == "localhost:5000/hellorld"


def test_reference_names_a_registry():
    with pytest.raises(UserError, match="names no registry"):
        reference.Reference.parse("app:1.0")
