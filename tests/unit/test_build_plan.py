"""The buildx command line and the decisions before it, without Docker."""

import dataclasses
from pathlib import Path

import pytest

from multiarch.build import buildx, full, planning
from multiarch.build.buildx import PUSH_OUTPUT
from multiarch.build.planning import Plan
from multiarch.build.settings import BuildSettings, attestation_flags
from multiarch.core.command import Runner
from multiarch.core.errors import UserError
from multiarch.core.platforms import parse
from multiarch.dockerfile import dockerfile
from multiarch.golang import mains
from multiarch.golang.version import Revision
from multiarch.golang.workspace import resolve
from multiarch.host.builder import Builder

REV = Revision("v1.2.3-dirty", "a" * 40, True, "2026-01-01T00:00:00Z", "https://x/y")


def module(where: Path, path: str = "example.com/hellorld") -> Path:
    where.mkdir(parents=True, exist_ok=True)
    (where / "go.mod").write_text(f"module {path}\n\ngo 1.24\n")
    (where / "main.go").write_text("package main\n\nfunc main() {}\n")
    (where / "Dockerfile").write_text("FROM scratch AS workspace\nFROM scratch AS image\n")
    return where


def make_plan(context: Path, environ=None, **settings) -> Plan:
    s = BuildSettings(context=str(context), **settings)
    layout = resolve(context, {"GOWORK": "off"} if environ is None else environ)
    source = dockerfile.source(context, s.dockerfile)
    inserted = layout.insert_stage(source.text)
    return Plan(
        settings=s,
        platforms=parse(s.platforms),
        layout=layout,
        revision=REV,
        builder=Builder("", "docker", True),
        references=[f"{s.registry}/hellorld:{t}" for t in (s.tag or "v1").split(",")],
        main=mains.Main(".", "example.com/hellorld", "hellorld"),
        dockerfile=source,
        dockerfile_text=inserted if inserted != source.text else None,
        labels=planning.provenance_labels(layout),
    )


def flag_values(argv: list[str], flag: str) -> list[str]:
    return [argv[i + 1] for i, a in enumerate(argv) if a == flag]


def test_plain_build_command(tmp_path):
    mod = module(tmp_path / "hellorld")
    argv = buildx.command(make_plan(mod, tag="1.0,latest"), {}, None)
    assert argv[:3] == ["docker", "buildx", "build"]
    assert flag_values(argv, "--platform") == ["linux/amd64,linux/arm64,linux/arm/v7"]
    assert flag_values(argv, "-t") == [
        "localhost:5000/hellorld:1.0",
        "localhost:5000/hellorld:latest",
    ]
    args = flag_values(argv, "--build-arg")
    assert f"REVISION={'a' * 40}" in args and "VERSION=v1.2.3-dirty" in args
    assert "GOWORK=off" in args and "MODULE_DIR=." in args
    # a dirty tree keeps "now": no SOURCE_DATE_EPOCH, the Dockerfile leaves file times
    assert not [a for a in args if a.startswith("SOURCE_DATE_EPOCH")]
    assert flag_values(argv, "--output") == [PUSH_OUTPUT] and "--provenance=false" in argv
    assert flag_values(argv, "-f") == [str(mod / "Dockerfile")]
    assert argv[-1] == str(mod)
    assert "--label" not in argv


def test_a_clean_commit_dates_the_build_by_its_time(tmp_path):
    plan = make_plan(module(tmp_path / "hellorld"))
    clean = dataclasses.replace(plan, revision=dataclasses.replace(REV, dirty=False))
    args = flag_values(buildx.command(clean, {}, None), "--build-arg")
    assert "SOURCE_DATE_EPOCH=1767225600" in args  # REV.created, 2026-01-01T00:00:00Z


def test_workspace_build_sends_the_dockerfile_on_stdin_with_contexts(tmp_path):
    mod = module(tmp_path / "ws" / "hellorld")
    module(tmp_path / "ws" / "dep", "example.com/dep")
    (tmp_path / "ws" / "go.work").write_text("go 1.24\n\nuse ./hellorld\nuse ./dep\n")
    plan = make_plan(mod, environ={})
    assert plan.dockerfile_text is not None and "COPY --from=" in plan.dockerfile_text
    with plan.layout.contexts() as contexts:
        argv = buildx.command(plan, contexts, None)
    assert flag_values(argv, "-f") == ["-"]
    names = [c.split("=", 1)[0] for c in flag_values(argv, "--build-context")]
    assert len(names) == 2 and "gowork" in names
    assert "GOWORK=/src/go.work" in flag_values(argv, "--build-arg")
    assert flag_values(argv, "--label")[0].startswith("io.multiarch.workspace=")


@pytest.mark.parametrize(
    "mode, registry, flags",
    [
        ("auto", "localhost:5000", ["--provenance=false"]),
        ("auto", "ghcr.io", []),
        ("off", "ghcr.io", ["--provenance=false", "--sbom=false"]),
        ("on", "localhost:5000", ["--provenance=mode=max", "--sbom=true"]),
    ],
)
def test_attestations(mode, registry, flags):
    s = BuildSettings(attestations=mode, registry=registry)
    assert attestation_flags(s, registry) == flags


def test_unknown_attestation_mode():
    with pytest.raises(UserError):
        attestation_flags(BuildSettings(attestations="maybe"), "localhost:5000")


def test_outputs(tmp_path):
    mod = module(tmp_path / "m")
    assert "--load" in buildx.command(make_plan(mod, push=False, load=True), {}, None)
    cache_only = buildx.command(make_plan(mod, push=False), {}, None)
    assert not {"--load", "--output"} & set(cache_only)
    local = buildx.command(make_plan(mod, output="type=local,dest=dist"), {}, None)
    assert flag_values(local, "--output") == ["type=local,dest=dist"]


def test_guard_refuses_remote_push_of_a_workspace_before_docker(tmp_path):
    mod = module(tmp_path / "ws" / "hellorld")
    module(tmp_path / "ws" / "dep", "example.com/dep")
    (tmp_path / "ws" / "go.work").write_text("go 1.24\n\nuse ./hellorld\nuse ./dep\n")
    s = BuildSettings(context=str(mod), registry="registry.example.com")
    # a Runner that must not be used: the guard comes before any command
    with pytest.raises(UserError) as e:
        planning.plan(s, None, {})  # type: ignore[arg-type]
    assert "refusing" in e.value.message and "--allow-workspace" in e.value.hint


def test_load_and_push_exclude_each_other(tmp_path):
    s = BuildSettings(context=str(module(tmp_path / "m")), load=True)
    with pytest.raises(UserError):
        planning.plan(s, Runner(), {"GOWORK": "off"})


def cmd_layout(where: Path, module_path: str = "example.com/tool/v2") -> Path:
    where.mkdir(parents=True)
    (where / "go.mod").write_text(f"module {module_path}\n\ngo 1.24\n")
    for name in ("api", "worker"):
        (where / "cmd" / name).mkdir(parents=True)
        (where / "cmd" / name / "main.go").write_text("package main\n\nfunc main() {}\n")
    return where


def test_images_are_named_after_the_binaries(tmp_path):
    mod = cmd_layout(tmp_path / "tool")
    (mod / "main.go").write_text("package main\n\nfunc main() {}\n")
    names = planning.image_names
    assert names(BuildSettings(context=str(mod))) == ["tool"]  # /v2 skipped
    assert names(BuildSettings(context=str(mod), main="./cmd/api,./cmd/worker")) == [
        "api",
        "worker",
    ]
    assert names(BuildSettings(context=str(mod), image="x", main="./cmd/api")) == ["x"]


def test_one_image_name_for_several_commands_is_refused_before_docker(tmp_path):
    mod = cmd_layout(tmp_path / "tool")
    s = BuildSettings(context=str(mod), image="x", main="./cmd/api,./cmd/worker")
    with pytest.raises(UserError) as e:
        planning.plan(s, None, {"GOWORK": "off"})  # type: ignore[arg-type]
    assert "--image names one image" in e.value.message


def plans_of(mod: Path, **settings) -> list[Plan]:
    """What planning.plan makes of a cmd/ layout, without asking Docker for the builder."""
    s = BuildSettings(context=str(mod), main="./cmd/api,./cmd/worker", **settings)
    source = dockerfile.source(mod, "")
    layout = resolve(mod, {"GOWORK": "off"})
    return [
        Plan(
            settings=s,
            platforms=parse(s.platforms),
            layout=layout,
            revision=REV,
            builder=Builder("", "docker", True),
            references=[f"{s.registry}/{m.binary}:v1"],
            main=m,
            dockerfile=source,
            dockerfile_text=source.for_binary(m.binary),
        )
        for m in mains.of_module(s.main, mod)
    ]


def test_several_commands_make_one_bake_definition(tmp_path):
    mod = cmd_layout(tmp_path / "tool")
    targets = buildx.bake_targets(plans_of(mod))
    definition = buildx.bake_definition(targets, {"gomod-1-dep": tmp_path / "dep"})
    assert definition["group"]["default"]["targets"] == ["api", "worker"]
    api = definition["target"]["api"]
    assert api["args"]["MAIN"] == "./cmd/api" and api["args"]["BINARY"] == "api"
    assert api["args"]["GOWORK"] == "off" and api["args"]["REVISION"] == "a" * 40
    assert api["tags"] == ["localhost:5000/api:v1"] and api["output"] == [PUSH_OUTPUT]
    assert api["platforms"] == ["linux/amd64", "linux/arm64", "linux/arm/v7"]
    assert api["contexts"] == {"gomod-1-dep": str(tmp_path / "dep")}
    # bake would expand ${...} itself: the Dockerfile's own variables are escaped
    inline = api["dockerfile-inline"]
    assert 'ENTRYPOINT ["/api"]' in inline and "$${GO_VERSION}" in inline
    assert "${GO_VERSION}" not in inline.replace("$${", "")
    worker = definition["target"]["worker"]
    assert 'ENTRYPOINT ["/worker"]' in worker["dockerfile-inline"]


def test_the_bake_command_carries_the_shared_flags(tmp_path):
    first = plans_of(cmd_layout(tmp_path / "tool"))[0]
    argv = buildx.bake_command(first, tmp_path / "bake.json", tmp_path / "md.json")
    assert argv[:3] == ["docker", "buildx", "bake"]
    assert flag_values(argv, "-f") == [str(tmp_path / "bake.json")]
    assert "--provenance=false" in argv and "--metadata-file" in argv


RACE = (
    "`docker buildx build …` failed (exit 1): ERROR: unexpected status from HEAD request to "
    "http://localhost:5000/v2/app/manifests/0.3: 500 Internal Server Error"
)


def test_only_registry_2_8s_tag_race_on_this_machine_is_pushed_again(tmp_path):
    mod = module(tmp_path / "m")
    local = make_plan(mod, tag="0.3.0,0.3,latest")
    assert full.tag_race(local, UserError(RACE))
    assert not full.tag_race(local, UserError("`docker buildx build …` failed (exit 1): no"))
    remote = make_plan(mod, registry="ghcr.io", tag="0.3.0,0.3")
    assert not full.tag_race(remote, UserError(RACE.replace("localhost:5000", "ghcr.io")))
    assert not full.tag_race(make_plan(mod, push=False), UserError(RACE))


def test_default_image_is_the_first_main_package_under_the_first_tag(tmp_path):
    mod = module(tmp_path / "hellorld")
    s = BuildSettings(context=str(mod), registry="r:5000/", tag="1.0,latest")
    assert planning.default_image(s) == "r:5000/hellorld:1.0"
