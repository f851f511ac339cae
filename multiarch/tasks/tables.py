"""The tables the test tasks print of what the library returns: smoke's outcomes per
platform, `go test`'s reports per package and platform."""

from __future__ import annotations

from rich.markup import escape
from rich.table import Table

from ..prove import gotest as gotests
from ..prove import smoke as smokes


def smoke(ref: str, outcomes: list[smokes.Outcome]) -> Table:
    """One image's smoke test, a row per platform."""
    t = Table("platform", "runs", title=f"smoke test of {ref}")
    t.add_column("result", overflow="fold")  # paths and commands whole, never cut with "…"
    t.add_column("time")
    t.add_column("binary", overflow="fold")
    t.add_column("digest")
    for o in outcomes:
        result = f"[green]{escape(o.detail)}[/]" if o.ok else f"[red]FAIL: {escape(o.detail)}[/]"
        took = f"{o.seconds:.2f} s" if o.seconds is not None else "-"
        binary = escape(o.binary.describe()) if o.binary else "-"
        t.add_row(o.platform, o.runs, result, took, binary, o.digest[:19])
    return t


def gotest(reports: list[gotests.Report]) -> Table:
    """`go test` on every platform, a row per package and platform."""
    t = Table("package", "platform", "runs", title="go test on every platform")
    t.add_column("result", overflow="fold")
    t.add_column("time")
    for r in reports:
        counts = f"{r.passed} passed, {r.failed} failed, {r.skipped} skipped"
        if r.ok:
            result = f"[green]ok: {counts}[/]"
        else:
            why = f": {r.detail}" if r.detail else ""
            result = f"[red]FAIL{escape(why)}[/]" + (f" {counts}" if r.seconds is not None else "")
        took = f"{r.seconds:.2f} s" if r.seconds is not None else "-"
        t.add_row(r.package, r.platform, r.runs, result, took)
    return t
