"""The Dockerfile a build uses, the default one shipped, and what `invoke dockerfile` writes."""

import fnmatch
from pathlib import Path

import pytest

from multiarch.core.errors import UserError
from multiarch.dockerfile import dockerfile


def test_the_default_names_nothing_of_hellorld():
    text = dockerfile.shipped()
    assert "hellorld" not in text.lower()
    assert "# syntax=" not in text
    for stage in ("AS workspace", "AS builder", "AS binary", "AS image"):
        assert stage in text


def test_the_binary_is_filled_in_on_exec_lines_only():
    source = dockerfile.Source(None, 'LABEL t="${BINARY}"\nENTRYPOINT ["/${BINARY}"]\n')
    assert source.for_binary("api") == 'LABEL t="${BINARY}"\nENTRYPOINT ["/api"]\n'
    fixed = 'ENTRYPOINT ["/hellorld"]\nCMD ["-v"]\n'
    assert dockerfile.Source(None, fixed).for_binary("api") == fixed


def test_the_modules_own_dockerfile_comes_first(tmp_path):
    assert dockerfile.source(tmp_path, "").path is None
    (tmp_path / "Dockerfile").write_text("FROM scratch AS image\n")
    assert dockerfile.source(tmp_path, "").path == tmp_path / "Dockerfile"
    (tmp_path / "other.Dockerfile").write_text("FROM scratch AS image\n")
    chosen = dockerfile.source(tmp_path, "other.Dockerfile")
    assert chosen.path == tmp_path / "other.Dockerfile"
    with pytest.raises(UserError):
        dockerfile.source(tmp_path, "missing.Dockerfile")


def test_write_fills_in_one_binary_and_keeps_the_placeholder_for_several(tmp_path):
    one, several = tmp_path / "one", tmp_path / "several"
    one.mkdir(), several.mkdir()
    dockerfile.write(one, ["api"], dry=False)
    assert 'ENTRYPOINT ["/api"]' in (one / "Dockerfile").read_text()
    assert (one / ".dockerignore").read_text() == dockerfile.shipped("dockerignore")
    dockerfile.write(several, ["api", "worker"], dry=False)
    assert 'ENTRYPOINT ["/${BINARY}"]' in (several / "Dockerfile").read_text()


def test_write_refuses_to_overwrite_and_writes_neither(tmp_path):
    (tmp_path / ".dockerignore").write_text("mine\n")
    with pytest.raises(UserError) as e:
        dockerfile.write(tmp_path, ["api"], dry=False)
    assert "refusing to overwrite" in e.value.message
    assert not (tmp_path / "Dockerfile").exists()
    assert (tmp_path / ".dockerignore").read_text() == "mine\n"


def test_a_dry_run_writes_nothing(tmp_path):
    dockerfile.write(tmp_path, ["api"], dry=True)
    assert list(tmp_path.iterdir()) == []


def ignored(path: str, patterns: list[str]) -> bool:
    """Whether .dockerignore patterns drop path: a pattern matches it or a parent of it."""
    parts = Path(path).parts
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    return any(
        fnmatch.fnmatch(c, p.rstrip("/")) or (p.startswith("**/") and c.endswith(p[3:]))
        for p in patterns
        for c in candidates
    )


IGNORE = [
    line.strip()
    for line in dockerfile.shipped("dockerignore").splitlines()
    if line.strip() and not line.startswith("#")
]


@pytest.mark.parametrize(
    "path",
    [
        "main.go",
        "go.mod",
        "go.sum",
        "internal/x/x.go",
        "cmd/api/main_test.go",
        "testdata/golden.txt",
        "internal/x/testdata/in.json",
        "dist/index.html",  # web assets that //go:embed dist takes
        "web/dist/app.js",
        "static/style.css",
        "templates/page.tmpl",
        "README.md",
        "scripts/gen.sh",
        "tests/fixture.txt",
        "vendor/example.com/x/x.go",
    ],
)
def test_the_dockerignore_keeps_what_go_may_read(path):
    assert not ignored(path, IGNORE)


@pytest.mark.parametrize(
    "path",
    [
        ".git/HEAD",
        ".venv/bin/python",
        "dist/linux_amd64/api",
        "dist/windows_amd64/api.exe",
        "dist/api-1.0.0.oci.tar",
        "dist/api-1.0.0.oci.tar.sha256",
        "go.work",
    ],
)
def test_the_dockerignore_drops_tooling_and_outputs(path):
    assert ignored(path, IGNORE)
