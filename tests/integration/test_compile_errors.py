"""A compile error ends every task that compiles in one line: the platforms and the
compiler's first error, the same output for several platforms named once."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.gomodules import hellorld_repo, in_repo
from tests.helpers import REPO, sh

pytestmark = pytest.mark.integration

PLATFORMS = "linux/amd64,linux/arm64"
# BuildKit cancels the other platforms' steps when one fails first: a full build names
# those that got as far as failing; a fast build waits for every platform
FAILED = "(linux/amd64 and linux/arm64|linux/amd64|linux/arm64)"
LAST_LINE = (
    r"^error: go build failed for {}: "
    r"\./main\.go:\d+:\d+: undefined: nope \(the compiler's output is above\)$"
)


def break_it(repo: Path) -> None:
    main = repo / "main.go"
    main.write_text(
        main.read_text().replace('fmt.Printf("hellorld', 'nope(); fmt.Printf("hellorld')
    )


def last_line(result) -> str:
    assert result.returncode == 1, result.stderr
    return result.stderr.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def broken(tmp_path_factory, module_registry) -> Path:
    """hellorld with its tests, and a call of an undefined function in main."""
    repo = hellorld_repo(tmp_path_factory.mktemp("compile") / "hellorld")
    shutil.copy2(REPO / "main_test.go", repo / "main_test.go")
    break_it(repo)
    return repo


@pytest.mark.parametrize("task", [["build", "--no-push"], ["bin"], ["test"]], ids=lambda t: t[0])
def test_a_compile_error_is_one_line(broken, module_registry, task):
    result = in_repo(module_registry, broken, *task, "--platforms", PLATFORMS)
    assert re.match(LAST_LINE.format(FAILED), last_line(result)), result.stderr[-2000:]


def test_a_fast_build_names_the_platforms_and_shows_the_output_once(module_registry, tmp_path):
    repo = hellorld_repo(tmp_path / "hellorld")
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    args = ("build", "--fast", "--tag", "dev", "--platforms", PLATFORMS)
    try:
        full = in_repo(module_registry, repo, *args, env=env)  # recorded for the fast one
        assert full.returncode == 0, full.stderr
        break_it(repo)
        fast = in_repo(module_registry, repo, *args, env=env)
        assert "fast build of hellorld" in fast.stderr
        both = LAST_LINE.format("linux/amd64 and linux/arm64")
        assert re.match(both, last_line(fast)), fast.stderr[-2000:]
        assert fast.stderr.count("undefined: nope") == 2  # the output once, and the line
    finally:
        cleaned = in_repo(module_registry, repo, "clean", env=env)
        assert cleaned.returncode == 0, cleaned.stderr
        sh("docker", "image", "rm", f"{module_registry['host']}/hellorld:dev", check=False)
