"""Main packages: which directories build.main names, and what `go build` names them."""

from pathlib import Path

import pytest

from multiarch.core.errors import UserError
from multiarch.golang import mains


@pytest.mark.parametrize(
    "import_path, binary",
    [
        ("example.com/tool", "tool"),
        ("example.com/tool/v2", "tool"),
        ("example.com/tool/v10", "tool"),
        ("example.com/tool/v2/cmd/server", "server"),
        ("example.com/x/cmd/v3", "cmd"),
        # not major-version elements: go keeps them
        ("example.com/tool/v1", "v1"),
        ("example.com/tool/v0", "v0"),
        ("example.com/tool/v02", "v02"),
        ("gopkg.in/yaml.v3", "yaml.v3"),
        ("tool", "tool"),
        ("v2", "v2"),
    ],
)
def test_binary_named_as_go_build_names_it(import_path, binary):
    assert mains.binary_name(import_path) == binary


def package(where: Path, name: str = "main", extra: str = "") -> Path:
    where.mkdir(parents=True, exist_ok=True)
    (where / "x.go").write_text(f"// Package doc mentions package other.\n{extra}package {name}\n")
    return where


@pytest.fixture
def repo(tmp_path):
    (tmp_path / "go.mod").write_text("module example.com/tool/v2\n\ngo 1.24\n")
    package(tmp_path, extra="/* package fake */\n")
    package(tmp_path / "cmd" / "api")
    package(tmp_path / "cmd" / "worker")
    package(tmp_path / "tools" / "api")
    package(tmp_path / "internal" / "lib", "lib")
    (tmp_path / "internal" / "lib" / "lib_test.go").write_text("package main\n")
    (tmp_path / "empty").mkdir()
    package(tmp_path / "nested")
    (tmp_path / "nested" / "go.mod").write_text("module example.com/nested\n")
    return tmp_path


def test_root_and_cmd_layouts(repo):
    root = mains.parse(".", repo, "example.com/tool/v2")
    assert root == [mains.Main(".", "example.com/tool/v2", "tool")]
    two = mains.parse(" ./cmd/api, cmd/worker/ ", repo, "example.com/tool/v2")
    assert [(m.package, m.import_path, m.binary) for m in two] == [
        ("./cmd/api", "example.com/tool/v2/cmd/api", "api"),
        ("./cmd/worker", "example.com/tool/v2/cmd/worker", "worker"),
    ]
    assert mains.of_module("./cmd/api", repo)[0].binary == "api"


@pytest.mark.parametrize(
    "setting, words",
    [
        ("", "empty package"),
        ("./cmd/api,", "empty package"),
        ("../elsewhere", "outside the module"),
        ("/abs/cmd", "not a path inside the module"),
        ("./cmd/missing", "no directory"),
        ("./empty", "no Go files"),
        ("./internal/lib", "is package lib, not main"),
        ("./nested", "a module of its own"),
        ("./cmd/api,./tools/api", "both build a binary named api"),
    ],
)
def test_bad_settings_are_refused(repo, setting, words):
    with pytest.raises(UserError) as e:
        mains.parse(setting, repo, "example.com/tool/v2")
    assert words in e.value.message
