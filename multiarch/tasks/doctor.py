"""`invoke doctor`: is everything the workflow needs here? One table, a fix per problem."""

from __future__ import annotations

from pathlib import Path

from invoke import task
from rich.markup import escape
from rich.table import Table

from ..core import platforms as platform_list
from ..core.command import results, say
from ..core.errors import UserError
from ..dockerfile import dockerfile as dockerfiles
from ..golang.goenv import GoSettings
from ..prove import doctor as doctors
from .edge import at_the_edge, print_json, runner
from .options import Options, options
from .registry import local_registry


@task(
    klass=Options,
    options=("build.platforms", "build.builder"),
    help={
        "platforms": "platforms to check the daemon can run (default: build.platforms)",
        "json": "print one JSON document with the checks instead of the table",
        "builder": "a buildx builder whose nodes to check: each one's endpoint, status, "
        "platforms and BuildKit version (default build.builder)",
    },
)
@at_the_edge
def doctor(c, flags, json=False):
    """Check everything the workflow needs; a table with a fix for each problem.

    The Docker daemon, buildx, the builder (each node of a named one), qemu for each
    platform, the local registry, the Go each module asks for and the golang image that
    builds it, the base images and git. Exits non-zero if the default workflow cannot run.
    """
    build = options(c, "build")
    context = Path(build["context"])
    setup = doctors.Setup(
        platforms=platform_list.parse(flags["build.platforms"] or build["platforms"]),
        registry=local_registry(c).settings,
        dockerfile=dockerfiles.source(context, build["dockerfile"]).text,
        checkout=context,
        binfmt_root=Path(options(c, "doctor")["binfmt_root"]),
        go=GoSettings(**options(c, "go")),
        builder=flags["build.builder"] or build["builder"],
    )
    checks = doctors.run(setup, runner(c))
    missing = [check.name for check in checks if check.required and not check.ok]
    if json:
        print_json({"ok": not missing, "checks": [check.to_json() for check in checks]})
    else:
        results.print(table(checks))
    missing = [check.name for check in checks if check.required and not check.ok]
    if missing:
        raise UserError(f"the workflow cannot run: {', '.join(missing)}", "see the fix column")
    warned = [check.name for check in checks if not check.ok]
    say(f"[yellow]usable, with warnings: {', '.join(warned)}[/]" if warned else "[green]all ok[/]")


def table(checks: list[doctors.Check]) -> Table:
    t = Table("check", "status", title="invoke doctor")
    t.add_column("detail", overflow="fold")  # paths and commands whole, never cut with "…"
    t.add_column("fix", overflow="fold")
    for check in checks:
        if check.ok:
            status = "[green]ok[/]"
        else:
            status = "[red]PROBLEM[/]" if check.required else "[yellow]warning[/]"
        t.add_row(escape(check.name), status, escape(check.detail), escape(check.fix))
    return t
