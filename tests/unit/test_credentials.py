"""Docker's credentials: config.json auths, credential helpers (real programs), Docker Hub."""

from __future__ import annotations

import base64
import json

import pytest

from multiarch.core.errors import UserError
from multiarch.oci import credentials


@pytest.fixture
def config(tmp_path, monkeypatch):
    """Write $DOCKER_CONFIG/config.json."""
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))

    def write(document: dict) -> None:
        (tmp_path / "config.json").write_text(json.dumps(document))

    return write


def auth(user: str, password: str) -> dict:
    return {"auth": base64.b64encode(f"{user}:{password}".encode()).decode()}


def helper(tmp_path, monkeypatch, name: str, answers: dict[str, dict]) -> None:
    """A docker-credential-NAME program on PATH answering `get` for some servers."""
    program = tmp_path / "bin" / f"docker-credential-{name}"
    program.parent.mkdir(exist_ok=True)
    program.write_text(
        "#!/usr/bin/env python3\nimport json, sys\n"
        f"answers = {json.dumps(answers)!r}\n"
        "server = sys.stdin.read().strip()\n"
        "if sys.argv[1] != 'get' or server not in json.loads(answers):\n"
        "    print('credentials not found in native keychain'); sys.exit(1)\n"
        "print(json.dumps(json.loads(answers)[server]))\n"
    )
    program.chmod(0o755)
    monkeypatch.setenv("PATH", f"{program.parent}:{__import__('os').environ['PATH']}")


def test_no_configuration_no_credentials(config):
    assert credentials.lookup("ghcr.io") is None


def test_auths_entry(config):
    config({"auths": {"ghcr.io": auth("me", "s3cr:et"), "https://quay.io": auth("q", "p")}})
    found = credentials.lookup("ghcr.io")
    assert (found.username, found.secret, found.identity_token) == ("me", "s3cr:et", False)
    assert credentials.lookup("quay.io").username == "q"
    assert credentials.lookup("example.com") is None
    assert "s3cr" not in repr(found), "secrets stay out of reprs and logs"


def test_docker_hub_is_keyed_by_its_v1_url(config):
    config({"auths": {"https://index.docker.io/v1/": auth("hub", "pw")}})
    assert credentials.lookup("docker.io").username == "hub"
    assert credentials.lookup("registry-1.docker.io").username == "hub"


def test_identity_token(config):
    config({"auths": {"myregistry.azurecr.io": {"auth": "", "identitytoken": "refresh-me"}}})
    found = credentials.lookup("myregistry.azurecr.io")
    assert found.identity_token and found.secret == "refresh-me"


def test_credential_helper_for_one_host_then_the_store(config, tmp_path, monkeypatch):
    helper(tmp_path, monkeypatch, "gcloud", {"gcr.io": {"Username": "_token", "Secret": "t1"}})
    helper(tmp_path, monkeypatch, "pass", {"ghcr.io": {"Username": "me", "Secret": "t2"}})
    config(
        {
            "credHelpers": {"gcr.io": "gcloud"},
            "credsStore": "pass",
            "auths": {"quay.io": auth("q", "p")},
        }
    )
    assert credentials.lookup("gcr.io").secret == "t1"
    assert credentials.lookup("ghcr.io").secret == "t2"
    # the store has nothing for quay.io: the auths entry still counts
    assert credentials.lookup("quay.io").secret == "p"


def test_a_helper_that_is_not_installed(config):
    config({"credsStore": "no-such-helper"})
    with pytest.raises(UserError, match="docker-credential-no-such-helper, which is not"):
        credentials.lookup("ghcr.io")


def test_a_broken_auth_entry(config):
    config({"auths": {"ghcr.io": {"auth": "%%%"}}})
    with pytest.raises(UserError, match="not base64"):
        credentials.lookup("ghcr.io")
