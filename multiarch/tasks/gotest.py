"""`invoke test`: the module's Go tests on every platform, natively or under qemu."""

from __future__ import annotations

import os
from pathlib import Path

from invoke import task
from rich.markup import escape

from ..core.command import results, say, warn
from ..core.errors import UserError
from ..prove import gotest
from . import tables
from .build_options import build_settings
from .edge import at_the_edge, print_json, runner
from .options import Switches, options


@task(
    klass=Switches,
    name="test",
    options=("test.platforms", "test.packages", "test.run", "test.timeout", "test.count",
             "test.short", "build.builder", "build.no_cache"),
    help={
        "json": "print the results as JSON on stdout instead of the table",
        "verbose": "print every package's full -test.v output, not only the failures'",
    },
)  # fmt: skip
@at_the_edge
def gotest_(c, flags, json=False, verbose=False):
    """Run the module's Go tests on every platform: compiled with buildx, run here under qemu.

    Each package's test binary is cross-compiled with the build's Go image, caches and
    go.work workspace, then runs on this Linux host (natively or through binfmt_misc) in
    the package's directory, in parallel, with a timeout. A failure names the package,
    the platform and the failing tests.
    """
    settings = gotest.TestSettings(**options(c, "test", flags))
    build = build_settings(c, flags)
    run_ = runner(c)
    binfmt_root = Path(options(c, "doctor")["binfmt_root"])
    plan = gotest.plan(settings, build, run_, os.environ, binfmt_root)
    reports = gotest.run(plan, run_)
    if reports is None:
        say("dry run: the test binaries are not built, so none runs")
        return
    if not reports:
        warn(f"no package in {' '.join(plan.packages)} has tests: nothing ran")
    show(reports, json, verbose)
    failed = gotest.failed(reports)
    if failed:
        raise UserError(f"go tests failed: {gotest.summary(reports)}", "the output above says why")
    emulated = sum(r.runs != "native" for r in reports)
    say(f"[green]all {len(reports)} package runs passed[/] ({emulated} emulated)")


def show(reports: list[gotest.Report], as_json: bool, verbose: bool) -> None:
    if as_json:
        print_json(gotest.document(reports))
        return
    for r in reports if verbose else gotest.failed(reports):
        text = r.output if verbose else r.excerpt
        if text:
            say(f"[bold]--- {r.package} on {r.platform}[/]")
            say(escape(text))
    results.print(tables.gotest(reports))
