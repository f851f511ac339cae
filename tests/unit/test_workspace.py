"""go.work / go.mod grammar, GOWORK lookup and the build-context layout, on small files.

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
from multiarch.golang.workspace import GOWORK_CONTEXT, Module, find_work, resolve
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


def gomod(directory: Path, module_path: str, extra: str = "") -> Path:
    """A module directory whose go.mod declares module_path, plus extra lines."""
    write(directory / "go.mod", f"module {module_path}\n\ngo 1.22\n{extra}")
    return directory


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


# --- finding go.work -------------------------------------------------------------------


@pytest.mark.parametrize("environ", [{}, {"GOWORK": ""}, {"GOWORK": "auto"}])
def test_find_work_searches_upward(tmp_path, environ):
    work = write(tmp_path / "go.work", "use ./a/b\n")
    (tmp_path / "a" / "b").mkdir(parents=True)
    assert find_work(tmp_path / "a" / "b", environ) == work


def test_find_work_none_found(tmp_path):
    if any((d / "go.work").exists() for d in tmp_path.parents):
        pytest.skip("a go.work above the temporary directory")
    assert find_work(tmp_path, {}) is None


def test_find_work_off_ignores_go_work(tmp_path):
    write(tmp_path / "go.work", "use .\n")
    assert find_work(tmp_path, {"GOWORK": "off"}) is None


@pytest.mark.parametrize("name", ["dev.work", "workspace"])
def test_find_work_explicit_file_of_any_name(tmp_path, name):
    write(tmp_path / "go.work", "use .\n")
    work = write(tmp_path / "elsewhere" / name, "use ../m\n")
    assert find_work(tmp_path, {"GOWORK": str(work)}) == work


def test_find_work_relative_gowork_is_refused_like_go(tmp_path):
    write(tmp_path / "go.work", "use .\n")
    with pytest.raises(UserError, match="invalid GOWORK: not an absolute path"):
        find_work(tmp_path, {"GOWORK": "go.work"})


@pytest.mark.parametrize("missing", ["nope/go.work", "."])
def test_find_work_gowork_must_name_a_file(tmp_path, missing):
    with pytest.raises(UserError, match="no such file"):
        find_work(tmp_path, {"GOWORK": str(tmp_path / missing)})


# --- the layout --------------------------------------------------------------------------


def test_sibling_modules(tmp_path):
    work = write(tmp_path / "go.work", "go 1.22\n\nuse (\n\t./app\n\t./lib\n)\n")
    gomod(tmp_path / "app", "example.com/app")
    gomod(tmp_path / "lib", "example.com/lib")
    layout = resolve(tmp_path / "app", {})
    assert layout.root == tmp_path
    assert layout.work == work
    assert layout.module == Module(tmp_path / "app", "app", "example.com/app")
    assert layout.others == [Module(tmp_path / "lib", "lib", "example.com/lib", "gomod-1-lib")]
    assert layout.build_args() == {"MODULE_DIR": "app", "GOWORK": "/src/go.work"}
    assert layout.stage_lines() == [
        "COPY --from=gomod-1-lib / /lib/",
        f"COPY --from={GOWORK_CONTEXT} / /",
    ]


def test_dotdot_paths_move_the_root_up(tmp_path):
    ws = tmp_path / "ws"
    write(ws / "app" / "go.work", "use (\n\t.\n\t../lib\n\t../../shared/util\n)\n")
    gomod(ws / "app", "example.com/app")
    gomod(ws / "lib", "example.com/lib")
    gomod(tmp_path / "shared" / "util", "example.com/util")
    layout = resolve(ws / "app", {})
    assert layout.root == tmp_path
    assert layout.build_args() == {"MODULE_DIR": "ws/app", "GOWORK": "/src/ws/app/go.work"}
    assert layout.stage_lines() == [
        "COPY --from=gomod-1-util / /shared/util/",
        "COPY --from=gomod-2-lib / /ws/lib/",
        "COPY --from=gowork / /ws/app/",
    ]


def test_twelve_modules_get_twelve_distinct_valid_contexts(tmp_path):
    libs = [f"lib{n:02}" for n in range(1, 13)]
    write(tmp_path / "go.work", "use ./app\n" + "".join(f"use ./{lib}\n" for lib in libs))
    gomod(tmp_path / "app", "example.com/app")
    for lib in libs:
        gomod(tmp_path / lib, f"example.com/{lib}")
    layout = resolve(tmp_path / "app", {})
    names = [m.context for m in layout.others]
    assert len(set(names)) == 12
    assert all(re.fullmatch(r"[a-z0-9][a-z0-9._-]*", name) for name in names)
    assert [m.rel for m in layout.others] == libs
    with layout.contexts() as contexts:
        assert set(contexts) == {*names, GOWORK_CONTEXT}
        assert [contexts[m.context] for m in layout.others] == [tmp_path / lib for lib in libs]


def test_two_directories_with_the_same_name_do_not_collide(tmp_path):
    write(tmp_path / "go.work", "use ./app\nuse ./a/lib\nuse ./b/lib\n")
    gomod(tmp_path / "app", "example.com/app")
    gomod(tmp_path / "a" / "lib", "example.com/a/lib")
    gomod(tmp_path / "b" / "lib", "example.com/b/lib")
    layout = resolve(tmp_path / "app", {})
    assert [(m.rel, m.context) for m in layout.others] == [
        ("a/lib", "gomod-1-lib"),
        ("b/lib", "gomod-2-lib"),
    ]


def test_module_alone(tmp_path):
    gomod(tmp_path / "app", "example.com/app", "replace example.com/x => example.com/y v1.0.0\n")
    layout = resolve(tmp_path / "app", {"GOWORK": "off"})
    assert layout.root == tmp_path / "app"
    assert layout.work is None
    assert layout.build_args() == {"MODULE_DIR": ".", "GOWORK": "off"}
    assert layout.stage_lines() == []
    assert layout.insert_stage("FROM golang\n") == "FROM golang\n"
    with layout.contexts() as contexts:
        assert contexts == {}


def test_go_mod_local_replace_without_workspace(tmp_path):
    write(tmp_path / "go.work", "use ./other\n")  # ignored: GOWORK=off
    gomod(tmp_path / "app", "example.com/app", "replace example.com/x v1.0.0 => ../x\n")
    gomod(tmp_path / "x", "example.com/x")
    layout = resolve(tmp_path / "app", {"GOWORK": "off"})
    assert layout.work is None
    assert layout.root == tmp_path
    assert layout.others == [Module(tmp_path / "x", "x", "example.com/x", "gomod-1-x")]
    assert layout.build_args() == {"MODULE_DIR": "app", "GOWORK": "off"}
    assert layout.stage_lines() == ["COPY --from=gomod-1-x / /x/"]
    with layout.contexts() as contexts:
        assert contexts == {"gomod-1-x": tmp_path / "x"}


def test_replace_in_go_work(tmp_path):
    write(tmp_path / "go.work", "use ./app\nreplace example.com/x v1.0.0 => ./third_party/x\n")
    gomod(tmp_path / "app", "example.com/app")
    gomod(tmp_path / "third_party" / "x", "example.com/x")
    layout = resolve(tmp_path / "app", {})
    assert [(m.rel, m.path) for m in layout.others] == [("third_party/x", "example.com/x")]


def test_go_work_replace_overrides_a_used_modules_replace(tmp_path):
    write(tmp_path / "go.work", "use ./app\nreplace example.com/x => ./new\n")
    gomod(tmp_path / "app", "example.com/app", "replace example.com/x v1.0.0 => ../old\n")
    gomod(tmp_path / "new", "example.com/x")
    assert [m.rel for m in resolve(tmp_path / "app", {}).others] == ["new"]


def test_a_directory_named_several_times_is_one_context(tmp_path):
    write(tmp_path / "go.work", "use ./app\nuse ./lib\nreplace example.com/lib => ./lib/\n")
    gomod(tmp_path / "app", "example.com/app", "replace example.com/lib => ../app/../lib\n")
    gomod(tmp_path / "lib", "example.com/lib")
    assert [m.rel for m in resolve(tmp_path / "app", {}).others] == ["lib"]


def test_replacement_modules_own_replaces_are_ignored(tmp_path):
    gomod(tmp_path / "app", "example.com/app", "replace example.com/x => ../x\n")
    gomod(tmp_path / "x", "example.com/x", "replace example.com/y => ../missing\nfrob\n")
    assert [m.rel for m in resolve(tmp_path / "app", {"GOWORK": "off"}).others] == ["x"]


def test_nested_module_is_already_in_the_main_context(tmp_path):
    write(tmp_path / "go.work", "use ./app\nuse ./app/tools\n")
    gomod(tmp_path / "app", "example.com/app", "replace example.com/gen => ./internal/gen\n")
    gomod(tmp_path / "app" / "tools", "example.com/app/tools")
    gomod(tmp_path / "app" / "internal" / "gen", "example.com/gen")
    layout = resolve(tmp_path / "app", {})
    assert layout.others == []
    assert layout.root == tmp_path
    assert layout.stage_lines() == ["COPY --from=gowork / /"]


def test_module_not_in_workspace(tmp_path):
    work = write(tmp_path / "go.work", "use ./lib\n")
    gomod(tmp_path / "lib", "example.com/lib")
    gomod(tmp_path / "app", "example.com/app")
    with pytest.raises(UserError) as err:
        resolve(tmp_path / "app", {})
    assert str(work) in err.value.message
    assert "go work use app" in err.value.hint and "GOWORK=off" in err.value.hint


@pytest.mark.parametrize(
    ("use", "what"),
    [
        ("./gone", "does not exist"),
        ("./empty", "has no go.mod"),
        ("./app/", "appears twice"),
        ("/abs/lib", "absolute path"),
    ],
)
def test_bad_use_directory(tmp_path, use, what):
    work = write(tmp_path / "go.work", f"use ./app\nuse {use}\n")
    gomod(tmp_path / "app", "example.com/app")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError) as err:
        resolve(tmp_path / "app", {})
    assert err.value.message.startswith(f"{work}: use {use}: ")
    assert what in err.value.message


@pytest.mark.parametrize(("target", "what"), [("../x", "does not exist"), ("../e", "no go.mod")])
def test_bad_replace_target(tmp_path, target, what):
    app = gomod(tmp_path / "app", "example.com/app", f"replace example.com/x => {target}\n")
    (tmp_path / "e").mkdir()
    with pytest.raises(UserError) as err:
        resolve(app, {"GOWORK": "off"})
    assert err.value.message.startswith(f"{app / 'go.mod'}: replace example.com/x => {target}: ")
    assert what in err.value.message


def test_module_dir_without_go_mod(tmp_path):
    with pytest.raises(UserError, match="has no go.mod"):
        resolve(tmp_path, {"GOWORK": "off"})


def test_gowork_with_another_name_keeps_it(tmp_path):
    work = write(tmp_path / "ws" / "dev.work", "use ../app\n")
    write(tmp_path / "ws" / "dev.work.sum", "")
    write(tmp_path / "ws" / "big.bin", "not sent")
    gomod(tmp_path / "app", "example.com/app")
    layout = resolve(tmp_path / "app", {"GOWORK": str(work)})
    assert layout.build_args() == {"MODULE_DIR": "app", "GOWORK": "/src/ws/dev.work"}
    assert layout.stage_lines() == ["COPY --from=gowork / /ws/"]
    with layout.contexts() as contexts:
        assert sorted(p.name for p in contexts[GOWORK_CONTEXT].iterdir()) == [
            "dev.work",
            "dev.work.sum",
        ]


def test_gowork_context_is_removed_even_on_interrupt(tmp_path):
    write(tmp_path / "go.work", "use ./app\n")
    gomod(tmp_path / "app", "example.com/app")
    layout = resolve(tmp_path / "app", {})
    with pytest.raises(KeyboardInterrupt), layout.contexts() as contexts:
        gowork = contexts[GOWORK_CONTEXT]
        assert (gowork / "go.work").is_file()
        raise KeyboardInterrupt
    assert not gowork.exists()


def test_paths_with_spaces_and_dollars_are_copied_literally(tmp_path):
    write(tmp_path / "go.work", 'use "./my app"\nuse "./lib dir"\nuse ./$HOME\n')
    gomod(tmp_path / "my app", "example.com/app")
    gomod(tmp_path / "lib dir", "example.com/lib")
    gomod(tmp_path / "$HOME", "example.com/home")
    layout = resolve(tmp_path / "my app", {})
    assert layout.build_args()["MODULE_DIR"] == "my app"
    assert layout.stage_lines() == [
        "COPY --from=gomod-1-home / /\\$HOME/",
        'COPY --from=gomod-2-lib-dir ["/", "/lib dir/"]',
        "COPY --from=gowork / /",
    ]


DOCKERFILE = """\
FROM golang:1.24 AS build
COPY --from=workspace / /src/

from  scratch  as  Workspace

FROM build
"""


def test_insert_stage(tmp_path):
    write(tmp_path / "go.work", "use ./app\nuse ./lib\n")
    gomod(tmp_path / "app", "example.com/app")
    gomod(tmp_path / "lib", "example.com/lib")
    layout = resolve(tmp_path / "app", {})
    assert layout.insert_stage(DOCKERFILE) == DOCKERFILE.replace(
        "from  scratch  as  Workspace\n",
        "from  scratch  as  Workspace\nCOPY --from=gomod-1-lib / /lib/\nCOPY --from=gowork / /\n",
    )
    with pytest.raises(UserError, match="FROM scratch AS workspace"):
        layout.insert_stage("FROM golang:1.24 AS build\n")
