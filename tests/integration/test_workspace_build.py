"""`invoke build` of modules in go.work workspaces made on disk, run on every platform."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from multiarch.oci.registry_api import RegistryAPI
from tests.gomodules import app, git_commit, in_repo, library
from tests.helpers import REPO, assert_one_line_error, host_go, interruptible, need, sh

pytestmark = pytest.mark.integration

PLATFORMS = ["linux/amd64", "linux/arm64", "linux/arm/v7"]


def build(reg, context: Path, tag: str, *args: str, gowork: str | None = None):
    env = {} if gowork is None else {"GOWORK": gowork}
    return in_repo(reg, context, "build", "--tag", tag, *args, env=env)


def built(reg, context: Path, tag: str, *args: str, gowork: str | None = None) -> str:
    result = build(reg, context, tag, *args, gowork=gowork)
    assert result.returncode == 0, result.stderr
    return f"{reg['host']}/hellorld:{tag}"


def output(ref: str, platform: str = "linux/amd64") -> str:
    return sh("docker", "run", "--rm", "--platform", platform, ref).stdout.strip()


def labels(reg, tag: str) -> dict:
    api = RegistryAPI(reg["host"])
    entry = api.index("hellorld", tag).manifests[0]
    return api.config("hellorld", entry.digest)["config"]["Labels"]


def test_sibling_change_shows_on_every_platform(module_registry, tmp_path):
    ws = tmp_path / "ws"
    dep = library(ws / "dep", "example.com/dep", "dep-v1")
    dep_commit = git_commit(dep)
    hello = app(ws / "hellorld", ["example.com/dep"])
    (ws / "go.work").write_text("go 1.24\n\nuse (\n\t./hellorld\n\t./dep\n)\n")

    ref = built(module_registry, hello, "ws1")
    for platform in PLATFORMS:
        assert output(ref, platform) == f"{platform.rsplit('/v', 1)[0]} [dep-v1]"

    (dep / "lib.go").write_text('package dep\n\nconst Message = "dep-v2"\n')
    ref = built(module_registry, hello, "ws2")
    for platform in PLATFORMS:
        assert output(ref, platform) == f"{platform.rsplit('/v', 1)[0]} [dep-v2]"

    record = json.loads(labels(module_registry, "ws2")["io.multiarch.workspace"])
    assert record["go_work"] == "go.work"
    assert record["modules"] == [
        {"path": "example.com/hellorld", "dir": "hellorld", "commit": "", "dirty": None},
        {"path": "example.com/dep", "dir": "dep", "commit": dep_commit, "dirty": True},
    ]


def test_twelve_modules(module_registry, tmp_path):
    ws = tmp_path / "ws"
    deps = [f"example.com/m{i:02d}" for i in range(1, 13)]
    for d in deps:
        library(ws / d.rsplit("/", 1)[-1], d, d.rsplit("/", 1)[-1])
    hello = app(ws / "hellorld", deps)
    uses = "".join(f"\t./{d.rsplit('/', 1)[-1]}\n" for d in deps)
    (ws / "go.work").write_text(f"go 1.24\n\nuse (\n\t./hellorld\n{uses})\n")
    ref = built(module_registry, hello, "twelve", "--platforms", "linux/amd64")
    names = " ".join(f"m{i:02d}" for i in range(1, 13))
    assert output(ref) == f"linux/amd64 [{names}]"


def test_modules_in_directories_of_the_same_name(module_registry, tmp_path):
    ws = tmp_path / "ws"
    library(ws / "a" / "lib", "example.com/a/lib", "from-a")
    library(ws / "b" / "lib", "example.com/b/lib", "from-b")
    hello = app(ws / "hellorld", ["example.com/a/lib", "example.com/b/lib"])
    (ws / "go.work").write_text("go 1.24\n\nuse ./hellorld\nuse ./a/lib\nuse ./b/lib\n")
    ref = built(module_registry, hello, "samename", "--platforms", "linux/amd64")
    assert output(ref) == "linux/amd64 [from-a from-b]"


def test_local_replace_without_workspace(module_registry, tmp_path):
    library(tmp_path / "dep-stable", "example.com/dep", "stable")
    hello = app(
        tmp_path / "src" / "hellorld",
        ["example.com/dep"],
        replace="replace example.com/dep => ../../dep-stable",
    )
    ref = built(module_registry, hello, "replace", "--platforms", "linux/arm64")
    assert output(ref, "linux/arm64") == "linux/arm64 [stable]"


def test_gowork_off_and_file_behave_like_the_go_command(module_registry, tmp_path):
    go = host_go()
    need(go is not None, "a host Go toolchain (Debian's golang)")
    library(tmp_path / "dep-stable", "example.com/dep", "stable")
    library(tmp_path / "ws" / "dep", "example.com/dep", "workspace")
    library(tmp_path / "alt" / "dep", "example.com/dep", "alt")
    hello = app(
        tmp_path / "ws" / "hellorld",
        ["example.com/dep"],
        replace="replace example.com/dep => ../../dep-stable",
    )
    (tmp_path / "ws" / "go.work").write_text("go 1.24\n\nuse ./hellorld\nuse ./dep\n")
    alt = tmp_path / "alt" / "dev.work"
    alt.write_text("go 1.24\n\nuse ../ws/hellorld\nuse ./dep\n")

    for gowork, want in [("", "workspace"), ("off", "stable"), (str(alt), "alt")]:
        host = subprocess.run(
            [go, "run", "."], cwd=hello, text=True, capture_output=True,
            env={**os.environ, "GOWORK": gowork, "GOPROXY": "off"},
        )  # fmt: skip
        assert host.stdout.strip() == f"linux/amd64 [{want}]", host.stderr
        ref = built(module_registry, hello, f"gowork-{want}", "--platforms", "linux/amd64",
                    gowork=gowork)  # fmt: skip
        assert output(ref) == host.stdout.strip()


def test_guard_refuses_a_remote_push_of_a_workspace_before_building(module_registry, tmp_path):
    ws = tmp_path / "ws"
    library(ws / "dep", "example.com/dep", "x")
    hello = app(ws / "hellorld", ["example.com/dep"])
    (ws / "go.work").write_text("go 1.24\n\nuse ./hellorld\nuse ./dep\n")
    result = build(module_registry, hello, "guard", "--registry", "registry.example.com")
    assert_one_line_error(result, "refusing", "registry.example.com", "--allow-workspace")
    assert "docker buildx build" not in result.stderr


@pytest.mark.parametrize(
    "work, words",
    [
        # a directive the build uses keeps its file:line (an unknown one is skipped)
        ("go 1.24\n\nuse ./hellorld\nuse ./dep ./x\n", "go.work:4"),
        ("go 1.24\n\nuse ./hellorld\nuse ./missing\n", "missing"),
        ("go 1.24\n\nuse ./dep\n", "is not one of the modules used by"),
    ],
)
def test_workspace_mistakes_are_one_line(module_registry, tmp_path, work, words):
    ws = tmp_path / "ws"
    library(ws / "dep", "example.com/dep", "x")
    hello = app(ws / "hellorld", ["example.com/dep"])
    (ws / "go.work").write_text(work)
    result = build(module_registry, hello, "bad")
    assert_one_line_error(result, words)
    assert "docker buildx build" not in result.stderr


def test_ctrl_c_stops_the_build_and_leaves_nothing_behind(module_registry, tmp_path):
    ws = tmp_path / "ws"
    library(ws / "dep", "example.com/dep", "x")
    hello = app(ws / "hellorld", ["example.com/dep"])
    (ws / "go.work").write_text("go 1.24\n\nuse ./hellorld\nuse ./dep\n")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**module_registry["env"], "INVOKE_BUILD_CONTEXT": str(hello), "TMPDIR": str(scratch)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "invoke", "build", "--tag", "interrupted", "--no-cache"],
        cwd=REPO, env={**os.environ, **env}, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
        preexec_fn=interruptible,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not list(scratch.glob("multiarch-gowork-*")) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert list(scratch.glob("multiarch-gowork-*")), "the build never started"
        time.sleep(1)
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1].startswith("interrupted")
    assert "Traceback" not in err
    assert list(scratch.iterdir()) == [], "temporary files were left behind"
    assert "interrupted" not in RegistryAPI(module_registry["host"]).tags("hellorld")
