"""The documentation cannot drift: docs/reference.md is every task's `invoke --help`,
regenerated here and compared."""

from __future__ import annotations

import difflib
import importlib.util

from tests.helpers import REPO


def load_generator():
    spec = importlib.util.spec_from_file_location("reference", REPO / "scripts" / "reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_reference_page_is_every_tasks_help():
    reference = load_generator()
    committed, made = reference.PAGE.read_text(), reference.render()
    diff = "".join(
        list(
            difflib.unified_diff(
                committed.splitlines(keepends=True),
                made.splitlines(keepends=True),
                "docs/reference.md (committed)",
                "invoke --help (now)",
            )
        )[:60]
    )
    assert committed == made, (
        f"docs/reference.md differs from the tasks' --help: run `{reference.COMMAND}` "
        f"and commit it\n{diff}"
    )


def test_the_reference_has_a_section_per_task_with_its_help():
    reference = load_generator()
    text = reference.PAGE.read_text()
    for name in ["build", "smoke", "registry.start", "manifest.create", "builder.create"]:
        assert f"\n## invoke {name}\n" in text
        assert f"Usage: inv[oke] [--core-opts] {name} " in text
    assert "Called as `invoke registry.start` (also `invoke registry`)." in text
