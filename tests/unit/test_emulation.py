"""Native or emulated, judged by the daemon's host: local, Docker Desktop, remote."""

from __future__ import annotations

import json
import socket
import subprocess

import pytest

from multiarch.core.errors import UserError
from multiarch.core.platforms import parse_one
from multiarch.host import emulation, engine
from multiarch.prove import doctor
from tests.unit.test_binfmt import ENTRY


class FakeDocker:
    """Answers `docker info --format {{json .}}` as a daemon would; runs nothing."""

    dry = False

    def __init__(self, info: dict | None, stderr: str = ""):
        self.info = info
        self.stderr = stderr

    def query(self, argv, check=True, hint=None):
        assert argv[:2] == ["docker", "info"]
        out = json.dumps(self.info) if self.info else ""
        return subprocess.CompletedProcess(argv, 0 if self.info else 1, out, self.stderr)


@pytest.fixture(autouse=True)
def no_socket(monkeypatch):
    """The fake answers, not the daemon on this machine's socket."""
    monkeypatch.setattr(engine, "get", lambda url: None)


def info(arch="x86_64", name=None, system="Debian GNU/Linux 12 (bookworm)", os_type="linux"):
    return {
        "ServerVersion": "26.1.5",
        "DriverStatus": [],
        "OSType": os_type,
        "Architecture": arch,
        "Name": name or socket.gethostname(),
        "OperatingSystem": system,
    }


@pytest.fixture
def root(tmp_path):
    """Debian's qemu-user-static registrations for arm64 and arm."""
    (tmp_path / "status").write_text("enabled\n")
    (tmp_path / "qemu-aarch64").write_text(ENTRY)
    (tmp_path / "qemu-arm").write_text(ENTRY)
    return tmp_path


def test_a_local_daemon(monkeypatch):
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    host = emulation.daemon_host(FakeDocker(info()))
    assert host == emulation.DaemonHost("linux", "amd64", socket.gethostname(), True)


@pytest.mark.parametrize(
    ("docker_host", "answer"),
    [
        ("", info("aarch64", "docker-desktop", "Docker Desktop")),  # Docker Desktop on a Mac
        ("tcp://10.0.0.5:2376", info()),  # a remote daemon, whatever its name
        ("ssh://builder@arm-box", info("aarch64", "arm-box", "Ubuntu 24.04")),
        ("", info(name="another-host")),  # a docker context pointing elsewhere
    ],
)
def test_daemons_on_other_hosts(monkeypatch, docker_host, answer):
    monkeypatch.setenv("DOCKER_HOST", docker_host)
    host = emulation.daemon_host(FakeDocker(answer))
    assert not host.local


def test_no_daemon():
    with pytest.raises(UserError, match="does not answer: Cannot connect"):
        emulation.daemon_host(FakeDocker(None, "Cannot connect to the Docker daemon"))


LOCAL = emulation.DaemonHost("linux", "amd64", "vm", True)
DESKTOP = emulation.DaemonHost("linux", "arm64", "docker-desktop", False)


def test_native_is_the_daemons_architecture_not_ours(root):
    # on an Apple silicon Mac, arm64 is native and amd64 is emulated, whatever runs invoke
    assert emulation.judge(parse_one("linux/arm64"), DESKTOP, root).runs == "native"
    amd64 = emulation.judge(parse_one("linux/amd64"), DESKTOP, root)
    assert amd64.runs == "emulated (qemu-x86_64)"
    assert not amd64.confirmed and amd64.problem is None and amd64.local is None
    assert emulation.judge(parse_one("linux/amd64"), LOCAL, root).confirmed
    assert emulation.judge(parse_one("linux/386"), LOCAL, root).native


def test_a_local_registration_is_a_shortcut(root):
    verdict = emulation.judge(parse_one("linux/arm64"), LOCAL, root)
    assert verdict.confirmed and verdict.runs == "emulated (qemu-aarch64)"
    assert verdict.how == f"{root / 'qemu-aarch64'} is enabled with flag F"


def test_a_missing_local_registration_decides_nothing(tmp_path):
    # binfmt_misc may be elsewhere: running it is what tells
    verdict = emulation.judge(parse_one("linux/arm64"), LOCAL, tmp_path)
    assert verdict.problem is None and not verdict.confirmed
    assert "not mounted" in verdict.local.what
    # and when running says "exec format error", the local registration says why
    problem = emulation.cannot_run(verdict, LOCAL)
    assert problem.what == (
        "the Docker daemon (linux/amd64) cannot run linux/arm64: exec format error; "
        + verdict.local.what
    )
    assert problem.fix == verdict.local.fix


def test_a_remote_daemon_that_cannot_emulate(root):
    verdict = emulation.judge(parse_one("linux/s390x"), DESKTOP, root)
    problem = emulation.cannot_run(verdict, DESKTOP)
    assert "the Docker daemon (linux/arm64) cannot run linux/s390x: exec format error" in (
        problem.what
    )
    assert "'docker-desktop' has no working qemu-s390x emulation" in problem.what
    assert "tonistiigi/binfmt --install s390x" in problem.fix
    assert "Docker Desktop" in problem.fix


def test_another_os_never_runs():
    verdict = emulation.judge(parse_one("windows/amd64"), LOCAL)
    assert "do not run on the daemon's linux host" in verdict.problem.what


def test_exec_format_error():
    assert emulation.exec_format_error("exec /app: exec format error\n")
    assert not emulation.exec_format_error("panic: boom")


# `invoke doctor`'s rows for each platform


def test_doctor_with_a_local_daemon(root):
    assert doctor.platform_check(parse_one("linux/amd64"), LOCAL, root).detail == (
        "native on the daemon's linux/amd64 host"
    )
    arm = doctor.platform_check(parse_one("linux/arm64"), LOCAL, root)
    assert arm.ok and arm.detail == f"emulated: {root / 'qemu-aarch64'} is enabled with flag F"
    s390x = doctor.platform_check(parse_one("linux/s390x"), LOCAL, root)
    assert not s390x.ok and s390x.required and "no binfmt_misc entry qemu-s390x" in s390x.detail


def test_doctor_on_docker_desktop_is_not_judged_by_this_machine(root):
    assert doctor.platform_check(parse_one("linux/arm64"), DESKTOP, root).ok
    amd64 = doctor.platform_check(parse_one("linux/amd64"), DESKTOP, root)
    assert not amd64.ok and not amd64.required, "a warning: only running it can tell"
    assert "'docker-desktop', which is not this machine" in amd64.detail
    windows = doctor.platform_check(parse_one("windows/amd64"), DESKTOP, root)
    assert not windows.ok and windows.required
