"""The documentation cannot drift: docs/reference.md is every task's `invoke --help`,
regenerated here and compared; every relative link in README.md and docs/ leads to a file
and heading that exist; every page is linked from an index; the Quick start is what CI runs.
(The configuration block is checked in test_config.py.)"""

from __future__ import annotations

import difflib
import importlib.util
import re
from collections.abc import Iterator
from pathlib import Path

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


LINK = re.compile(r"\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.S | re.M)


def pages() -> list[Path]:
    return [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]


def anchors(page: Path) -> Iterator[str]:
    """The anchors GitHub gives the page's headings."""
    seen: dict[str, int] = {}
    for heading in re.findall(r"^#+ (.+)$", FENCE.sub("", page.read_text()), re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        yield slug if n == 0 else f"{slug}-{n}"


def test_every_relative_link_leads_to_a_file_and_heading():
    broken = []
    for page in pages():
        for target in LINK.findall(FENCE.sub("", page.read_text())):
            if re.match(r"[a-z]+:", target):  # https:, mailto:
                continue
            path, _, anchor = target.partition("#")
            file = (page.parent / path).resolve() if path else page
            where = f"{page.relative_to(REPO)}: ({target})"
            if not file.exists():
                broken.append(f"{where}: no {path}")
            elif anchor and file.suffix == ".md" and anchor not in set(anchors(file)):
                broken.append(f"{where}: no heading #{anchor} in {file.relative_to(REPO)}")
    assert not broken, "broken links:\n" + "\n".join(broken)


def test_every_docs_page_is_linked_from_an_index():
    indexes = [
        REPO / "README.md",
        REPO / "docs" / "README.md",
        REPO / "docs" / "tasks" / "README.md",
    ]
    linked = {
        (index.parent / target.partition("#")[0]).resolve()
        for index in indexes
        for target in LINK.findall(index.read_text())
    }
    for page in pages()[1:]:
        assert page in linked, f"{page.relative_to(REPO)} is linked from none of the indexes"


def test_the_quick_start_is_the_commands_ci_runs():
    readme = (REPO / "README.md").read_text()
    quick = "```sh\nbash scripts/provision.sh && .venv/bin/invoke build\n.venv/bin/nox\n```\n"
    assert quick in readme.split("## Quick start", 1)[1]
    assert "\n  .venv/bin/nox\n" in (REPO / ".ci" / "run").read_text()
