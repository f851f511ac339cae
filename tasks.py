"""Tasks for hellorld: all the logic lives in the multiarch package."""

from pathlib import Path

from multiarch.tasks import namespace

ns = namespace(root=Path(__file__).parent)
