"""Signatures and SBOM attestations by cosign, with a key; and their verification.

Everything is cosign's own doing (`cosign sign`, `cosign attest --type spdxjson`, `cosign
verify`, `cosign verify-attestation`), stored where cosign stores it (the `sha256-….sig`
and `.att` tags beside the image), so `cosign verify --key cosign.pub` checks it with no
help from here. No transparency log is reachable here: signing passes
`--tlog-upload=false`, verifying `--insecure-ignore-tlog=true`.

What is signed: the index every tag of a release names, and each platform's manifest;
what is attested: each platform's SPDX SBOM and, when the index carries it, its SLSA v1
provenance (`--type slsaprovenance1`), on its manifest and on the index (so that `cosign
verify-attestation --type spdxjson` (or slsaprovenance1) passes on any tag).

The key: a file `cosign generate-key-pair` wrote (its password from COSIGN_PASSWORD, which
cosign reads from its environment), or an unencrypted PKCS#8 PEM, which is written as a
cosign key into a private temporary directory for the signing, under a random password
given to cosign the same way. (cosign's own `import-key-pair` would do that, but Debian's
cosign 2.5.0 refuses every key there: "unsupported public key type". The format is
cosign's: the PKCS#8 DER sealed with nacl/secretbox under a scrypt key, as JSON, in a PEM
block "ENCRYPTED SIGSTORE PRIVATE KEY".) The key's path is the only thing of it in a
command line; the key and the password are never printed, logged or put in an error.
A KMS URI is refused for now.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..core.command import Runner, last_line, say
from ..core.errors import UserError

PASSWORD = "COSIGN_PASSWORD"
COSIGN_KEYS = ("ENCRYPTED SIGSTORE PRIVATE KEY", "ENCRYPTED COSIGN PRIVATE KEY")
PKCS8 = "PRIVATE KEY"
NO_TLOG_SIGN = "--tlog-upload=false"
NO_TLOG_VERIFY = "--insecure-ignore-tlog=true"
SPDXJSON = "spdxjson"
SLSA1 = "slsaprovenance1"
INSTALL = "run scripts/provision.sh (it installs Debian's cosign/trixie)"


@dataclass(frozen=True)
class Key:
    path: Path
    imported: bool  # an unencrypted PKCS#8 PEM, imported for cosign at each use


def _pem_type(path: Path, what: str) -> str:
    try:
        with path.open("rb") as f:
            head = f.read(4096)
    except OSError as e:
        raise UserError(f"cannot read {what} {path}: {e.strerror}", "check the path") from None
    found = re.search(rb"-----BEGIN ([A-Z0-9 ]+)-----", head)
    return found.group(1).decode() if found else ""


def _cosign() -> None:
    if shutil.which("cosign") is None:
        raise UserError("cosign is not installed", INSTALL)


def private_key(given: str, environ: Mapping[str, str]) -> Key:
    """The signing key, checked before anything is built or pushed."""
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", given):
        raise UserError(
            f"KMS keys ({given.split('://')[0]}://) are not supported yet",
            "give a key file: `cosign generate-key-pair`'s cosign.key, or a PKCS#8 PEM",
        )
    path = Path(given).expanduser()
    if not path.is_file():
        raise UserError(f"no key file {path}", "give the path of cosign.key or a PKCS#8 PEM")
    kind = _pem_type(path, "the key file")
    if kind in COSIGN_KEYS:
        if PASSWORD not in environ:
            raise UserError(
                f"{PASSWORD} is not set: cosign reads the password of {path} from it",
                f"export {PASSWORD} (empty for a key made without one)",
            )
        _cosign()
        return Key(path.resolve(), imported=False)
    if kind == PKCS8:
        _cosign()
        return Key(path.resolve(), imported=True)
    said = f"a {kind}" if kind else "no PEM key"
    raise UserError(
        f"{path} holds {said}, not a private key cosign can sign with",
        "give cosign.key (cosign generate-key-pair) or an unencrypted PKCS#8 PEM "
        "(openssl pkcs8 -topk8 -nocrypt)",
    )


def public_key(given: str) -> Path:
    """The key to verify with: a PEM public key file (cosign.pub)."""
    path = Path(given).expanduser()
    if not path.is_file():
        raise UserError(f"no public key file {path}", "give the path of cosign.pub")
    if _pem_type(path, "the public key file") != "PUBLIC KEY":
        raise UserError(f"{path} is not a PEM public key", "give cosign.pub, not the private key")
    _cosign()
    return path.resolve()


@contextmanager
def usable(key: Key, environ: Mapping[str, str]) -> Iterator[tuple[Path, dict]]:
    """(the key file cosign signs with, the environment it runs in)."""
    if not key.imported:
        yield key.path, dict(environ)
        return
    with tempfile.TemporaryDirectory(prefix="multiarch-key-") as tmp:
        os.chmod(tmp, 0o700)
        password = secrets.token_urlsafe(32)
        path = Path(tmp) / "cosign.key"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(cosign_key(_pkcs8(key.path), password))
        yield path, {**environ, PASSWORD: password}


def _pkcs8(path: Path) -> bytes:
    """The DER of a PEM "PRIVATE KEY" block (PKCS#8)."""
    text = path.read_text(encoding="ascii", errors="replace")
    found = re.search(r"-----BEGIN PRIVATE KEY-----(.*?)-----END PRIVATE KEY-----", text, re.S)
    try:
        return base64.b64decode("".join((found.group(1) if found else "").split()), validate=True)
    except ValueError:
        raise UserError(f"{path}: its PRIVATE KEY block is not base64", "check the file") from None


def cosign_key(der: bytes, password: str, n: int = 32768) -> str:
    """A PKCS#8 key in cosign's encrypted format (go-securesystemslib's `encrypted`)."""
    from nacl.secret import SecretBox

    salt, nonce = os.urandom(32), os.urandom(SecretBox.NONCE_SIZE)
    secret = hashlib.scrypt(
        password.encode(), salt=salt, n=n, r=8, p=1, dklen=32, maxmem=256 * 1024 * 1024
    )
    sealed = SecretBox(secret).encrypt(der, nonce).ciphertext

    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode()

    document = {
        "kdf": {"name": "scrypt", "params": {"N": n, "r": 8, "p": 1}, "salt": b64(salt)},
        "cipher": {"name": "nacl/secretbox", "nonce": b64(nonce)},
        "ciphertext": b64(sealed),
    }
    body = base64.encodebytes(json.dumps(document).encode()).decode()
    return f"-----BEGIN {COSIGN_KEYS[0]}-----\n{body}-----END {COSIGN_KEYS[0]}-----\n"


def sign(
    repository: str,
    index: str,
    sboms: dict[str, tuple[str, dict]],
    key: Key,
    runner: Runner,
    environ: Mapping[str, str],
    provenance: Mapping[str, dict] | None = None,
) -> None:
    """Sign the index and each platform manifest of `repository` (HOST/NAME), and attest
    each platform's SBOM (`sboms`: manifest digest -> (platform, SPDX document)) and SLSA
    v1 predicate (`provenance`: manifest digest -> predicate) on its manifest and on the
    index."""
    refs = [f"{repository}@{index}", *(f"{repository}@{d}" for d in sboms)]
    say(f"signing {repository}@{index[:19]}… and its {len(sboms)} platforms with {key.path}")
    with (
        usable(key, environ) as (path, env),
        tempfile.TemporaryDirectory(prefix="multiarch-sbom-") as tmp,
    ):
        base = ["--key", str(path), NO_TLOG_SIGN, "--yes"]
        runner.run(["cosign", "sign", *base, *refs], env=env, hint=HINT)
        for digest, (platform, document) in sboms.items():
            name = platform.replace("/", "-")
            kinds = [(SPDXJSON, f"{name}.spdx.json", document)]
            if digest in (provenance or {}):
                kinds.append((SLSA1, f"{name}.slsa.json", provenance[digest]))
            for kind, filename, body in kinds:
                predicate = Path(tmp) / filename
                predicate.write_text(json.dumps(body))
                for target in (digest, index):
                    runner.run(
                        ["cosign", "attest", *base, "--type", kind, "--predicate",
                         str(predicate), f"{repository}@{target}"],
                        env=env, hint=HINT,
                    )  # fmt: skip


HINT = "cosign's own output above says why"


def check(
    repository: str,
    index: str,
    platforms: dict[str, str],
    key: Path,
    runner: Runner,
    provenance: Collection[str] = (),
):
    """UserError naming the first signature, SBOM or (for the manifests in `provenance`,
    and the index when there are any) SLSA v1 provenance attestation by `key` that is
    missing: on the index and on each platform's manifest (`platforms`: digest -> platform)."""
    targets = [("the index", index), *((p, d) for d, p in platforms.items())]
    for what, digest in targets:
        ref = f"{repository}@{digest}"
        checks = [
            (["cosign", "verify"], "signature"),
            (["cosign", "verify-attestation", "--type", SPDXJSON], "SPDX attestation"),
        ]
        if digest in provenance or (digest == index and provenance):
            checks.append((["cosign", "verify-attestation", "--type", SLSA1], "SLSA v1 provenance"))
        for command, missing in checks:
            argv = [*command, "--key", str(key), NO_TLOG_VERIFY, ref]
            runner.show(argv)
            done = runner.query(argv, check=False)
            if done.returncode != 0:
                why = last_line(done.stderr)
                raise UserError(
                    f"{what} ({digest[:19]}…) has no valid {missing} by {key.name}"
                    + (f": {why}" if why else ""),
                    "sign it with `invoke sign --key KEY`; a re-tagged or altered index "
                    "has no signature",
                )
