"""Invoke tasks for a Go repository's multi-platform images.

A repository's tasks.py needs only:

    from multiarch.tasks import namespace
    ns = namespace()
"""

from __future__ import annotations

from pathlib import Path

from invoke import Collection

from . import registry
from .build import build

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
}


def namespace(root: Path | None = None) -> Collection:
    """The tasks, for the Go module at `root` (default: the current directory)."""
    ns = Collection()
    ns.add_collection(registry.collection)
    ns.add_task(build)
    ns.configure(DEFAULTS)
    ns.configure({"build": {"context": str(root or Path.cwd())}})
    return ns
