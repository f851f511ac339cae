"""docs/speed.md, where the benchmarks put their tables: each between its own markers,
<!-- NAME:start --> and <!-- NAME:end --> (benchmark, commands, peers)."""

from __future__ import annotations

import sys
from pathlib import Path

SPEED_PAGE = Path(__file__).resolve().parent.parent / "docs" / "speed.md"


def write_table(report: str, marker: str) -> None:
    """Replace what stands between the speed page's markers <!-- MARKER:start/end -->."""
    text = SPEED_PAGE.read_text()
    start, end = f"<!-- {marker}:start -->\n", f"<!-- {marker}:end -->"
    if start not in text or end not in text:
        sys.exit(f"benchmark: {SPEED_PAGE} lacks the markers {start.strip()} and {end}")
    head, rest = text.split(start, 1)
    SPEED_PAGE.write_text(head + start + report + rest[rest.index(end) :])
