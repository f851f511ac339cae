"""Split builds: `invoke manifest.build` pushes one image per platform, `invoke manifest`
joins them, and refuses an input that is missing or holds the wrong platform."""

from __future__ import annotations

import pytest

from multiarch.oci.registry_api import RegistryAPI
from tests.helpers import assert_one_line_error, invoke, sh

pytestmark = pytest.mark.integration

PLATFORMS = ["linux/amd64", "linux/arm64", "linux/arm/v7"]
SLUGS = ["linux-amd64", "linux-arm64", "linux-arm-v7"]


def ok(reg, *args: str):
    result = invoke(*args, env=reg["env"])
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def split(module_registry):
    """hellorld pushed per platform under split-<platform>, and joined as split."""
    built = ok(module_registry, "manifest.build", "--tag", "split")
    joined = ok(module_registry, "manifest", "--tag", "split")
    return built, joined


def test_one_image_per_platform_under_suffixed_tags(split, module_registry):
    built, _ = split
    api = RegistryAPI(module_registry["host"])
    for platform, slug in zip(PLATFORMS, SLUGS, strict=True):
        index = api.index("hellorld", f"split-{slug}")
        (entry,) = index.manifests
        config = api.config("hellorld", entry.digest)
        got = "/".join(filter(None, [config["os"], config["architecture"], config.get("variant")]))
        assert got == platform
    assert built.stderr.count("$ docker buildx build") == 3


def test_the_join_equals_a_direct_multi_platform_build(split, module_registry):
    ok(module_registry, "build", "--tag", "direct")
    api = RegistryAPI(module_registry["host"])
    direct = api.index("hellorld", "direct")
    joined = api.index("hellorld", "split")
    assert "index" in joined.media_type or "list" in joined.media_type
    assert sorted(joined.platforms) == sorted(direct.platforms) == sorted(PLATFORMS)
    # the joined index points at exactly the per-platform images, nothing copied or rebuilt
    for entry, slug in zip(joined.manifests, SLUGS, strict=True):
        assert entry.digest == api.index("hellorld", f"split-{slug}").digest
    ref = f"{module_registry['host']}/hellorld:split"
    out = sh("docker", "run", "--rm", "--platform", "linux/arm64", ref).stdout.strip()
    assert out.endswith("on linux/arm64")


def test_a_missing_input_is_refused(module_registry):
    ok(module_registry, "manifest.build", "--tag", "partial", "--platforms", "linux/amd64")
    result = invoke("manifest", "--tag", "partial", env=module_registry["env"])
    assert_one_line_error(
        result, "refusing to join", "partial-linux-arm64 is missing", "partial-linux-arm-v7"
    )
    assert "imagetools create" not in result.stderr
    assert "partial" not in RegistryAPI(module_registry["host"]).tags("hellorld")


def test_an_input_of_the_wrong_platform_is_refused(module_registry):
    # built for amd64 but pushed under the arm64 tag, as from the wrong machine
    two = "linux/amd64,linux/arm64"
    ok(module_registry, "manifest.build", "--tag", "wrong", "--platforms", "linux/amd64")
    ok(module_registry, "build", "--tag", "wrong-linux-arm64", "--platforms", "linux/amd64")
    result = invoke("manifest", "--tag", "wrong", "--platforms", two, env=module_registry["env"])
    assert_one_line_error(result, "wrong-linux-arm64 holds linux/amd64, not linux/arm64")
    assert "wrong-linux-amd64" not in result.stderr.splitlines()[-1]
    assert "wrong" not in RegistryAPI(module_registry["host"]).tags("hellorld")


def test_an_index_of_several_platforms_is_no_input(split, module_registry):
    env = module_registry["env"]
    ok(
        module_registry,
        "build",
        "--tag",
        "multi-linux-amd64",
        "--platforms",
        "linux/amd64,linux/arm64",
    )
    result = invoke("manifest", "--tag", "multi", "--platforms", "linux/amd64", env=env)
    assert_one_line_error(result, "holds linux/amd64, linux/arm64, not linux/amd64")


def test_dry_run_checks_and_shows_but_writes_nothing(split, module_registry):
    env = module_registry["env"]
    result = invoke("--dry", "manifest", "--tag", "split", "--platforms", "linux/arm64", env=env)
    assert result.returncode == 0, result.stderr
    host = module_registry["host"]
    assert (
        f"$ docker buildx imagetools create -t {host}/hellorld:split {host}/hellorld@sha256:"
        in (result.stderr)
    )
    assert sorted(RegistryAPI(host).index("hellorld", "split").platforms) == sorted(PLATFORMS)
