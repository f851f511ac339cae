"""Invoke tasks for a Go repository's multi-platform images.

A repository's tasks.py needs only:

    from multiarch.tasks import namespace
    ns = namespace()
"""

from __future__ import annotations

from pathlib import Path

from invoke import Collection

from . import manifest, registry
from .build import build
from .doctor import doctor
from .release import bin_, clean, release
from .smoke import smoke
from .verify import verify

DEFAULTS = {
    "registry": {
        "name": "registry",
        "port": 5000,
        "bind": "127.0.0.1",
        "image": "registry:2",
        "volume": "",
        "ready_timeout": 30,
    },
    "build": {
        "platforms": "linux/amd64,linux/arm64,linux/arm/v7",
        "registry": "localhost:5000",
        "image": "",
        "tag": "",
        "builder": "",
        "push": True,
        "load": False,
        "no_cache": False,
        "allow_workspace": False,
        "attestations": "auto",
        "dockerfile": "Dockerfile",
        "target": "image",
    },
    "smoke": {
        "image": "",  # default: what `invoke build` pushes, tagged e2e
        "platforms": "",  # default: every platform in the index
        "timeout": 60,
    },
    "doctor": {
        # where binfmt_misc is mounted (a container may have it elsewhere)
        "binfmt_root": "/proc/sys/fs/binfmt_misc",
    },
    "bin": {
        "platforms": "linux/amd64,linux/arm64,linux/arm/v7,windows/amd64",
    },
    "dist": {
        "dir": "dist",  # binaries and release archives, relative to the module
    },
    "verify": {
        "image": "",  # default: what `invoke build` pushes from this checkout
    },
}


def namespace(root: Path | None = None) -> Collection:
    """The tasks, for the Go module at `root` (default: the current directory)."""
    ns = Collection()
    ns.add_collection(registry.collection)
    ns.add_task(build)
    ns.add_task(smoke)
    ns.add_task(doctor)
    ns.add_task(bin_)
    ns.add_collection(manifest.collection)
    ns.add_task(release)
    ns.add_task(clean)
    ns.add_task(verify)
    ns.configure(DEFAULTS)
    ns.configure({"build": {"context": str(root or Path.cwd())}})
    return ns
