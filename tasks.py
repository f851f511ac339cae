"""Tasks for hellorld: all the logic lives in the multiarch package."""

from multiarch.tasks import namespace

ns = namespace()
