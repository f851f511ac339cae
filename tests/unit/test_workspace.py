"""GOWORK lookup and the build-context layout (golang/workspace.py), on small files."""

import re
from pathlib import Path

import pytest

from multiarch.core.errors import UserError
from multiarch.golang.workspace import GOWORK_CONTEXT, Module, find_work, resolve


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def gomod(directory: Path, module_path: str, extra: str = "") -> Path:
    """A module directory whose go.mod declares module_path, plus extra lines."""
    write(directory / "go.mod", f"module {module_path}\n\ngo 1.22\n{extra}")
    return directory


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
