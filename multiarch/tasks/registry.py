"""`invoke registry`: the local registry that builds push to."""

from __future__ import annotations

from invoke import Collection, task
from rich.table import Table

from ..core.command import results
from ..core.config import default
from ..host.registry import LocalRegistry, RegistrySettings
from .edge import at_the_edge, confirm, runner
from .options import Switches, number, options

OPTION_HELP = {
    "name": f"container name (config registry.name, default {default('registry', 'name')!r})",
    "port": f"host port (config registry.port, default {default('registry', 'port')})",
    "bind": "host IP address to publish on (config registry.bind, default "
    f"{default('registry', 'bind')})",
    "expose": "confirm a --bind beyond loopback: the registry has no authentication",
    "image": f"registry image (config registry.image, default {default('registry', 'image')})",
    "volume": "named volume for the data (config registry.volume, default NAME-data)",
}


def local_registry(c, **flags) -> LocalRegistry:
    settings = options(c, "registry", **flags)
    settings["port"] = number(settings["port"], "--port (registry.port)", int)
    settings["ready_timeout"] = number(settings["ready_timeout"], "registry.ready_timeout")
    return LocalRegistry(RegistrySettings(**settings), runner(c))


@task(klass=Switches, default=True, help=OPTION_HELP)
@at_the_edge
def start(c, name=None, port=None, bind=None, expose=False, image=None, volume=None):
    """Start the local registry: create it, start it, or leave it running; wait for its API."""
    local_registry(
        c, name=name, port=port, bind=bind, expose=expose, image=image, volume=volume
    ).ensure()


@task(help={k: v for k, v in OPTION_HELP.items() if k != "expose"})
@at_the_edge
def status(c, name=None, port=None, bind=None, image=None, volume=None):
    """Show the registry's state, address, volume, and the repositories and tags in it."""
    st = local_registry(c, name=name, port=port, bind=bind, image=image, volume=volume).status()
    out = results
    volume_note = "" if st.volume_exists else " (not created yet)"
    out.print(f"state:   {st.state}\naddress: {st.address}\nvolume:  {st.volume}{volume_note}")
    if st.state != "running":
        return
    table = Table("repository", "tags", title="images in the registry")
    for repo, tags in sorted(st.repositories.items()):
        table.add_row(repo, ", ".join(tags) or "(no tags)")
    out.print(table if st.repositories else "the registry is empty")


@task(help={"name": OPTION_HELP["name"]})
@at_the_edge
def stop(c, name=None):
    """Stop the registry container; its data stays."""
    local_registry(c, name=name).stop()


@task(
    help={
        "name": OPTION_HELP["name"],
        "volume": OPTION_HELP["volume"],
        "purge": "also delete the volume, and with it every image in the registry",
        "yes": "do not ask before --purge deletes data",
    }
)
@at_the_edge
def rm(c, name=None, volume=None, purge=False, yes=False):
    """Remove the registry container, keeping its data unless --purge."""
    registry = local_registry(c, name=name, volume=volume)
    if purge and not yes:
        volume_name = registry.settings.volume_name
        confirm(
            f"Delete volume {volume_name!r} and every image in it?",
            f"--purge deletes volume {volume_name!r} and its images",
            "pass --yes to confirm",
        )
    registry.remove(purge=purge)


collection = Collection("registry", start, status, stop, rm)
