"""Go repositories of real shapes with real dependencies from the Go module proxy, built as
other repositories use the package (its wheel, a three-line tasks.py, no Dockerfile): each
built for 3 platforms, smoke-tested on each and its Go tests run on each. The Go each
asks for picks the golang image; a newer one is fetched inside the build."""

from __future__ import annotations

import json

import pytest

from tests import realmodules
from tests.gomodules import installed_invoke
from tests.helpers import assert_one_line_error
from tests.integration.test_bin import need_qemu

pytestmark = pytest.mark.integration

PLATFORMS = ("linux/amd64", "linux/arm64", "linux/arm/v7")


@pytest.fixture(scope="module")
def reg(module_registry):
    from tests.integration.test_other_repos import reg as cleanup  # noqa: F401

    yield module_registry


def smoke_and_test(installed, where, reg):
    """`invoke smoke` (which builds and pushes first) and `invoke test`: both pass on every
    platform. The smoke results, as JSON."""
    need_qemu()
    smoked = installed_invoke(installed, where, reg, "smoke", "--json")
    assert smoked.returncode == 0, smoked.stderr[-3000:]
    results = json.loads(smoked.stdout)
    tested = installed_invoke(installed, where, reg, "test")
    assert tested.returncode == 0, tested.stderr[-3000:] + tested.stdout[-2000:]
    for platform in PLATFORMS:
        assert platform in tested.stdout
    return results, smoked


def passed_platforms(results) -> set[str]:
    return {r["platform"] for r in results["platforms"] if r["result"] == "ok"}


def build_info(installed, where, reg, platform: str, name: str) -> list[list[str]]:
    """`go version -m` of the binary `invoke bin` builds for one platform: its lines, split
    at tabs ("dep", path, version, sum; "=>", path, version, sum for a replacement)."""
    built = installed_invoke(installed, where, reg, "bin", "--platforms", platform)
    assert built.returncode == 0, built.stderr[-2000:]
    (path,) = (where / "dist").glob(f"{platform.replace('/', '_')}*/{name}")
    shown = realmodules.go("version", "-m", str(path), cwd=where).stdout
    return [line.strip().split("\t") for line in shown.splitlines()[1:]]


def test_a_server_with_a_router_and_grpc(installed, reg, tmp_path):
    where = realmodules.server(tmp_path / "server")
    results, smoked = smoke_and_test(installed, where, reg)
    assert passed_platforms(results) == set(PLATFORMS)
    assert "golang:1.26" in smoked.stderr  # grpc asks for go 1.26.0


def test_a_v2_module_with_cmd_and_a_replace(installed, reg, tmp_path):
    where = realmodules.tool_v2(tmp_path / "tool")
    results, smoked = smoke_and_test(installed, where, reg)
    assert passed_platforms(results) == set(PLATFORMS)
    assert "GO_VERSION=1.25" in smoked.stderr
    info = build_info(installed, where, reg, "linux/arm64", "tool")
    at = info.index(["dep", "github.com/google/uuid", "v1.6.0"])
    assert info[at + 1][:3] == ["=>", "github.com/google/uuid", "v1.5.0"], info


def test_a_vendored_module_builds_with_no_network(installed, reg, tmp_path):
    where = realmodules.vendored(tmp_path / "vend")
    results, smoked = smoke_and_test(installed, where, reg)
    assert passed_platforms(results) == set(PLATFORMS)
    assert "--network none" in smoked.stderr and "-mod=vendor" in smoked.stderr


def test_a_go_line_newer_than_any_local_image(installed, reg, tmp_path):
    where = realmodules.newer(tmp_path / "newer")
    results, _ = smoke_and_test(installed, where, reg)
    # each binary says go1.26.11 (smoke's expect), built on golang:1.26 (Go 1.26.8)
    assert passed_platforms(results) == set(PLATFORMS)


def test_a_workspace_whose_sibling_is_a_proxied_dependency(installed, reg, tmp_path):
    app = realmodules.workspace(tmp_path / "ws")
    results, _ = smoke_and_test(installed, app, reg)
    assert passed_platforms(results) == set(PLATFORMS)  # "sibling one" on each
    info = build_info(installed, app, reg, "linux/arm64", "app")
    assert ["dep", "github.com/google/uuid", "(devel)"] in info, info


def test_a_change_in_the_sibling_is_a_fast_build(installed, reg, tmp_path):
    app = realmodules.workspace(tmp_path / "ws")
    args = ("build", "--fast", "--tag", "fast")
    try:
        first = installed_invoke(installed, app, reg, *args)
        assert first.returncode == 0, first.stderr[-2000:]
        realmodules.marker(tmp_path / "ws" / "uuid", "sibling two")
        second = installed_invoke(installed, app, reg, *args)
        assert second.returncode == 0, second.stderr[-2000:]
        assert "fast build" in second.stderr, second.stderr[-2000:]
        smoked = installed_invoke(
            installed, app, reg, "smoke", "--no-build", "--image", f"{reg['host']}/app:fast",
            "--expect", "^{os}/{arch} sibling two$",
        )  # fmt: skip
        assert smoked.returncode == 0, smoked.stderr[-2000:]
    finally:  # the fast path's containers and toolchain image, however the test ends
        cleaned = installed_invoke(installed, app, reg, "clean")
    assert cleaned.returncode == 0, cleaned.stderr[-2000:]


def test_a_wrong_go_sum_is_one_line_naming_the_module(installed, reg, tmp_path):
    where = realmodules.tool_v2(tmp_path / "tool")
    sums = (where / "go.sum").read_text().splitlines()
    forged = [
        line.rsplit(" ", 1)[0] + " h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
        if line.startswith("github.com/google/uuid v1.5.0 ")
        else line
        for line in sums
    ]
    (where / "go.sum").write_text("\n".join(forged) + "\n")
    built = installed_invoke(installed, where, reg, "build", "--platforms", "linux/amd64")
    assert_one_line_error(built, "github.com/google/uuid@v1.5.0", "go.sum")
    assert "go mod tidy" in built.stderr.splitlines()[-1]


def test_a_missing_go_sum_entry_is_one_line_naming_the_module(installed, reg, tmp_path):
    where = realmodules.tool_v2(tmp_path / "tool")
    (where / "go.sum").write_text("")
    built = installed_invoke(installed, where, reg, "build", "--platforms", "linux/amd64")
    assert_one_line_error(built, "github.com/google/uuid", "go.sum", "go mod tidy")


def test_an_unreachable_module_is_one_line_naming_it(installed, reg, tmp_path):
    where = realmodules.tool_v2(tmp_path / "tool")
    with (where / "go.mod").open("a") as f:
        f.write("\nrequire github.com/multiarch-tests/no-such-module v1.0.0\n")
    built = installed_invoke(installed, where, reg, "build", "--platforms", "linux/amd64")
    assert_one_line_error(built, "github.com/multiarch-tests/no-such-module@v1.0.0")
