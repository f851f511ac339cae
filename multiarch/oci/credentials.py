"""Docker's credentials for a registry, found where `docker login` put them.

`$DOCKER_CONFIG/config.json` (default `~/.docker/config.json`): `credHelpers[host]`,
else `credsStore`, name a `docker-credential-<name>` program that answers `get` with
the host on stdin; else `auths[host]` holds `auth` (base64 "user:password") or an
`identitytoken` (an OAuth refresh token). Docker Hub's entry is keyed
`https://index.docker.io/v1/`. Nothing here prints or logs a secret.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import UserError

DOCKER_HUB = "https://index.docker.io/v1/"
DOCKER_HUB_NAMES = ("docker.io", "index.docker.io", "registry-1.docker.io")


@dataclass(frozen=True)
class Credentials:
    username: str
    secret: str = field(repr=False)  # a password, a token, or an identity token
    identity_token: bool = False  # `secret` is an OAuth refresh token, not a password


def config_path() -> Path:
    return Path(os.environ.get("DOCKER_CONFIG") or Path.home() / ".docker") / "config.json"


def lookup(host: str) -> Credentials | None:
    """The credentials Docker would use for `host`; None when it has none."""
    path = config_path()
    try:
        config = json.loads(path.read_text()) if path.is_file() else {}
    except (OSError, ValueError) as e:
        raise UserError(f"cannot read Docker's configuration {path}: {e}") from None
    key = DOCKER_HUB if host in DOCKER_HUB_NAMES else host
    helper = (config.get("credHelpers") or {}).get(key) or config.get("credsStore")
    if helper:
        found = _from_helper(helper, key)
        if found is not None:
            return found
    auths = config.get("auths") or {}
    entry = next((auths[k] for k in auths if _server(k) == _server(key)), None)
    return _from_entry(entry, key, path) if entry else None


def _server(key: str) -> str:
    """ "https://host:5000/v1/" and "host:5000" name the same registry."""
    return key.removeprefix("https://").removeprefix("http://").split("/")[0]


def _from_entry(entry: dict, host: str, path: Path) -> Credentials | None:
    if entry.get("identitytoken"):
        return Credentials(entry.get("username", ""), entry["identitytoken"], identity_token=True)
    if entry.get("auth"):
        try:
            user, _, password = (
                base64.b64decode(entry["auth"], validate=True).decode().partition(":")
            )
        except (binascii.Error, UnicodeDecodeError):
            raise UserError(
                f"the credentials for {host} in {path} are not base64 'user:password'",
                f"docker login {host} again",
            ) from None
        return Credentials(user, password)
    if entry.get("username") and entry.get("password"):
        return Credentials(entry["username"], entry["password"])
    return None


def _from_helper(helper: str, key: str) -> Credentials | None:
    program = f"docker-credential-{helper}"
    try:
        done = subprocess.run(
            [program, "get"], input=key, capture_output=True, text=True, timeout=30
        )
    except (FileNotFoundError, PermissionError):  # EACCES: a PATH entry this user can't read
        raise UserError(
            f"Docker's configuration {config_path()} names the credential helper {program}, "
            "which is not installed (or not runnable by this user)",
            f"install it, or remove it from {config_path()}",
        ) from None
    except subprocess.TimeoutExpired:
        raise UserError(f"{program} get did not answer within 30 s") from None
    if done.returncode != 0:  # "credentials not found in native keychain": none stored
        return None
    try:
        answer = json.loads(done.stdout)
    except ValueError:
        raise UserError(f"{program} get answered something that is not JSON") from None
    user, secret = answer.get("Username", ""), answer.get("Secret", "")
    if not secret:
        return None
    return Credentials(user, secret, identity_token=user == "<token>")
