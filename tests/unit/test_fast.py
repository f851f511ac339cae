"""`invoke build --fast`'s decisions, without Docker: what a build is made of, which
files of the context are not Go source, when a build must be a full one and why, and the
layer and labels a fast build remakes."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from multiarch.build import planning
from multiarch.build.full import FullBuild, Result
from multiarch.build.planning import Plan
from multiarch.build.settings import BuildSettings
from multiarch.core import files
from multiarch.core.command import Runner
from multiarch.core.platforms import parse
from multiarch.dockerfile import dockerfile
from multiarch.fast import fast, fast_image
from multiarch.golang import mains
from multiarch.golang.version import Revision
from multiarch.golang.workspace import resolve
from multiarch.host.builder import Builder
from tests.helpers import REPO

REV = Revision("v1.2.3", "a" * 40, False, "2026-01-01T00:00:00Z", "https://x/y")
MAIN_GO = 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hellorld") }\n'


def module(where: Path) -> Path:
    """hellorld's module, with this repository's Dockerfile and .dockerignore."""
    where.mkdir(parents=True)
    (where / "go.mod").write_text("module example.com/hellorld\n\ngo 1.24\n")
    (where / "main.go").write_text(MAIN_GO)
    for name in ("Dockerfile", ".dockerignore"):
        shutil.copy2(REPO / name, where / name)
    (where / "config").mkdir()
    (where / "config" / "app.yaml").write_text("greeting: hellorld\n")
    (where / "README.md").write_text("# hellorld\n")  # *.md: left out by .dockerignore
    return where


def make_plan(context: Path, **settings) -> Plan:
    s = BuildSettings(context=str(context), **settings)
    source = dockerfile.source(context, s.dockerfile)
    return Plan(
        settings=s,
        platforms=parse(s.platforms),
        layout=resolve(context, {"GOWORK": "off"}),
        revision=REV,
        builder=Builder("", "docker", True),
        references=[f"{s.registry}/hellorld:v1.2.3"],
        main=mains.Main(".", "example.com/hellorld", "hellorld"),
        dockerfile=source,
    )


@pytest.fixture
def mod(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return module(tmp_path / "hellorld")


def record(p: Plan) -> dict:
    """What fast.Recorded records for a full build of the plan pushed here."""
    place = fast.Place.of(p)
    doc = {
        "version": fast.STATE_VERSION,
        "module": str(p.layout.module.dir),
        "index": "sha256:" + "1" * 64,
        "fingerprint": fast.fingerprint(p),
        "base_images": {"golang:1.24": "sha256:" + "2" * 64},
        "files": fast.context_snapshot(p, {}),
        "args": {k: v for k, v in planning.build_args(p).items() if k in fast.PER_BUILD_ARGS},
    }
    place.dir.mkdir(parents=True, exist_ok=True)
    place.record_file.write_text(json.dumps(doc))
    return doc


def changed_parts(before: Plan, after: Plan) -> set[str]:
    old, new = fast.fingerprint(before), fast.fingerprint(after)
    assert old.keys() == new.keys()
    return {what for what in old if old[what] != new[what]}


# fingerprint()


def test_the_fingerprint_names_each_part_that_changed(mod):
    p = make_plan(mod)
    replace = dataclasses.replace
    assert changed_parts(p, make_plan(mod)) == set()
    text = p.dockerfile.text + "\n# one more line\n"
    assert changed_parts(p, replace(p, dockerfile_text=text)) == {"the Dockerfile"}
    assert changed_parts(p, make_plan(mod, target="binary")) == {"the target"}
    assert changed_parts(p, make_plan(mod, build_args=("GO_VERSION=1.23",))) == {"the build args"}
    assert changed_parts(p, make_plan(mod, platforms="linux/amd64")) == {"the platforms"}
    assert changed_parts(p, make_plan(mod, builder="elsewhere")) == {"the builder"}


def test_the_version_revision_and_times_are_no_part_of_the_fingerprint(mod):
    p = make_plan(mod)
    later = Revision("v1.2.4", "b" * 40, False, "2026-02-01T00:00:00Z", "https://x/y")
    assert changed_parts(p, dataclasses.replace(p, revision=later)) == set()
    dirty = dataclasses.replace(REV, dirty=True)  # no SOURCE_DATE_EPOCH at all
    assert changed_parts(p, dataclasses.replace(p, revision=dirty)) == set()
    given = make_plan(mod, build_args=("VERSION=x", "CREATED=y", "SOURCE_DATE_EPOCH=1"))
    assert changed_parts(p, given) == set()


@pytest.mark.parametrize(
    "edit",
    [
        lambda m: (m / "go.mod").write_text("module example.com/hellorld\n\ngo 1.25\n"),
        lambda m: (m / "go.sum").write_text("example.com/x v1.0.0 h1:abc=\n"),
    ],
    ids=["go.mod", "go.sum"],
)
def test_go_mod_and_go_sum_are_read_when_the_fingerprint_is_taken(mod, edit):
    p = make_plan(mod)
    before = fast.fingerprint(p)
    edit(mod)
    after = fast.fingerprint(p)
    assert {what for what in before if before[what] != after[what]} == {"go.mod or go.sum"}


# context_snapshot()


def test_the_snapshot_lists_the_files_the_context_sends_but_go_source(mod):
    (mod / "pkg").mkdir()
    (mod / "pkg" / "lib.go").write_text("package pkg\n")
    (mod / "dist").mkdir()
    (mod / "dist" / "hellorld").write_text("binary")  # dist: left out by .dockerignore
    snapshot = fast.context_snapshot(make_plan(mod), {})
    assert sorted(snapshot) == ["./.dockerignore", "./Dockerfile", "./config/app.yaml", "./go.mod"]
    size, mtime, digest = snapshot["./config/app.yaml"]
    st = (mod / "config" / "app.yaml").stat()
    assert (size, mtime) == (st.st_size, st.st_mtime_ns)
    assert digest == files.sha256(mod / "config" / "app.yaml")


def test_the_snapshot_keeps_the_hash_of_a_file_whose_size_and_time_are_as_before(mod):
    p = make_plan(mod)
    first = fast.context_snapshot(p, {})
    size, mtime, _ = first["./config/app.yaml"]
    previous = {**first, "./config/app.yaml": [size, mtime, "not read again"]}
    assert fast.context_snapshot(p, previous)["./config/app.yaml"][2] == "not read again"
    # a new time: read again
    os.utime(mod / "config" / "app.yaml", ns=(mtime + 10**9, mtime + 10**9))
    again = fast.context_snapshot(p, previous)["./config/app.yaml"][2]
    assert again == first["./config/app.yaml"][2]


# decide()


@pytest.mark.parametrize(
    ("settings", "words"),
    [
        ({"push": False}, "only a push to a registry on this machine has a fast path"),
        ({"registry": "ghcr.io"}, "ghcr.io is not on this machine: it always gets a full build"),
        ({"no_cache": True}, "--no-cache asks for a full build"),
    ],
    ids=["no_push", "remote_registry", "no_cache"],
)
def test_what_never_has_a_fast_path(mod, settings, words):
    p = make_plan(mod, **settings)
    record(p)  # even with a full build recorded
    assert fast.decide(p) == words


def test_nothing_recorded_is_a_full_build(mod, tmp_path):
    p = make_plan(mod)
    assert fast.home() == tmp_path / "cache" / "multiarch" / "fast"
    why = fast.decide(p)
    assert why == "no full build of localhost:5000/hellorld from this module is recorded yet"
    # a record of another version of the state is none
    record(p)
    doc = json.loads(fast.Place.of(p).record_file.read_text())
    fast.Place.of(p).record_file.write_text(json.dumps({**doc, "version": 0}))
    assert fast.decide(p) == why


def test_a_dockerfile_the_fast_path_cannot_follow(mod):
    (mod / "Dockerfile").write_text("FROM scratch AS workspace\nFROM scratch AS image\n")
    p = make_plan(mod)
    record(p)
    why = fast.decide(p)
    assert isinstance(why, str)
    assert why.startswith("the fast path cannot follow the Dockerfile: ")
    assert "copies from no one stage that runs go build" in why


def test_a_changed_go_mod_is_a_full_build(mod):
    p = make_plan(mod)
    record(p)
    with (mod / "go.mod").open("a") as f:
        f.write("\nrequire example.com/dep v1.0.0\n")
    assert fast.decide(p) == "go.mod or go.sum changed since the last full build"


def test_several_changed_parts_are_named_in_one_line(mod):
    record(make_plan(mod))
    why = fast.decide(make_plan(mod, platforms="linux/amd64", target="binary"))
    # the Dockerfile's image stage is no other: binary copies from the same builder stage
    assert why == "the target and the platforms changed since the last full build"


def test_a_changed_file_that_is_not_go_source_is_a_full_build(mod):
    p = make_plan(mod)
    record(p)
    (mod / "config" / "app.yaml").write_text("greeting: hello, world\n")
    assert fast.decide(p) == "config/app.yaml changed, which is not Go source"
    (mod / "config" / "new.yaml").write_text("x: 1\n")
    assert fast.decide(p) == ("config/app.yaml and config/new.yaml changed, which is not Go source")


def test_only_go_source_changed_is_a_fast_build(mod):
    p = make_plan(mod)
    recorded = record(p)
    (mod / "main.go").write_text(MAIN_GO.replace("hellorld", "hello, world"))
    (mod / "README.md").write_text("# not in the context\n")
    decided = fast.decide(p)
    assert isinstance(decided, fast.Fast), decided
    assert decided.record == recorded and decided.place == fast.Place.of(p)
    assert decided.step.image == "golang:1.24" and decided.step.sources == "/src"
    assert "go build" in decided.step.command
    assert decided.mount_point == "/src"


# FastBuild and Recorded: the fast path over the full build, and the record of it


class NoImages(Runner):
    """A daemon whose image store holds none of the base images."""

    def query(self, argv, *, check=True, hint=None, timeout=None):
        assert argv[:3] == ["docker", "image", "inspect"], argv
        return subprocess.CompletedProcess(argv, 1, "[]", "")


class Pushed(FullBuild):
    """A full build that pushes each plan at once, and keeps what it was given."""

    def __init__(self, runner: Runner):
        super().__init__(runner)
        object.__setattr__(self, "given", [])

    def run(self, plans: list[Plan]) -> list[Result]:
        self.given.append([p.main.binary for p in plans])
        return [Result(p.reference, "sha256:" + "9" * 64, []) for p in plans]


def test_the_plans_without_a_fast_path_get_one_full_build_each_said_with_why(mod):
    api, worker = (
        dataclasses.replace(make_plan(mod), main=mains.Main(f"./cmd/{n}", f"x/{n}", n))
        for n in ("api", "worker")
    )
    worker = worker.with_settings(worker.settings.without_cache())
    full, told = Pushed(NoImages()), []
    results = fast.FastBuild(full.runner, full, told.append).run([api, worker])
    assert full.given == [["api", "worker"]]  # one run of both: one bake
    assert told == [
        "full build of api: no full build of localhost:5000/hellorld from this module is "
        "recorded yet",
        "full build of worker: --no-cache asks for a full build",
    ]
    assert [r.why for r in results] == [
        "no full build of localhost:5000/hellorld from this module is recorded yet",
        "--no-cache asks for a full build",
    ]


def test_a_recorded_full_build_is_the_next_ones_record(mod):
    p = make_plan(mod)
    [result] = fast.Recorded(Pushed(NoImages())).run([p])
    stored = fast.Place.of(p).load()
    assert stored is not None and stored["index"] == result.digest
    assert stored["fingerprint"] == fast.fingerprint(p)
    assert stored["base_images"] == {"golang:1.24": ""}
    (mod / "main.go").write_text(MAIN_GO.replace("hellorld", "hello, world"))
    assert isinstance(fast.decide(p), fast.Fast)


def test_a_full_build_elsewhere_or_dry_is_not_recorded(mod):
    fast.Recorded(Pushed(NoImages())).run([make_plan(mod, registry="ghcr.io")])
    fast.Recorded(Pushed(NoImages(dry=True))).run([make_plan(mod)])
    assert not fast.home().exists()


def test_without_fast_the_build_is_the_full_build_alone():
    runner = Runner()
    assert fast.build(runner, fast=False) == FullBuild(runner)
    assert isinstance(fast.build(runner), fast.FastBuild)


# the image a fast build remakes


def test_the_new_layer_keeps_the_entries_and_has_the_new_binary():
    directory = tarfile.TarInfo("etc")
    directory.type, directory.mode = tarfile.DIRTYPE, 0o755
    binary = tarfile.TarInfo("hellorld")
    binary.mode, binary.size, binary.mtime = 0o755, 3, 1000
    binary.uid = binary.gid = 0
    binary.uname = binary.gname = "root"
    made = b"\x7fELF new binary"
    layer = fast_image._new_layer([directory, binary], {"hellorld": made}, 1767225600)
    with tarfile.open(fileobj=io.BytesIO(layer)) as tar:
        members = tar.getmembers()
        assert [m.name for m in members] == ["etc", "hellorld"]
        assert members[0].isdir() and members[0].mode == 0o755
        new = members[1]
        assert new.isfile() and new.mode == 0o755
        assert (new.uid, new.gid, new.uname, new.gname) == (0, 0, "root", "root")
        assert new.mtime == 1767225600 and new.size == len(made)
        assert tar.extractfile(new).read() == b"\x7fELF new binary"
    assert (binary.size, binary.mtime) == (3, 1000)  # the base's entries are not changed


def test_relabels_map_the_last_builds_version_revision_and_time_to_this_ones():
    old = {"VERSION": "v1", "REVISION": "a" * 40, "CREATED": "2026-01-01T00:00:00Z"}
    new = {"VERSION": "v2", "REVISION": "b" * 40, "CREATED": "2026-02-01T00:00:00Z"}
    labels = {"io.multiarch.workspace": "{}"}
    relabel = fast_image.Relabel.between(old, new, labels)
    assert relabel.values == {
        "v1": "v2",
        "a" * 40: "b" * 40,
        "2026-01-01T00:00:00Z": "2026-02-01T00:00:00Z",
    }
    assert relabel.apply({"org.opencontainers.image.version": "v1", "x": "y"}) == {
        "org.opencontainers.image.version": "v2",
        "x": "y",
        "io.multiarch.workspace": "{}",
    }
    # a value the last build did not have is not rewritten
    only = fast_image.Relabel.between({"VERSION": "v1", "CREATED": ""}, new, {})
    assert only.values == {"v1": "v2"}
