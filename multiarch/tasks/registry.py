"""`invoke registry`: the local registry that builds push to."""

from __future__ import annotations

from invoke import Collection, task
from rich.table import Table

from ..core.command import results
from ..host.registry import LocalRegistry, RegistrySettings
from .edge import at_the_edge, confirm, runner
from .options import NOT_GIVEN, Options, Switches, options


def local_registry(c, flags=NOT_GIVEN) -> LocalRegistry:
    return LocalRegistry(RegistrySettings(**options(c, "registry", flags)), runner(c))


@task(
    klass=Switches,
    default=True,
    options=("registry.name", "registry.port", "registry.bind", "registry.expose",
             "registry.image", "registry.volume"),
)  # fmt: skip
@at_the_edge
def start(c, flags):
    """Start the local registry: create it, start it, or leave it running; wait for its API."""
    local_registry(c, flags).ensure()


@task(
    klass=Options,
    options=("registry.name", "registry.port", "registry.bind", "registry.image",
             "registry.volume"),
)  # fmt: skip
@at_the_edge
def status(c, flags):
    """Show the registry's state, address, volume, and the repositories and tags in it."""
    st = local_registry(c, flags).status()
    out = results
    volume_note = "" if st.volume_exists else " (not created yet)"
    out.print(f"state:   {st.state}\naddress: {st.address}\nvolume:  {st.volume}{volume_note}")
    if st.state != "running":
        return
    table = Table("repository", "tags", title="images in the registry")
    for repo, tags in sorted(st.repositories.items()):
        table.add_row(repo, ", ".join(tags) or "(no tags)")
    out.print(table if st.repositories else "the registry is empty")


@task(klass=Options, options=("registry.name",))
@at_the_edge
def stop(c, flags):
    """Stop the registry container; its data stays."""
    local_registry(c, flags).stop()


@task(
    klass=Options,
    options=("registry.name", "registry.volume"),
    help={
        "purge": "also delete the volume, and with it every image in the registry",
        "yes": "do not ask before --purge deletes data",
    },
)
@at_the_edge
def rm(c, flags, purge=False, yes=False):
    """Remove the registry container, keeping its data unless --purge."""
    registry = local_registry(c, flags)
    if purge and not yes:
        volume_name = registry.settings.volume_name
        confirm(
            f"Delete volume {volume_name!r} and every image in it?",
            f"--purge deletes volume {volume_name!r} and its images",
            "pass --yes to confirm",
        )
    registry.remove(purge=purge)


collection = Collection("registry", start, status, stop, rm)
