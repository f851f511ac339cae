"""Where a build's modules come from: the Go environment, secrets and network, decided."""

import json
import subprocess
from pathlib import Path

import pytest

from multiarch.build import buildx
from multiarch.core.command import Runner
from multiarch.core.errors import UserError
from multiarch.golang import goenv
from multiarch.golang.goenv import GoEnv, GoSettings
from multiarch.host import builder, engine
from tests.unit.test_build_plan import flag_values, make_plan, module

PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


def home(tmp_path: Path, netrc: bool = False, go_env: str = "") -> dict[str, str]:
    """An environment whose HOME is a fresh directory, with a ~/.netrc and a go env file."""
    where = tmp_path / "home"
    (where / ".config" / "go").mkdir(parents=True, exist_ok=True)
    if netrc:
        (where / ".netrc").write_text("machine h login u password p\n")
    if go_env:
        (where / ".config" / "go" / "env").write_text(go_env)
    return {"HOME": str(where)}


def test_nothing_set_passes_nothing(tmp_path):
    env = goenv.resolve(GoSettings(), home(tmp_path))
    assert env == GoEnv()
    assert env.flags() == []


def test_config_over_environment_over_go_env_file(tmp_path):
    environ = {
        **home(tmp_path, go_env="GOPRIVATE=file.example/*\nGOFLAGS=-mod=mod\n# note\n"),
        "GOPRIVATE": "environ.example/*",
        "GONOSUMDB": "environ.example",
        "GOPATH": "/not/one/of/ours",
    }
    env = goenv.resolve(GoSettings(goprivate="config.example/*"), environ)
    assert env.variables == {
        "GOPRIVATE": "config.example/*",
        "GONOSUMDB": "environ.example",
        "GOFLAGS": "-mod=mod",
    }


def test_a_number_or_nothing_from_yaml(tmp_path):
    settings = GoSettings(gonosumcheck=1, goproxy=None)  # type: ignore[arg-type]
    env = goenv.resolve(settings, home(tmp_path))
    assert env.variables == {"GONOSUMCHECK": "1"}


def test_goenv_names_the_file_or_turns_it_off(tmp_path):
    file = tmp_path / "goenv"
    file.write_text("GOPROXY=https://proxy.example\n")
    assert goenv.resolve(GoSettings(), {"GOENV": str(file)}).variables == {
        "GOPROXY": "https://proxy.example"
    }
    environ = {**home(tmp_path, go_env="GOPROXY=https://proxy.example\n"), "GOENV": "off"}
    assert goenv.resolve(GoSettings(), environ).variables == {}


@pytest.mark.parametrize(
    "name, value",
    [
        ("goproxy", "https://alice:s3cret@proxy.example,direct"),
        ("goproxy", "https://proxy.example|https://token@other.example"),
        ("gosumdb", "sum.example+key https://u:s3cret@sum.example"),
    ],
)
def test_credentials_in_a_url_are_refused_without_showing_them(tmp_path, name, value):
    with pytest.raises(UserError) as e:
        goenv.resolve(GoSettings(**{name: value}), home(tmp_path))
    assert name.upper() in e.value.message and "***@" in e.value.message
    assert "s3cret" not in str(e.value) and "alice" not in str(e.value)
    assert "token" not in str(e.value) and "netrc" in e.value.hint


def test_credentials_in_the_host_environment_are_refused_too(tmp_path):
    environ = {**home(tmp_path), "GOPROXY": "https://u:p@proxy.example"}
    with pytest.raises(UserError):
        goenv.resolve(GoSettings(), environ)


def test_netrc_from_config_netrc_variable_or_home(tmp_path):
    environ = home(tmp_path, netrc=True)
    assert goenv.resolve(GoSettings(), environ).netrc == Path(environ["HOME"]) / ".netrc"
    other = tmp_path / "other.netrc"
    other.write_text("machine x login u password p\n")
    assert goenv.resolve(GoSettings(), {**environ, "NETRC": str(other)}).netrc == other
    assert goenv.resolve(GoSettings(netrc=str(other)), {}).netrc == other
    assert goenv.resolve(GoSettings(), home(tmp_path / "bare")).netrc is None


def test_a_configured_netrc_or_ca_must_be_there(tmp_path):
    with pytest.raises(UserError, match="go.netrc"):
        goenv.resolve(GoSettings(netrc=str(tmp_path / "none")), home(tmp_path))
    with pytest.raises(UserError, match="cannot be read"):
        goenv.resolve(GoSettings(ca=str(tmp_path / "none")), home(tmp_path))
    (tmp_path / "not.pem").write_text("hello\n")
    with pytest.raises(UserError, match="no PEM certificate"):
        goenv.resolve(GoSettings(ca=str(tmp_path / "not.pem")), home(tmp_path))


@pytest.mark.parametrize(
    "settings, host",
    [
        (GoSettings(), False),
        (GoSettings(goproxy="https://proxy.example,direct"), False),
        (GoSettings(goproxy="https://127.0.0.1:8443"), True),
        (GoSettings(goproxy="https://proxy.example|http://localhost:3000"), True),
        (GoSettings(gosumdb="sum.example+key https://[::1]:9000"), True),
        (GoSettings(goproxy="https://localhost:8443", network="default"), False),
        (GoSettings(network="host"), True),
    ],
)
def test_the_host_network_when_a_module_source_is_on_this_machine(tmp_path, settings, host):
    assert goenv.resolve(settings, home(tmp_path)).host_network is host


def test_unknown_network_setting(tmp_path):
    with pytest.raises(UserError, match="go.network"):
        goenv.resolve(GoSettings(network="bridge"), home(tmp_path))


def test_the_build_command_gets_variables_secrets_and_network(tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text(PEM)
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1:8443 login u password s3cret\n")
    settings = GoSettings(goproxy="https://127.0.0.1:8443", netrc=str(netrc), ca=str(ca))
    plan = make_plan(module(tmp_path / "m"))
    plan.go = goenv.resolve(settings, {**home(tmp_path), "GONOSUMDB": "corp.example"})
    argv = buildx.command(plan, {}, None)
    args = flag_values(argv, "--build-arg")
    assert "GOPROXY=https://127.0.0.1:8443" in args and "GONOSUMDB=corp.example" in args
    assert flag_values(argv, "--secret") == [f"id=netrc,src={netrc}", f"id=go-ca,src={ca}"]
    assert flag_values(argv, "--network") == ["host"]
    assert flag_values(argv, "--allow") == ["network.host"]
    assert "s3cret" not in " ".join(argv)


def test_the_dockerfile_mounts_the_secrets_the_build_sends():
    text = (Path(__file__).parents[2] / "Dockerfile").read_text()
    for secret in (goenv.NETRC_SECRET, goenv.CA_SECRET):
        assert text.count(f"--mount=type=secret,id={secret},") == 2
    declared = [line.split()[1:] for line in text.splitlines() if line.startswith("ARG GOPROXY")]
    assert declared == [list(goenv.VARIABLES)]


OUTPUT = {
    "refused": "#10 0.093 go: private.example/secret@v1.0.0: reading "
    "https://127.0.0.1:8443/private.example/secret/@v/v1.0.0.mod: 401 Unauthorized",
    "untrusted": '0.066 go: private.example/secret@v1.0.0: Get "https://127.0.0.1:8443/'
    'private.example/secret/@v/v1.0.0.mod": tls: failed to verify certificate: x509: '
    "certificate signed by unknown authority",
    "unreachable": "go: private.example/secret@v1.0.0: Get "
    '"https://127.0.0.1:8443/private.example/secret/@v/v1.0.0.mod": dial tcp '
    "127.0.0.1:8443: connect: connection refused",
}


def test_refused_without_netrc_says_where_credentials_go():
    e = GoEnv().explain(["#10 [builder 6/8] RUN go mod download", OUTPUT["refused"]])
    assert e is not None
    assert e.message == (
        "go was refused private.example/secret@v1.0.0 by 127.0.0.1:8443 (401 Unauthorized)"
    )
    assert "machine 127.0.0.1:8443" in e.hint


def test_refused_with_a_netrc_says_the_machine_must_name_the_port(tmp_path):
    e = GoEnv(netrc=tmp_path / "netrc").explain([OUTPUT["refused"]])
    assert e is not None and str(tmp_path / "netrc") in e.hint and "127.0.0.1:8443" in e.hint


def test_untrusted_certificate_points_at_go_ca():
    e = GoEnv().explain([OUTPUT["untrusted"]])
    assert e is not None and "does not trust" in e.message and "go.ca" in e.hint


def test_unreachable_proxy_on_this_machine_points_at_the_network():
    e = GoEnv().explain([OUTPUT["unreachable"]])
    assert e is not None and "go.network" in e.hint
    e = GoEnv(network="host").explain([OUTPUT["unreachable"]])
    assert e is not None and "running" in e.hint


def test_other_failures_are_left_to_the_build_output():
    assert GoEnv().explain(["./main.go:3:1: syntax error", "ERROR: failed to solve"]) is None


class NoContainerdStore(Runner):
    """A daemon without the containerd image store and no `multiarch` builder yet:
    answers the look-ups, records what would run."""

    def __init__(self):
        super().__init__(dry=True)
        self.ran: list[list[str]] = []

    def query(self, argv, *, check=True, hint=None, timeout=None):
        answers = {
            "info": (
                0,
                json.dumps(
                    {
                        "ServerVersion": "26.1.5",
                        "DriverStatus": [["Backing Filesystem", "extfs"]],
                        "OSType": "linux",
                        "Architecture": "x86_64",
                        "Name": "here",
                    }
                ),
            ),
            "version": (0, "github.com/docker/buildx v0.13.1 x"),
            "inspect": (1, ""),
        }
        code, out = answers[argv[2] if argv[1] == "buildx" else argv[1]]
        return subprocess.CompletedProcess(argv, code, out, "")

    def run(self, argv, **kwargs):
        self.ran.append(list(argv))


def test_the_container_builder_is_created_able_to_grant_the_host_network(monkeypatch):
    monkeypatch.setattr(engine, "get", lambda url: None)  # the fake daemon answers
    runner = NoContainerdStore()
    chosen = builder.choose(runner)
    assert chosen.name == builder.CONTAINER_BUILDER
    [create] = runner.ran
    assert create[:3] == ["docker", "buildx", "create"]
    flags = create[create.index("--buildkitd-flags") + 1]
    assert flags == "--allow-insecure-entitlement network.host"
