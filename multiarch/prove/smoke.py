"""The smoke test: prove every platform of a pushed image is what it says, then run it.

The platforms come from the image index the registry serves, never from a list kept
here, so a platform that went missing or an entry holding the wrong binary shows up.
For each one, before anything runs, the entrypoint binary is read from the image in
the registry and its ELF/PE header and Go build information must name that platform
(`executable`): no cooperation from the program is needed. Then it is pulled by digest
and run with `docker run --platform`, natively or emulated as the daemon's host can
(`emulation`), with a timeout, and its behaviour checked:

- a CLI: its exit code (`--exit`, default 0) and its output against `--expect REGEX`;
- a server (`--http PORT[/PATH]`): run detached, published on a free 127.0.0.1 port,
  polled until it answers 2xx (and its body matches `--expect`) or the timeout.

`--expect` may name the platform and the build: {os}, {arch}, {variant}, {platform},
{version}, {commit} are replaced (regex-escaped) before matching.

    invoke smoke [--no-build] [--image localhost:5000/hellorld:e2e] [--platforms ...]
"""

from __future__ import annotations

import contextlib
import re
import shlex
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.client import HTTPException
from pathlib import Path

from ..build import planning
from ..build.settings import BuildSettings
from ..core import platforms
from ..core.command import NETWORK_TIMEOUT, Runner, last_line
from ..core.errors import UserError
from ..core.options import OPTIONS
from ..core.platforms import Platform
from ..golang.version import describe
from ..host import binfmt, emulation
from ..host.emulation import DaemonHost, Verdict
from ..oci import executable, image_files
from ..oci.executable import Executable
from ..oci.reference import Reference, check_reference
from ..oci.registry_api import RegistryAPI, split_reference

DEFAULT_TIMEOUT = OPTIONS["smoke.timeout"].default
VERSION_LABEL = "org.opencontainers.image.version"
REVISION_LABEL = "org.opencontainers.image.revision"
PLACEHOLDERS = ("os", "arch", "variant", "platform", "version", "commit")
PLACEHOLDER = re.compile(r"\{(\w+)\}")
MAX_OUTPUT = 1024 * 1024  # bytes of output (or of a response body) read, at most
POLL = 0.25  # seconds between two tries of a server


@dataclass(frozen=True)
class Expected:
    version: str
    commit: str
    source: str  # where these come from, for messages: "this checkout", "its labels"

    @classmethod
    def of_checkout(cls, context: Path) -> Expected:
        """What the checkout at context would build: its git version and commit."""
        rev = describe(context, quiet=True)
        return cls(rev.version, rev.commit, "this checkout")

    def __str__(self) -> str:
        return f"version {self.version}, commit {self.commit}"


@dataclass(frozen=True)
class HttpProbe:
    port: int
    path: str = "/"

    def __str__(self) -> str:
        return f"{self.port}{self.path}"


@dataclass(frozen=True)
class Behaviour:
    """What a platform's program must do: checked the same way on every platform."""

    args: list[str] = field(default_factory=list)
    expect: str = ""  # a regular expression with placeholders; "" checks no output
    exit: int = 0  # for a CLI
    http: HttpProbe | None = None

    @property
    def needs_build(self) -> bool:
        """Whether --expect names the version or commit of the build."""
        return "{version}" in self.expect or "{commit}" in self.expect

    def to_json(self) -> dict:
        http = str(self.http) if self.http else None
        return {"args": self.args, "expect": self.expect, "exit": self.exit, "http": http}


def behaviour(args: str = "", expect: str = "", exit: object = 0, http: str = "") -> Behaviour:
    """The checks as flags and configuration give them; UserError for any that is wrong."""
    try:
        argv = shlex.split(args or "")
    except ValueError as e:
        raise UserError(
            f"--args (smoke.args) cannot be split into words: {e}", "balance the quotes"
        ) from None
    try:
        code = int(exit)
    except (TypeError, ValueError):
        raise UserError(
            f"--exit (smoke.exit) must be a whole number, not {exit!r}", "give 0 to 255"
        ) from None
    if not 0 <= code <= 255:
        raise UserError(f"--exit (smoke.exit) must be 0 to 255, not {code}", "give 0 to 255")
    expect = expect or ""
    unknown = sorted({m[1] for m in PLACEHOLDER.finditer(expect)} - set(PLACEHOLDERS))
    if unknown:
        known = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
        raise UserError(
            f"unknown placeholder {{{unknown[0]}}} in --expect (smoke.expect)",
            f"use {known}, or write a literal brace as \\{{",
        )
    try:
        re.compile(_fill(expect, dict.fromkeys(PLACEHOLDERS, "x")))
    except re.error as e:
        raise UserError(f"--expect (smoke.expect) is not a regular expression: {e}") from None
    return Behaviour(argv, expect, code, parse_http(http) if http else None)


def parse_http(text: str) -> HttpProbe:
    """ "8080" or "8080/healthz" -> HttpProbe(8080, "/healthz")."""
    port, slash, path = str(text).strip().partition("/")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise UserError(
            f"--http (smoke.http) must be PORT[/PATH], not {text!r}", "e.g. --http 8080/healthz"
        )
    return HttpProbe(int(port), "/" + path if slash else "/")


def _fill(expect: str, values: dict[str, str]) -> str:
    return PLACEHOLDER.sub(lambda m: values.get(m[1], m[0]), expect)


def values(target: Platform, expected: Expected | None) -> dict[str, str]:
    """What each placeholder stands for on one platform."""
    found = {"os": target.os, "arch": target.arch, "variant": target.variant}
    found["platform"] = str(target)
    if expected is not None:
        found |= {"version": expected.version, "commit": expected.commit}
    return found


def check_output(text: str, expect: str, named: dict[str, str]) -> str | None:
    """What is wrong with a program's output (or a response body); None if nothing."""
    if not expect:
        return None
    pattern = _fill(expect, {k: re.escape(v) for k, v in named.items()})
    if re.search(pattern, text):
        return None
    shown = text.strip()[:200] or "nothing"
    return f"printed {shown!r}, which does not match {_fill(expect, named)!r}"


def decode(data: bytes, what: str) -> str:
    """UTF-8 text; _Failed naming where it is not."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        bad = data[e.start : e.start + 4]
        raise _Failed(f"{what} is not UTF-8 text (byte {e.start}: {bad!r})") from None


@dataclass(frozen=True)
class Outcome:
    platform: str
    digest: str
    runs: str  # "native", "emulated (qemu-aarch64)"
    ok: bool
    detail: str
    seconds: float | None = None
    binary: Executable | None = None

    def to_json(self) -> dict:
        return {
            "platform": self.platform,
            "result": "ok" if self.ok else "fail",
            "detail": self.detail,
            "runs": self.runs.split(" ")[0],
            "emulator": self.runs.partition("(")[2].rstrip(")") or None,
            "seconds": round(self.seconds, 3) if self.seconds is not None else None,
            "digest": self.digest,
            "binary": self.binary.to_json() if self.binary else None,
        }


class Smoke:
    """One smoke test of one image reference."""

    def __init__(
        self,
        ref: str,
        runner: Runner,
        expected: Expected | None,  # None: each platform's own labels say
        timeout: float = DEFAULT_TIMEOUT,
        binfmt_root: Path = binfmt.ROOT,
        checks: Behaviour | None = None,
    ):
        self.host, self.repo, self.tag = split_reference(ref)
        self.ref = ref
        self.api = RegistryAPI(self.host)
        self.runner = runner
        self.expected = expected
        self.timeout = timeout
        self.binfmt_root = binfmt_root
        self.checks = checks or Behaviour()
        self.run_id = uuid.uuid4().hex[:8]  # in container names, to find them all
        self.daemon: DaemonHost | None = None
        self.pulled: list[tuple[str, str]] = []  # (platform, digest) pulled by this test

    def entries(self) -> list[tuple[str, str]]:
        """(platform, digest) of each image in the index; attestations left out."""
        index = self.api.index(self.repo, self.tag)
        found = [(m.platform, m.digest) for m in index.manifests]
        if found and found[0][0] == "unknown":  # a single image, not an index
            config = self.api.config(self.repo, index.digest)
            parts = [config.get("os", "?"), config.get("architecture", "?"), config.get("variant")]
            found = [("/".join(p for p in parts if p), index.digest)]
        if not found:
            raise UserError(f"the index of {self.ref} holds no platform images")
        return found

    def run(self, wanted: list[Platform] | None = None) -> list[Outcome]:
        """Each platform of the index (or those `wanted`), in parallel; a wanted one that
        the index lacks fails. Each run leaves its exited container for clean(), which
        removes them (on Ctrl-C here already): removing one takes the daemon longer than
        running it (0.7 s of a 1.6 s `docker run --rm` here), and no verdict waits for it."""
        self.daemon = emulation.daemon_host(self.runner)
        found = self.entries()
        chosen = [(p, d) for p, d in found if wanted is None or _parse(p) in wanted]
        present = {_parse(p) for p, _ in found}
        held = ", ".join(p for p, _ in found)
        missing = [
            Outcome(str(p), "", self._verdict(p).runs, False, f"not in the index (it holds {held})")
            for p in wanted or []
            if p not in present
        ]
        pool = ThreadPoolExecutor(max_workers=min(len(chosen), 4) or 1)
        try:
            outcomes = list(pool.map(lambda entry: self.one(*entry), chosen))
        except KeyboardInterrupt:
            pool.shutdown(wait=False, cancel_futures=True)
            self.clean()
            raise
        pool.shutdown()
        return outcomes + missing

    def _verdict(self, target: Platform) -> Verdict:
        return emulation.judge(target, self.daemon, self.binfmt_root)

    def one(self, platform: str, digest: str) -> Outcome:
        target = _parse(platform)
        verdict = self._verdict(target) if target else None
        runs = verdict.runs if verdict else "?"
        proof: list[Executable] = []
        try:
            if verdict is None:
                raise _Failed(f"unknown platform {platform!r}")
            if verdict.problem is not None:
                raise _Failed(str(verdict.problem))
            detail, seconds = self._check(verdict, digest, proof)
        except _Failed as failed:
            binary = proof[0] if proof else None
            return Outcome(platform, digest, runs, False, failed.detail, failed.seconds, binary)
        return Outcome(platform, digest, runs, True, detail, seconds, proof[0])

    def _check(self, verdict: Verdict, digest: str, proof: list) -> tuple[str, float]:
        """Prove, pull and run one platform's image; raises _Failed saying what went wrong."""
        target = verdict.target
        image = str(Reference(self.host, self.repo, digest=digest))
        pull = ["docker", "pull", "-q", "--platform", str(target), image]
        # the pull goes on while the binary is read from the registry and proven
        with ThreadPoolExecutor(1) as puller:
            pulled = puller.submit(self.runner.run, pull, capture=True, timeout=NETWORK_TIMEOUT)
            try:
                found = image_files.entrypoint(self.api, self.repo, digest)
                binary = executable.read(found.data)
                proof.append(binary)
                wrong = executable.mismatch(binary, target)
                if wrong:
                    raise _Failed(f"{found.path}: {wrong}")
                expected = self.expected
                if expected is None and self.checks.needs_build:
                    expected = self._labelled(digest)
                pulled.result()
            except UserError as e:
                raise _Failed(str(e)) from None
            finally:
                if pulled.exception() is None:
                    self.pulled.append((str(target), digest))
        named = values(target, expected)
        name = f"smoke-{self.run_id}-{target.slug}"
        if self.checks.http:
            return self._serve(verdict, image, name, named)
        return self._cli(verdict, image, name, named)

    def _cli(self, verdict: Verdict, image: str, name: str, named) -> tuple[str, float]:
        argv = ["docker", "run", "--pull=never", "--network=none", "--name", name]
        argv += ["--platform", str(verdict.target), image, *self.checks.args]
        self.runner.show(argv)
        if self.runner.dry:
            return "dry run: not run", 0.0
        started = time.monotonic()
        code, out, err, stopped = _capture(argv, self.timeout)
        took = time.monotonic() - started
        if stopped:
            self._remove(name)
            why = (
                f"hung: still running after {self.timeout:g} s"
                if stopped == "timeout"
                else f"flooded: more than {MAX_OUTPUT // 1024} KiB of output"
            )
            raise _Failed(f"{why}; container {name} removed", took)
        said = err.decode("utf-8", "replace") + out.decode("utf-8", "replace")
        self._refused(verdict, said, took)
        if code != self.checks.exit:
            line = last_line(err.decode("utf-8", "replace")) or last_line(
                out.decode("utf-8", "replace")
            )
            expected = f" (expected {self.checks.exit})"
            raise _Failed(f"exit {code}{expected}: {line or 'no output'}", took)
        text = decode(out, "its output")
        wrong = check_output(text, self.checks.expect, named)
        if wrong:
            raise _Failed(wrong, took)
        return f"ok: {text.strip()[:200]}", took

    def _serve(self, verdict: Verdict, image: str, name: str, named) -> tuple[str, float]:
        probe = self.checks.http
        argv = ["docker", "run", "-d", "--pull=never", "--name", name]
        argv += ["-p", f"127.0.0.1::{probe.port}", "--platform", str(verdict.target), image]
        argv += self.checks.args
        try:
            started = time.monotonic()
            self.runner.run(argv, capture=True)
            if self.runner.dry:
                return "dry run: not run", 0.0
            return self._poll(verdict, name, named, started)
        except UserError as e:
            raise _Failed(str(e)) from None
        finally:
            if not self.runner.dry:
                self._remove(name)

    def _poll(self, verdict: Verdict, name: str, named, started: float) -> tuple[str, float]:
        """Ask the server until it answers 2xx (and matches) or the timeout."""
        probe = self.checks.http
        url = None
        last = "nothing answered"
        while time.monotonic() - started < self.timeout:
            if url is None:  # where Docker published it; nowhere once the container exited
                port = ["docker", "port", name, f"{probe.port}/tcp"]
                published = self.runner.query(port, check=False).stdout.split()
                url = f"http://{published[0]}{probe.path}" if published else None
            try:
                if url is None:
                    raise OSError("the port is not published")
                status, body = _get(url, min(5.0, self.timeout))
            except (OSError, HTTPException) as e:
                last = f"no answer ({getattr(e, 'reason', None) or e or type(e).__name__})"
            else:
                took = time.monotonic() - started
                if not 200 <= status < 300:
                    last = f"answered {status}"
                elif len(body) > MAX_OUTPUT:
                    raise _Failed(f"flooded: answered more than {MAX_OUTPUT // 1024} KiB", took)
                else:
                    text = decode(body, f"the answer to GET {probe.path}")
                    wrong = check_output(text, self.checks.expect, named)
                    if wrong is None:
                        return f"ok: {status} from GET {probe.path}: {text.strip()[:200]}", took
                    last = f"answered {status} but {wrong}"
            state = self.runner.query(
                ["docker", "inspect", "--format", "{{.State.Running}} {{.State.ExitCode}}", name]
            ).stdout.split()
            if state and state[0] == "false":
                logs = self.runner.query(["docker", "logs", "--tail", "5", name], check=False)
                said = logs.stderr + logs.stdout
                self._refused(verdict, said, time.monotonic() - started)
                raise _Failed(
                    f"exited ({state[1]}) before answering on port {probe.port}: "
                    f"{last_line(said) or 'no output'}",
                    time.monotonic() - started,
                )
            time.sleep(POLL)
        raise _Failed(
            f"never answered 2xx on port {probe.port} at {probe.path} within {self.timeout:g} s "
            f"({last}); a server listening on localhost inside the container cannot be "
            "reached: give it an address such as :PORT through --args",
            time.monotonic() - started,
        )

    def _refused(self, verdict: Verdict, said: str, took: float) -> None:
        """Fail with the fix when the daemon's kernel could not run the binary at all."""
        if not verdict.native and emulation.exec_format_error(said):
            raise _Failed(str(emulation.cannot_run(verdict, self.daemon)), took)

    def _labelled(self, digest: str) -> Expected:
        labels = self.api.config(self.repo, digest).get("config", {}).get("Labels") or {}
        if VERSION_LABEL not in labels or REVISION_LABEL not in labels:
            raise UserError(
                f"the image has no {VERSION_LABEL} and {REVISION_LABEL} labels for "
                "{version} and {commit} in --expect",
                "build it with `invoke build`, or run `invoke smoke` without --no-build",
            )
        return Expected(labels[VERSION_LABEL], labels[REVISION_LABEL], "its labels")

    def _remove(self, *names: str) -> None:
        """Kill and remove containers, with the anonymous volumes of any VOLUME their image
        declares; one that never got created is no error."""
        with contextlib.suppress(UserError):
            self.runner.run(["docker", "rm", "-f", "-v", *names], capture=True)

    def clean(self) -> None:
        """Remove the containers this test made."""
        found = self.runner.query(
            ["docker", "ps", "-aq", "--filter", f"name=smoke-{self.run_id}-"], check=False
        )
        if found.stdout.split():
            self._remove(*found.stdout.split())

    def document(self, outcomes: list[Outcome]) -> dict:
        """The results as one JSON document."""
        daemon = self.daemon
        return {
            "image": self.ref,
            "ok": all(o.ok for o in outcomes),
            "daemon": {"platform": daemon.platform, "name": daemon.name, "local": daemon.local}
            if daemon
            else None,
            "checks": self.checks.to_json(),
            "platforms": [o.to_json() for o in outcomes],
        }


@dataclass(frozen=True)
class Proof:
    """A just-pushed image proven on every platform of its index as `invoke smoke
    --no-build` proves it (binary, then a run with the checks), for `invoke dev --smoke`
    and `invoke build --smoke`; the images it pulled are removed afterwards."""

    checks: Behaviour
    timeout: float = DEFAULT_TIMEOUT
    binfmt_root: Path = binfmt.ROOT

    # the tests whose containers and pulled images clean() removes: after the verdict
    # is shown, not before
    done: list[Smoke] = field(default_factory=list)

    def __call__(self, ref: str, runner: Runner) -> tuple[int, str]:
        """(platforms proven, "") or (0, each failed platform and what failed)."""
        test = Smoke(ref, runner, None, self.timeout, self.binfmt_root, self.checks)
        self.done.append(test)
        outcomes = test.run()
        failed = [f"{o.platform}: {o.detail}" for o in outcomes if not o.ok]
        return (0, "; ".join(failed)) if failed else (len(outcomes), "")

    def clean(self) -> None:
        """Remove what the proofs done so far left: their containers, the images they
        pulled. It may run beside the next proof, which it leaves alone."""
        for test in list(self.done):  # each forgotten once gone: a Ctrl-C leaves it here
            test.clean()
            pulled = [str(Reference(test.host, test.repo, digest=d)) for _, d in test.pulled]
            if pulled:
                subprocess.run(["docker", "image", "rm", *pulled], capture_output=True)
            self.done.remove(test)


def images(image: str, build: BuildSettings) -> list[str]:
    """The references to test: image, or else default_images; each one checked, so that
    a bad one is refused before anything is built."""
    refs = [image] if image else default_images(build)
    for ref in refs:
        split_reference(check_reference(ref, "--image (smoke.image)"))
    return refs


def default_images(build: BuildSettings) -> list[str]:
    """What `invoke build` pushes, tagged e2e: one image per main package."""
    return [str(Reference(build.registry, name, "e2e")) for name in planning.image_names(build)]


@dataclass(frozen=True)
class Tested:
    """One image's smoke test, done."""

    ref: str
    outcomes: list[Outcome]
    document: dict  # Smoke.document: the results as JSON

    @property
    def broken(self) -> list[str]:
        return [o.platform for o in self.outcomes if not o.ok]


def smoke_images(
    refs: list[str],
    runner: Runner,
    expected: Expected | None,
    timeout: float,
    binfmt_root: Path,
    checks: Behaviour,
    wanted: list[Platform] | None = None,
) -> Iterator[Tested]:
    """Smoke-test each image in turn, each one yielded as soon as it is done."""
    for ref in refs:
        test = Smoke(ref, runner, expected, timeout, binfmt_root, checks)
        try:
            outcomes = test.run(wanted)
        finally:
            test.clean()
        yield Tested(ref, outcomes, test.document(outcomes))


@dataclass(frozen=True)
class Summary:
    """The smoke tests of several images (build.main names several main packages)."""

    images: list[Tested]

    @property
    def failures(self) -> list[str]:
        """ "REF failed on PLATFORM, ..." for each image with a failed platform."""
        return [f"{t.ref} failed on {', '.join(t.broken)}" for t in self.images if t.broken]

    @property
    def passed(self) -> int:
        return sum(len(t.outcomes) for t in self.images)

    @property
    def emulated(self) -> int:
        return sum(o.runs != "native" for t in self.images for o in t.outcomes)

    @property
    def document(self) -> dict:
        """One image: its document; several: {"images": [one document each]}."""
        if len(self.images) == 1:
            return self.images[0].document
        return {"images": [t.document for t in self.images]}


def _capture(argv: list[str], timeout: float) -> tuple[int | None, bytes, bytes, str]:
    """Run a command, reading at most MAX_OUTPUT bytes of its output: (exit code, stdout,
    stderr, "" or why it was stopped: "timeout", "flood"). A stopped one is killed."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = bytearray(), bytearray()
    flooded = threading.Event()

    def pump(stream, buffer: bytearray) -> None:
        while chunk := stream.read1(65536):
            buffer += chunk
            if len(out) + len(err) > MAX_OUTPUT:
                flooded.set()
                return

    readers = [
        threading.Thread(target=pump, args=p) for p in ((proc.stdout, out), (proc.stderr, err))
    ]
    for reader in readers:
        reader.start()
    deadline = time.monotonic() + timeout
    stopped = ""
    while proc.poll() is None:
        if flooded.is_set():
            stopped = "flood"
        elif time.monotonic() > deadline:
            stopped = "timeout"
        if stopped:
            proc.kill()
            break
        time.sleep(0.05)
    proc.wait()
    for reader in readers:
        reader.join(timeout=5)
    return proc.returncode, bytes(out), bytes(err), stopped or ("flood" if flooded.is_set() else "")


def _get(url: str, timeout: float) -> tuple[int, bytes]:
    """GET `url`: (status, at most MAX_OUTPUT + 1 bytes of the body)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.read(MAX_OUTPUT + 1)
    except urllib.error.HTTPError as e:
        return e.code, b""


class _Failed(Exception):
    def __init__(self, detail: str, seconds: float | None = None):
        super().__init__(detail)
        self.detail = detail
        self.seconds = seconds


def _parse(platform: str) -> Platform | None:
    try:
        return platforms.parse_one(platform)
    except UserError:
        return None
