"""Smoke's settings as `invoke smoke`, `invoke dev --smoke` and `invoke build --smoke`
read them: checked before anything runs."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ..core.errors import UserError
from ..core.options import OPTIONS
from ..core.platforms import Platform, parse
from ..prove import smoke as smokes
from .options import options


def proof(c, flags: Mapping) -> smokes.Proof:
    """What `--smoke` proves a pushed image with: smoke.*, the flags given over them."""
    settings = options(c, "smoke", flags)
    return smokes.Proof(checks(settings), timeout(settings), binfmt_root(c))


def checks(settings: dict) -> smokes.Behaviour:
    return smokes.behaviour(
        settings["args"], settings["expect"], settings["exit"], settings["http"]
    )


def platforms(settings: dict) -> list[Platform] | None:
    """The platforms --platforms (smoke.platforms) names; None: every one in the index."""
    return parse(settings["platforms"]) if settings["platforms"] else None


def timeout(settings: dict) -> float:
    seconds = OPTIONS["smoke.timeout"].checked(settings["timeout"])
    if not seconds > 0:
        raise UserError(
            f"--timeout (smoke.timeout) must be more than 0 seconds, not {seconds:g}",
            "give the seconds each platform may run, such as 60",
        )
    return seconds


def binfmt_root(c) -> Path:
    return Path(options(c, "doctor")["binfmt_root"])
