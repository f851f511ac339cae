"""The signing key's checks, and cosign's key format written for a PKCS#8 PEM."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess

import pytest

from multiarch.build import signing
from multiarch.core.errors import UserError

PKCS8 = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEG\n-----END PRIVATE KEY-----\n"


@pytest.fixture
def cosign_on_path(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: f"/usr/bin/{name}")


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ("awskms://alias/k", "KMS keys (awskms://) are not supported yet"),
        ("hashivault://k", "KMS keys (hashivault://)"),
        ("missing.key", "no key file"),
    ],
)
def test_refused_keys(given, words, tmp_path, monkeypatch, cosign_on_path):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UserError, match=".*") as e:
        signing.private_key(given, {})
    assert words in str(e.value)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("-----BEGIN PUBLIC KEY-----\nAA==\n-----END PUBLIC KEY-----\n", "holds a PUBLIC KEY"),
        ("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAA==\n", "holds a ENCRYPTED PRIVATE KEY"),
        ("not a key", "holds no PEM key"),
    ],
)
def test_what_is_not_a_signing_key(text, words, tmp_path, cosign_on_path):
    path = tmp_path / "k.pem"
    path.write_text(text)
    with pytest.raises(UserError) as e:
        signing.private_key(str(path), {})
    assert words in str(e.value)


def test_a_cosign_key_needs_its_password_in_the_environment(tmp_path, cosign_on_path):
    path = tmp_path / "cosign.key"
    path.write_text("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\neyJ9\n")
    with pytest.raises(UserError, match="COSIGN_PASSWORD is not set"):
        signing.private_key(str(path), {})
    assert not signing.private_key(str(path), {"COSIGN_PASSWORD": ""}).imported
    pem = tmp_path / "k.pem"
    pem.write_text(PKCS8)
    assert signing.private_key(str(pem), {}).imported


def test_no_cosign_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    pem = tmp_path / "k.pem"
    pem.write_text(PKCS8)
    with pytest.raises(UserError, match="cosign is not installed"):
        signing.private_key(str(pem), {})


def test_the_cosign_key_format_opens_with_its_password():
    import hashlib

    from nacl.secret import SecretBox

    der = b"\x30\x81\x87 a PKCS#8 key"
    password = "a-password-of-20-char"  # long: random base64 never holds it by chance
    text = signing.cosign_key(der, password, n=1024)
    lines = text.splitlines()
    assert lines[0] == "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----"
    assert lines[-1] == "-----END ENCRYPTED SIGSTORE PRIVATE KEY-----"
    decoded = base64.b64decode("".join(lines[1:-1]))
    doc = json.loads(decoded)
    params = doc["kdf"]["params"]
    salt = base64.b64decode(doc["kdf"]["salt"])
    key = hashlib.scrypt(password.encode(), salt=salt, n=params["N"],
                         r=params["r"], p=params["p"], dklen=32)  # fmt: skip
    nonce = base64.b64decode(doc["cipher"]["nonce"])
    opened = SecretBox(key).decrypt(base64.b64decode(doc["ciphertext"]), nonce)
    assert opened == der
    # the password is in neither the file nor the document it encodes
    assert password not in text and password.encode() not in decoded


class Recorder:
    """Records cosign's commands, and the predicate file each attestation is given."""

    dry = False

    def __init__(self, failing: str = ""):
        self.commands: list[list[str]] = []
        self.predicates: dict[str, dict] = {}
        self.failing = failing

    def run(self, argv, env=None, hint=None):
        self.commands.append(list(argv))
        if "--predicate" in argv:
            path = argv[argv.index("--predicate") + 1]
            with open(path) as f:
                self.predicates[f"{argv[argv.index('--type') + 1]} {argv[-1]}"] = json.load(f)

    def show(self, argv):
        pass

    def query(self, argv, check=True):
        self.commands.append(list(argv))
        failed = self.failing and self.failing in argv
        return subprocess.CompletedProcess(argv, 1 if failed else 0, "", "no matching")


INDEX, AMD = "sha256:" + "1" * 64, "sha256:" + "2" * 64


def test_the_provenance_is_attested_on_its_manifest_and_the_index(tmp_path):
    key = signing.Key(tmp_path / "cosign.key", imported=False)
    runner = Recorder()
    slsa = {"buildDefinition": {"externalParameters": {"commit": "c" * 40}}}
    signing.sign("r/x", INDEX, {AMD: ("linux/amd64", {"spdxVersion": "SPDX-2.3"})}, key,
                 runner, {}, {AMD: slsa})  # fmt: skip
    assert runner.predicates == {
        f"spdxjson r/x@{AMD}": {"spdxVersion": "SPDX-2.3"},
        f"spdxjson r/x@{INDEX}": {"spdxVersion": "SPDX-2.3"},
        f"slsaprovenance1 r/x@{AMD}": slsa,
        f"slsaprovenance1 r/x@{INDEX}": slsa,
    }


def test_verify_checks_the_provenance_attestation_only_where_the_index_carries_it(tmp_path):
    pub = tmp_path / "cosign.pub"
    runner = Recorder()
    signing.check("r/x", INDEX, {AMD: "linux/amd64"}, pub, runner)
    assert not [c for c in runner.commands if "slsaprovenance1" in c]
    runner = Recorder(failing="slsaprovenance1")
    with pytest.raises(UserError) as refused:
        signing.check("r/x", INDEX, {AMD: "linux/amd64"}, pub, runner, {AMD})
    assert "the index (sha256:111111111111…) has no valid SLSA v1 provenance" in str(refused.value)
