"""Go modules and git repositories on disk, for the tests that build them."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tests.helpers import REPO, host_go, invoke, need, sh

GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@localhost"]


def module(where: Path, path: str, files: dict[str, str] | None = None, requires=(), go=True):
    """A Go module on disk: go.mod (requiring `requires` at v0.0.0) plus `files`."""
    where.mkdir(parents=True, exist_ok=True)
    req = "".join(f"require {r} v0.0.0\n" for r in requires)
    (where / "go.mod").write_text(f"module {path}\n\ngo 1.24\n\n{req}" if go else "")
    for name, text in (files or {}).items():
        (where / name).write_text(text)
    return where


def library(where: Path, path: str, message: str) -> Path:
    """A package whose Message is `message`."""
    name = path.rsplit("/", 1)[-1]
    return module(where, path, {"lib.go": f'package {name}\n\nconst Message = "{message}"\n'})


def app(where: Path, deps: list[str], replace: str = "") -> Path:
    """hellorld-like: prints its platform and each dependency's Message, one line."""
    imports = "".join(f'\t{chr(97 + i)} "{d}"\n' for i, d in enumerate(deps))
    parts = ", ".join(f"{chr(97 + i)}.Message" for i in range(len(deps)))
    main = (
        'package main\n\nimport (\n\t"fmt"\n\t"runtime"\n'
        f"{imports})\n\nfunc main() {{\n"
        f'\tfmt.Println(runtime.GOOS+"/"+runtime.GOARCH, []string{{{parts}}})\n}}\n'
    )
    # named hellorld: the Dockerfile's entrypoint is /hellorld
    mod = module(where, "example.com/hellorld", {"main.go": main}, requires=deps)
    if replace:
        with (mod / "go.mod").open("a") as f:
            f.write(f"\n{replace}\n")
    for name in ("Dockerfile", ".dockerignore"):
        (mod / name).write_text((REPO / name).read_text())
    return mod


def git_commit(where: Path) -> str:
    sh("git", "init", "-q", cwd=where)
    sh(*GIT, "add", ".", cwd=where)
    sh(*GIT, "commit", "-qm", "init", cwd=where)
    return sh("git", "rev-parse", "HEAD", cwd=where).stdout.strip()


MODULE_FILES = ("go.mod", "main.go", "Dockerfile", ".dockerignore", ".gitignore")


def hellorld_repo(where: Path, *tags: str) -> Path:
    """hellorld's module in a git repository of its own, committed, with `tags` at HEAD."""
    where.mkdir(parents=True)
    for name in MODULE_FILES:
        shutil.copy2(REPO / name, where / name)
    sh("git", "init", "-q", cwd=where)
    sh(*GIT, "add", ".", cwd=where)
    sh(*GIT, "commit", "-qm", "hellorld", cwd=where)
    for tag in tags:
        sh("git", "tag", tag, cwd=where)
    return where


def commit_of(where: Path) -> str:
    return sh("git", "rev-parse", "HEAD", cwd=where).stdout.strip()


def in_repo(reg, where: Path, *args: str, env: dict | None = None):
    """Run invoke on the module at `where`, with the registry `reg` of the test's own."""
    return invoke(*args, env={**reg["env"], "INVOKE_BUILD_CONTEXT": str(where), **(env or {})})


# A Go repository that uses the tasks: tasks.py as docs/other-repositories.md shows it.
TASKS_PY = """from pathlib import Path

from multiarch.tasks import namespace

ns = namespace(root=Path(__file__).parent)
"""


def program(name_expr: str = "filepath.Base(os.Args[0])", imports=(), says: str = '""') -> str:
    """A main package printing "NAME VERSION (commit COMMIT) on OS/ARCH: SAYS", as hellorld
    does (GOARM left out: the platform's arch is enough here)."""
    more = "".join(f'\t"{i}"\n' for i in imports)
    return (
        'package main\n\nimport (\n\t"fmt"\n\t"os"\n\t"path/filepath"\n\t"runtime"\n'
        f'{more})\n\nvar (\n\tversion = "dev"\n\tcommit  = "unknown"\n)\n\n'
        "func main() {\n"
        f'\tfmt.Printf("%s %s (commit %s) on %s/%s: %s\\n", {name_expr}, version, commit,\n'
        f"\t\truntime.GOOS, runtime.GOARCH, {says})\n}}\n"
    )


def go_repo(where: Path, files: dict[str, str], *tags: str) -> Path:
    """A git repository of Go files (paths relative to where) and the three-line tasks.py,
    committed, with `tags` at HEAD; no Dockerfile, no .dockerignore."""
    for name, text in {**files, "tasks.py": TASKS_PY}.items():
        (where / name).parent.mkdir(parents=True, exist_ok=True)
        (where / name).write_text(text)
    git_commit(where)
    for tag in tags:
        sh("git", "tag", tag, cwd=where)
    return where


def program_image(where: Path, ref: str, main: str) -> str:
    """A linux/amd64 image of one Go program (`main`, the text of main.go), built with the
    host's go, labelled as `invoke build` labels (version v0, commit 0), pushed to `ref`."""
    go = host_go()
    need(go is not None, "a host Go")
    where.mkdir(parents=True)
    (where / "go.mod").write_text("module program\n\ngo 1.22\n")
    (where / "main.go").write_text(main)
    env = {**os.environ, "CGO_ENABLED": "0", "GOOS": "linux", "GOARCH": "amd64"}
    sh(go, "build", "-o", "program", ".", cwd=where, env=env)
    (where / "Dockerfile").write_text(
        'FROM scratch\nCOPY program /program\nENTRYPOINT ["/program"]\n'
        "LABEL org.opencontainers.image.version=v0 org.opencontainers.image.revision=0\n"
    )
    sh("docker", "buildx", "build", "--platform", "linux/amd64", "--provenance=false",
       "--push", "-t", ref, str(where))  # fmt: skip
    return ref


def installed_invoke(bin_dir: Path, cwd: Path, reg: dict, *args: str, env: dict | None = None):
    """`invoke ARGS` from the installed package (the wheel's venv, bin_dir), in cwd,
    pushing to the test's registry; none of this shell's INVOKE_* settings."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("INVOKE_")}
    clean["PATH"] = f"{bin_dir}:{clean['PATH']}"
    return subprocess.run(
        [str(bin_dir / "invoke"), *args],
        cwd=cwd,
        env={**clean, **reg["env"], **(env or {})},
        text=True,
        capture_output=True,
        timeout=900,
    )
