"""The smoke test's decisions: what a binary must print, and how the result reads."""

from __future__ import annotations

from rich.console import Console

from multiarch import smoke
from multiarch.platforms import parse_one

COMMIT = "0af8580c2f112b5fe0a256cd8136fec72f2984cc"
EXPECTED = smoke.Expected("v1.2.3", COMMIT, "this checkout")


def said(platform: str, version: str = "v1.2.3", commit: str = COMMIT) -> str:
    return f"hellorld {version} (commit {commit}) on {platform}\n"


def test_the_right_line_passes():
    assert smoke.check_output(said("linux/arm/v7"), parse_one("linux/arm/v7"), EXPECTED) == []


def test_implied_variant_in_the_index_matches_the_bare_arch():
    # an index may say linux/arm64/v8; the binary says linux/arm64
    assert smoke.check_output(said("linux/arm64"), parse_one("linux/arm64/v8"), EXPECTED) == []


def test_wrong_architecture_names_both():
    wrong = smoke.check_output(said("linux/amd64"), parse_one("linux/arm64"), EXPECTED)
    assert wrong == ["the binary is for linux/amd64, the index says linux/arm64"]


def test_wrong_variant():
    wrong = smoke.check_output(said("linux/arm/v6"), parse_one("linux/arm/v7"), EXPECTED)
    assert wrong == ["the binary is for linux/arm/v6, the index says linux/arm/v7"]


def test_version_and_commit_are_compared_and_their_source_named():
    output = said("linux/amd64", "dev", "unknown")
    wrong = smoke.check_output(output, parse_one("linux/amd64"), EXPECTED)
    assert wrong == [
        "version dev, expected v1.2.3 (this checkout)",
        f"commit unknown, expected {COMMIT} (this checkout)",
    ]


def test_anything_but_exactly_one_line_fails():
    target = parse_one("linux/amd64")
    for output in ["", "hello\n", said("linux/amd64") * 2, "hellorld v1.2.3 on linux/amd64\n"]:
        wrong = smoke.check_output(output, target, EXPECTED)
        assert len(wrong) == 1 and "not one line" in wrong[0], output


def test_table_shows_how_each_platform_ran():
    outcomes = [
        smoke.Outcome("linux/amd64", "sha256:" + "a" * 64, "native", True, "ok: ...", 0.5),
        smoke.Outcome(
            "linux/arm64", "sha256:" + "b" * 64, "emulated (qemu-aarch64)", False, "exit 3: [x]"
        ),
    ]
    console = Console(record=True, width=200)
    console.print(smoke.table("localhost:5000/app:1", outcomes))
    text = console.export_text()
    assert "sha256:aaaaaaaaaaaa" in text and "0.50 s" in text
    assert "emulated (qemu-aarch64)" in text and "FAIL: exit 3: [x]" in text
