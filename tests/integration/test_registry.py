"""`invoke registry` against the real Docker daemon and a real registry container."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from pathlib import Path

import pytest

from multiarch.oci.registry_api import RegistryAPI
from tests.helpers import REPO, assert_one_line_error, invoke, machine_test, need, sh

pytestmark = pytest.mark.integration


def start(reg, *args):
    result = invoke("registry", *args, env=reg["env"])
    assert result.returncode == 0, result.stderr
    return result


def push_probe(reg, tmp_path: Path, tag: str = "probe:1") -> str:
    """Push a tiny image to the registry under test; returns its reference."""
    (tmp_path / "hello.txt").write_text("hello\n")
    (tmp_path / "Dockerfile").write_text("FROM scratch\nCOPY hello.txt /\n")
    ref = f"localhost:{reg['port']}/{tag}"
    sh("docker", "buildx", "build", "--provenance=false", "--push", "-t", ref, str(tmp_path))
    return ref


def tags(reg, repo: str = "probe") -> list[str]:
    api = RegistryAPI(f"127.0.0.1:{reg['port']}")
    assert api.wait(30), "the registry API did not answer"
    return api.tags(repo)


def containers_named(name: str) -> list[str]:
    out = sh("docker", "ps", "-a", "--filter", f"name=^{name}$", "--format", "{{.State}}")
    return out.stdout.split()


def test_twice_gives_one_running_container(registry_env):
    start(registry_env)
    second = start(registry_env)
    assert "already running" in second.stderr
    assert containers_named(registry_env["name"]) == ["running"]


def test_image_survives_stop_and_start(registry_env, tmp_path):
    start(registry_env)
    push_probe(registry_env, tmp_path)
    assert invoke("registry.stop", env=registry_env["env"]).returncode == 0
    assert containers_named(registry_env["name"]) == ["exited"]
    start(registry_env)
    assert tags(registry_env) == ["1"]


def test_image_survives_rm_and_recreate_but_not_purge(registry_env, tmp_path):
    start(registry_env)
    push_probe(registry_env, tmp_path)
    rm = invoke("registry.rm", env=registry_env["env"])
    assert rm.returncode == 0, rm.stderr
    assert containers_named(registry_env["name"]) == []
    start(registry_env)
    assert tags(registry_env) == ["1"]

    refused = invoke("registry.rm", "--purge", env=registry_env["env"], stdin=subprocess.DEVNULL)
    assert refused.returncode != 0
    assert "--yes" in refused.stderr
    assert containers_named(registry_env["name"]) == ["running"], "refusal changed something"

    purged = invoke("registry.rm", "--purge", "--yes", env=registry_env["env"])
    assert purged.returncode == 0, purged.stderr
    assert sh("docker", "volume", "inspect", registry_env["volume"], check=False).returncode != 0
    start(registry_env)
    assert tags(registry_env) == []


@pytest.mark.machine
def test_image_survives_daemon_restart(registry_env, tmp_path):
    machine_test("kills and restarts the Docker daemon")
    pidfile = Path("/var/run/docker.pid")
    need(pidfile.exists(), "a dockerd started by scripts/dockerd.sh (its pid file)")
    start(registry_env)
    push_probe(registry_env, tmp_path)
    pid = int(pidfile.read_text())
    sh("kill", "-TERM", str(pid))
    deadline = time.monotonic() + 60
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.5)
    restarted = sh("bash", str(REPO / "scripts" / "dockerd.sh"), check=False)
    assert restarted.returncode == 0, restarted.stderr
    assert int(pidfile.read_text()) != pid
    assert tags(registry_env) == ["1"], "the registry did not come back with its data"


def test_default_binding_is_loopback_only(registry_env):
    start(registry_env)
    info = json.loads(sh("docker", "container", "inspect", registry_env["name"]).stdout)[0]
    bindings = info["HostConfig"]["PortBindings"]["5000/tcp"]
    assert bindings == [{"HostIp": "127.0.0.1", "HostPort": str(registry_env["port"])}]
    published = sh("docker", "port", registry_env["name"], "5000").stdout.split()
    assert published == [f"127.0.0.1:{registry_env['port']}"]


def test_status_lists_repositories_and_tags(registry_env, tmp_path):
    start(registry_env)
    push_probe(registry_env, tmp_path, "probe:1")
    push_probe(registry_env, tmp_path, "other/app:2.0")
    result = invoke("registry.status", env=registry_env["env"])
    assert result.returncode == 0, result.stderr
    assert "running" in result.stdout
    assert f"127.0.0.1:{registry_env['port']}" in result.stdout
    assert registry_env["volume"] in result.stdout
    assert "probe" in result.stdout and "other/app" in result.stdout and "2.0" in result.stdout


def assert_nothing_left(reg):
    assert containers_named(reg["name"]) == []
    assert sh("docker", "volume", "inspect", reg["volume"], check=False).returncode != 0


def test_port_held_by_a_process(registry_env):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", registry_env["port"]))
        holder.listen()
        result = invoke("registry", env=registry_env["env"])
    assert_one_line_error(result, "held by another process", str(registry_env["port"]))
    assert_nothing_left(registry_env)


def test_port_held_by_another_container(registry_env):
    other = {**registry_env, "name": registry_env["name"] + "-other"}
    other["env"] = {**registry_env["env"], "INVOKE_REGISTRY_NAME": other["name"]}
    try:
        start(other)
        result = invoke("registry", env=registry_env["env"])
        assert_one_line_error(result, other["name"], "already published")
        assert_nothing_left(registry_env)
    finally:
        sh("docker", "rm", "-f", other["name"], check=False)
        sh("docker", "volume", "rm", other["name"] + "-data", check=False)


def test_foreign_container_of_the_same_name(registry_env):
    sh("docker", "create", "--name", registry_env["name"], "golang:1.24", "sleep", "60")
    result = invoke("registry", env=registry_env["env"])
    assert_one_line_error(result, "not a registry", registry_env["name"])
    assert containers_named(registry_env["name"]) == ["created"], "the foreign one was touched"


def test_image_missing_and_not_pullable(registry_env):
    result = invoke("registry", "--image", "nothing.invalid/registry:0", env=registry_env["env"])
    assert_one_line_error(result, "nothing.invalid/registry:0", "cannot be pulled")
    assert_nothing_left(registry_env)


def test_api_not_answering_in_time(registry_env):
    # the registry binary given a wrong command exits at once: its API never answers
    env = {**registry_env["env"], "INVOKE_REGISTRY_READY_TIMEOUT": "3"}
    tag = f"{registry_env['name']}-broken"
    sh("docker", "build", "-q", "-t", tag, "-", input='FROM registry:2\nCMD ["nonsense"]\n')
    try:
        result = invoke("registry", "--image", tag, env=env)
        assert_one_line_error(result, "did not answer", "log tail")
        assert_nothing_left(registry_env)
    finally:
        sh("docker", "rmi", tag, check=False)


def test_daemon_unreachable(registry_env):
    result = invoke("registry", env={**registry_env["env"], "DOCKER_HOST": "tcp://127.0.0.1:9"})
    assert_one_line_error(result, "does not answer", "tcp://127.0.0.1:9")


def test_settings_from_invoke_yaml_and_flags_over_them(registry_env, tmp_path):
    # another Go repository using the package: a three-line tasks.py and an invoke.yaml
    (tmp_path / "tasks.py").write_text((REPO / "tasks.py").read_text())
    (tmp_path / "invoke.yaml").write_text(
        f"registry:\n  name: {registry_env['name']}\n  port: {registry_env['port']}\n"
    )
    configured = invoke("registry.status", cwd=tmp_path)
    assert configured.returncode == 0, configured.stderr
    assert "state:   absent" in configured.stdout
    assert f"address: 127.0.0.1:{registry_env['port']}" in configured.stdout
    assert f"volume:  {registry_env['name']}-data" in configured.stdout

    flagged = invoke("registry.status", "--port", "5999", "--volume", "v", cwd=tmp_path)
    assert "address: 127.0.0.1:5999" in flagged.stdout and "volume:  v" in flagged.stdout


def test_a_port_that_is_no_number_is_one_line(registry_env):
    result = invoke("registry", "--port", "fivethousand", env=registry_env["env"])
    assert_one_line_error(result, "--port", "must be a number")
    assert_nothing_left(registry_env)
