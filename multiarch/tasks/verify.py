"""`invoke verify`: rebuild a pushed image's commit and check it is the same, byte for byte."""

from __future__ import annotations

import os

from invoke import task
from rich.table import Table

from ..build import planning, signing
from ..core.command import results, say
from ..core.errors import UserError
from ..prove import verify as verifies
from .build_options import build_settings
from .edge import at_the_edge, runner
from .options import Options, options


@task(klass=Options, options=("verify.image", "build.main", "verify.key"))
@at_the_edge
def verify(c, flags):
    """Rebuild the commit an image's labels name, with no cache, and compare each platform.

    The commit is checked out in a temporary git worktree and built into an OCI layout
    (nothing is pushed). On a mismatch it names, per platform, the files that differ and
    exits 1. Images built from go.work checkouts or a dirty tree are refused. With --key,
    the signatures and SBOM attestations are checked first.
    """
    settings = build_settings(c, flags)
    ref = flags["verify.image"] or options(c, "verify")["image"] or planning.default_image(settings)
    given = flags["verify.key"] or options(c, "verify")["key"]
    public = signing.public_key(given) if given else None
    run = runner(c)
    plan = verifies.plan(settings, ref)
    if public is not None:
        pushed = verifies.signed(ref, public, run, plan.revision.commit)
        also = " and SLSA v1 provenance" if pushed.provenance else ""
        say(f"[green]signed by {public.name}[/]: the index and its {len(pushed.platforms)} "
            f"platforms, each with its SPDX SBOM{also} attested")  # fmt: skip
    say(f"verifying {ref}: rebuilding commit {plan.revision.commit} ({plan.revision.version})")
    report = verifies.run(plan, run, os.environ)
    if report is None:
        return
    show(report)
    differing = report.differing
    if differing:
        names = ", ".join(p.platform for p in differing)
        raise UserError(
            f"{ref} is not what commit {plan.revision.commit[:12]} builds: {names} differ",
            "the files above differ between the image and the rebuild",
        )
    say(f"[green]all {len(report.platforms)} platforms reproduce[/] from commit "
        f"{plan.revision.commit[:12]}")  # fmt: skip


def show(report: verifies.Report) -> None:
    table = Table("platform", "image's manifest digest", "rebuilt")
    for p in report.platforms:
        table.add_row(p.platform, p.pushed, "same" if p.same else p.rebuilt or "not built")
    results.print(table)
    for p in report.differing:
        if not p.rebuilt:
            continue
        results.print(f"{p.platform}: files that differ (image / rebuilt)")
        for path, pushed, rebuilt in p.files:
            results.print(f"  {path}")
            results.print(f"    image:   {pushed.describe() if pushed else 'absent'}")
            results.print(f"    rebuilt: {rebuilt.describe() if rebuilt else 'absent'}")
        if p.config:
            results.print(f"  image configuration: {', '.join(p.config)} differ")
