"""The one defaults table, and every setting checked against it before a task runs."""

from __future__ import annotations

import os
import re
import signal
import time

import pytest
from invoke import Config
from invoke.exceptions import Exit
from invoke.util import yaml

from multiarch.build.settings import BuildSettings
from multiarch.core import config
from multiarch.core.config import DEFAULTS
from multiarch.core.errors import UserError
from multiarch.golang.goenv import GoSettings
from multiarch.host.registry import RegistrySettings
from multiarch.tasks import namespace
from multiarch.tasks.options import Switches
from tests.helpers import REPO

CONFIGURATION_PAGE = REPO / "docs" / "configuration.md"


def documented_block() -> dict:
    """The configuration page's block of every key and its default: its first yaml block."""
    block = re.search(r"```yaml\n(.*?)```", CONFIGURATION_PAGE.read_text(), re.S)
    assert block, f"{CONFIGURATION_PAGE} has no ```yaml block of every key and its default"
    return yaml.safe_load(block[1])


def test_the_documented_configuration_block_is_the_defaults_table():
    assert documented_block() == DEFAULTS, f"{CONFIGURATION_PAGE}'s yaml block is not DEFAULTS"


def test_dataclasses_take_their_defaults_from_the_table():
    build, registry = BuildSettings(), RegistrySettings()
    for key, value in DEFAULTS["build"].items():
        if key != "context":  # the task layer sets it: the directory of tasks.py
            assert getattr(build, key) == value, key
    for key, value in DEFAULTS["registry"].items():
        assert getattr(registry, key) == value, key
    for key, value in DEFAULTS["go"].items():
        assert getattr(GoSettings(), key) == value, key


@pytest.fixture(autouse=True)
def no_invoke_environment(monkeypatch):
    """INVOKE_* variables of the developer's shell would win over the files under test."""
    for var in [v for v in os.environ if v.startswith("INVOKE_")]:
        monkeypatch.delenv(var)


def project_config(tmp_path, text: str) -> Config:
    (tmp_path / "invoke.yaml").write_text(text)
    c = Config(project_location=str(tmp_path))
    c.load_collection(DEFAULTS)
    c.load_project()
    return c


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("registry:\n  prot: 5001\n", ["unknown key registry.prot", "did you mean 'port'"]),
        ("biuld:\n  push: false\n", ["unknown section 'biuld'", "did you mean 'build'"]),
        ("registry:\n  port: '5001'\n", ["registry.port must be a number", "'5001'"]),
        ("build:\n  push: 'no'\n", ["build.push must be true or false"]),
        ("build:\n  platforms: [linux/amd64]\n", ["build.platforms must be a string"]),
        ("smoke:\n  timeout: true\n", ["smoke.timeout must be a number"]),
        ("registry: 5000\n", ["registry must hold keys"]),
        ("go:\n  goprxy: https://proxy.example\n", ["unknown key go.goprxy", "'goproxy'"]),
    ],
)
def test_a_bad_setting_is_one_error_naming_file_and_key(tmp_path, text, words):
    # checked as the file is found (before Invoke merges it), and in the merged settings
    (tmp_path / "invoke.yaml").write_text(text)
    with pytest.raises(UserError) as err:
        config.check_files(tmp_path, {})
    for word in [str(tmp_path / "invoke.yaml"), *words]:
        assert word in err.value.message
    if "registry: 5000" not in text:  # Invoke itself cannot merge that one
        with pytest.raises(UserError) as err:
            config.check(project_config(tmp_path, text))
        for word in [str(tmp_path / "invoke.yaml"), *words]:
            assert word in err.value.message


def test_good_settings_and_other_sections_pass(tmp_path):
    c = project_config(
        tmp_path, "registry:\n  port: 5001\n  ready_timeout: 2.5\nrun:\n  echo: true\nmine: 1\n"
    )
    config.check(c)


def test_an_environment_variable_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("INVOKE_BUILD_PUSH", "0")
    c = project_config(tmp_path, "build:\n  push: 3\n")
    with pytest.raises(UserError, match="environment variable INVOKE_BUILD_PUSH"):
        config.check(c)


@pytest.mark.parametrize(
    ("name", "text", "words"),
    [
        ("invoke.yaml", "registry:\n  port: [5000\n", ["invoke.yaml:", "not valid YAML"]),
        ("invoke.yaml", "registry:\n\tport: 1\n", ["invoke.yaml:2", "not valid YAML"]),
        ("invoke.json", '{"registry": {"port": }}', ["invoke.json:1", "not valid JSON"]),
    ],
)
def test_malformed_project_files(tmp_path, name, text, words):
    (tmp_path / name).write_text(text)
    with pytest.raises(UserError) as err:
        config.check_files(tmp_path, {})
    for word in words:
        assert word in err.value.message


def test_environment_variables_that_invoke_cannot_cast(tmp_path):
    with pytest.raises(UserError, match="INVOKE_REGISTRY_PORT='x'"):
        config.check_files(tmp_path, {"INVOKE_REGISTRY_PORT": "x"})
    config.check_files(tmp_path, {"INVOKE_REGISTRY_PORT": "5001", "INVOKE_BUILD_PUSH": "0"})


def test_namespace_stops_on_a_malformed_project_file_with_one_line(tmp_path):
    (tmp_path / "invoke.yaml").write_text("build:\n  tag: [\n")
    with pytest.raises(Exit) as err:
        namespace(tmp_path)
    assert err.value.code == 1
    assert err.value.message.startswith(f"error: {tmp_path / 'invoke.yaml'}:")


def test_switches_give_both_directions_and_none_when_not_given():
    seen = {}

    def body(c, push=True, load=False, cache=True, tag=None):
        seen.update(push=push, load=load, cache=cache)

    t = Switches(body)
    flags = {a.names[0]: a for a in t.get_arguments()}
    assert {"push", "no-push", "load", "no-load", "cache", "no-cache"} <= set(flags)
    assert flags["push"].default is None and flags["load"].default is None
    from invoke import Context

    t(Context(), push=None, no_push=True, load=True, no_load=False, cache=None, no_cache=False)
    assert seen == {"push": False, "load": True, "cache": None}
    t(Context(), tag="x")  # called from another task: what it does not name stays None
    assert seen == {"push": None, "load": None, "cache": None}


def test_an_unexpected_exception_is_one_line_with_exit_2(monkeypatch):
    from invoke import Context

    from multiarch.tasks.edge import at_the_edge

    @at_the_edge
    def broken(c):
        raise KeyError("surprise")

    monkeypatch.delenv("MULTIARCH_DEBUG", raising=False)
    with pytest.raises(Exit) as err:
        broken(Context(Config(overrides=DEFAULTS)))
    assert err.value.code == 2
    assert err.value.message == (
        "internal error: KeyError: 'surprise', set MULTIARCH_DEBUG=1 for the traceback"
    )
    monkeypatch.setenv("MULTIARCH_DEBUG", "1")
    with pytest.raises(KeyError):
        broken(Context(Config(overrides=DEFAULTS)))


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_sigterm_and_sighup_stop_a_task_as_ctrl_c_does(signum, code):
    from invoke import Context

    from multiarch.tasks.edge import at_the_edge

    cleaned = []

    @at_the_edge
    def long(c):
        try:
            os.kill(os.getpid(), signum)
            time.sleep(5)
        finally:
            cleaned.append(True)

    before = signal.getsignal(signum)
    with pytest.raises(Exit) as err:
        long(Context(Config(overrides=DEFAULTS)))
    assert err.value.code == code and cleaned
    assert err.value.message == "interrupted: stopped, and cleaned up after"
    assert signal.getsignal(signum) == before  # put back afterwards
