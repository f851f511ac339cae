"""`invoke dev`'s settings, which saves it builds, how it groups them, and the line each
cycle prints; without Docker or a file system watcher."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from multiarch.build.full import Result
from multiarch.core.errors import UserError
from multiarch.dockerfile.context_files import Ignore
from multiarch.fast import dev
from multiarch.fast.dev import Changes, Cycle, DevSettings, line
from multiarch.oci.registry_api import PlatformManifest


@dataclass
class Event:
    """What watchdog hands Changes.dispatch."""

    event_type: str
    src_path: str
    is_directory: bool = False
    dest_path: str = ""


# DevSettings


@pytest.mark.parametrize(
    ("publish", "ports"),
    [
        ("", []),
        ("8080", ["127.0.0.1:8080:8080"]),
        ("9000:8080", ["127.0.0.1:9000:8080"]),
        ("8080, 9000:9090,", ["127.0.0.1:8080:8080", "127.0.0.1:9000:9090"]),
    ],
)
def test_ports_are_published_on_loopback_only(publish, ports):
    assert DevSettings(publish=publish).ports() == ports


@pytest.mark.parametrize("publish", ["abc", "0", "70000", "1:2:3", "8080,x"])
def test_a_malformed_port_is_refused_with_a_hint(publish):
    with pytest.raises(UserError) as e:
        DevSettings(publish=publish).ports()
    assert "cannot publish" in e.value.message
    assert "HOST_PORT:CONTAINER_PORT" in e.value.hint and "1-65535" in e.value.hint


@pytest.mark.parametrize("debounce", [-1, 11])
def test_a_debounce_out_of_range_is_refused(debounce):
    with pytest.raises(UserError) as e:
        DevSettings(debounce=debounce).check()
    assert f"dev.debounce must be 0-10 seconds, not {debounce}" in e.value.message


def test_check_refuses_unbalanced_quotes_and_bad_ports_and_passes_the_rest():
    with pytest.raises(UserError) as e:
        DevSettings(args='"unbalanced').check()
    assert "cannot split --args" in e.value.message and e.value.hint == "balance the quotes"
    with pytest.raises(UserError):
        DevSettings(publish="abc").check()
    DevSettings(debounce=0, args="--name 'a b'", publish="8080").check()
    DevSettings(debounce=10).check()


# Changes


@pytest.fixture
def changes(tmp_path) -> Changes:
    root = tmp_path / "hellorld"
    (root / ".git").mkdir(parents=True)
    work = tmp_path / "go.work"
    return Changes({root: Ignore(["dist", "*.md"])}, {work, tmp_path / "go.work.sum"})


def test_relevant_paths_are_relative_to_their_root(changes, tmp_path):
    root = tmp_path / "hellorld"
    assert changes.relevant(root / "main.go") == "main.go"
    assert changes.relevant(root / "pkg" / "lib.go") == "pkg/lib.go"
    assert changes.relevant(root / ".git" / "index") is None
    assert changes.relevant(root / "dist" / "hellorld") is None  # .dockerignore
    assert changes.relevant(root / "README.md") is None
    assert changes.relevant(tmp_path / "elsewhere" / "main.go") is None
    assert changes.relevant(tmp_path / "hellorld2" / "main.go") is None  # not a parent
    assert changes.relevant(tmp_path / "go.work") == "go.work"


def test_dispatch_skips_opens_and_directory_times_and_reports_a_moves_destination(
    changes, tmp_path
):
    root = tmp_path / "hellorld"
    changes.dispatch(Event("opened", str(root / "main.go")))
    changes.dispatch(Event("closed_no_write", str(root / "main.go")))
    changes.dispatch(Event("modified", str(root / "pkg"), is_directory=True))
    assert changes.seen.empty()
    changes.dispatch(Event("modified", str(root / "main.go")))
    # an editor's save: written to a temporary name outside the context, moved in place
    changes.dispatch(Event("moved", str(tmp_path / "tmp.swp"), dest_path=str(root / "lib.go")))
    seen = [changes.seen.get_nowait() for _ in range(changes.seen.qsize())]
    assert [(name, path) for _, name, path in seen] == [
        ("main.go", root / "main.go"),
        ("lib.go", root / "lib.go"),
    ]


def put(changes: Changes, root: Path, *names: str) -> None:
    for name in names:
        changes.seen.put((time.monotonic(), name, root / name))


def test_a_burst_of_saves_is_one_batch_of_sorted_names(changes, tmp_path):
    root = tmp_path / "hellorld"
    for name in ("main.go", "b.go", "a.go"):
        (root / name).write_text("package main\n")
    began = time.monotonic()
    put(changes, root, "main.go", "b.go", "a.go", "main.go")
    first, names = changes.batch(0.05)
    assert names == ["a.go", "b.go", "main.go"]
    assert began <= first <= time.monotonic()
    assert changes.seen.empty()


def test_a_temporary_file_gone_by_the_end_of_the_burst_is_left_out(changes, tmp_path):
    root = tmp_path / "hellorld"
    (root / "main.go").write_text("package main\n")
    put(changes, root, ".main.go.swp", "main.go")  # the .swp is gone already
    assert changes.batch(0.05)[1] == ["main.go"]
    # when nothing of a burst is left (a file removed), the names are still reported
    put(changes, root, "gone.go")
    assert changes.batch(0.05)[1] == ["gone.go"]


# line()

CLOCK = r"\d\d:\d\d:\d\d "


def test_the_line_of_a_fast_cycle():
    cycle = Cycle(["main.go"], "fast", 0.4567, "localhost:5000/hellorld@sha256:abc")
    said = line(cycle)
    assert re.fullmatch(
        CLOCK + r"main\.go: fast, in the registry 0\.46 s after the save: "
        r"localhost:5000/hellorld@sha256:abc",
        said,
    ), said


def test_the_line_of_a_full_cycle_names_why_and_at_most_three_files():
    changed = ["a.go", "b.go", "go.mod", "z.go", "zz.go"]
    cycle = Cycle(changed, "full (go.mod or go.sum changed)", 12.0, "localhost:5000/x@sha256:1")
    said = line(cycle)
    assert "a.go, b.go, go.mod and 2 more: full (go.mod or go.sum changed)" in said
    assert "in the registry 12.00 s after the save" in said


def test_the_line_of_a_failed_cycle_says_it_still_watches():
    said = line(Cycle(["main.go"], "failed: go build failed for linux/amd64", 3.2))
    assert re.fullmatch(
        CLOCK + r"main\.go: \[red\]failed: go build failed for linux/amd64\[/\], still watching",
        said,
    ), said
    # markup in a file name is shown as written
    assert r"\[b]" in line(Cycle(["[b].go"], "fast", 1, "r"))


def test_the_image_run_here_is_the_manifest_of_this_machine_by_its_digest():
    amd, arm = "sha256:" + "a" * 64, "sha256:" + "b" * 64
    index = [PlatformManifest("linux/amd64", amd), PlatformManifest("linux/arm64", arm)]
    result = Result("localhost:5000/hellorld:dev", "sha256:" + "c" * 64, index)
    assert dev._for_platform(result, "linux/arm64/v8") == f"localhost:5000/hellorld@{arm}"
    assert dev._for_platform(result, "linux/riscv64") == ""


def test_the_line_of_a_proven_cycle_ends_with_the_proof():
    ref = "localhost:5000/x@sha256:1"
    proven = Cycle(["main.go"], "fast", 0.8, ref, "proven on 3 platforms 1.42 s after the save")
    assert line(proven).endswith(f"{ref}, proven on 3 platforms 1.42 s after the save")
    failed = Cycle(["main.go"], "fast", 0.8, ref, "linux/arm64: exit 2, expected 0", False)
    assert line(failed).endswith(
        r", [red]not proven: linux/arm64: exit 2, expected 0[/], still watching"
    )
