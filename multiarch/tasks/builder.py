"""`invoke builder.create | inspect | ls | rm`: the buildx builder builder.* describes (a
docker-container builder, remote BuildKit nodes, a farm, a kubernetes builder)."""

from __future__ import annotations

from invoke import Collection, task
from rich.markup import escape
from rich.table import Table

from ..core.command import results, say
from ..core.errors import UserError
from ..host import builder as builders
from ..host.builder_setup import BuilderSettings
from .edge import at_the_edge, runner
from .options import Options, Switches, options


@task(
    klass=Switches,
    options=("builder.name", "builder.driver", "builder.nodes", "builder.config"),
    help={"bootstrap": "start every node and wait for it (--no-bootstrap: on first use)"},
)
@at_the_edge
def create(c, flags, bootstrap=True):
    """Create the builder: its first node, then each further one appended with the
    platforms it takes (a build farm). TLS files, network and driver options: builder.*."""
    setup = BuilderSettings(**options(c, "builder", flags))
    builders.create(setup, runner(c), bootstrap=bootstrap is not False)  # None: no flag given
    say(f"[green]builder {setup.name!r}[/]: invoke build --builder {setup.name}")


@task(klass=Options, options=("builder.name",))
@at_the_edge
def inspect(c, flags):
    """Each node of a builder: its endpoint, status, platforms and BuildKit version."""
    chosen = chosen_name(c, flags["builder.name"])
    results.print(table(chosen, builders.nodes(runner(c), chosen)))


@task
@at_the_edge
def ls(c):
    """Every buildx builder and its nodes (`docker buildx ls`)."""
    runner(c).run(["docker", "buildx", "ls"])


@task(klass=Options, options=("builder.name",))
@at_the_edge
def rm(c, flags):
    """Remove a builder: its containers and their state (docker-container), its
    deployments (kubernetes); a remote node's buildkitd stays as it is."""
    builders.remove(runner(c), chosen_name(c, flags["builder.name"]))


def chosen_name(c, name: str | None) -> str:
    """--name, or builder.name; UserError for neither."""
    chosen = name or options(c, "builder")["name"]
    if not chosen:
        raise UserError("no builder name", "pass --name or set builder.name")
    return chosen


def table(name: str, nodes: list[builders.Node]) -> Table:
    t = Table("node", "endpoint", "status", "BuildKit", title=f"builder {name}")
    t.add_column("platforms", overflow="fold")
    for node in nodes:
        status = node.status if not node.error else f"{node.status}: {node.error}"
        t.add_row(*map(escape, (node.name, node.endpoint, status, node.buildkit)),
                  escape(", ".join(node.platforms)))  # fmt: skip
    return t


collection = Collection("builder", create, inspect, ls, rm)
