"""The tasks in other people's Go repositories, as a new user meets them: the package
installed from its wheel into a venv of its own, a three-line tasks.py, no Dockerfile and
no .dockerignore, `invoke` run in the repository. Real daemon, registry and qemu."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest

from multiarch.oci.registry_api import RegistryAPI
from tests.gomodules import commit_of, go_repo, installed_invoke, program
from tests.helpers import assert_one_line_error, free_port, sh
from tests.integration.test_bin import need_qemu

pytestmark = pytest.mark.integration

PLATFORMS = ["linux/amd64", "linux/arm64", "linux/arm/v7"]
TITLE = "org.opencontainers.image.title"


def run_image(ref: str, platform: str = "linux/amd64", *args: str) -> str:
    return sh("docker", "run", "--rm", "--platform", platform, ref, *args).stdout.strip()


def image_config(ref: str) -> dict:
    return json.loads(sh("docker", "image", "inspect", ref).stdout)[0]["Config"]


@pytest.fixture(scope="module")
def reg(module_registry):
    yield module_registry
    # what the tests pulled into the shared image store
    listed = sh("docker", "image", "ls", "--format", "{{.Repository}}:{{.Tag}}").stdout.split()
    mine = [r for r in listed if r.startswith(module_registry["host"] + "/")]
    if mine:
        sh("docker", "rmi", *mine, check=False)


# -- a cmd/ layout with two commands --------------------------------------------------

SHARED = 'package shared\n\nconst Greeting = "shared code"\n'


@pytest.fixture(scope="module")
def fleet(installed, reg, tmp_path_factory):
    """example.com/fleet: cmd/api and cmd/worker, built by one `invoke build` as
    build.main in invoke.yaml says."""
    where = go_repo(
        tmp_path_factory.mktemp("fleet"),
        {
            "go.mod": "module example.com/fleet\n\ngo 1.24\n",
            "internal/shared/shared.go": SHARED,
            "cmd/api/main.go": program(
                imports=["example.com/fleet/internal/shared"], says="shared.Greeting"
            ),
            "cmd/worker/main.go": program(says='"working"'),
            "invoke.yaml": "build:\n  main: ./cmd/api,./cmd/worker\n",
        },
    )
    result = installed_invoke(installed, where, reg, "build", "--tag", "t1")
    assert result.returncode == 0, result.stderr
    return where, result


def test_two_commands_are_two_images_from_one_build(fleet, reg):
    where, result = fleet
    # one bake for both, no separate builds
    assert result.stderr.count("$ docker buildx bake") == 1
    assert "$ docker buildx build" not in result.stderr
    api = RegistryAPI(reg["host"])
    for name in ("api", "worker"):
        index = api.index(name, "t1")
        assert sorted(index.platforms) == sorted(PLATFORMS)
        # each pushed and in the summary, with every platform's digest
        assert f"image:  {reg['host']}/{name}:t1" in result.stdout
        assert index.digest in result.stdout
        for entry in index.manifests:
            assert entry.digest in result.stdout
    assert not (where / "Dockerfile").exists()


@pytest.mark.parametrize("platform", PLATFORMS)
def test_each_command_runs_on_every_platform(fleet, reg, platform):
    need_qemu()
    where, _ = fleet
    commit = commit_of(where)
    arch = "/".join(platform.split("/")[:2])
    api = run_image(f"{reg['host']}/api:t1", platform)
    assert api == f"api {commit[:7]} (commit {commit}) on {arch}: shared code"
    worker = run_image(f"{reg['host']}/worker:t1", platform)
    assert worker == f"worker {commit[:7]} (commit {commit}) on {arch}: working"


def test_each_image_is_named_for_its_command(fleet, reg):
    for name in ("api", "worker"):
        config = image_config(f"{reg['host']}/{name}:t1")
        assert config["Entrypoint"] == [f"/{name}"]
        assert config["Labels"][TITLE] == name
        assert config["User"] == "65532:65532"


def test_bin_puts_both_binaries_in_each_platform_directory(fleet, installed, reg):
    need_qemu()
    where, _ = fleet
    result = installed_invoke(
        installed, where, reg, "bin", "--platforms", "linux/arm64,windows/amd64"
    )
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (where / "dist" / "linux_arm64").iterdir()) == ["api", "worker"]
    windows = sorted(p.name for p in (where / "dist" / "windows_amd64").iterdir())
    assert windows == ["api.exe", "worker.exe"]
    out = sh(str(where / "dist" / "linux_arm64" / "worker")).stdout
    assert out.startswith("worker ") and "on linux/arm64: working" in out


def test_manifest_build_and_join_every_command(fleet, installed, reg):
    where, _ = fleet
    two = "linux/amd64,linux/arm64"
    built = installed_invoke(
        installed, where, reg, "manifest.build", "--tag", "s1", "--platforms", two
    )
    assert built.returncode == 0, built.stderr
    assert built.stderr.count("$ docker buildx bake") == 2  # one per platform, both commands
    joined = installed_invoke(installed, where, reg, "manifest", "--tag", "s1", "--platforms", two)
    assert joined.returncode == 0, joined.stderr
    api = RegistryAPI(reg["host"])
    for name in ("api", "worker"):
        assert sorted(api.index(name, "s1").platforms) == ["linux/amd64", "linux/arm64"]


def test_one_image_name_for_two_commands_is_one_line(fleet, installed, reg):
    where, _ = fleet
    result = installed_invoke(installed, where, reg, "build", "--image", "x", "--tag", "bad")
    assert_one_line_error(result, "--image names one image")
    assert "docker buildx" not in result.stderr


def test_a_package_that_is_not_main_is_one_line(fleet, installed, reg):
    where, _ = fleet
    result = installed_invoke(installed, where, reg, "build", "--main", "./internal/shared")
    assert_one_line_error(result, "is package shared, not main")


# -- a /v2 module, and `invoke dockerfile` ---------------------------------------------


@pytest.fixture(scope="module")
def tool_v2(installed, reg, tmp_path_factory):
    where = go_repo(
        tmp_path_factory.mktemp("v2") / "tool",
        {"go.mod": "module example.com/tool/v2\n\ngo 1.24\n", "main.go": program(says='"v2"')},
        "v2.1.0",
    )
    result = installed_invoke(installed, where, reg, "build")
    assert result.returncode == 0, result.stderr
    return where, result


def test_a_v2_module_is_named_as_go_names_it(tool_v2, reg):
    where, result = tool_v2
    ref = f"{reg['host']}/tool:v2.1.0"
    assert f"image:  {ref}" in result.stdout
    assert RegistryAPI(reg["host"]).tags("v2") == []
    assert run_image(ref) == f"tool v2.1.0 (commit {commit_of(where)}) on linux/amd64: v2"
    config = image_config(ref)
    assert config["Entrypoint"] == ["/tool"] and config["Labels"][TITLE] == "tool"


def test_invoke_dockerfile_writes_one_to_customise_and_never_overwrites(tool_v2, installed, reg):
    where, _ = tool_v2
    wrote = installed_invoke(installed, where, reg, "dockerfile")
    assert wrote.returncode == 0, wrote.stderr
    text = (where / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["/tool"]' in text and "${BINARY}" not in text.split("ENTRYPOINT")[-1]
    assert ".git" in (where / ".dockerignore").read_text().split()
    # customised: the tasks now build with it, from the file itself
    (where / "Dockerfile").write_text(
        text.replace("USER 65532:65532", 'LABEL custom="yes"\nUSER 65532:65532')
    )
    built = installed_invoke(installed, where, reg, "build", "--tag", "custom")
    assert built.returncode == 0, built.stderr
    assert f"-f {where / 'Dockerfile'}" in built.stderr
    assert image_config(f"{reg['host']}/tool:custom")["Labels"]["custom"] == "yes"
    again = installed_invoke(installed, where, reg, "dockerfile")
    assert_one_line_error(again, "refusing to overwrite")
    assert (where / "Dockerfile").read_text() != text  # the customised one stays


# -- an HTTP server ----------------------------------------------------------------------

SERVER = """package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
)

func main() {
	addr := flag.String("addr", "localhost:8080", "address to listen on")
	flag.Parse()
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello from the server")
	})
	log.Fatal(http.ListenAndServe(*addr, nil))
}
"""


def test_an_http_server_image_serves(installed, reg, tmp_path):
    where = go_repo(
        tmp_path / "webapp",
        {"go.mod": "module github.com/someone/webapp\n\ngo 1.24\n", "main.go": SERVER},
    )
    built = installed_invoke(
        installed, where, reg, "build", "--tag", "s", "--platforms", "linux/amd64"
    )
    assert built.returncode == 0, built.stderr
    ref = f"{reg['host']}/webapp:s"
    port = free_port()
    started = sh("docker", "run", "-d", "--rm", "-p", f"127.0.0.1:{port}:8080", ref,
                 "-addr=:8080")  # fmt: skip
    container = started.stdout.strip()
    try:
        body = ""
        for _ in range(50):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as answer:
                    body = answer.read().decode()
                break
            except OSError:
                time.sleep(0.2)
        assert body == "hello from the server\n"
    finally:
        sh("docker", "rm", "-f", container, check=False)
    assert image_config(ref)["Entrypoint"] == ["/webapp"]


# -- a nested module with a sub-package -------------------------------------------------

GREET = 'package greet\n\nfunc Hello() string { return "hello from a sub-package" }\n'


@pytest.fixture(scope="module")
def mono(installed, reg, tmp_path_factory):
    """A repository whose root module is tagged v1.0.0 and whose nested module
    tools/greeter is tagged tools/greeter/v0.3.0, the way Go tags nested modules."""
    where = go_repo(
        tmp_path_factory.mktemp("mono") / "mono",
        {
            "go.mod": "module example.com/mono\n\ngo 1.24\n",
            "main.go": program(),
            "tools/greeter/go.mod": "module example.com/mono/tools/greeter\n\ngo 1.24\n",
            "tools/greeter/main.go": program(
                imports=["example.com/mono/tools/greeter/greet"], says="greet.Hello()"
            ),
            "tools/greeter/greet/greet.go": GREET,
        },
        "v1.0.0",
        "tools/greeter/v0.3.0",
    )
    return where


def test_a_nested_module_builds_from_its_directory_with_its_own_version(mono, installed, reg):
    greeter = mono / "tools" / "greeter"
    result = installed_invoke(
        installed, greeter / "greet", reg, "build", "--platforms", "linux/arm64"
    )
    assert result.returncode == 0, result.stderr
    ref = f"{reg['host']}/greeter:v0.3.0"
    assert f"image:  {ref}" in result.stdout
    commit = commit_of(mono)
    out = run_image(ref, "linux/arm64")
    assert out == f"greeter v0.3.0 (commit {commit}) on linux/arm64: hello from a sub-package"


def test_a_nested_module_releases_under_its_own_tags(mono, installed, reg):
    greeter = mono / "tools" / "greeter"
    result = installed_invoke(
        installed, greeter, reg, "release", "--platforms", "linux/amd64,linux/arm64"
    )
    assert result.returncode == 0, result.stderr
    assert "releasing v0.3.0 as 0.3.0, 0.3, latest" in result.stderr
    tags = set(RegistryAPI(reg["host"]).tags("greeter"))
    assert {"0.3", "0.3.0", "latest"} <= tags and not {"0", "1", "1.0.0"} & tags
    assert (greeter / "dist" / "greeter-0.3.0.oci.tar").is_file()
    assert not (mono / "dist").exists()
    # the root module, from the root, is v1.0.0: the nested module's tag is not its own
    root = installed_invoke(installed, mono, reg, "build", "--platforms", "linux/amd64")
    assert root.returncode == 0, root.stderr
    assert f"image:  {reg['host']}/mono:v1.0.0" in root.stdout
