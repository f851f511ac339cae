"""Bad inputs and faults across every task, as a new user makes them.

For each: a non-zero exit, one line naming the problem and what to do, no traceback,
and nothing left behind: no container or volume of the registry the case configures,
no temporary directory, no file outside the module or new inside it, and the image
pushed beforehand still in the registry.
"""

from __future__ import annotations

import http.server
import os
import shutil
import socket
import subprocess
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from multiarch.oci.registry_api import RegistryAPI
from tests.conftest import own_registry
from tests.gomodules import GIT, hellorld_repo, program_image
from tests.helpers import REPO, free_port, invoke, sh

PREFIX = "h10bad-"  # what each case's registry is called: nothing of it may remain


@dataclass
class Case:
    args: list[str]
    words: list[str]  # each in the error line
    files: dict[str, str | bytes] = field(default_factory=dict)  # written in the module
    env: dict[str, str] = field(default_factory=dict)
    code: int = 1
    setup: str = ""  # a fixture-like step: see prepare()
    nonroot: bool = False  # root may do what this refuses
    root: bool = False  # only root can set it up


TAG129 = "t" * 129
BROKEN_DOCKERFILE = b"FROM golang:1.24\n# caf\xe9\n"

CASES: dict[str, Case] = {
    # invoke.yaml and the environment
    "yaml_malformed": Case(["build"], ["invoke.yaml:", "not valid YAML"],
                           {"invoke.yaml": "build:\n  tag: [oops\n"}),
    "yaml_unknown_key": Case(["registry"], ["unknown key registry.prot", "did you mean 'port'"],
                             {"invoke.yaml": "registry:\n  prot: 5001\n"}),
    "yaml_unknown_section": Case(["build"], ["unknown section 'biuld'", "did you mean 'build'"],
                                 {"invoke.yaml": "biuld:\n  push: false\n"}),
    "yaml_wrong_bool": Case(["build"], ["build.push must be true or false", "'no'"],
                            {"invoke.yaml": "build:\n  push: 'no'\n"}),
    "yaml_wrong_number": Case(["registry"], ["registry.port must be a number"],
                              {"invoke.yaml": "registry:\n  port: '5001'\n"}),
    "yaml_section_scalar": Case(["registry"], ["registry must hold keys"],
                                {"invoke.yaml": "registry: 5000\n"}),
    "yaml_list": Case(["doctor"], ["must hold sections"], {"invoke.yaml": "- build\n"}),
    "json_malformed": Case(["build"], ["invoke.json:1", "not valid JSON"],
                           {"invoke.json": '{"build": {"push": }}'}),
    "env_port_text": Case(["registry"], ["INVOKE_REGISTRY_PORT='abc'", "must be a number"],
                          env={"INVOKE_REGISTRY_PORT": "abc"}),
    "env_timeout_text": Case(["smoke", "--no-build"], ["INVOKE_SMOKE_TIMEOUT", "number"],
                             env={"INVOKE_SMOKE_TIMEOUT": "soon"}),
    # the registry's settings
    "port_zero": Case(["registry", "--port", "0"], ["port 0 is out of range", "1-65535"]),
    "port_high": Case(["registry", "--port", "70000"], ["70000", "1-65535"]),
    "port_text": Case(["registry", "--port", "five"], ["--port", "must be a number"]),
    "bind_everywhere": Case(["registry", "--bind", "0.0.0.0"], ["no authentication", "--expose"]),
    "bind_empty": Case(["registry", "--bind", ""], ["bind address ''", "not an IP address"]),
    "bind_hostname": Case(["registry", "--bind", "localhost"], ["not an IP address"]),
    "volume_path": Case(["registry", "--volume", "/etc"], ["not a named volume", "host path"]),
    "volume_relative": Case(["registry", "--volume", "./data"], ["not a named volume"]),
    "name_bad": Case(["registry", "--name", "my registry"], ["not a valid container name"]),
    "image_bad": Case(["registry", "--image", "Registry:2"], ["not a valid image reference"]),
    "ready_timeout_zero": Case(["registry"], ["ready_timeout must be more than 0"],
                               {"invoke.yaml": "registry:\n  ready_timeout: 0\n"}),
    "port_held_by_http": Case(["registry", "--port", "{http}"], ["held by another process"]),
    "purge_unconfirmed": Case(["registry.rm", "--purge"], ["pass --yes to confirm"]),
    # build
    "tag_space": Case(["build", "--tag", "bad tag"], ["'bad tag' is not a valid tag"]),
    "tag_long": Case(["build", "--tag", TAG129], ["not a valid tag", "at most 128"]),
    "image_upper": Case(["build", "--image", "My App"], ["not a valid image name"]),
    "registry_bad": Case(["build", "--registry", "local host"], ["not a registry address"]),
    "platform_bad": Case(["build", "--platforms", "linux/nope"], ["linux/nope"]),
    "attestations_bad": Case(["build", "--attestations", "maybe"], ["unknown attestations"]),
    "load_and_push": Case(["build", "--load", "--push"], ["exclude each other", "--no-push"]),
    "dockerfile_not_utf8": Case(["build"], ["Dockerfile", "not UTF-8"],
                                {"Dockerfile": BROKEN_DOCKERFILE}),
    "dockerfile_missing": Case(["build"], ["no Dockerfile"],
                               {"invoke.yaml": "build:\n  dockerfile: Nope\n"}),
    "gomod_bad_replace": Case(["build"], ["go.mod:3", "usage: replace"],
                              {"go.mod": "module example.com/hellorld\n\nreplace a ../a\n"}),
    "gowork_relative": Case(["build"], ["invalid GOWORK"], env={"GOWORK": "go.work"}),
    "registry_not_a_registry": Case(["build", "--registry", "localhost:{http}"],
                                    ["does not answer"]),
    "registry_not_http": Case(["build", "--registry", "localhost:{tcp}"], ["does not answer"]),
    # smoke
    "smoke_timeout_zero": Case(["smoke", "--no-build", "--timeout", "0"],
                               ["must be more than 0"]),
    "smoke_timeout_text": Case(["smoke", "--no-build", "--timeout", "x"], ["must be a number"]),
    "smoke_image_no_registry": Case(["smoke", "--no-build", "--image", "hellorld:e2e"],
                                    ["names no registry"]),
    "smoke_image_bad": Case(["smoke", "--no-build", "--image", "localhost:1/Bad:x"],
                            ["not a valid image reference"]),
    "smoke_image_missing": Case(["smoke", "--no-build", "--image", "{canary}/nothing:here"],
                                ["is not in the registry"]),
    "smoke_not_a_registry": Case(["smoke", "--no-build", "--image", "localhost:{http}/a:b"],
                                 ["not a registry"]),
    "smoke_platform_bad": Case(["smoke", "--no-build", "--platforms", "linux"], ["linux"]),
    "smoke_output_not_utf8": Case(["smoke", "--no-build", "--image", "{garbled}"],
                                  ["smoke test of", "failed on linux/amd64"]),
    # dev: refused before it watches, builds or asks Docker anything
    "dev_publish_bad": Case(["dev", "--publish", "abc"], ["cannot publish 'abc'", "1-65535"]),
    "dev_debounce_negative": Case(["dev", "--debounce", "-1"],
                                  ["dev.debounce must be 0-10 seconds", "not -1"]),
    "dev_debounce_text": Case(["dev", "--debounce", "x"], ["--debounce", "must be a number"]),
    "dev_args_unbalanced": Case(["dev", "--args", '"unbalanced'],
                                ["cannot split --args", "balance the quotes"]),
    "dev_smoke_exit": Case(["dev", "--smoke", "--exit", "x"],
                           ["--exit (smoke.exit) must be a whole number", "'x'"]),
    "build_smoke_no_push": Case(["build", "--smoke", "--no-push"],
                                ["--smoke proves a pushed image", "leave out --no-push"]),
    # bin, release, clean, manifest, doctor: where they write, what they read
    "bin_dist_root": Case(["bin", "--dist", "/"], ["refusing to write to /", "inside the module"]),
    "bin_dist_outside": Case(["bin", "--dist", "../outside"], ["inside the module"]),
    "bin_dist_module": Case(["bin", "--dist", "."], ["inside the module"]),
    "bin_dist_file": Case(["bin", "--dist", "main.go/x"], ["is not a directory"]),
    "bin_dist_readonly": Case(["bin"], ["cannot be written by this user"],
                              setup="readonly_dist", nonroot=True),
    "clean_dist_root": Case(["clean", "--dist", "/"], ["inside the module"]),
    "release_dist_outside": Case(["release", "--dist", "/tmp"], ["inside the module"]),
    "release_untagged": Case(["release"], ["has no version tag"]),
    "manifest_tag_bad": Case(["manifest", "--tag", "a b"], ["not a valid tag"]),
    "manifest_build_platform": Case(["manifest.build", "--platforms", "nope"], ["nope"]),
    "doctor_not_utf8": Case(["doctor"], ["not UTF-8"], {"Dockerfile": BROKEN_DOCKERFILE}),
    # builders: refused before any `docker buildx create`
    "builder_remote_no_endpoint": Case(["builder.create", "--name", "farm", "--driver", "remote",
                                        "--nodes", "linux/arm64"], ["no tcp:// or unix://"]),
    "builder_tls_file_missing": Case(["builder.create", "--name", "farm"],
                                     ["builder.cacert: no file"],
                                     {"invoke.yaml": "builder:\n  driver: remote\n  nodes: "
                                      "tcp://127.0.0.1:1\n  cacert: certs/ca.pem\n"}),
    "build_push_from": Case(["build"], ["unknown push_from setting"],
                            env={"INVOKE_BUILD_PUSH_FROM": "nobody"}),
    # the tools themselves
    "docker_not_executable": Case(["build", "--no-push"], ["docker cannot be run"],
                                  setup="docker_not_executable"),
    "docker_missing": Case(["registry"], ["docker is not installed"], setup="no_docker"),
    "git_dubious_ownership": Case(["build"], ["dubious ownership", "safe.directory"],
                                  setup="foreign_owner", root=True),
}  # fmt: skip


class NotHTTP(threading.Thread):
    """Something on a port that is not HTTP at all: it answers with a line of garbage."""

    def __init__(self):
        super().__init__(daemon=True)
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]

    def run(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.sendall(b"SSH-2.0-not-a-registry\r\n")


class Page(http.server.BaseHTTPRequestHandler):
    """A plain web page on every path, as another developer's server would answer."""

    def do_GET(self):  # noqa: N802 - http.server's name
        body = b"<html><body>hello</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def services():
    web = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    raw = NotHTTP()
    raw.start()
    yield {"http": web.server_address[1], "tcp": raw.port}
    web.shutdown()
    raw.sock.close()


@pytest.fixture(scope="module")
def garbled(canary, tmp_path_factory) -> str:
    """An image whose program prints bytes that are not UTF-8."""
    main = (
        'package main\n\nimport "os"\n\nfunc main() { os.Stdout.Write([]byte{0xff, 0xfe, 10}) }\n'
    )
    where = tmp_path_factory.mktemp("garbled") / "program"
    return program_image(where, f"{canary['host']}/garbled:1", main)


@pytest.fixture(scope="module")
def canary(docker_daemon):
    """A registry of its own with an image pushed before any case runs."""
    for reg in own_registry():
        done = invoke("build", "--tag", "canary", "--platforms", "linux/amd64", env=reg["env"])
        assert done.returncode == 0, done.stderr
        yield reg


def prepare(case: Case, module: Path, tmp: Path) -> dict[str, str]:
    """The case's own setup; extra environment."""
    env: dict[str, str] = {}
    if case.setup == "readonly_dist":
        (module / "dist" / "linux_amd64").mkdir(parents=True)
        (module / "dist").chmod(0o555)
    elif case.setup in ("docker_not_executable", "no_docker"):
        tools = tmp / "bin"
        tools.mkdir()
        os.symlink(shutil.which("git"), tools / "git")
        if case.setup == "docker_not_executable":
            (tools / "docker").write_text("#!/bin/sh\n")
            (tools / "docker").chmod(0o644)
        env["PATH"] = str(tools)
    elif case.setup == "foreign_owner":
        for path in [module, *module.rglob("*")]:
            os.lchown(path, 4242, 4242)
        # a HOME of its own: the user's git configuration may trust every directory
        env["HOME"] = str(tmp / "home")
        env["GIT_CONFIG_NOSYSTEM"] = "1"
    return env


def module_state(module: Path) -> str:
    return sh("find", str(module), "-path", f"{module}/.git", "-prune", "-o", "-print").stdout


def leftovers(name: str) -> list[str]:
    found = sh("docker", "ps", "-a", "--filter", f"name={name}", "--format", "{{.Names}}").stdout
    vols = sh("docker", "volume", "ls", "--filter", f"name={name}", "--format", "{{.Name}}").stdout
    return found.split() + vols.split()


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=[pytest.mark.root] * CASES[n].root) for n in CASES]
)
def test_bad_input_is_one_line_and_leaves_nothing(name, tmp_path, canary, services, garbled):
    case = CASES[name]
    if case.nonroot and os.getuid() == 0:
        pytest.skip("root may write anywhere: this case runs as the non-root user")
    if case.root and os.getuid() != 0:
        pytest.skip("only root can give a checkout to another user: this case runs as root")
    module = hellorld_repo(tmp_path / "module")
    shutil.copy2(REPO / "tasks.py", module / "tasks.py")
    sh(*GIT, "add", "tasks.py", cwd=module)
    sh(*GIT, "commit", "-qm", "tasks", cwd=module)
    for file, text in case.files.items():
        mode = "wb" if isinstance(text, bytes) else "w"
        with (module / file).open(mode) as f:
            f.write(text)
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = prepare(case, module, tmp_path)
    registry = f"{PREFIX}{uuid.uuid4().hex[:8]}"
    port = free_port()
    values = {**services, "canary": canary["host"], "garbled": garbled}
    args = [a.format(**values) for a in case.args]
    before = module_state(module)
    try:
        result = invoke(
            *args,
            cwd=module,
            env={
                "INVOKE_REGISTRY_NAME": registry,
                "INVOKE_REGISTRY_PORT": str(port),
                "INVOKE_BUILD_REGISTRY": f"localhost:{port}",
                "TMPDIR": str(temp),
                **case.env,
                **env,
            },
            stdin=subprocess.DEVNULL,
            timeout=300,
        )
    finally:
        if case.setup == "readonly_dist":
            (module / "dist").chmod(0o755)
    assert result.returncode == case.code, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines, "no error line"
    error = lines[-1]
    assert error.startswith("error: "), result.stderr
    assert sum(line.startswith("error: ") for line in lines) == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    for word in case.words:
        assert word in error, error
    assert error.endswith(")"), f"no hint saying what to do: {error}"
    # nothing left behind
    assert leftovers(registry) == []
    assert list(temp.iterdir()) == []
    assert module_state(module) == before
    assert not (tmp_path / "outside").exists()
    assert "canary" in RegistryAPI(canary["host"]).tags("hellorld")
