"""The main packages of a Go module that are built, and what `go build` names them.

`build.main` is a comma-separated list of package directories relative to the module
("." by default, "./cmd/api,./cmd/worker" for a cmd/ layout). Each one becomes a binary
and an image, both named as `go build` names the binary: the last element of the
package's import path, where a major-version element (/v2, /v3, ...) is skipped, as in
cmd/go's DefaultExecName.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import UserError
from .gomod import parse_mod

_PACKAGE_CLAUSE = re.compile(r"^package[ \t]+(\w+)", re.M)
HINT = "set build.main (--main) to main package directories of the module, e.g. ./cmd/api"


@dataclass(frozen=True)
class Main:
    package: str  # as the go command takes it: "." or "./cmd/api"
    import_path: str  # example.com/tool/v2/cmd/api
    binary: str  # api (the name without .exe)


def binary_name(import_path: str) -> str:
    """What `go build` names the binary of a package: `tool` for example.com/tool/v2."""
    parent, _, elem = import_path.rstrip("/").rpartition("/")
    if parent and _is_major_version(elem):
        elem = parent.rpartition("/")[2]
    return elem


def _is_major_version(elem: str) -> bool:
    """v2, v3, ... (not v0, v1, v01): cmd/go's isVersionElement."""
    return re.fullmatch(r"v[1-9][0-9]*", elem) is not None and elem != "v1"


def parse(setting: str, module_dir: Path, module_path: str) -> list[Main]:
    """The main packages a setting names, each checked: inside the module, not in another
    module, a package named main. UserError for the first that is not."""
    entries = [e.strip() for e in setting.split(",")]
    if not any(entries) or not all(entries):
        raise UserError(f"build.main {setting!r} names an empty package", HINT)
    mains = [_one(entry, module_dir, module_path) for entry in entries]
    seen: dict[str, str] = {}
    for m in mains:
        if m.binary in seen:
            raise UserError(
                f"{seen[m.binary]} and {m.package} would both build a binary named {m.binary}",
                "build them in separate invocations, with --image for each",
            )
        seen[m.binary] = m.package
    return mains


def whole(module_path: str) -> Main:
    """The module's root package, unchecked: for builds of no particular command."""
    return Main(".", module_path, binary_name(module_path))


def of_module(setting: str, module_dir: Path) -> list[Main]:
    """The main packages a setting names in the module at module_dir (its go.mod read)."""
    return parse(setting, module_dir, parse_mod(module_dir / "go.mod").module)


def _one(entry: str, module_dir: Path, module_path: str) -> Main:
    if os.path.isabs(entry) or entry.startswith("~"):
        raise UserError(f"main package {entry}: not a path inside the module", HINT)
    rel = Path(os.path.normpath(entry)).as_posix()
    if rel == ".." or rel.startswith("../"):
        raise UserError(f"main package {entry} is outside the module {module_dir}", HINT)
    where = module_dir / rel
    if not where.is_dir():
        raise UserError(f"main package {entry}: no directory {where}", HINT)
    if rel != "." and (where / "go.mod").is_file():
        raise UserError(
            f"main package {entry} is a module of its own ({where / 'go.mod'})",
            f"run the tasks in {where}, or set build.context to it",
        )
    names = _package_names(where)
    if not names:
        raise UserError(f"main package {entry}: no Go files in {where}", HINT)
    if names != {"main"}:
        raise UserError(f"{entry} is package {', '.join(sorted(names))}, not main", HINT)
    package = "." if rel == "." else f"./{rel}"
    import_path = module_path if rel == "." else f"{module_path}/{rel}"
    return Main(package, import_path, binary_name(import_path))


def _package_names(directory: Path) -> set[str]:
    """The package clauses of the non-test Go files in a directory."""
    names = set()
    for f in directory.glob("*.go"):
        if f.name.endswith("_test.go") or f.name.startswith((".", "_")):
            continue
        m = _PACKAGE_CLAUSE.search(_without_comments(f.read_text(errors="replace")))
        if m:
            names.add(m[1])
    return names


def _without_comments(text: str) -> str:
    """Go source with /* */ and // comments blanked: a package clause is never in one."""
    return re.sub(r"/\*.*?\*/|//[^\n]*", "", text, flags=re.S)
