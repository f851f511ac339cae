"""The builders `invoke builder.create` makes, their nodes as buildx lists them, and what
a build on them decides (who pushes, which cache): commands and decisions, no Docker."""

import dataclasses
import subprocess

import pytest

from multiarch.build import buildx
from multiarch.build.settings import BuildSettings, check
from multiarch.core.errors import UserError
from multiarch.host import builder, engine
from multiarch.host.builder import Builder, Node, parse_nodes
from multiarch.host.builder_setup import BuilderSettings, NodeSpec, create_commands
from multiarch.host.builder_setup import parse_nodes as parse_specs
from tests.unit.test_build_plan import flag_values, make_plan, module
from tests.unit.test_goenv import NoContainerdStore


def test_node_entries():
    assert parse_specs(
        "unix:///run/b.sock=linux/amd64 tcp://arm1:1234=linux/arm64,linux/arm\n"
        "  tcp://any:1234 linux/riscv64"
    ) == [
        NodeSpec("unix:///run/b.sock", "linux/amd64"),
        NodeSpec("tcp://arm1:1234", "linux/arm64,linux/arm/v7"),
        NodeSpec("tcp://any:1234", ""),
        NodeSpec("", "linux/riscv64"),
    ]


def test_a_farm_is_one_create_and_an_append_per_further_node(tmp_path):
    ca, cert, key = (tmp_path / n for n in ("ca.pem", "cert.pem", "key.pem"))
    for f in (ca, cert, key):
        f.write_text("x")
    s = BuilderSettings(
        name="farm",
        driver="remote",
        nodes="unix:///run/a.sock=linux/amd64 tcp://arm1:1234=linux/arm64,linux/arm/v7",
        cacert=str(ca),
        cert=str(cert),
        key=str(key),
        servername="arm1",
    )
    first, second = create_commands(s)
    assert first == [
        "docker", "buildx", "create", "--name", "farm", "--driver", "remote",
        "--node", "farm0", "--platform", "linux/amd64", "unix:///run/a.sock",
    ]  # fmt: skip
    assert second[:8] == [
        "docker",
        "buildx",
        "create",
        "--name",
        "farm",
        "--append",
        "--node",
        "farm1",
    ]
    assert flag_values(second, "--platform") == ["linux/arm64,linux/arm/v7"]
    # the TLS files by path (never their contents), only for the tcp:// node
    assert flag_values(second, "--driver-opt") == [
        f"cacert={ca}",
        f"cert={cert}",
        f"key={key}",
        "servername=arm1",
    ]
    assert second[-1] == "tcp://arm1:1234"


def test_the_docker_container_builder_uses_the_hosts_network(tmp_path):
    toml = tmp_path / "buildkitd.toml"
    toml.write_text("")
    (argv,) = create_commands(BuilderSettings(name="b", config=str(toml)))
    assert flag_values(argv, "--driver") == ["docker-container"]
    assert flag_values(argv, "--driver-opt") == ["network=host"]
    assert flag_values(argv, "--config") == [str(toml)]
    assert flag_values(argv, "--buildkitd-flags") == ["--allow-insecure-entitlement network.host"]


def test_kubernetes_nodes_select_cluster_nodes_by_architecture():
    s = BuilderSettings(
        name="k8s",
        driver="kubernetes",
        nodes="linux/amd64 linux/arm64,linux/arm/v7",
        driver_opts="namespace=ci replicas=2",
    )
    amd, arm = create_commands(s)
    assert flag_values(amd, "--node") == ["k8s-amd64"]
    assert flag_values(amd, "--driver-opt") == [
        "nodeselector=kubernetes.io/arch=amd64",
        "namespace=ci",
        "replicas=2",
    ]
    assert "--append" in arm and flag_values(arm, "--node") == ["k8s-arm64"]
    assert flag_values(arm, "--platform") == ["linux/arm64,linux/arm/v7"]
    assert "nodeselector=kubernetes.io/arch=arm64" in flag_values(arm, "--driver-opt")


@pytest.mark.parametrize(
    "settings, words",
    [
        ({"name": ""}, ["no builder name"]),
        ({"name": "a b"}, ["invalid builder name"]),
        ({"driver": "docker"}, ["unknown builder driver"]),
        ({"driver": "remote", "nodes": "linux/arm64"}, ["no tcp:// or unix://"]),
        ({"driver": "remote", "nodes": "arm1=linux/arm64"}, ["not an endpoint"]),
        ({"nodes": "tcp://x:1=linux/sparc"}, ["unknown platform"]),
        ({"driver": "kubernetes", "nodes": "tcp://x:1=linux/arm64"}, ["takes no endpoint"]),
        ({"driver": "kubernetes"}, ["need platforms"]),
        ({"driver": "remote", "nodes": "tcp://x:1", "cert": "/nonexistent"}, ["go together"]),
        ({"driver": "remote", "nodes": "tcp://x:1", "cacert": "/nonexistent"}, ["no file"]),
        ({"cacert": "/etc/hostname"}, ["remote driver only"]),
        ({"config": "/nonexistent.toml"}, ["no file"]),
        ({"driver_opts": "namespace"}, ["not KEY=VALUE"]),
    ],
)
def test_bad_settings_are_refused_before_any_command(settings, words):
    with pytest.raises(UserError) as e:
        create_commands(BuilderSettings(**{"name": "farm", **settings}))
    for word in words:
        assert word in str(e.value)


INSPECT = """Name:          farm
Driver:        remote
Last Activity: 2026-12-06 23:50:00 +0000 UTC

Nodes:
Name:             farm0
Endpoint:         unix:///run/h19-buildkit-a.sock
Status:           running
BuildKit version: v0.18.2
Platforms:        linux/amd64*, linux/amd64/v2
Labels:
 org.mobyproject.buildkit.worker.executor: oci

Name:     farm1
Endpoint: tcp://arm1.example:1234
Error:    Get "http://...": connection refused
"""


def test_nodes_as_buildx_inspect_lists_them():
    a, b = parse_nodes(INSPECT)
    assert a == Node("farm0", "unix:///run/h19-buildkit-a.sock", "running",
                     ("linux/amd64", "linux/amd64/v2"), "v0.18.2", driver="remote")  # fmt: skip
    assert (b.name, b.endpoint, b.status) == ("farm1", "tcp://arm1.example:1234", "")
    assert "connection refused" in b.error
    assert a.on_this_machine and not b.on_this_machine
    assert a.answers and not b.answers


def test_an_inactive_remote_node_is_down_an_inactive_container_starts_on_first_use():
    assert not Node("n", "tcp://127.0.0.1:1", "inactive", driver="remote").answers
    assert Node("n", "default", "inactive", driver="docker-container").answers


@pytest.mark.parametrize(
    "endpoint, here",
    [
        ("unix:///run/b.sock", True),
        ("tcp://127.0.0.1:1234", True),
        ("tcp://localhost:1234", True),
        ("tcp://10.0.0.5:1234", False),
        ("ssh://me@arm1", False),
        ("default", True),  # a Docker context: the local daemon's container
        ("kubernetes:///k8s?deployment=k8s-arm64", False),
    ],
)
def test_which_nodes_see_this_machines_loopback(endpoint, here):
    assert Node("n", endpoint, "running").on_this_machine is here


def farm(*endpoints: str) -> Builder:
    return Builder("farm", "remote", True, tuple(Node(f"n{i}", e, "running")
                                                 for i, e in enumerate(endpoints)))  # fmt: skip


def test_a_node_elsewhere_pushes_through_the_client_to_a_registry_here(tmp_path):
    plan = make_plan(module(tmp_path / "hellorld"))
    here = dataclasses.replace(plan, builder=farm("unix:///a.sock", "tcp://127.0.0.1:1"))
    far = dataclasses.replace(plan, builder=farm("unix:///a.sock", "tcp://10.0.0.5:1"))
    assert not here.client_push and far.client_push
    argv = buildx.command(far, {}, None, tmp_path / "oci")
    assert flag_values(argv, "--output") == [f"type=oci,dest={tmp_path / 'oci'},tar=false"]
    # a registry elsewhere is reached by both: the builder pushes
    remote = make_plan(module(tmp_path / "other"), registry="registry.example.com")
    assert not dataclasses.replace(remote, builder=far.builder).client_push
    # asked for either way
    forced = make_plan(module(tmp_path / "third"), push_from="client")
    assert dataclasses.replace(forced, builder=here.builder).client_push
    never = make_plan(module(tmp_path / "fourth"), push_from="builder")
    assert not dataclasses.replace(never, builder=far.builder).client_push


def test_a_registry_cache_for_builders_but_the_local_daemon(tmp_path):
    plan = make_plan(module(tmp_path / "hellorld"))
    assert buildx.cache(plan) == {}  # the docker driver: the daemon's own cache
    on_farm = dataclasses.replace(plan, builder=farm("tcp://127.0.0.1:1"))
    argv = buildx.command(on_farm, {}, None)
    assert flag_values(argv, "--cache-from") == [
        "type=registry,ref=localhost:5000/hellorld:buildcache"
    ]
    assert flag_values(argv, "--cache-to") == [
        "type=registry,ref=localhost:5000/hellorld:buildcache,mode=max,oci-mediatypes=true"
    ]
    off = make_plan(module(tmp_path / "off"), cache_registry="off")
    assert buildx.cache(dataclasses.replace(off, builder=on_farm.builder)) == {}
    own = make_plan(module(tmp_path / "own"), cache_registry="cache.example.com/c:x")
    assert (
        "ref=cache.example.com/c:x"
        in buildx.cache(dataclasses.replace(own, builder=on_farm.builder))["cache-from"]
    )
    # no cache where the builder cannot reach the registry
    far = dataclasses.replace(plan, builder=farm("tcp://10.0.0.5:1"))
    assert buildx.cache(far) == {}


def test_unknown_push_from_is_refused():
    with pytest.raises(UserError, match="push_from"):
        check(BuildSettings(push_from="nobody"))


class Farm(NoContainerdStore):
    """A daemon and a builder `farm` whose second node does not answer (INSPECT)."""

    def query(self, argv, *, check=True, hint=None, timeout=None):
        if argv[1:3] == ["buildx", "inspect"]:
            return subprocess.CompletedProcess(argv, 0, INSPECT, "")
        return super().query(argv, check=check, hint=hint, timeout=timeout)


@pytest.fixture
def fake_daemon(monkeypatch):
    """The fake runner's daemon, not the one on this machine's socket."""
    monkeypatch.setattr(engine, "get", lambda url: None)


def test_a_build_on_a_farm_with_a_node_down_stops_before_building(fake_daemon):
    with pytest.raises(UserError) as e:
        builder.choose(Farm(), "farm")
    assert "node farm1 of builder farm (tcp://arm1.example:1234) does not answer" in str(e.value)
    assert "buildkitd --addr tcp://arm1.example:1234" in str(e.value)


def test_the_container_builder_made_for_a_classic_store_gets_builder_config(tmp_path, fake_daemon):
    toml = tmp_path / "buildkitd.toml"
    toml.write_text("")
    runner = NoContainerdStore()
    builder.choose(runner, "", BuilderSettings(config=str(toml)))
    [create] = runner.ran
    assert flag_values(create, "--config") == [str(toml)]
    assert flag_values(create, "--driver-opt") == ["network=host"] and "--bootstrap" in create


class BuildxFake:
    """Answers `docker buildx inspect NAME` for the builders it holds; records every run,
    and fails the one whose argv starts with `fail`."""

    dry = False

    def __init__(self, existing=(), fail=None):
        self.existing, self.fail, self.ran = set(existing), fail, []

    def query(self, argv, check=True, hint=None):
        assert argv[:3] == ["docker", "buildx", "inspect"]
        found = argv[3] in self.existing
        return subprocess.CompletedProcess(argv, 0 if found else 1, "Name: x\n" if found else "")

    def run(self, argv, hint=None, **kwargs):
        self.ran.append(argv)
        if self.fail and argv[: len(self.fail)] == self.fail:
            raise UserError("failed", hint)


FARM = BuilderSettings(name="farm", nodes="tcp://a:1=linux/amd64 tcp://b:1=linux/arm64",
                       driver="remote")  # fmt: skip


def test_builder_create_appends_each_node_and_bootstraps():
    fake = BuildxFake()
    builder.create(FARM, fake)
    assert fake.ran == [
        *create_commands(FARM),
        ["docker", "buildx", "inspect", "--bootstrap", "farm"],
    ]
    fake = BuildxFake()
    builder.create(FARM, fake, bootstrap=False)
    assert fake.ran == create_commands(FARM)


def test_builder_create_refuses_an_existing_one_and_removes_a_half_made_one():
    with pytest.raises(UserError, match="exists"):
        builder.create(FARM, BuildxFake(existing=["farm"]))
    fake = BuildxFake(fail=["docker", "buildx", "create", "--name", "farm", "--append"])
    with pytest.raises(UserError):
        builder.create(FARM, fake)
    assert fake.ran[-1] == ["docker", "buildx", "rm", "farm"]


def test_builder_remove():
    with pytest.raises(UserError, match="no buildx builder named 'farm'"):
        builder.remove(BuildxFake(), "farm")
    fake = BuildxFake(existing=["farm"])
    builder.remove(fake, "farm")
    assert fake.ran == [["docker", "buildx", "rm", "farm"]]
