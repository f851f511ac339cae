"""How a Go module and its go.work workspace become buildx named build contexts.

`go build` runs inside the image, so everything the go command reads from disk must be
there at the same relative places as on the host: every module the workspace uses, every
local `replace` target, and go.work itself. This module finds those directories the way
the go command does, reading go.mod and go.work with their grammar (gomod.py: no Go
toolchain needed on the host), places them under their
deepest common directory, and says how to copy each one into the image as a named
build context.

Paths are handled lexically, as the go command joins them, not through symlinks: inside
the image go resolves `use ../lib` against the copied go.work, so `../lib` must be where
the copy lands.
"""

import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import UserError
from .gomod import WORK_HINT, ModFile, WorkFile, go_minor, newest_go, parse_mod, parse_work

GOWORK_CONTEXT = "gowork"
"""The named context holding only go.work and its sum file, not the directory around it."""

_WORKSPACE_STAGE = re.compile(
    r"^[ \t]*FROM[ \t]+scratch[ \t]+AS[ \t]+workspace[ \t]*\r?$", re.I | re.M
)


def find_work(module_dir: Path, environ: Mapping[str, str]) -> Path | None:
    """The go.work file the go command would use from module_dir, or None for module mode.

    Mirrors cmd/go's FindGoWork: GOWORK=off disables workspaces, unset/empty/auto searches
    upward for go.work, anything else must be an absolute path to the file (of any name).
    """
    gowork = environ.get("GOWORK", "")
    if gowork == "off":
        return None
    if gowork in ("", "auto"):
        start = Path(os.path.abspath(module_dir))
        return next(
            (d / "go.work" for d in (start, *start.parents) if (d / "go.work").is_file()), None
        )
    if not os.path.isabs(gowork):
        raise UserError(
            f"invalid GOWORK: not an absolute path: {gowork}",
            "set GOWORK to the absolute path of a go.work file, or to off",
        )
    path = Path(os.path.normpath(gowork))
    if not path.is_file():
        raise UserError(
            f"GOWORK={gowork}: no such file", "point GOWORK at a go.work file, or unset it"
        )
    return path


@dataclass(frozen=True)
class Module:
    """A module directory the build needs, on the host and relative to Layout.root."""

    dir: Path
    rel: str
    path: str
    context: str = ""
    """Its named build context; '' for the main module, which is the main build context."""


@dataclass(frozen=True)
class Layout:
    """Where the main module, the other directories it needs and go.work go under /src."""

    root: Path
    module: Module
    others: list[Module]
    work: Path | None
    # the newest Go the go.mod and go.work files ask for (go and toolchain lines), as
    # "1.26.3"; None when none says
    go_version: str | None = None

    @property
    def vendored(self) -> bool:
        """Whether the main module's dependencies are vendored (and go uses vendor/: not in
        a workspace, whose vendor directory is go.work's)."""
        return self.work is None and (self.module.dir / "vendor" / "modules.txt").is_file()

    @property
    def go_minor(self) -> str | None:
        """The Go release line of go_version ("1.26"): the golang image's tag to build on."""
        return go_minor(self.go_version) if self.go_version else None

    @property
    def modules(self) -> list[Module]:
        """The main module, then the others."""
        return [self.module, *self.others]

    def build_args(self) -> dict[str, str]:
        """MODULE_DIR (where to build, under /src) and GOWORK (the copied go.work, or off)."""
        gowork = "off" if self.work is None else f"/src/{self._rel(self.work)}"
        return {"MODULE_DIR": self.module.rel, "GOWORK": gowork}

    def stage_lines(self) -> list[str]:
        """The COPY lines for the `workspace` stage, whose whole content lands in /src/."""
        lines = [_copy(m.context, m.rel) for m in self.others]
        if self.work is not None:
            lines.append(_copy(GOWORK_CONTEXT, self._rel(self.work.parent)))
        return lines

    def insert_stage(self, dockerfile_text: str) -> str:
        """dockerfile_text with stage_lines() right after its `FROM scratch AS workspace` line."""
        lines = self.stage_lines()
        if not lines:
            return dockerfile_text
        m = _WORKSPACE_STAGE.search(dockerfile_text)
        if m is None:
            raise UserError(
                "the Dockerfile has no `FROM scratch AS workspace` line to copy modules into",
                "add that stage and COPY --from=workspace / /src/ in the build stage",
            )
        head, tail = dockerfile_text[: m.end()], dockerfile_text[m.end() :]
        return head + "\n" + "\n".join(lines) + tail

    @contextmanager
    def contexts(self) -> Iterator[dict[str, Path]]:
        """The named contexts for `--build-context NAME=DIR`, valid inside the `with`.

        go.work travels in a temporary directory of its own (with its sum file, named as
        the go command names it) so that its directory is not sent whole; the directory
        is removed on the way out, however the build ends.
        """
        named = {m.context: m.dir for m in self.others}
        if self.work is None:
            yield named
            return
        with tempfile.TemporaryDirectory(prefix="multiarch-gowork-") as tmp:
            for path in self.work_files():
                shutil.copy2(path, tmp)
            yield {**named, GOWORK_CONTEXT: Path(tmp)}

    def work_files(self) -> list[Path]:
        """go.work and its sum file (named as the go command names it), those that exist."""
        if self.work is None:
            return []
        both = [self.work, self.work.with_name(self.work.name + ".sum")]
        return [path for path in both if path.is_file()]

    def _rel(self, path: Path) -> str:
        return Path(os.path.relpath(path, self.root)).as_posix()


def resolve(module_dir: Path, environ: Mapping[str, str]) -> Layout:
    """Lay out the module in module_dir with what the go command will need to build it.

    Without a workspace that is the module and the local replacements in its go.mod. With
    one it is every `use` directory, go.work's local replacements, and each used module's
    local replacements (not those of replacement modules: the go command ignores them).
    """
    module_dir = Path(os.path.abspath(module_dir))
    if not (module_dir / "go.mod").is_file():
        raise UserError(f"{module_dir} has no go.mod", "pass the directory of a Go module")
    work = find_work(module_dir, environ)
    if work is None:
        mains = {module_dir: parse_mod(module_dir / "go.mod")}
        main_dir, work_replace, asked = module_dir, [], []
    else:
        work_file = parse_work(work)
        asked = [work_file.go, work_file.toolchain]
        mains = _used_modules(work, work_file)
        main_dir = next((d for d in mains if os.path.samefile(d, module_dir)), None)
        if main_dir is None:
            rel = os.path.relpath(module_dir, work.parent)
            raise UserError(
                f"{module_dir} is not one of the modules used by {work}",
                f"run `go work use {rel}` in {work.parent}, or set GOWORK=off to build it alone",
            )
        work_replace = [(work, r) for r in work_file.replace]

    # go.work's replacements override the used modules' ones for the same module (version).
    overridden = {(r.old_path, r.old_version) for _, r in work_replace}
    replaces = work_replace + [
        (d / "go.mod", r)
        for d, mod in mains.items()
        for r in mod.replace
        if (r.old_path, "") not in overridden and (r.old_path, r.old_version) not in overridden
    ]
    needed = {d: mod.module for d, mod in mains.items()}
    for file, r in replaces:
        if r.is_local:
            hint = WORK_HINT if file == work else "fix or remove that line of go.mod"
            target = _local_dir(file, f"replace {r.old_path} => {r.new_path}", r.new_path, hint)
            needed.setdefault(target, parse_mod(target / "go.mod", main=False).module)

    others = [d for d in needed if d != main_dir and main_dir not in d.parents]
    anchors = [main_dir, *others] + ([work.parent] if work is not None else [])
    root = Path(os.path.commonpath(anchors))

    def rel(d: Path) -> str:
        return Path(os.path.relpath(d, root)).as_posix()

    others.sort(key=rel)
    asked += [line for mod in mains.values() for line in (mod.go, mod.toolchain)]
    return Layout(
        root=root,
        module=Module(main_dir, rel(main_dir), needed[main_dir]),
        others=[Module(d, rel(d), needed[d], _context_name(n, d)) for n, d in enumerate(others, 1)],
        work=work,
        go_version=newest_go(asked),
    )


def _used_modules(work: Path, work_file: WorkFile) -> dict[Path, ModFile]:
    """Each `use` directory, checked as cmd/go's LoadWorkFile does, with its go.mod."""
    mains: dict[Path, ModFile] = {}
    for use in work_file.use:
        d = _local_dir(work, f"use {use.disk_path}", use.disk_path, WORK_HINT)
        if d in mains:
            raise UserError(f"{work}: use {use.disk_path}: {d} appears twice", WORK_HINT)
        mains[d] = parse_mod(d / "go.mod")
    return mains


def _local_dir(file: Path, directive: str, disk_path: str, hint: str) -> Path:
    """The module directory a use/replace line of file names, which must hold a go.mod."""
    where = f"{file}: {directive}"
    if os.path.isabs(disk_path):
        raise UserError(
            f"{where}: an absolute path cannot be reproduced inside the image",
            f"make it relative to {file.parent}",
        )
    d = Path(os.path.normpath(file.parent / disk_path))
    if not d.is_dir():
        raise UserError(f"{where}: directory {d} does not exist", hint)
    if not (d / "go.mod").is_file():
        raise UserError(f"{where}: {d} has no go.mod", hint)
    return d


def _context_name(n: int, d: Path) -> str:
    """A unique build context name that says which directory it is: gomod-<n>-<dir name>.

    Only [a-z0-9] runs joined by '-', since buildkit parses the name as an image reference.
    """
    slug = re.sub(r"[^a-z0-9]+", "-", d.name.lower()).strip("-")[:40].strip("-")
    return f"gomod-{n}-{slug}" if slug else f"gomod-{n}"


def _copy(context: str, rel: str) -> str:
    """A COPY of a whole named context to /<rel>/ of the workspace stage.

    The Dockerfile expands `$`, backslashes and quotes in COPY paths, so they are escaped,
    and a path with spaces needs the JSON form.
    """
    dest = re.sub(r"""([\\$'"])""", r"\\\1", "/" if rel == "." else f"/{rel}/")
    if any(c.isspace() for c in dest):
        return f"COPY --from={context} {json.dumps(['/', dest])}"
    return f"COPY --from={context} / {dest}"
