"""The package's layers: every import in multiarch/ points down, never across or around.

A module may import from its own subpackage and from a subpackage of a lower rank. Two
subpackages of the same rank do not see each other (golang and dockerfile are two sides
of a build, fast and prove two users of one), and no chain of imports comes back to
where it started. docs/development.md draws the same table.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "multiarch"

# lowest first; a rank may import from the ranks before it
LAYERS = [
    {"core"},  # errors, the command runner, files, platforms, the settings table
    {"oci"},  # references, the registry client, layers, image files, binaries, SBOMs
    {"golang", "dockerfile"},  # the Go module side; the Dockerfile side
    {"host"},  # the Docker daemon, its builders, emulation, the local registry
    {"build"},  # a build's plan and run, binaries, manifests, releases, provenance
    {"fast", "prove"},  # the fast path and `invoke dev`; smoke, gotest, verify, doctor
    {"tasks"},  # the Invoke tasks: options in, one call, output out
]
RANK = {name: i for i, names in enumerate(LAYERS) for name in names}
TOP_LEVEL_MODULES = 8  # at most this many modules directly in multiarch/


def modules(root: Path) -> dict[str, Path]:
    """Every module under the package at root, by dotted name (a package by its own)."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = [root.name, *path.relative_to(root).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The package's modules that the module imports, anywhere in it (a function body
    or an `if TYPE_CHECKING:` block counts too)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            # `from .. import build`: a module if there is one by that name
            targets = [
                f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names
            ]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def layer(name: str) -> str | None:
    """The subpackage (or top-level module) a module is in; None for the package itself."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else None


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph, as the modules along it, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def problems(root: Path) -> list[str]:
    """What breaks the layering of the package at root, one line each."""
    found = modules(root)
    graph = {name: imports(name, path, set(found)) for name, path in found.items()}
    wrong = []
    for name, targets in sorted(graph.items()):
        mine = layer(name)
        if mine is not None and mine not in RANK:
            wrong.append(f"{name}: in no layer (add {mine} to LAYERS)")
            continue
        for target in sorted(targets):
            theirs = layer(target)
            if mine is None or theirs is None or theirs == mine or theirs not in RANK:
                continue
            if RANK[theirs] > RANK[mine]:
                wrong.append(f"{name} imports {target}: {mine} is below {theirs}")
            elif RANK[theirs] == RANK[mine]:
                wrong.append(f"{name} imports {target}: {mine} and {theirs} do not see each other")
    if loop := cycle(graph):
        wrong.append("import cycle: " + " -> ".join(loop))
    return wrong


def test_imports_point_down():
    assert problems(PACKAGE) == []


def test_every_layer_is_there():
    assert {layer(name) for name in modules(PACKAGE)} - {None} == set(RANK)


def test_few_modules_at_the_top():
    assert len(list(PACKAGE.glob("*.py"))) <= TOP_LEVEL_MODULES


def test_the_task_layer_is_thin():
    """A task reads its options, makes one call and draws the result: no module of
    tasks/ holds more than 100 lines; what would make it longer belongs below."""
    long = {
        path.name: n
        for path in sorted((PACKAGE / "tasks").glob("*.py"))
        if (n := len(path.read_text().splitlines())) > 100
    }
    assert not long, f"task modules over 100 lines: {long}"


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / "multiarch" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for directory in [root / "multiarch", *(root / "multiarch").rglob("*")]:
        if directory.is_dir() and not (directory / "__init__.py").exists():
            (directory / "__init__.py").write_text("")
    return root / "multiarch"


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (  # relative, from a function body
            {"core/low.py": "def f():\n    from ..build import plan\n", "build/plan.py": ""},
            "multiarch.core.low imports multiarch.build.plan: core is below build",
        ),
        (  # absolute, a name from the module
            {"oci/low.py": "from multiarch.host.docker import run\n", "host/docker.py": ""},
            "multiarch.oci.low imports multiarch.host.docker: oci is below host",
        ),
        (
            {"golang/a.py": "from ..dockerfile import b\n", "dockerfile/b.py": ""},
            "multiarch.golang.a imports multiarch.dockerfile.b:"
            " golang and dockerfile do not see each other",
        ),
        (
            {
                "fast/a.py": "from . import b\n",
                "fast/b.py": "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n    from .a import A\n",
            },
            "import cycle: multiarch.fast.a -> multiarch.fast.b -> multiarch.fast.a",
        ),
        (
            {"misc/a.py": ""},
            "multiarch.misc.a: in no layer (add misc to LAYERS)",
        ),
    ],
)
def test_the_checker_reports(tmp_path, files, expected):
    assert expected in problems(write(tmp_path, files))


def test_the_checker_accepts_downward_imports(tmp_path):
    root = write(
        tmp_path,
        {
            "core/errors.py": "",
            "golang/a.py": "from ..core.errors import UserError\nfrom . import b\n",
            "golang/b.py": "from multiarch.core import errors\n",
            "tasks/t.py": "from ..golang import a\nfrom .. import core\n",
        },
    )
    assert problems(root) == []
