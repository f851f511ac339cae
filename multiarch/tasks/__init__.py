"""Invoke tasks for a Go repository's multi-platform images.

A repository's tasks.py needs only:

    from pathlib import Path

    from multiarch.tasks import namespace

    ns = namespace(root=Path(__file__).parent)

The tasks then work on the Go module at that root, or on a nested module (sub/dir/go.mod)
when invoke runs in or below its directory.
"""

# Importing the tasks makes ~10,000 objects that live as long as the process. Left on, the
# cyclic garbage collector walks them over and over while they are made, and again at exit:
# about 0.09 s of CPU per `invoke` run here (docs/speed.md). It pauses for these imports, and
# what they made is then frozen out of its sight.
import gc

gc.disable()

import os
from pathlib import Path

from invoke import Collection
from invoke.exceptions import Exit

from ..core.config import DEFAULTS, check_files
from ..core.errors import UserError
from . import builder, manifest, registry
from .bin import bin_
from .build import build
from .dev import dev
from .dockerfile import write as dockerfile
from .doctor import doctor
from .gotest import gotest_
from .release import clean, release
from .sign import sbom_, sign
from .smoke import smoke
from .verify import verify

__all__ = ["DEFAULTS", "namespace"]

gc.freeze()
gc.enable()


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
    ns.add_collection(builder.collection)
    ns.add_task(build)
    ns.add_task(dev)
    ns.add_task(dockerfile)
    ns.add_task(smoke)
    ns.add_task(gotest_)
    ns.add_task(doctor)
    ns.add_task(bin_)
    ns.add_collection(manifest.collection)
    ns.add_task(release)
    ns.add_task(clean)
    ns.add_task(verify)
    ns.add_task(sign)
    ns.add_task(sbom_)
    ns.configure(DEFAULTS)
    ns.configure({"build": {"context": str(module_here(root))}})
    return ns


def module_here(root: Path) -> Path:
    """The Go module the go command would use from the current directory, if that is at or
    below `root` (a nested module: sub/dir/go.mod); else `root`."""
    root, here = root.resolve(), Path.cwd().resolve()
    if here != root and root not in here.parents:
        return root
    return next((d for d in (here, *here.parents) if (d / "go.mod").is_file()), root)
