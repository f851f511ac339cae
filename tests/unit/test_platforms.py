import pytest

from multiarch.core.errors import UserError
from multiarch.core.platforms import Platform, join, parse


def test_parses_and_normalises_like_buildx():
    assert parse("linux/amd64, linux/arm64/v8,linux/arm,windows/amd64") == [
        Platform("linux", "amd64"),
        Platform("linux", "arm64"),
        Platform("linux", "arm", "v7"),
        Platform("windows", "amd64"),
    ]


def test_keeps_order_and_drops_repeats():
    assert join(parse("linux/arm/v7,linux/amd64,linux/arm")) == "linux/arm/v7,linux/amd64"


def test_names_for_tags_and_dirs():
    p = parse("linux/arm/v6")[0]
    assert (p.slug, p.goarm, str(p)) == ("linux-arm-v6", "6", "linux/arm/v6")
    assert parse("linux/arm64")[0].goarm == ""


@pytest.mark.parametrize(
    "text, words",
    [
        ("linux", "malformed"),
        ("linux/amd64/v2/x", "malformed"),
        ("linux//v7", "malformed"),
        ("linux/amd65", "unknown platform"),
        ("plan9/amd64", "unknown platform"),
        ("linux/arm/v9", "unknown variant"),
        ("linux/amd64,,linux/arm64", "empty platform"),
    ],
)
def test_bad_platforms_say_what_is_wrong(text, words):
    with pytest.raises(UserError) as e:
        parse(text)
    assert words in e.value.message
    assert "os/arch" in e.value.hint
