"""Which module the tasks work on: tasks.py's directory, or a nested module below it."""

from multiarch.tasks import module_here, namespace


def test_the_module_invoke_runs_in(tmp_path, monkeypatch):
    (tmp_path / "go.mod").write_text("module example.com/r\n")
    nested = tmp_path / "sub" / "dir"
    (nested / "pkg").mkdir(parents=True)
    (nested / "go.mod").write_text("module example.com/r/sub/dir\n")
    monkeypatch.chdir(tmp_path)
    assert module_here(tmp_path) == tmp_path.resolve()
    monkeypatch.chdir(nested / "pkg")  # as the go command: the nearest go.mod upward
    assert module_here(tmp_path) == nested.resolve()
    assert namespace(root=tmp_path).configuration()["build"]["context"] == str(nested.resolve())
    monkeypatch.chdir(tmp_path / "sub")
    assert module_here(tmp_path) == tmp_path.resolve()
    elsewhere = tmp_path.parent  # not below tasks.py: its own directory
    monkeypatch.chdir(elsewhere)
    assert module_here(tmp_path) == tmp_path.resolve()
