"""`invoke builder.create | inspect | ls | rm`: the buildx builder builder.* describes (a
docker-container builder, remote BuildKit nodes, a farm, a kubernetes builder)."""

from __future__ import annotations

from invoke import Collection, task
from rich.markup import escape
from rich.table import Table

from ..core.command import results, say
from ..core.errors import UserError
from ..host import builder as builders
from ..host import builder_setup
from ..host.builder_setup import BuilderSettings
from .edge import Switches, at_the_edge, options, runner

NAME_HELP = "the builder's name (default builder.name)"


@task(
    klass=Switches,
    help={
        "name": NAME_HELP,
        "driver": "docker-container, remote or kubernetes (default builder.driver)",
        "nodes": "whitespace-separated nodes: ENDPOINT=PLATFORMS, ENDPOINT or PLATFORMS "
        "(default builder.nodes), e.g. 'unix:///run/buildkit.sock=linux/amd64 "
        "tcp://arm1:1234=linux/arm64,linux/arm/v7'",
        "config": "a buildkitd.toml for each node (default builder.config; not for remote)",
        "bootstrap": "start every node and wait for it (--no-bootstrap: on first use)",
    },
)
@at_the_edge
def create(c, name=None, driver=None, nodes=None, config=None, bootstrap=True):
    """Create the builder: its first node, then each further one appended with the
    platforms it takes (a build farm). TLS files, network and driver options: builder.*."""
    setup = BuilderSettings(
        **options(c, "builder", name=name, driver=driver, nodes=nodes, config=config)
    )
    commands = builder_setup.create_commands(setup)  # every check, before anything runs
    run = runner(c)
    if builders.inspect(run, setup.name) is not None:
        raise UserError(
            f"a builder named {setup.name!r} exists",
            f"`invoke builder.rm --name {setup.name}` first, or choose another name",
        )
    try:
        for argv in commands:
            run.run(argv, hint="buildx's message above says why")
        if bootstrap is not False:  # None: neither flag given
            run.run(
                ["docker", "buildx", "inspect", "--bootstrap", setup.name],
                hint="a node did not answer: start its buildkitd, check its endpoint and TLS "
                "files; or --no-bootstrap to create the builder as it is",
            )
    except UserError:
        say(f"removing the half-made builder {setup.name!r}")
        run.run(builder_setup.remove_command(setup.name))
        raise
    say(f"[green]builder {setup.name!r}[/]: invoke build --builder {setup.name}")


@task(help={"name": NAME_HELP})
@at_the_edge
def inspect(c, name=None):
    """Each node of a builder: its endpoint, status, platforms and BuildKit version."""
    chosen = name or options(c, "builder")["name"]
    if not chosen:
        raise UserError("no builder name", "pass --name or set builder.name")
    results.print(table(chosen, builders.nodes(runner(c), chosen)))


@task
@at_the_edge
def ls(c):
    """Every buildx builder and its nodes (`docker buildx ls`)."""
    runner(c).run(["docker", "buildx", "ls"])


@task(help={"name": NAME_HELP})
@at_the_edge
def rm(c, name=None):
    """Remove a builder: its containers and their state (docker-container), its
    deployments (kubernetes); a remote node's buildkitd stays as it is."""
    chosen = name or options(c, "builder")["name"]
    if not chosen:
        raise UserError("no builder name", "pass --name or set builder.name")
    run = runner(c)
    if builders.inspect(run, chosen) is None:
        raise builders.no_such_builder(chosen)
    run.run(builder_setup.remove_command(chosen))


def table(name: str, nodes: list[builders.Node]) -> Table:
    t = Table("node", "endpoint", "status", "BuildKit", title=f"builder {name}")
    t.add_column("platforms", overflow="fold")
    for node in nodes:
        status = node.status if not node.error else f"{node.status}: {node.error}"
        t.add_row(*map(escape, (node.name, node.endpoint, status, node.buildkit)),
                  escape(", ".join(node.platforms)))  # fmt: skip
    return t


collection = Collection("builder", create, inspect, ls, rm)
