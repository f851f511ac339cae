"""The go.work and go.mod grammar (golang/gomod.py), on small files.

The grammar is also checked against the real go command (`go work edit -json`), so the
parser cannot drift from Go without a test saying so.
"""

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from multiarch.core.errors import UserError
from multiarch.golang.gomod import ModFile, Replace, Use, WorkFile, parse_mod, parse_work
from tests import helpers
from tests.helpers import need


def host_go() -> str:
    """The host go command; without one a test is skipped, but fails when CI=true."""
    go = helpers.host_go()
    need(go is not None, "the go command (the machine's, or scripts/provision.sh)")
    return go


def go_work_edit(work: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "GOTOOLCHAIN": "local", "GOFLAGS": "", "GOWORK": ""}
    return subprocess.run(
        [host_go(), "work", "edit", "-json", str(work)],
        capture_output=True,
        text=True,
        env=env,
        cwd=work.parent,
        check=False,
    )


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def R(old: str, old_version: str, new: str, new_version: str = "") -> Replace:
    return Replace(old, old_version, new, new_version)


# --- go.work grammar -------------------------------------------------------------------

VALID_WORK = {
    "single_use": ("go 1.22\n\nuse ./a\n", WorkFile("1.22", None, [Use("./a")], [])),
    "block_use": (
        "go 1.22\n\nuse (\n\t./a\n\t../b // sibling\n\n\t/abs/c\n\t.\n)\n",
        WorkFile("1.22", None, [Use("./a"), Use("../b"), Use("/abs/c"), Use(".")], []),
    ),
    "comments": (
        "// header\ngo 1.22 // trailing\n\n// before\nuse ./a// no space needed\nuse (  // open\n"
        "\t// inside\n\t./b\n) // close\n",
        WorkFile("1.22", None, [Use("./a"), Use("./b")], []),
    ),
    "quoted_paths": (
        'go 1.23\n\nuse (\n\t"./with space"\n\t"./esc\\x41\\u00e9\\101"\n\t"./tab\\there"\n)\n'
        'use "./a"\n',
        WorkFile(
            "1.23",
            None,
            [Use("./with space"), Use("./escAéA"), Use("./tab\there"), Use("./a")],
            [],
        ),
    ),
    "replace_forms": (
        "go 1.22\n\nreplace example.com/a => ../a\nreplace example.com/b v1.2.3 => ./b\n"
        "replace (\n\texample.com/c => example.com/c2 v1.0.0\n"
        "\texample.com/d v1.2 => example.com/d2 v2.0.0+incompatible\n"
        '\t"example.com/e" v1.0.0-rc.1+build => "/abs path/e"\n'
        "\texample.com/f => .\n\texample.com/g => ..\n)\n",
        WorkFile(
            "1.22",
            None,
            [],
            [
                R("example.com/a", "", "../a"),
                R("example.com/b", "v1.2.3", "./b"),
                R("example.com/c", "", "example.com/c2", "v1.0.0"),
                R("example.com/d", "v1.2.0", "example.com/d2", "v2.0.0+incompatible"),
                R("example.com/e", "v1.0.0-rc.1", "/abs path/e"),
                R("example.com/f", "", "."),
                R("example.com/g", "", ".."),
            ],
        ),
    ),
    "toolchain_godebug": (
        "go 1.21.0\ntoolchain go1.22.1\n\ngodebug (\n\tpanicnil=1\n)\n"
        "godebug asynctimerchan=1\n\nuse .\n",
        WorkFile("1.21.0", "go1.22.1", [Use(".")], []),
    ),
    "empty_blocks": ("use ()\nreplace ()\n", WorkFile(None, None, [], [])),
    "crlf": ("go 1.22\r\n\r\nuse (\r\n\t./a\r\n)\r\n", WorkFile("1.22", None, [Use("./a")], [])),
}


@pytest.mark.parametrize("name", VALID_WORK)
def test_parse_work(tmp_path, name):
    text, expected = VALID_WORK[name]
    assert parse_work(write(tmp_path / "go.work", text)) == expected


@pytest.mark.parametrize("name", VALID_WORK)
def test_parse_work_agrees_with_go(tmp_path, name):
    work = write(tmp_path / "go.work", VALID_WORK[name][0])
    run = go_work_edit(work)
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    parsed = parse_work(work)
    assert parsed.go == data.get("Go")
    if "Toolchain" in data:  # go 1.24 leaves it out of -json
        assert parsed.toolchain == data["Toolchain"]
    assert [u.disk_path for u in parsed.use] == [u["DiskPath"] for u in data["Use"] or []]
    assert [(r.old_path, r.old_version, r.new_path, r.new_version) for r in parsed.replace] == [
        (
            r["Old"]["Path"],
            r["Old"].get("Version", ""),
            r["New"]["Path"],
            r["New"].get("Version", ""),
        )
        for r in data["Replace"] or []
    ]


BAD_WORK = {
    "missing_arrow": ("go 1.22\nreplace example.com/a ../a\n", 2, "usage: replace"),
    "newline_in_string": ('go 1.22\nuse "./a\n', 2, "unexpected newline in string"),
    "eof_in_string": ('go 1.22\nuse "./a', 2, "unexpected EOF in string"),
    "unterminated_block": ("go 1.22\nuse (\n\t./a\n", 4, "unterminated block started at line 2"),
    "use_without_path": ("go 1.22\n\nuse\n", 3, "usage: use local/dir"),
    "use_two_paths": ("use ./a ./b\n", 1, "usage: use local/dir"),
    "use_paren_mid_line": ("use ( ./a )\n", 1, "usage: use local/dir"),
    "raw_string": ("go 1.22\n\nuse `./a b`\n", 3, "unquoted string cannot contain quote"),
    "bad_escape": ('use "./\\q"\n', 1, "invalid quoted string"),
    "block_comment": ("use ./a /* no */\n", 1, "must use // comments"),
    "text_after_paren": ("use (\n\t./a\n) ./b\n", 3, "expected newline after closing paren"),
    "unknown_block": (
        "replace example.com/a (\n)\n",
        1,
        "unknown block type: replace example.com/a",
    ),
    "module_without_version": ("replace a => b\n", 1, "must be directory path"),
    "directory_with_version": ("replace a => ../b v1.0.0\n", 1, "cannot have version"),
    "branch_version": ("replace a master => ../b\n", 1, 'version "master" invalid'),
    "at_version": ("replace a => b@v1.0.0\n", 1, "not 'path@version'"),
    "windows_path": ("replace a => ..\\b\n", 1, "Windows path"),
    "stray_character": ("go 1.22\nuse ./a\f\n", 2, "unexpected input character"),
}


# Directives a build does not use, wrong or from a future Go: skipped, not refused (the
# go command in the build judges them); what the build uses is still read.
LENIENT_WORK = {
    "unknown_directive": "go 1.22\nfoo bar\nuse ./a\n",
    "future_block": "go 1.22\nfrob (\n\tx y\n)\nuse ./a\n",
    "go_block": "go (\n\t1.22\n)\nuse ./a\n",
    "repeated_go": "go 1.22\ngo 1.23\nuse ./a\n",
    "bad_go_version": "go 1.2x\nuse ./a\n",
    "bad_toolchain": "go 1.22\ntoolchain 1.22\nuse ./a\n",
    "godebug_block": "go 1.22\ngodebug (\n\tdefault=go1.21\n)\nuse ./a\n",
}


@pytest.mark.parametrize("name", LENIENT_WORK)
def test_work_directives_the_build_does_not_use_are_skipped(tmp_path, name):
    parsed = parse_work(write(tmp_path / "go.work", LENIENT_WORK[name]))
    assert [u.disk_path for u in parsed.use] == ["./a"]


@pytest.mark.parametrize(
    "text",
    [
        "module example.com/a\nfrob x\n",
        "module example.com/a\nfrob (\n\tx\n)\n",
        "module example.com/a\ngo 1.2x\ntoolchain nope\n",
        "module example.com/a\nrequire (\n\texample.com/b v1.0.0\n)\nignore ./x\n",
    ],
)
def test_mod_directives_the_build_does_not_use_are_skipped(tmp_path, text):
    assert parse_mod(write(tmp_path / "go.mod", text)).module == "example.com/a"


@pytest.mark.parametrize("name", BAD_WORK)
def test_bad_work_names_file_and_line(tmp_path, name):
    text, line, what = BAD_WORK[name]
    work = write(tmp_path / "go.work", text)
    with pytest.raises(UserError) as err:
        parse_work(work)
    assert err.value.message.startswith(f"{work}:{line}: ")
    assert what in err.value.message
    assert "GOWORK=off" in err.value.hint


@pytest.mark.parametrize("name", BAD_WORK)
def test_bad_work_agrees_with_go(tmp_path, name):
    text, line, _ = BAD_WORK[name]
    run = go_work_edit(write(tmp_path / "go.work", text))
    assert run.returncode != 0
    assert re.search(rf"go\.work:{line}\b", run.stderr), run.stderr


@pytest.mark.parametrize(
    ("new_path", "local"),
    [
        (".", True),
        ("..", True),
        ("./x", True),
        ("../x", True),
        ("/x", True),
        (".\\x", True),
        ("C:\\x", True),
        ("example.com/x", False),
        (".x", False),
        ("x/..", False),
    ],
)
def test_replace_is_local_as_modfile_decides(new_path, local):
    assert R("example.com/a", "", new_path).is_local is local


# --- go.mod grammar ---------------------------------------------------------------------


def test_parse_mod_keeps_module_and_replaces_and_tolerates_the_rest(tmp_path):
    mod = write(
        tmp_path / "go.mod",
        '// comment\nmodule "example.com/app"\n\ngo 1.24\ntoolchain go1.24.4\n'
        "godebug default=go1.21\n"
        "require (\n\texample.com/x v1.0.0\n\texample.com/y v1.1.0 // indirect\n)\n"
        "exclude example.com/x v0.9.0\nretract [v1.0.0, v1.0.5]\ntool example.com/x/cmd/gen\n"
        "ignore ./node_modules\n"
        "replace example.com/x => ../x\nreplace (\n\texample.com/y master => ./y\n"
        "\texample.com/z v1.2 => example.com/z2 v1.3\n)\n",
    )
    assert parse_mod(mod) == ModFile(
        "example.com/app",
        [
            R("example.com/x", "", "../x"),
            R("example.com/y", "master", "./y"),
            R("example.com/z", "v1.2.0", "example.com/z2", "v1.3.0"),
        ],
        go="1.24",
        toolchain="go1.24.4",
    )


def test_parse_mod_module_block(tmp_path):
    mod = write(tmp_path / "go.mod", "module (\n\texample.com/app\n)\n")
    assert parse_mod(mod).module == "example.com/app"


@pytest.mark.parametrize(
    ("text", "line", "what"),
    [
        ("go 1.22\n", None, "missing module declaration"),
        ("module example.com/a\nmodule example.com/b\n", 2, "repeated module statement"),
        ("module example.com/a\nreplace example.com/x ../x\n", 2, "usage: replace"),
        ("module example.com/a\nreplace example.com/x (\n)\n", 2, "unknown block type"),
    ],
)
def test_bad_mod(tmp_path, text, line, what):
    mod = write(tmp_path / "go.mod", text)
    with pytest.raises(UserError) as err:
        parse_mod(mod)
    assert err.value.message.startswith(f"{mod}:{line}: " if line else f"{mod}: ")
    assert what in err.value.message


def test_parse_mod_of_a_replacement_reads_only_the_module_path(tmp_path):
    mod = write(
        tmp_path / "go.mod",
        "module example.com/x\nfrob x\nfrob (\n\ty\n)\nreplace example.com/y => ../y\n",
    )
    assert parse_mod(mod, main=False).module == "example.com/x"
    assert parse_mod(mod, main=False).replace == []
