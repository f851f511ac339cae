"""The Go a module asks for, the golang image that builds it, vendoring, and go's own
words about modules and go.sum turned into one line each."""

from pathlib import Path

import pytest

from multiarch.core.errors import UserError
from multiarch.golang import goenv, gomod, workspace
from multiarch.golang.goenv import GoEnv, GoSettings
from multiarch.host.registry import RegistrySettings
from multiarch.prove import doctor


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("lines", "newest"),
    [
        (["1.24"], "1.24"),
        (["1.25.0", "go1.26.3"], "1.26.3"),
        (["1.26.3", "go1.25.0"], "1.26.3"),  # a toolchain line older than go is ignored by go
        (["1.21rc1", "1.21.0"], "1.21.0"),
        (["1.21beta1", "1.21rc2"], "1.21rc2"),
        (["1.9", "1.10"], "1.10"),  # numbers, not strings
        (["default", None], None),
        (["1.x"], None),  # not a Go version: the go command in the build judges it
    ],
)
def test_the_newest_go_asked_for(lines, newest):
    assert gomod.newest_go(lines) == newest


@pytest.mark.parametrize(("version", "minor"), [("1.26.3", "1.26"), ("1.21rc1", "1.21")])
def test_the_release_line_of_a_go_version(version, minor):
    assert gomod.go_minor(version) == minor


def test_a_module_asks_for_its_toolchain_else_its_go_line(tmp_path):
    write(tmp_path / "go.mod", "module example.com/app\n\ngo 1.25.0\n")
    assert workspace.resolve(tmp_path, {}).go_minor == "1.25"
    write(tmp_path / "go.mod", "module example.com/app\n\ngo 1.25.0\n\ntoolchain go1.26.3\n")
    layout = workspace.resolve(tmp_path, {})
    assert (layout.go_version, layout.go_minor) == ("1.26.3", "1.26")
    write(tmp_path / "go.mod", "module example.com/app\n")
    assert workspace.resolve(tmp_path, {}).go_minor is None


def test_a_workspace_takes_the_highest(tmp_path):
    write(tmp_path / "go.work", "go 1.24.0\n\nuse (\n\t./app\n\t./lib\n)\n")
    write(tmp_path / "app" / "go.mod", "module example.com/app\n\ngo 1.24.0\n")
    write(tmp_path / "lib" / "go.mod", "module example.com/lib\n\ngo 1.25.2\n")
    assert workspace.resolve(tmp_path / "app", {}).go_version == "1.25.2"
    off = workspace.resolve(tmp_path / "app", {"GOWORK": "off"})
    assert off.go_version == "1.24.0"


def test_go_version_overrides_what_go_mod_asks_for():
    assert goenv.image_version(GoSettings(), "1.25") == "1.25"
    assert goenv.image_version(GoSettings(version="1.26"), "1.25") == "1.26"
    assert goenv.image_version(GoSettings(version="1.26-alpine"), None) == "1.26-alpine"
    assert goenv.image_version(GoSettings(), None) is None


@pytest.mark.parametrize("bad", ["latest", "go1.26", "1", "1.26 ", "1.26/x"])
def test_a_go_version_that_is_no_golang_tag_is_refused(bad):
    with pytest.raises(UserError, match="go.version") as e:
        goenv.image_version(GoSettings(version=bad), None)
    assert "go.mod" in e.value.hint


def test_go_version_is_a_build_arg_only_when_known():
    assert GoEnv(version="1.25").build_args() == {"GO_VERSION": "1.25"}
    assert GoEnv(variables={"GOFLAGS": "-x"}).build_args() == {"GOFLAGS": "-x"}


def test_a_vendored_module_builds_with_mod_vendor_said_out_loud(tmp_path):
    write(tmp_path / "go.mod", "module example.com/app\n\ngo 1.25.0\n")
    assert not workspace.resolve(tmp_path, {}).vendored
    write(tmp_path / "vendor" / "modules.txt", "# example.com/x v1.0.0\n")
    layout = workspace.resolve(tmp_path, {})
    assert layout.vendored
    env = goenv.resolve(GoSettings(), {"HOME": str(tmp_path)}, None, layout.vendored)
    assert env.variables["GOFLAGS"] == "-mod=vendor"
    kept = goenv.resolve(GoSettings(goflags="-mod=mod -v"), {}, None, True)
    assert kept.variables["GOFLAGS"] == "-mod=mod -v"  # the user's choice stands
    added = goenv.resolve(GoSettings(goflags="-trimpath"), {}, None, True)
    assert added.variables["GOFLAGS"] == "-trimpath -mod=vendor"


def test_a_workspace_ignores_the_modules_vendor_directory(tmp_path):
    write(tmp_path / "go.work", "go 1.24.0\n\nuse ./app\n")
    write(tmp_path / "app" / "go.mod", "module example.com/app\n\ngo 1.24.0\n")
    write(tmp_path / "app" / "vendor" / "modules.txt", "")
    assert not workspace.resolve(tmp_path / "app", {}).vendored


@pytest.mark.parametrize(
    ("network", "flags"),
    [("none", ["--network", "none"]), ("default", []), ("host", ["--network", "host"])],
)
def test_the_network_setting_becomes_the_builds_network(network, flags):
    env = goenv.resolve(GoSettings(network=network), {})
    assert env.flags()[: len(flags)] == flags


# What go printed in builds (BuildKit's "#N 0.123" prefixes kept), for each failure.
PREFIX = "#14 1.203 "
OUTPUT = {
    "no sum": PREFIX + "main.go:2:16: missing go.sum entry for module providing package "
    "github.com/google/uuid (imported by example.com/vt); to add:",
    "no mod sum": PREFIX + "go: github.com/google/uuid@v1.6.0: missing go.sum entry for go.mod "
    "file; to add it:\n" + PREFIX + "\tgo mod download github.com/google/uuid",
    "bad sum": PREFIX
    + "verifying github.com/google/uuid@v1.6.0: checksum mismatch\n"
    + PREFIX
    + "\tdownloaded: h1:NIvaJDMOsjHA8n1jAhLSgzrAzy1Hgr+hNrb57e+94F0=",
    "bad mod sum": PREFIX + "verifying github.com/google/uuid@v1.6.0/go.mod: checksum mismatch",
    "gone": PREFIX + "go: github.com/no-such-owner/nope@v1.0.0: reading "
    "https://proxy.example/github.com/no-such-owner/nope/@v/v1.0.0.info: 404 Not Found",
    "offline": PREFIX + "go: github.com/google/uuid@v1.6.0: Get "
    '"https://proxy.example/github.com/google/uuid/@v/v1.6.0.mod": dial tcp: lookup '
    "proxy.example on 10.0.0.1:53: no such host",
}


@pytest.mark.parametrize(
    ("case", "says", "hint"),
    [
        ("no sum", "go.sum has no entry for the module of github.com/google/uuid", "go mod tidy"),
        ("no mod sum", "go.sum has no entry for github.com/google/uuid's go.mod", "go mod tidy"),
        ("bad sum", "checksum of github.com/google/uuid@v1.6.0 does not match", "go mod tidy"),
        ("bad mod sum", "checksum of github.com/google/uuid@v1.6.0's go.mod", "go mod tidy"),
        ("gone", "github.com/no-such-owner/nope@v1.0.0 cannot be had", "go mod tidy"),
        ("offline", "go cannot reach proxy.example for github.com/google/uuid@v1.6.0", "GOPROXY"),
    ],
)
def test_module_failures_are_one_line_naming_the_module(case, says, hint):
    e = GoEnv().explain(OUTPUT[case].splitlines())
    assert e is not None and says in e.message and hint in e.hint
    assert "\n" not in e.message


def test_no_network_at_all_says_to_vendor():
    e = GoEnv(network="none").explain([OUTPUT["offline"]])
    assert e is not None and "go mod vendor" in e.hint


def test_doctor_says_what_each_module_asks_for_and_which_image_builds_it(tmp_path):
    write(tmp_path / "go.work", "go 1.25.0\n\nuse (\n\t./app\n\t./lib\n)\n")
    write(tmp_path / "app" / "go.mod", "module example.com/app\n\ngo 1.24.0\n")
    write(tmp_path / "lib" / "go.mod", "module example.com/lib\n\ngo 1.25.0\ntoolchain go1.26.3\n")
    setup = doctor.Setup(
        platforms=[],
        registry=RegistrySettings(),
        dockerfile="ARG GO_VERSION=1.24\nFROM golang:${GO_VERSION} AS b\n",
        checkout=tmp_path / "app",
    )
    check, version = doctor.go_check(setup, {})
    assert check.ok and version == "1.26"
    assert "example.com/app: go 1.24.0" in check.detail
    assert "example.com/lib: go 1.25.0, toolchain go1.26.3" in check.detail
    assert "go.work: go 1.25.0" in check.detail
    assert check.detail.endswith("-> golang:1.26 (go 1.26.3)")
    assert doctor.base_images(setup, version)[0] == "golang:1.26"
    pinned = doctor.Setup(**{**setup.__dict__, "go": GoSettings(version="1.25")})
    check, version = doctor.go_check(pinned, {})
    assert version == "1.25" and check.detail.endswith("-> golang:1.25 (go.version)")
