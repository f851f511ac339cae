"""`invoke build --fast`: the same image as a full build, made without BuildKit, and a
full build whenever anything but Go source changed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from multiarch.oci import layers
from multiarch.oci.registry_api import RegistryAPI
from tests.gomodules import app, git_commit, hellorld_repo, in_repo, library
from tests.helpers import sh

pytestmark = pytest.mark.integration

PLATFORMS = ["linux/amd64", "linux/arm64", "linux/arm/v7"]
# what may differ between two builds of the same dirty tree: the time it was built
PER_BUILD = {"org.opencontainers.image.created"}


@pytest.fixture
def fast_env(tmp_path):
    """The fast path's state in a directory of the test's own; its containers removed
    afterwards by `invoke clean`, which must leave none."""
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    modules: list[tuple[dict, Path]] = []
    yield env, modules
    for reg, where in modules:
        cleaned = in_repo(reg, where, "clean", env=env)
        assert cleaned.returncode == 0, cleaned.stderr
    left = sh("docker", "ps", "-a", "--filter", "label=io.multiarch.fast",
              "--no-trunc", "--format", "{{.Mounts}}").stdout  # fmt: skip
    assert str(tmp_path) not in left


def build(reg, where: Path, env: dict, *args: str):
    result = in_repo(reg, where, "build", "--tag", "dev", *args, env=env)
    assert result.returncode == 0, result.stderr
    digest = re.search(r"digest: (sha256:\w+)", result.stdout)[1]
    return digest, result.stderr


def images(reg, image: str, digest: str) -> dict[str, tuple[dict, dict]]:
    """Per platform: every file (time left out) and the config of an index's image."""
    api = RegistryAPI(reg["host"])
    source = layers.Remote(api, image)
    found = {}
    for entry in api.manifest(image, digest)[0]["manifests"]:
        manifest = source.manifest(entry["digest"])
        files = {
            path: (f.size, f.mode, f.owner, f.content)
            for path, f in layers.files(manifest, source.blob).items()
        }
        config = layers.config(source, manifest)
        found[
            "/".join(filter(None, [config["os"], config["architecture"], config.get("variant")]))
        ] = (
            files,
            config,
        )
    return found


def assert_same_image(reg, image: str, fast: str, full: str) -> None:
    a, b = images(reg, image, fast), images(reg, image, full)
    assert sorted(a) == sorted(b) == sorted(PLATFORMS)
    for platform in PLATFORMS:
        (files_a, config_a), (files_b, config_b) = a[platform], b[platform]
        assert files_a == files_b, platform
        for key in ("Entrypoint", "Cmd", "User", "Env", "WorkingDir"):
            assert config_a["config"].get(key) == config_b["config"].get(key), (platform, key)
        labels_a, labels_b = (
            {k: v for k, v in c["config"]["Labels"].items() if k not in PER_BUILD}
            for c in (config_a, config_b)
        )
        assert labels_a == labels_b, platform
        assert len(config_a["rootfs"]["diff_ids"]) == len(config_b["rootfs"]["diff_ids"])


def runs(ref: str, platform: str) -> str:
    return sh("docker", "run", "--rm", "--pull", "always", "--platform", platform, ref).stdout


def test_fast_image_is_the_full_image(registry_env, tmp_path, fast_env):
    env, modules = fast_env
    repo = hellorld_repo(tmp_path / "hellorld")
    modules.append((registry_env, repo))
    build(registry_env, repo, env, "--fast")  # nothing recorded: a full build, recorded
    main = repo / "main.go"
    main.write_text(main.read_text().replace("hellorld %s", "hellorld, fast, %s"))
    dry = in_repo(registry_env, repo, "--dry", "build", "--tag", "dev", "--fast", env=env)
    assert dry.returncode == 0, dry.stderr
    assert "would build the toolchain image" in dry.stderr
    assert not list((tmp_path / "cache").glob("multiarch/fast/*/sent"))  # nothing made

    fast, said = build(registry_env, repo, env, "--fast")
    assert "fast build" in said and "type=registry" not in said  # no BuildKit push
    full, said = build(registry_env, repo, env)
    assert "type=registry" in said
    assert fast != full  # two images, not the fast path handing back the full one
    assert_same_image(registry_env, "hellorld", fast, full)
    ref = f"{registry_env['host']}/hellorld@{fast}"
    for platform in PLATFORMS:
        assert runs(ref, platform).startswith("hellorld, fast, ")


def test_fast_workspace_image_is_the_full_image(registry_env, tmp_path, fast_env):
    env, modules = fast_env
    ws = tmp_path / "ws"
    dep = library(ws / "dep", "example.com/dep", "dep-v1")
    git_commit(dep)
    hello = app(ws / "hellorld", ["example.com/dep"])
    git_commit(hello)
    (ws / "go.work").write_text("go 1.24\n\nuse (\n\t./hellorld\n\t./dep\n)\n")
    modules.append((registry_env, hello))
    build(registry_env, hello, env, "--fast")
    # a change in the other module of the workspace: Go source, so fast
    (dep / "lib.go").write_text('package dep\n\nconst Message = "dep-v2"\n')

    fast, said = build(registry_env, hello, env, "--fast")
    assert "fast build" in said, said
    full, _ = build(registry_env, hello, env)
    assert_same_image(registry_env, "hellorld", fast, full)
    workspace = json.loads(
        images(registry_env, "hellorld", fast)["linux/amd64"][1]["config"]["Labels"][
            "io.multiarch.workspace"
        ]
    )
    assert any(m["dir"] == "dep" and m["dirty"] for m in workspace["modules"])
    for platform in PLATFORMS:
        assert "[dep-v2]" in runs(f"{registry_env['host']}/hellorld@{fast}", platform)


def test_anything_but_go_source_gets_a_full_build(registry_env, tmp_path, fast_env):
    env, modules = fast_env
    ws = tmp_path / "ws"
    hello = app(ws / "hellorld", [])
    git_commit(hello)
    modules.append((registry_env, hello))

    def full_because(*why: str, args=()) -> None:
        (hello / "main.go").write_text((hello / "main.go").read_text() + "// edited\n")
        _, said = build(registry_env, hello, env, "--fast", *args)
        assert "type=registry" in said, said
        line = next(line for line in said.splitlines() if line.startswith("full build of"))
        for word in why:
            assert word in line, line

    full_because("no full build", "recorded")
    with (hello / "Dockerfile").open("a") as f:
        f.write("# a comment is a change too\n")
    full_because("the Dockerfile changed")
    with (hello / "go.mod").open("a") as f:
        f.write("\n// edited\n")
    full_because("go.mod or go.sum changed")
    full_because("the platforms changed", args=("--platforms", "linux/amd64,linux/arm64"))
    build(registry_env, hello, env, "--fast")  # all three again
    (hello / "notes.txt").write_text("not Go\n")
    full_because("notes.txt changed, which is not Go source")
    library(ws / "dep", "example.com/dep", "dep")
    (ws / "go.work").write_text("go 1.24\n\nuse (\n\t./hellorld\n\t./dep\n)\n")
    full_because("the workspace", "changed since the last full build")
    # and with nothing but Go source changed since that full build: fast again
    (hello / "main.go").write_text((hello / "main.go").read_text() + "// again\n")
    _, said = build(registry_env, hello, env, "--fast")
    assert "fast build" in said and "type=registry" not in said  # no BuildKit push
