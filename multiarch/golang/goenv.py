"""Where a build's Go modules come from, and what go needs to fetch private ones.

The go command decides where modules come from by a handful of variables (GOPROXY,
GOPRIVATE, ...). A build inside the image must see the same ones as `go build` on the
host, so each is taken from the configuration (`go.goproxy`, ...), else from the host's
environment, else from the file `go env -w` writes, exactly as the go command ranks
the last two. Only the variables that are set become build arguments.

Credentials never travel as a variable: a URL carrying them is refused. They reach the
build only as BuildKit secrets, which are mounted on the steps that fetch modules and
land in no layer, history entry, label or cache key: the user's netrc (go's own
`$NETRC`, else `~/.netrc`) or a file named in `go.netrc`, and a PEM file of extra CA
certificates (`go.ca`) that go trusts besides the system's. A module proxy on this
machine is only reachable from a RUN step with the host's network.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from ..core.errors import UserError
from ..core.options import settings_of
from ..oci.registry_api import is_loopback

# The go command's variables that decide where modules come from and how they are checked.
VARIABLES = (
    "GOPROXY",
    "GOPRIVATE",
    "GONOPROXY",
    "GONOSUMDB",
    "GONOSUMCHECK",
    "GOSUMDB",
    "GOINSECURE",
    "GOFLAGS",
)
# The ids of the BuildKit secrets, which the Dockerfile mounts by these names.
NETRC_SECRET = "netrc"
CA_SECRET = "go-ca"

NETRC_HINT = (
    "put them in a netrc (~/.netrc, or the file go.netrc names): "
    "`machine HOST[:PORT] login USER password SECRET`"
)
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s,|]+")
# What the go command says when a module source turns it away, as a build shows it.
# (one answer of a module source, 401/403 for want of credentials, 404/410 for none)
_ANSWERED = re.compile(r"go: (?:downloading )?(\S+@\S+): reading (\S+): ((40[134]|410)\b.*)")
_UNTRUSTED = re.compile(r'Get "(\S+)": tls: failed to verify certificate: (.*)')
_UNREACHABLE = re.compile(r"dial tcp (\S+): connect: connection refused")
# ... and when a module or the checksum of one is missing, wrong or nowhere to be had
_OFFLINE = re.compile(
    r"(\S+@\S+): (?:Get|reading) \"?(https?://[^/\s\"]+)\S*:? .*"
    r"(?:no such host|i/o timeout|network is unreachable|server misbehaving)"
)
_NO_SUM = re.compile(
    r"missing go\.sum entry for module providing package (\S+)(?: \(imported by (\S+)\))?"
)
_NO_MOD_SUM = re.compile(r"missing go\.sum entry for go\.mod file.*\n.*go mod download (\S+)")
_BAD_SUM = re.compile(r"verifying (\S+?)(/go\.mod)?: checksum mismatch")
# The Go version setting: a golang image tag that starts with a Go release line.
_GO_IMAGE_TAG = re.compile(r"[0-9]+\.[0-9]+[0-9A-Za-z_.-]*")
TIDY_HINT = "run `go mod tidy` in the module, and commit go.mod and go.sum"


@dataclass(frozen=True)
@settings_of("go")
class GoSettings:
    """The `go` section of the configuration (its entries: core/options.py); "" means: as
    the host has it. go.version, the golang image's tag the build runs on (GO_VERSION):
    when empty, the release line of the newest Go that go.mod (toolchain, else go line) or
    go.work asks for."""


@dataclass(frozen=True)
class GoEnv:
    """What a build gets: variables, secret files, its network, the Go image's version."""

    variables: dict[str, str] = field(default_factory=dict)
    netrc: Path | None = None
    ca: Path | None = None
    network: str = ""  # "host", "none", or "": the builder's default
    version: str | None = None  # GO_VERSION: golang:<version> builds it

    @property
    def host_network(self) -> bool:
        return self.network == "host"

    def build_args(self) -> dict[str, str]:
        """The variables set, and GO_VERSION when known."""
        return {**self.variables, **version_args(self.version)}

    def secrets(self) -> dict[str, Path]:
        found = {NETRC_SECRET: self.netrc, CA_SECRET: self.ca}
        return {name: path for name, path in found.items() if path is not None}

    def flags(self) -> list[str]:
        """buildx flags besides the build arguments: the secrets and the network."""
        args: list[str] = []
        for name, path in self.secrets().items():
            args += ["--secret", f"id={name},src={path}"]
        if self.host_network:
            # a docker-container builder grants it only if started with
            # --allow-insecure-entitlement network.host (builder.choose creates it so)
            args += ["--network", "host", "--allow", "network.host"]
        elif self.network:
            args += ["--network", self.network]
        return args

    def explain(self, output: list[str]) -> UserError | None:
        """A failed build's last output lines as one error, when go could not fetch a
        module for want of credentials, trust or network; else None."""
        text = "\n".join(output)
        found = _ANSWERED.search(text)
        if found and found[4] in ("404", "410"):
            module, url, status, _ = found.groups()
            return UserError(
                f"{module} cannot be had: {urlsplit(url).netloc} answers {status.strip()}",
                "check its version in go.mod (a typo, a tag never pushed), then run "
                "`go mod tidy`; a private module needs GOPRIVATE and go.netrc",
            )
        if found:
            module, url, status, _ = found.groups()
            host = urlsplit(url).netloc
            if self.netrc is None:
                hint = (
                    f"no netrc reached the build: put `machine {host} login USER password "
                    "SECRET` in ~/.netrc, or in a file that go.netrc names"
                )
            else:
                hint = (
                    f"{self.netrc} has no credentials {host} takes: go sends a netrc entry "
                    f"only over HTTPS, and only if its `machine` is {host} exactly"
                )
            return UserError(f"go was refused {module} by {host} ({status.strip()})", hint)
        if found := _UNTRUSTED.search(text):
            host = urlsplit(found[1]).netloc
            hint = (
                f"{self.ca} (go.ca) does not hold the CA that signed it"
                if self.ca
                else "name a PEM file of the CA that signed it in go.ca"
            )
            return UserError(
                f"go does not trust the certificate of {host} ({found[2].strip()})", hint
            )
        if (found := _UNREACHABLE.search(text)) and is_loopback(found[1]):
            hint = (
                "is the module proxy running?"
                if self.host_network
                else "a module source on this machine needs the host's network: set go.network "
                "to host"
            )
            return UserError(f"go cannot reach {found[1]} from the build", hint)
        if found := _OFFLINE.search(text):
            module, url = found.groups()
            hint = (
                "the build has no network (go.network is none): vendor the module "
                "(`go mod vendor`) or allow the network"
                if self.network == "none"
                else "check the builder's network and GOPROXY (go.goproxy)"
            )
            return UserError(f"go cannot reach {urlsplit(url).netloc} for {module}", hint)
        if found := _NO_SUM.search(text):
            importer = f" (imported by {found[2]})" if found[2] else ""
            return UserError(
                f"go.sum has no entry for the module of {found[1]}{importer}", TIDY_HINT
            )
        if found := _NO_MOD_SUM.search(text):
            return UserError(f"go.sum has no entry for {found[1]}'s go.mod", TIDY_HINT)
        if found := _BAD_SUM.search(text):
            what = f"{found[1]}'s go.mod" if found[2] else found[1]
            return UserError(
                f"go.sum's checksum of {what} does not match the download (SECURITY ERROR)",
                "if go.sum was edited or merged by hand, delete that module's lines from "
                "go.sum and run `go mod tidy`; else the module changed at its source: "
                "do not build it",
            )
        if "granting entitlement network.host is not allowed" in text:
            return UserError(
                "the builder does not grant the host's network, which a module proxy on this "
                "machine needs",
                "start its buildkitd with --allow-insecure-entitlement network.host "
                "(`docker buildx rm multiarch`: invoke build creates it so)",
            )
        return None


def resolve(
    settings: GoSettings,
    environ: Mapping[str, str],
    asks: str | None = None,
    vendored: bool = False,
) -> GoEnv:
    """The Go environment of a build, checked; UserError for credentials in a URL, a
    missing file, an unknown network setting or Go version. `asks` is the Go release
    line the module asks for ("1.25"); `vendored`, whether its dependencies are in
    vendor/. Reads files only: nothing runs."""
    stored = go_env_file(environ)
    variables: dict[str, str] = {}
    for name in VARIABLES:
        configured = getattr(settings, name.lower())
        # YAML may give a number (GONOSUMCHECK: 1), or None for a key left empty
        configured = "" if configured is None else str(configured)
        value = configured or environ.get(name) or stored.get(name, "")
        if value:
            refuse_credentials(name, value)
            variables[name] = value
    flags = variables.get("GOFLAGS", "")
    if vendored and "-mod=" not in flags:
        # what go does by itself with vendor/modules.txt, said out loud: the Dockerfiles
        # skip `go mod download` for it, so a vendored module needs no network
        variables["GOFLAGS"] = f"{flags} -mod=vendor".strip()
    # go.network (checked: core/options.py): auto is the host's network when a GOPROXY or
    # GOSUMDB URL names this machine, else the builder's default; none: no network at all
    # (a vendored module needs none)
    local = any(is_loopback(host) for host in url_hosts(variables))
    network = {"auto": "host" if local else "", "default": ""}.get(
        settings.network, settings.network
    )
    return GoEnv(
        variables=variables,
        netrc=netrc_file(settings.netrc, environ),
        ca=ca_file(settings.ca),
        network=network,
        version=image_version(settings, asks),
    )


def version_args(version: str | None) -> dict[str, str]:
    """GO_VERSION as a build arg, when there is one (else the Dockerfile's default)."""
    return {"GO_VERSION": version} if version else {}


def image_version(settings: GoSettings, asks: str | None) -> str | None:
    """GO_VERSION, the golang image's tag: go.version if set (checked), else `asks`."""
    version = "" if settings.version is None else str(settings.version)
    if version and not _GO_IMAGE_TAG.fullmatch(version):
        raise UserError(
            f"go.version {version!r} is not a golang image tag of a Go release",
            "set a release line such as 1.26 (golang:1.26), or leave it empty to follow go.mod",
        )
    return version or asks


def go_env_file(environ: Mapping[str, str]) -> dict[str, str]:
    """What `go env -w` wrote: $GOENV, else $XDG_CONFIG_HOME/go/env or ~/.config/go/env."""
    name = environ.get("GOENV", "")
    if name == "off":
        return {}
    if not name:
        config = environ.get("XDG_CONFIG_HOME") or str(_home(environ) / ".config")
        name = str(Path(config) / "go" / "env")
    try:
        text = Path(name).read_text()
    except OSError:
        return {}
    # the go command's own reading: NAME=VALUE lines, anything else is skipped
    pairs = (line.partition("=") for line in text.splitlines())
    return {key.strip(): value for key, sep, value in pairs if sep and key[:1].isupper()}


def refuse_credentials(name: str, value: str) -> None:
    """UserError if a URL in the value carries a user or password; the error never shows it."""
    for url in _URL.findall(value):
        parts = urlsplit(url)
        if "@" in parts.netloc:
            shown = f"{parts.scheme}://***@{parts.netloc.rpartition('@')[2]}"
            raise UserError(f"{name} carries credentials in a URL ({shown})", NETRC_HINT)


def url_hosts(variables: Mapping[str, str]) -> list[str]:
    """The host[:port] of every URL in GOPROXY and GOSUMDB."""
    found = []
    for name in ("GOPROXY", "GOSUMDB"):
        found += [urlsplit(url).netloc for url in _URL.findall(variables.get(name, ""))]
    return [host for host in found if host]


def netrc_file(setting: str, environ: Mapping[str, str]) -> Path | None:
    """The netrc to send: as configured (it must exist), else the one go reads on the host."""
    if setting:
        path = Path(setting).expanduser()
        if not path.is_file():
            raise UserError(f"go.netrc names {path}, which is not a file", NETRC_HINT)
        return path.resolve()
    path = Path(environ.get("NETRC") or _home(environ) / ".netrc")
    return path.resolve() if path.is_file() else None


def ca_file(setting: str) -> Path | None:
    if not setting:
        return None
    path = Path(setting).expanduser()
    hint = "name a PEM file holding the extra CA certificates in go.ca"
    try:
        text = path.read_text(errors="replace")
    except OSError:
        raise UserError(f"go.ca names {path}, which cannot be read", hint) from None
    if "-----BEGIN CERTIFICATE-----" not in text:
        raise UserError(f"go.ca names {path}, which holds no PEM certificate", hint)
    return path.resolve()


def _home(environ: Mapping[str, str]) -> Path:
    return Path(environ.get("HOME") or Path.home())
