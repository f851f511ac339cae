"""Invoke tasks for a Go repository's multi-platform images.

A repository's tasks.py needs only:

    from multiarch.tasks import namespace
    ns = namespace()
"""

from __future__ import annotations

from invoke import Collection

from . import registry

DEFAULTS = {
    "registry": {
        "name": "registry",
        "port": 5000,
        "bind": "127.0.0.1",
        "image": "registry:2",
        "volume": "",
        "ready_timeout": 30,
    },
}


def namespace() -> Collection:
    ns = Collection()
    ns.add_collection(registry.collection)
    ns.configure(DEFAULTS)
    return ns
