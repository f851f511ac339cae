"""Invoke tasks for a Go repository's multi-platform images.

A repository's tasks.py needs only:

    from multiarch.tasks import namespace
    ns = namespace()
"""

from __future__ import annotations

import os
from pathlib import Path

from invoke import Collection
from invoke.exceptions import Exit

from ..config import DEFAULTS, check_files
from ..errors import UserError
from . import manifest, registry
from .build import build
from .doctor import doctor
from .release import bin_, clean, release
from .smoke import smoke

__all__ = ["DEFAULTS", "namespace"]


def namespace(root: Path | None = None) -> Collection:
    """The tasks, for the Go module at `root` (default: the current directory).

    Invoke reads the project's invoke.yaml and INVOKE_* variables right after this, and
    a malformed one would end in its traceback: they are checked here first."""
    root = root or Path.cwd()
    try:
        check_files(root, os.environ)
    except UserError as e:
        raise Exit(f"error: {e}", code=1) from None
    ns = Collection()
    ns.add_collection(registry.collection)
    ns.add_task(build)
    ns.add_task(smoke)
    ns.add_task(doctor)
    ns.add_task(bin_)
    ns.add_collection(manifest.collection)
    ns.add_task(release)
    ns.add_task(clean)
    ns.configure(DEFAULTS)
    ns.configure({"build": {"context": str(root)}})
    return ns
