"""Reading the project's own text files: a file that cannot be read, or is not UTF-8, is
a mistake the user can fix, said in one line."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from .errors import UserError


def read_text(path: Path, what: str) -> str:
    """A UTF-8 text file's contents; UserError naming it when it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise UserError(
            f"{what} {path} is not UTF-8 text (byte {e.start})", "save it as UTF-8"
        ) from None
    except OSError as e:
        raise UserError(f"cannot read {what} {path}: {e.strerror}", "check the file") from None


def output_dir(path: Path, module: Path) -> Path:
    """A directory a task writes or replaces files in: inside the module, not the module
    itself, and writable by this user. UserError before anything is written otherwise."""
    path, module = path.resolve(), module.resolve()
    if module not in path.parents:
        raise UserError(
            f"refusing to write to {path}: output goes to a directory inside the module ({module})",
            "set --dist (dist.dir) to a directory of its own in the module, such as dist",
        )
    existing = next(p for p in (path, *path.parents) if p.exists())
    if not existing.is_dir():
        raise UserError(f"{existing} is not a directory", "remove it, or choose another --dist")
    every = os.R_OK | os.W_OK | os.X_OK
    # what gets replaced inside it (a platform's directory) must be ours to remove, too
    blocked = existing if not os.access(existing, every) else None
    if blocked is None and existing == path:
        blocked = next((p for p in path.iterdir() if p.is_dir() and not os.access(p, every)), None)
    if blocked is not None:
        raise UserError(
            f"{blocked} cannot be written by this user",
            f"fix its owner (sudo chown -R $USER {path}), or choose another --dist",
        )
    return path


def sha256(path: Path) -> str:
    """A file's SHA-256, in hex, read a MiB at a time."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
