"""The smoke test's decisions: the checks as configured, what output passes, the results."""

from __future__ import annotations

import re

import pytest
from invoke.vendor import yaml
from rich.console import Console

from multiarch.core.errors import UserError
from multiarch.core.platforms import parse_one
from multiarch.prove import smoke
from multiarch.tasks import tables
from tests.helpers import REPO

COMMIT = "0af8580c2f112b5fe0a256cd8136fec72f2984cc"
EXPECTED = smoke.Expected("v1.2.3", COMMIT, "this checkout")
# this repository's own expectation of hellorld, from its invoke.yaml
HELLORLD = yaml.safe_load((REPO / "invoke.yaml").read_text())["smoke"]["expect"]


def said(platform: str, version: str = "v1.2.3", commit: str = COMMIT) -> str:
    return f"hellorld {version} (commit {commit}) on {platform}\n"


def check(output: str, platform: str, expect: str = HELLORLD) -> str | None:
    target = parse_one(platform)
    return smoke.check_output(output, expect, smoke.values(target, EXPECTED))


def test_hellorld_exact_line_passes():
    assert check(said("linux/arm/v7"), "linux/arm/v7") is None
    # an index may say linux/arm64/v8; the binary says linux/arm64
    assert check(said("linux/arm64"), "linux/arm64/v8") is None


@pytest.mark.parametrize(
    "output",
    [
        said("linux/amd64"),  # another platform
        said("linux/arm/v6"),  # another variant
        said("linux/arm/v7", "dev"),  # another version
        said("linux/arm/v7", commit="unknown"),
        said("linux/arm/v7") * 2,  # not exactly one line
        "",
        "hellorld v1.2.3 on linux/arm/v7\n",
        said("linux/arm/v7").replace(".", "x"),  # the placeholders are escaped: "." is a dot
    ],
)
def test_hellorld_anything_else_fails(output):
    wrong = check(output, "linux/arm/v7")
    # what it printed, and the expectation with this platform's values filled in
    assert wrong.startswith("printed ") and "which does not match" in wrong
    assert f"v1.2.3 \\\\(commit {COMMIT}\\\\) on linux/arm/v7" in wrong


def test_placeholders():
    values = smoke.values(parse_one("linux/arm/v7"), EXPECTED)
    assert values == {
        "os": "linux",
        "arch": "arm",
        "variant": "v7",
        "platform": "linux/arm/v7",
        "version": "v1.2.3",
        "commit": COMMIT,
    }
    assert smoke.values(parse_one("linux/arm64"), None)["variant"] == ""
    assert (
        check("Hello, world! (linux/arm64)\n", "linux/arm64", r"^Hello, world! \({platform}\)$")
        is None
    )
    assert check("Hello, world! (linux/arm64)\n", "linux/arm/v7", r"\({platform}\)")
    assert (
        check(
            "Hello, world! (linux/arm64)\n", "linux/arm64", r"(?m)^Hello, world! \({os}/{arch}\)$"
        )
        is None
    )
    assert check("anything", "linux/arm64", "") is None  # no --expect: output not checked


def test_behaviour_from_flags():
    checks = smoke.behaviour('-addr ":8080" -v', "ok {arch}", "3", "8080/healthz")
    assert checks == smoke.Behaviour(
        ["-addr", ":8080", "-v"], "ok {arch}", 3, smoke.HttpProbe(8080, "/healthz")
    )
    assert not checks.needs_build and smoke.behaviour(expect="{commit}").needs_build
    assert smoke.parse_http("80") == smoke.HttpProbe(80, "/")
    assert checks.to_json() == {
        "args": ["-addr", ":8080", "-v"],
        "expect": "ok {arch}",
        "exit": 3,
        "http": "8080/healthz",
    }
    assert smoke.behaviour(expect=r"a{2,3}\{x\}").expect  # regex braces are not placeholders


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ({"args": "-msg 'unclosed"}, "--args (smoke.args) cannot be split"),
        ({"exit": "zero"}, "--exit (smoke.exit) must be a whole number, not 'zero'"),
        ({"exit": 256}, "--exit (smoke.exit) must be 0 to 255"),
        ({"expect": "(unclosed"}, "not a regular expression"),
        ({"expect": "on {goarch}"}, "unknown placeholder {goarch}"),
        ({"http": "http://x:80"}, "--http (smoke.http) must be PORT[/PATH]"),
        ({"http": "70000/x"}, "--http (smoke.http) must be PORT[/PATH]"),
    ],
)
def test_bad_checks_are_refused_before_anything_runs(flags, message):
    with pytest.raises(UserError) as raised:
        smoke.behaviour(**flags)
    assert message in str(raised.value)


def test_output_that_is_not_utf8():
    with pytest.raises(
        smoke._Failed, match=re.escape("its output is not UTF-8 text (byte 3: b'\\xff")
    ):
        smoke.decode(b"ok \xff\xfe\n", "its output")


def test_table_and_json_show_how_each_platform_ran():
    outcomes = [
        smoke.Outcome("linux/amd64", "sha256:" + "a" * 64, "native", True, "ok: ...", 0.5),
        smoke.Outcome(
            "linux/arm64", "sha256:" + "b" * 64, "emulated (qemu-aarch64)", False, "exit 3: [x]"
        ),
    ]
    console = Console(record=True, width=200)
    console.print(tables.smoke("localhost:5000/app:1", outcomes))
    text = console.export_text()
    assert "sha256:aaaaaaaaaaaa" in text and "0.50 s" in text
    assert "emulated (qemu-aarch64)" in text and "FAIL: exit 3: [x]" in text
    assert outcomes[1].to_json() == {
        "platform": "linux/arm64",
        "result": "fail",
        "detail": "exit 3: [x]",
        "runs": "emulated",
        "emulator": "qemu-aarch64",
        "seconds": None,
        "digest": "sha256:" + "b" * 64,
        "binary": None,
    }
    assert outcomes[0].to_json()["emulator"] is None


def _tested(ref: str, *results: tuple[str, str, bool]) -> smoke.Tested:
    outcomes = [smoke.Outcome(p, "sha256:" + "a" * 64, runs, ok, "x") for p, runs, ok in results]
    return smoke.Tested(ref, outcomes, {"image": ref})


def test_summary_of_one_image_is_its_document():
    one = _tested("r/a:e2e", ("linux/amd64", "native", True), ("linux/arm64", "emulated (q)", True))
    summary = smoke.Summary([one])
    assert summary.document == {"image": "r/a:e2e"}
    assert (summary.passed, summary.emulated, summary.failures) == (2, 1, [])


def test_summary_of_several_images():
    a = _tested("r/a:e2e", ("linux/amd64", "native", False), ("linux/arm64", "emulated", False))
    b = _tested("r/b:e2e", ("linux/amd64", "native", True))
    summary = smoke.Summary([a, b])
    assert summary.document == {"images": [{"image": "r/a:e2e"}, {"image": "r/b:e2e"}]}
    assert summary.failures == ["r/a:e2e failed on linux/amd64, linux/arm64"]
    assert (summary.passed, summary.emulated) == (3, 1)


def test_images_given_or_one_per_main_package(tmp_path):
    from multiarch.build.settings import BuildSettings

    (tmp_path / "go.mod").write_text("module example.com/hellorld\n\ngo 1.24\n")
    (tmp_path / "main.go").write_text("package main\n\nfunc main() {}\n")
    build = BuildSettings(registry="r:5000", context=str(tmp_path))
    assert smoke.images("", build) == ["r:5000/hellorld:e2e"]
    assert smoke.images("localhost:5000/y:1", build) == ["localhost:5000/y:1"]
    with pytest.raises(UserError, match="--image"):
        smoke.images("x//y", build)


def test_expected_says_what_it_expects():
    assert str(EXPECTED) == f"version v1.2.3, commit {COMMIT}"


def test_smoke_platforms_option():
    from multiarch.tasks import proof

    assert proof.platforms({"platforms": ""}) is None
    assert proof.platforms({"platforms": "linux/arm64"}) == [parse_one("linux/arm64")]
