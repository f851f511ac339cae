"""The CI workflow: valid for GitHub, clean under zizmor, and on the developer's path.

check-jsonschema (with the GitHub workflow schema it ships) and zizmor (offline) both
come from the dev extras and need no network.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO, need, sh

WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
CI = REPO / ".github" / "workflows" / "ci.yml"
USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>\S+)(?P<comment>.*)$", re.MULTILINE)


def tool(name: str) -> str:
    """A console script of the environment running the tests (the venv, or nox's)."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    need(found is not None, f"{name} (pip install -e '.[dev]')")
    return str(found)


def test_there_is_a_workflow():
    assert CI in WORKFLOWS


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_matches_the_github_workflow_schema(workflow):
    result = sh(
        tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(workflow),
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_finds_nothing_of_medium_severity_or_above():
    result = sh(
        tool("zizmor"), "--offline", "--min-severity", "medium", "--no-progress",
        *map(str, WORKFLOWS), check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_would_catch_an_unpinned_action(tmp_path):
    """The audit has teeth: the same workflow with a tag instead of a commit fails it."""
    text = CI.read_text()
    unpinned = re.sub(r"(actions/checkout)@[0-9a-f]{40}", r"\1@v4", text)
    assert unpinned != text
    (tmp_path / "ci.yml").write_text(unpinned)
    result = sh(
        tool("zizmor"), "--offline", "--min-severity", "medium", "--no-progress",
        str(tmp_path / "ci.yml"), check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert "unpinned-uses" in result.stdout


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_by_commit_and_names_its_release(workflow):
    uses = list(USES.finditer(workflow.read_text()))
    assert uses
    for m in uses:
        name, _, ref = m["ref"].partition("@")
        if name.startswith("./"):
            continue  # a local action is this commit's own code
        assert re.fullmatch(r"[0-9a-f]{40}", ref), f"{m['ref']} is not pinned by commit"
        assert re.search(r"#\s*v\d", m["comment"]), f"{m['ref']} does not name its release"


def test_ci_takes_the_developers_path():
    """The same nox sessions and invoke tasks as on a developer's machine, in order."""
    runs = re.findall(r"^\s*- run: (.+)$", CI.read_text(), re.MULTILINE)
    steps = [
        'pip install -e ".[dev]"',
        "nox -s lint tests",
        "invoke registry",
        "invoke build --tag e2e",
        "nox -s e2e -- --no-build --image localhost:5000/hellorld:e2e",
        "invoke bin",
        "pip install --require-hashes --no-deps -r .github/publish-requirements.txt",
        "pip install --no-deps --no-build-isolation -e .",
        'invoke release --registry ghcr.io --image "${GITHUB_REPOSITORY,,}"',
    ]
    assert [r for r in runs if r in steps] == steps
    assert "docker buildx build" not in CI.read_text(), "builds go through invoke"


def test_publishing_is_for_version_tags_only():
    text = CI.read_text()
    publish = text[text.index("\n  publish:") :]
    assert "if: startsWith(github.ref, 'refs/tags/v')" in publish
    assert "needs: test" in publish
    assert "packages: write" in publish
    assert "packages: write" not in text[: text.index("\n  publish:")]
    assert "permissions: {}" in text


def test_publish_installs_pinned_hashed_dependencies_before_logging_in():
    text = CI.read_text()
    publish = text[text.index("  publish:") :]
    assert publish.index("--require-hashes") < publish.index("docker/login-action")
    assert "setup-qemu-action" not in publish, "the release build runs nothing emulated"
    pinned = (REPO / ".github" / "publish-requirements.txt").read_text()
    pyproject = (REPO / "pyproject.toml").read_text()
    deps = re.search(r"^dependencies = \[(.*?)\]", pyproject, re.M | re.S)[1]
    for dep in re.findall(r'"([A-Za-z0-9_.-]+)', deps):
        line = rf"^{dep.lower()}==\S+ \\\n\s+--hash=sha256:[0-9a-f]{{64}}"
        assert re.search(line, pinned, re.M), dep
