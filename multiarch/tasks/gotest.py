"""`invoke test`: the module's Go tests on every platform, natively or under qemu."""

from __future__ import annotations

import os
from pathlib import Path

from invoke import task
from rich.markup import escape

from ..core.command import results, say, warn
from ..core.config import default
from ..core.errors import UserError
from ..prove import gotest
from . import tables
from .build_options import BUILD_HELP, build_settings
from .edge import at_the_edge, print_json, runner
from .options import Switches, number, options


@task(
    klass=Switches,
    name="test",
    help={
        "platforms": "comma-separated os/arch[/variant] (default: build.platforms); also "
        "linux/386, linux/s390x, linux/ppc64le, linux/riscv64 where qemu runs them",
        "packages": "Go package patterns, comma-separated (default: ./... and, in a go.work "
        "workspace, every other module it uses)",
        "run": "run only the tests matching this Go regular expression (go test -run)",
        "timeout": "seconds each package may run on each platform "
        f"(default {default('test', 'timeout'):g})",
        "count": "run each test this many times (go test -count, default 1)",
        "short": "tell long-running tests to shorten (go test -short)",
        "json": "print the results as JSON on stdout instead of the table",
        "verbose": "print every package's full -test.v output, not only the failures'",
        "builder": BUILD_HELP["builder"],
        "cache": BUILD_HELP["cache"],
    },
)
@at_the_edge
def gotest_(c, platforms=None, packages=None, run=None, timeout=None, count=None, short=False,
            json=False, verbose=False, builder=None, cache=True):  # fmt: skip
    """Run the module's Go tests on every platform: compiled with buildx, run here under qemu.

    Each package's test binary is cross-compiled with the build's Go image, caches and
    go.work workspace, then runs on this Linux host (natively or through binfmt_misc) in
    the package's directory, in parallel, with a timeout. A failure names the package,
    the platform and the failing tests.
    """
    settings = options(
        c, "test", platforms=platforms, packages=packages, run=run, timeout=timeout,
        count=count, short=short,
    )  # fmt: skip
    settings["timeout"] = number(settings["timeout"], "--timeout (test.timeout)")
    settings["count"] = number(settings["count"], "--count (test.count)", int)
    build = build_settings(c, builder=builder, cache=cache)
    run_ = runner(c)
    binfmt_root = Path(options(c, "doctor")["binfmt_root"])
    plan = gotest.plan(gotest.TestSettings(**settings), build, run_, os.environ, binfmt_root)
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
