"""The option entries (multiarch/core/options.py) and what is made from them: the defaults
table, the settings classes' fields and checks, the tasks' flags."""

from __future__ import annotations

import dataclasses

import pytest
from invoke import Config, Context, task
from invoke.parser import Parser, ParserContext

from multiarch.build.settings import BuildSettings
from multiarch.core.config import DEFAULTS
from multiarch.core.errors import UserError
from multiarch.core.options import ENTRIES, OPTIONS, Option
from multiarch.fast.dev import DevSettings
from multiarch.golang.goenv import GoSettings
from multiarch.host.builder_setup import BuilderSettings
from multiarch.host.registry import RegistrySettings
from multiarch.prove import gotest
from multiarch.tasks.options import Options, Switches, options

CLASSES = {
    "build": BuildSettings,
    "registry": RegistrySettings,
    "go": GoSettings,
    "builder": BuilderSettings,
    "dev": DevSettings,
    "test": gotest.TestSettings,
}


def test_the_defaults_table_is_made_from_the_entries():
    assert [(o.section, o.key, o.default) for o in ENTRIES] == [
        (section, key, value) for section, keys in DEFAULTS.items() for key, value in keys.items()
    ]
    assert len(OPTIONS) == len(ENTRIES), "two entries for one option"


@pytest.mark.parametrize("section", sorted(CLASSES))
def test_a_settings_class_has_a_typed_field_per_entry_with_its_default(section):
    cls = CLASSES[section]
    fields = {f.name: f for f in dataclasses.fields(cls)}
    made = cls()
    for key, value in DEFAULTS[section].items():
        assert key in fields, f"{cls.__name__} has no field {key}"
        if (section, key) != ("build", "context"):  # its own: the task layer sets it
            assert getattr(made, key) == value and type(getattr(made, key)) is type(value)
            assert fields[key].type == type(value).__name__


def test_the_fields_a_class_declares_itself_stay_its_own():
    assert BuildSettings().context == "." and BuildSettings().output == ""
    assert BuildSettings(go=GoSettings(goproxy="off")).go.goproxy == "off"


def test_a_number_given_as_text_is_made_a_number_where_the_settings_are_made():
    settings = RegistrySettings(port="5001", ready_timeout="2.5")
    assert settings.port == 5001 and settings.ready_timeout == 2.5
    assert gotest.TestSettings(count="3", timeout=5).count == 3
    assert isinstance(gotest.TestSettings(timeout=5).timeout, float)


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (
            lambda: RegistrySettings(port="five"),
            ["--port (registry.port) must be a number", "'five'"],
        ),
        (lambda: RegistrySettings(ready_timeout="x"), ["registry.ready_timeout must be a number"]),
        (lambda: DevSettings(debounce="x"), ["--debounce (dev.debounce) must be a number"]),
        (lambda: DevSettings(debounce=11), ["dev.debounce must be 0-10 seconds"]),
        (lambda: gotest.TestSettings(count="many"), ["--count (test.count) must be a number"]),
        (lambda: BuildSettings(push_from="nobody"), ["unknown push_from setting 'nobody'"]),
        (lambda: BuildSettings(attestations="maybe"), ["unknown attestations setting"]),
        (lambda: GoSettings(network="wifi"), ["unknown go.network setting 'wifi'"]),
        (lambda: BuilderSettings(driver="docker"), ["unknown builder driver 'docker'"]),
        (lambda: RegistrySettings(port=0), ["port 0 is out of range"]),  # the class's own
    ],
)
def test_a_bad_value_is_refused_where_the_settings_are_made(make, words):
    with pytest.raises(UserError) as err:
        make()
    for word in words:
        assert word in str(err.value)


def test_a_derived_settings_object_is_checked_too():
    with pytest.raises(UserError, match="unknown push_from setting"):
        dataclasses.replace(BuildSettings(), push_from="nobody")


def test_an_entry_names_its_flag_and_fills_in_its_default():
    cache = OPTIONS["build.no_cache"]
    assert (cache.flag_name, cache.attr, cache.flag_default()) == ("cache", "cache", True)
    assert cache.given(False) is True and cache.given(None) is None
    workspace = OPTIONS["build.allow_workspace"]
    assert (workspace.flag_name, workspace.attr) == ("allow-workspace", "allow_workspace")
    assert OPTIONS["smoke.timeout"].text.endswith("(default 60)")
    assert OPTIONS["registry.ready_timeout"].label == "registry.ready_timeout"
    assert OPTIONS["registry.port"].label == "--port (registry.port)"
    with pytest.raises(ValueError, match="not a task flag"):
        _ = OPTIONS["go.goproxy"].flag_name


@task(
    klass=Switches,
    options=("build.platforms", "build.push", "build.no_cache", "registry.port"),
    help={"port": "the port, said for this task", "fast": "fast"},
)
def sample(c, flags, fast=False):
    return flags, fast


def parse(t, *argv: str) -> dict:
    context = ParserContext(name=t.name, args=t.get_arguments())
    return Parser(contexts=[context]).parse_argv([t.name, *argv])[0].as_kwargs


def test_a_task_gets_a_flag_per_entry_it_names_and_both_ways_for_switches():
    args = {a.names[0]: a for a in sample.get_arguments()}
    assert sorted(args) == sorted(
        ["platforms", "push", "no-push", "cache", "no-cache", "port", "fast", "no-fast"]
    )
    assert args["platforms"].kind is str and args["platforms"].default is None
    assert args["platforms"].help == OPTIONS["build.platforms"].text
    assert args["port"].kind is str  # checked, and made a number, where settings are made
    assert args["port"].help == "the port, said for this task"
    assert args["cache"].help == OPTIONS["build.no_cache"].text
    assert args["no-cache"].help == "the opposite of --cache"
    # short flags as Invoke makes them, in the order the entries are named
    assert args["platforms"].names == ("platforms", "p")


def test_the_body_gets_the_flags_by_option_name_none_for_those_not_given():
    flags, fast = sample(Context(), **parse(sample, "--no-cache", "-p", "linux/arm64", "--fast"))
    assert flags == {
        "build.platforms": "linux/arm64",
        "build.push": None,
        "build.no_cache": True,
        "registry.port": None,
    }
    assert fast is True
    flags, fast = sample(Context(), **parse(sample, "--no-push", "--cache", "--port", "5001"))
    assert flags["build.push"] is False and flags["build.no_cache"] is False
    assert flags["registry.port"] == "5001" and fast is None
    # called from another task, by flag name
    flags, _ = sample(Context(), platforms="linux/amd64", cache=False)
    assert flags["build.platforms"] == "linux/amd64" and flags["build.no_cache"] is True


def test_the_flags_go_over_the_configuration_and_are_checked_where_settings_are_made():
    c = Context(Config(overrides={**DEFAULTS, "registry": {**DEFAULTS["registry"], "port": 5002}}))
    flags, _ = sample(c, **parse(sample))
    assert RegistrySettings(**options(c, "registry", flags)).port == 5002
    flags, _ = sample(c, **parse(sample, "--port", "5003"))
    assert RegistrySettings(**options(c, "registry", flags)).port == 5003
    flags, _ = sample(c, **parse(sample, "--port", "five"))
    with pytest.raises(UserError, match=r"--port \(registry.port\) must be a number"):
        RegistrySettings(**options(c, "registry", flags))
    flags, _ = sample(c, **parse(sample, "--no-cache"))
    assert BuildSettings(**options(c, "build", flags)).no_cache is True


def test_a_task_without_switches_keeps_invokes_own_flags():
    @task(klass=Options, options=("registry.name",))
    def plain(c, flags, purge=False):
        return flags, purge

    names = sorted(a.names[0] for a in plain.get_arguments())
    assert names == ["name", "purge"]
    assert plain(Context(), **parse(plain, "-n", "r2", "--purge")) == (
        {"registry.name": "r2"},
        True,
    )


def test_a_configuration_only_option_cannot_be_a_flag():
    def body(c, flags):
        pass

    with pytest.raises(ValueError, match="go.goproxy is not a task flag"):
        Options(body, options=("go.goproxy",))


def test_a_body_that_takes_options_takes_them_as_flags():
    def body(c, platforms=None):
        pass

    with pytest.raises(TypeError, match=r"takes \(c, flags, ...\)"):
        Options(body, options=("build.platforms",))


def test_every_entry_has_one_line_of_help():
    for o in ENTRIES:
        assert o.help and "\n" not in o.help, o.name
        assert isinstance(o, Option)
