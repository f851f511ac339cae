"""The named derivations of BuildSettings and Plan: each changes what its name says,
leaves the rest, and leaves the original as it was."""

import dataclasses

from multiarch.build.settings import BuildSettings
from multiarch.core.platforms import parse

from .test_build_plan import REV, make_plan, module


def changed(before, after) -> dict:
    """The fields that differ, as {name: value after}."""
    return {
        f.name: getattr(after, f.name)
        for f in dataclasses.fields(before)
        if getattr(before, f.name) != getattr(after, f.name)
    }


BASE = BuildSettings(tag="1.0", push=False, load=True, no_cache=False, attestations="auto")


def test_settings_derivations_change_only_their_fields():
    s = BASE
    assert changed(s, s.for_platforms("linux/arm64")) == {"platforms": "linux/arm64"}
    assert changed(s, s.tagged("v1", "latest")) == {"tag": "v1,latest"}
    assert changed(s, s.in_context("/src")) == {"context": "/src"}
    assert changed(s, s.of_stage("binary")) == {"target": "binary"}
    assert changed(s, s.of_dockerfile("t.Dockerfile", "tests", "", ("A=1",))) == {
        "dockerfile": "t.Dockerfile",
        "target": "tests",
        "main": "",
        "build_args": ("A=1",),
    }
    assert changed(s, s.without_attestations()) == {"attestations": "off"}
    assert changed(s, s.without_cache()) == {"no_cache": True}
    assert changed(s.without_cache(), s.without_cache().with_cache()) == {"no_cache": False}
    assert s == BASE  # frozen: nothing above changed it


def test_settings_outputs():
    exported = BASE.exported_to("type=oci,dest=x")
    assert (exported.push, exported.load, exported.output) == (False, False, "type=oci,dest=x")
    pushed = exported.pushed()
    assert (pushed.push, pushed.load, pushed.output) == (True, False, "")
    loaded = pushed.loaded()
    assert (loaded.push, loaded.load, loaded.output) == (False, True, "")
    kept = loaded.kept()
    assert (kept.push, kept.load, kept.output) == (False, False, "")


def test_derived_settings_keep_the_registry_check():
    assert BuildSettings(registry="localhost:5000/").tagged("x").registry == "localhost:5000"


def test_plan_derivations(tmp_path):
    p = make_plan(module(tmp_path / "hellorld"), tag="1.0", push=True, load=False)
    one = parse("linux/arm64")
    assert changed(p, p.for_platforms(one)) == {"platforms": one}
    assert changed(p, p.with_references(["r/x:y"])) == {"references": ["r/x:y"]}
    assert changed(p, p.with_dockerfile_text("FROM x\n")) == {"dockerfile_text": "FROM x\n"}
    other = dataclasses.replace(REV, commit="b" * 40)
    assert changed(p, p.of_revision(other)) == {"revision": other}
    stamped = p.at_version("v1.4.2")
    assert changed(p, stamped) == {"revision": dataclasses.replace(REV, version="v1.4.2")}
    exported = p.exported_to("type=oci,dest=out")
    assert changed(p, exported) == {"settings": p.settings.exported_to("type=oci,dest=out")}
    assert exported.output == "output" and p.output == "push"
    assert changed(p, p.with_settings(BASE)) == {"settings": BASE}
    assert p.revision == REV and p.settings.push
