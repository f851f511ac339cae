"""Flags win over invoke.yaml, in both directions: what `invoke --dry build` would run."""

from __future__ import annotations

import shutil

import pytest

from multiarch.build.buildx import PUSH_OUTPUT
from tests.helpers import REPO, invoke

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("configured", "flags", "present", "absent"),
    [
        ("build:\n  push: false\n", ["--push"], [PUSH_OUTPUT], []),
        ("build:\n  push: true\n", ["--no-push"], [], [PUSH_OUTPUT]),
        ("build:\n  no_cache: true\n", ["--cache"], [], ["--no-cache"]),
        ("build:\n  no_cache: false\n", ["--no-cache"], ["--no-cache"], []),
        ("build:\n  load: true\n  push: false\n", ["--no-load"], [], ["--load"]),
        ("build:\n  no_cache: true\n", [], ["--no-cache"], []),  # no flag: the file holds
    ],
)
def test_flags_win_both_ways(docker_daemon, module_registry, tmp_path, configured, flags,
                             present, absent):  # fmt: skip
    for name in ("tasks.py", "go.mod", "main.go", "Dockerfile", ".dockerignore"):
        shutil.copy2(REPO / name, tmp_path / name)
    (tmp_path / "invoke.yaml").write_text(configured)
    result = invoke("--dry", "build", "--platforms", "linux/amd64", *flags,
                    env=module_registry["env"], cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    command = next(line for line in result.stderr.splitlines() if "docker buildx build" in line)
    words = command.split()
    for flag in present:
        assert flag in words, command
    for flag in absent:
        assert flag not in words, command
