"""Which images `invoke verify` refuses, from their labels, before anything is built."""

import pytest

from multiarch.core.errors import UserError
from multiarch.golang.version import Revision
from multiarch.prove import verify

COMMIT = "c" * 40
CLEAN = {
    "org.opencontainers.image.revision": COMMIT,
    "org.opencontainers.image.version": "v1.2.3",
    "org.opencontainers.image.created": "2026-01-01T00:00:00Z",
    "org.opencontainers.image.source": "https://example.com/hellorld",
}


def image(**labels) -> verify.Image:
    merged = {k: v for k, v in {**CLEAN, **labels}.items() if v is not None}
    return verify.Image("localhost:5000/hellorld:x", "sha256:1", {}, merged, None)


def test_a_clean_commit_gives_the_revision_the_labels_name():
    rev = verify.revision(image())
    assert rev == Revision("v1.2.3", COMMIT, False, "2026-01-01T00:00:00Z", CLEAN[
        "org.opencontainers.image.source"])  # fmt: skip
    assert rev.epoch == 1767225600  # the rebuild's SOURCE_DATE_EPOCH


@pytest.mark.parametrize(
    "labels, words",
    [
        ({"io.multiarch.workspace": "{}"}, "local go.work checkouts"),
        ({"org.opencontainers.image.version": "v1.2.3-1-gabc-dirty"}, "uncommitted changes"),
        ({"org.opencontainers.image.revision": "unknown"}, "names no commit (unknown)"),
        ({"org.opencontainers.image.revision": None}, "names no commit (none)"),
        ({"org.opencontainers.image.created": ""}, "created label is not a time"),
    ],
    ids=["workspace", "dirty", "outside-git", "no-revision", "no-created"],
)
def test_refused_with_one_line_saying_why(labels, words):
    with pytest.raises(UserError) as e:
        verify.revision(image(**labels))
    assert "localhost:5000/hellorld:x cannot be verified" in str(e.value)
    assert words in str(e.value) and "\n" not in str(e.value)
