"""Every option declared once: its section and key, its default (whose type is the option's
type), one line of help, the task flag it is and how it is checked.

From these entries come the defaults table (config.DEFAULTS, which Invoke is given and
docs/configuration.md is checked against), the fields of the settings dataclasses
(`@settings_of("registry")`), the checks those run where they are made, and the flags of the
tasks (tasks/options.py: a task names the options it takes, their help and their
`--x/--no-x` pairs are made from the entries). Adding an option is one entry here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable

from .errors import UserError


@dataclasses.dataclass(frozen=True)
class Option:
    section: str
    key: str
    default: str | bool | int | float
    help: str  # one line; "{default}" is filled in
    # the task flag's name where it is not the key's (--cache for build.no_cache); None for
    # a setting no task takes as a flag (then messages name only section.key)
    flag: str | None = ""
    invert: bool = False  # the flag says the opposite: --cache sets no_cache false
    # run where the settings are made, on a value of the right type: raises UserError
    check: Callable[[object, str], None] | None = None

    @property
    def name(self) -> str:
        return f"{self.section}.{self.key}"

    @property
    def flag_name(self) -> str:
        """The flag as typed, without its dashes: "allow-workspace"."""
        if self.flag is None:
            raise ValueError(f"{self.name} is not a task flag")
        return self.flag or self.key.replace("_", "-")

    @property
    def attr(self) -> str:
        """The flag as a Python parameter: "allow_workspace"."""
        return self.flag_name.replace("-", "_")

    @property
    def label(self) -> str:
        """How messages name it: "--port (registry.port)", "registry.ready_timeout"."""
        return self.name if self.flag is None else f"--{self.flag_name} ({self.name})"

    @property
    def text(self) -> str:
        """The help, its default filled in."""
        shown = f"{self.default:g}" if isinstance(self.default, float) else str(self.default)
        return self.help.replace("{default}", shown)

    def flag_default(self) -> bool | None:
        """The default of the task parameter: on/off for a switch (what it is unless its
        opposite is given), None for a value (not given: the configured value stays)."""
        if isinstance(self.default, bool):
            return self.default != self.invert
        return None

    def given(self, value):
        """A flag's value as the setting's (None: not given)."""
        return (not value) if self.invert and value is not None else value

    def checked(self, value):
        """The value as the setting holds it: a number given as text made a number (a flag
        gives text), then the entry's check; UserError naming the option."""
        if isinstance(self.default, int | float) and not isinstance(self.default, bool):
            value = number(value, self.label, type(self.default))
        if self.check is not None:
            self.check(value, self.label)
        return value


def number(value, name: str, kind: type = float):
    """A number from a flag or the configuration; UserError when it is not one."""
    try:
        return kind(value)
    except (TypeError, ValueError, OverflowError):
        raise UserError(f"{name} must be a number, not {value!r}", "give a number") from None


def one_of(*choices: str, what: str, hint: str = "") -> Callable[[object, str], None]:
    """A check: the value is one of `choices`; else "unknown WHAT 'value'"."""
    listed = f"{', '.join(choices[:-1])} or {choices[-1]}"

    def check(value, label: str) -> None:
        if value not in choices:
            raise UserError(f"unknown {what} {value!r}", hint or f"use {listed}")

    return check


ATTESTATIONS = ("auto", "on", "off", "true", "false")
PUSH_FROM = ("auto", "builder", "client")
GO_NETWORKS = ("auto", "host", "default", "none")
BUILDER_DRIVERS = ("docker-container", "remote", "kubernetes")

ENTRIES: tuple[Option, ...] = (
    # the local registry (multiarch/host/registry.py)
    Option("registry", "name", "registry", "container name (config registry.name, default "
      "'{default}')"),
    Option("registry", "port", 5000, "host port (config registry.port, default {default})"),
    Option("registry", "bind", "127.0.0.1", "host IP address to publish on (config registry.bind, "
      "default {default})"),
    Option("registry", "expose", False, "confirm a --bind beyond loopback: the registry has no "
      "authentication"),
    Option("registry", "image", "registry:2", "registry image (config registry.image, default "
      "{default})"),
    Option("registry", "volume", "", "named volume for the data (config registry.volume, default "
      "NAME-data)"),
    Option("registry", "ready_timeout", 30.0, "seconds to wait for the API (a float: INVOKE_* may "
      "say 2.5)", flag=None),
    # a build (multiarch/build/)
    Option("build", "platforms", "linux/amd64,linux/arm64,linux/arm/v7",
      "comma-separated os/arch[/variant] (default {default})"),
    Option("build", "registry", "localhost:5000", "registry host[:port] to push to (default "
      "{default}, the local registry, started if need be)"),
    Option("build", "image", "", "image name, may include a namespace: owner/name (default: the "
      "binary's name, as `go build` names it)"),
    Option("build", "tag", "", "image tag (default: git describe --tags --dirty --always)"),
    Option("build", "builder", "", "buildx builder (default: the default builder if it can push "
      "multi-platform images, else a docker-container builder 'multiarch')"),
    Option("build", "push", True, "push to the registry (default); --no-push only builds"),
    Option("build", "load", False, "load the image into the local image store instead (with "
      "--no-push)"),
    Option("build", "no_cache", False, "use BuildKit's cache (default); --no-cache builds without "
      "it (Go's cache mounts stay)", flag="cache", invert=True),
    Option("build", "allow_workspace", False, "allow pushing a build of local go.work checkouts to "
      "a registry that is not on this machine"),
    Option("build", "attestations", "auto", "auto (none for a registry on this machine), on or off",
      check=one_of(*ATTESTATIONS, what="attestations setting", hint="use auto, on or off")),
    Option("build", "main", ".", "main packages to build, comma-separated, relative to the "
      "module: one image each (default ., config build.main; e.g. ./cmd/api,./cmd/worker)"),
    Option("build", "dockerfile", "", "default: the module's Dockerfile, else multiarch's own",
      flag=None),
    Option("build", "target", "image", "the Dockerfile's stage to build", flag=None),
    Option("build", "context", "", "default: the directory of tasks.py", flag=None),
    Option("build", "cache_registry", "auto", "a BuildKit cache in the registry (--cache-to/"
      "--cache-from type=registry) for builds on any builder but the local daemon's: auto "
      "(REGISTRY/IMAGE:buildcache), off, or a reference", flag=None),
    Option("build", "push_from", "auto", "who pushes: auto (the builder, unless it cannot "
      "reach the registry: a registry on this machine seen from a remote node), builder, or "
      "client (an OCI layout comes back and is pushed from here)", flag=None,
      check=one_of(*PUSH_FROM, what="push_from setting")),
    # the builder `invoke builder.create` makes (multiarch/host/builder_setup.py)
    Option("builder", "name", "", "the builder's name (default builder.name)"),
    Option("builder", "driver", "docker-container", "docker-container, remote or kubernetes "
      "(default builder.driver)",
      check=one_of(*BUILDER_DRIVERS, what="builder driver",
                   hint=f"use one of {', '.join(BUILDER_DRIVERS)}")),
    Option("builder", "nodes", "", "whitespace-separated nodes: ENDPOINT=PLATFORMS, ENDPOINT or "
      "PLATFORMS (default builder.nodes), e.g. 'unix:///run/buildkit.sock=linux/amd64 "
      "tcp://arm1:1234=linux/arm64,linux/arm/v7'"),
    Option("builder", "network", "host", "docker-container: the container's network; host reaches "
      "a registry on localhost", flag=None),
    Option("builder", "config", "", "a buildkitd.toml for each node (default builder.config; not "
      "for remote)"),
    Option("builder", "cacert", "", "remote over tcp:// (mTLS): the CA's certificate", flag=None),
    Option("builder", "cert", "", "remote over tcp://: the client's certificate", flag=None),
    Option("builder", "key", "", "remote over tcp://: the client's key", flag=None),
    Option("builder", "servername", "", "remote over tcp://: the name the server's certificate is "
      "for", flag=None),
    Option("builder", "driver_opts", "", "more driver options, whitespace-separated KEY=VALUE "
      "(kubernetes: namespace=ci)", flag=None),
    # where Go modules come from; "" means: as the host has it (multiarch/golang/goenv.py)
    *(Option("go", key, "", f"{key.upper()} in the build; default: as the host has it", flag=None)
      for key in ("goproxy", "goprivate", "gonoproxy", "gonosumdb", "gonosumcheck", "gosumdb",
                  "goinsecure", "goflags")),
    Option("go", "netrc", "", "the netrc the module download gets; default: $NETRC, else ~/.netrc "
      "if there is one", flag=None),
    Option("go", "ca", "", "a PEM file of extra CA certificates go trusts in the build", flag=None),
    Option("go", "network", "auto", "the module download's network: auto (the host's when GOPROXY "
      "or GOSUMDB names this machine), host, default or none", flag=None,
      check=one_of(*GO_NETWORKS, what="go.network setting",
                   hint=f"use {', '.join(GO_NETWORKS)}")),
    Option("go", "version", "", "the golang image's tag (GO_VERSION); default: what go.mod/go.work "
      "ask for", flag=None),
    # invoke smoke (multiarch/prove/smoke.py), and --smoke of build and dev
    Option("smoke", "image", "", "reference to test (default: each image `invoke build` pushes, "
      "tagged e2e: one per build.main package)"),
    Option("smoke", "platforms", "", "only these os/arch[/variant] (default: every platform in the "
      "index)"),
    Option("smoke", "timeout", 60.0, "seconds each platform may run, or a server may take to "
      "answer (default {default})"),
    Option("smoke", "args", "", "arguments for the entrypoint, as a shell would split them"),
    Option("smoke", "expect", "", "regular expression the output (or the HTTP body) must match; "
      "{os}, {arch}, {variant}, {platform}, {version}, {commit} are filled in"),
    Option("smoke", "exit", 0, "exit code a CLI must give (default {default})"),
    Option("smoke", "http", "", "PORT[/PATH]: run it as a server and GET PATH until it "
      "answers 2xx"),
    # invoke test (multiarch/prove/gotest.py)
    Option("test", "platforms", "", "comma-separated os/arch[/variant] (default: build.platforms); "
      "also linux/386, linux/s390x, linux/ppc64le, linux/riscv64 where qemu runs them"),
    Option("test", "packages", "", "Go package patterns, comma-separated (default: ./... and, in a "
      "go.work workspace, every other module it uses)"),
    Option("test", "run", "", "run only the tests matching this Go regular expression (go test "
      "-run)"),
    Option("test", "timeout", 600.0, "seconds each package may run on each platform (default "
      "{default})"),
    Option("test", "count", 1, "run each test this many times (go test -count, default {default})"),
    Option("test", "short", False, "tell long-running tests to shorten (go test -short)"),
    Option("test", "go_image", "", "default: the golang image the Dockerfile builds FROM",
      flag=None),
    # invoke doctor; smoke reads it too, only when the daemon runs on this machine
    Option("doctor", "binfmt_root", "/proc/sys/fs/binfmt_misc", "where binfmt_misc is mounted (a "
      "container may have it elsewhere)", flag=None),
    Option("bin", "platforms", "linux/amd64,linux/arm64,linux/arm/v7,windows/amd64",
      "comma-separated os/arch[/variant] (default {default}; config bin.platforms)"),
    Option("dist", "dir", "dist", "directory for binaries and archives, relative to the module "
      "(default {default}; config dist.dir)", flag="dist"),
    Option("verify", "image", "", "reference to verify (default: what `invoke build` pushes from "
      "this checkout: BUILD_REGISTRY/IMAGE:<git describe>)"),
    Option("verify", "key", "", "cosign.pub: also check the cosign signatures and SPDX "
      "attestations of the index and each platform, and that the index carries an SBOM per "
      "platform (config verify.key)"),
    Option("sign", "key", "", "cosign.key (password from COSIGN_PASSWORD) or an unencrypted PKCS#8 "
      "PEM (config sign.key)"),
    # invoke dev (multiarch/fast/dev.py)
    Option("dev", "tag", "dev", "the tag each cycle pushes (default {default})"),
    Option("dev", "debounce", 0.2, "seconds without another save before a burst of saves is built "
      "(default {default})"),
    Option("dev", "run", False, "keep one container of this machine's platform running the newest "
      "image"),
    Option("dev", "args", "", "arguments for that container, split as a shell would"),
    Option("dev", "publish", "", "its ports, comma-separated: 8080 or HOST:CONTAINER (on "
      "127.0.0.1)"),
)  # fmt: skip
OPTIONS: dict[str, Option] = {o.name: o for o in ENTRIES}


def section(name: str) -> list[Option]:
    return [o for o in ENTRIES if o.section == name]


def defaults(entries: Iterable[Option] = ENTRIES) -> dict[str, dict[str, object]]:
    """The defaults table: {section: {key: default}}, in the order of the entries."""
    table: dict[str, dict[str, object]] = {}
    for o in entries:
        table.setdefault(o.section, {})[o.key] = o.default
    return table


def settings_of(name: str):
    """A class decorator, under @dataclass: the options of section `name` become fields
    (typed and defaulted by their entries, before the fields the class declares itself; a
    field the class declares keeps its own default), and __post_init__ checks each one
    (then runs the class's own), so that every settings object is checked where it is
    made."""

    def decorate(cls):
        entries = section(name)
        own = cls.__dict__.get("__annotations__", {})
        made = {o.key: type(o.default).__name__ for o in entries if o.key not in own}
        cls.__annotations__ = {**made, **own}
        for o in entries:
            if o.key not in own:
                setattr(cls, o.key, o.default)
        own_post_init = cls.__dict__.get("__post_init__")

        def __post_init__(self) -> None:
            for o in entries:
                value = getattr(self, o.key)
                checked = o.checked(value)
                if checked is not value:
                    object.__setattr__(self, o.key, checked)
            if own_post_init is not None:
                own_post_init(self)

        cls.__post_init__ = __post_init__
        return cls

    return decorate
