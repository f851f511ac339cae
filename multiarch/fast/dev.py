"""`invoke dev`: every save built and pushed, and optionally run, until Ctrl-C.

The module and every module its workspace uses are watched (watchdog: inotify on Linux,
FSEvents on macOS), files their .dockerignore excludes left out. A burst of saves is
one change once `debounce` seconds pass without another; each change is built with the
fast path where it can be, else fully, and pushed as <image>:dev. One line per cycle
says what changed, fast or full and why, and the time from the first save to the pushed
index. A build that fails (a compile error) is reported, and the loop keeps watching.

With `run`, one container of this machine's platform runs the newest image, replaced by
the next one; its output is shown, its ports published on 127.0.0.1 only. Ctrl-C stops
the watcher and removes that container and the images it pulled.
"""

from __future__ import annotations

import dataclasses
import queue
import shlex
import subprocess
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from rich.markup import escape

from ..build import full, planning
from ..build.full import Result
from ..build.settings import BuildSettings
from ..core.command import Runner, console, say
from ..core.errors import UserError
from ..core.options import settings_of
from ..dockerfile import context_files
from ..golang import workspace
from ..host import docker, emulation
from ..host.registry import RegistrySettings
from ..oci.reference import Reference
from . import fast

MAX_BURST = 5.0  # seconds: the longest a burst of saves postpones a build


@dataclass(frozen=True)
@settings_of("dev")
class DevSettings:
    """The dev.* settings (their entries: core/options.py), checked when made."""

    def __post_init__(self) -> None:
        self.check()

    def ports(self) -> list[str]:
        """`docker run -p` values, every one on 127.0.0.1; UserError for a malformed one."""
        found = []
        for item in filter(None, (p.strip() for p in self.publish.split(","))):
            parts = item.split(":")
            if len(parts) > 2 or not all(_port(p) for p in parts):
                raise UserError(
                    f"cannot publish {item!r}", "write PORT or HOST_PORT:CONTAINER_PORT (1-65535)"
                )
            found.append(f"127.0.0.1:{parts[0]}:{parts[-1]}")
        return found

    def check(self) -> None:
        if self.debounce < 0 or self.debounce > 10:
            raise UserError(f"dev.debounce must be 0-10 seconds, not {self.debounce:g}", "try 0.2")
        self.ports()
        try:
            shlex.split(self.args)
        except ValueError as e:
            raise UserError(f"cannot split --args: {e}", "balance the quotes") from None


def _port(text: str) -> bool:
    return text.isdigit() and 1 <= int(text) <= 65535


class Changes:
    """Saves under the watched modules, as (time, relative path, path), into a queue."""

    def __init__(self, roots: dict[Path, context_files.Ignore], files: set[Path]):
        self.roots, self.files = roots, files
        self.seen: queue.Queue[tuple[float, str, Path]] = queue.Queue()

    def dispatch(self, event) -> None:
        """What watchdog calls with each file system event."""
        if event.event_type in ("opened", "closed_no_write") or (
            event.is_directory and event.event_type == "modified"
        ):
            return
        for path in filter(None, (event.src_path, getattr(event, "dest_path", ""))):
            name = self.relevant(Path(str(path)))
            if name is not None:
                self.seen.put((time.monotonic(), name, Path(str(path))))

    def relevant(self, path: Path) -> str | None:
        if path in self.files:
            return path.name
        for root, ignore in self.roots.items():
            if root == path or root in path.parents:
                rel = path.relative_to(root).as_posix()
                if rel.split("/")[0] == ".git" or ignore.excluded(rel):
                    return None
                return rel
        return None

    def batch(self, debounce: float) -> tuple[float, list[str]]:
        """The next burst of saves: when it began, and the paths (waits for one). A file
        made and gone within the burst (an editor's temporary file) is left out."""
        while True:
            try:
                first, name, path = self.seen.get(timeout=0.5)  # wakes up for Ctrl-C
                break
            except queue.Empty:
                continue
        seen = {name: path}
        while time.monotonic() - first < MAX_BURST:  # a file written on and on: build anyway
            try:
                _, name, path = self.seen.get(timeout=debounce)
                seen[name] = path
            except queue.Empty:
                break
        existing = [n for n, p in seen.items() if p.exists()]
        return first, sorted(existing or seen)


class Watcher:
    """The watchdog observer over a workspace layout's modules and its go.work."""

    def __init__(self, layout: workspace.Layout):
        self.roots = {d: context_files.Ignore.read(d) for d in self.dirs(layout)}
        work = (
            [layout.work, layout.work.with_name(layout.work.name + ".sum")] if layout.work else []
        )
        from watchdog.observers import Observer  # only invoke dev needs it: not imported before

        self.changes = Changes(self.roots, set(work))
        self.observer = Observer()
        for root in self.roots:
            self.observer.schedule(self.changes, str(root), recursive=True)
        if layout.work is not None and layout.work.parent not in self.roots:
            self.observer.schedule(self.changes, str(layout.work.parent), recursive=False)
        self.observer.start()

    @staticmethod
    def dirs(layout: workspace.Layout) -> list[Path]:
        return [m.dir for m in layout.modules]

    def stop(self) -> None:
        self.observer.stop()
        self.observer.join(timeout=5)


class Running:
    """The one container of the newest image, for this machine's platform."""

    def __init__(self, settings: DevSettings, runner: Runner, platform: str):
        self.settings, self.runner, self.platform = settings, runner, platform
        self.name = f"multiarch-dev-{uuid.uuid4().hex[:8]}"
        self.process: subprocess.Popen | None = None
        self.pulled: list[str] = []

    def replace(self, image: str) -> None:
        """Stop the running one, start the new image (pulled by digest from the registry)."""
        self.stop()
        if docker.inspect(self.runner, "image", image) is None:
            self.pulled.append(image)
        argv = ["docker", "run", "--rm", "--name", self.name, "--pull", "missing"]
        for port in self.settings.ports():
            argv += ["-p", port]
        argv += [image, *shlex.split(self.settings.args)]
        self.runner.show(argv)
        self.process = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        threading.Thread(target=_show_logs, args=(self.process, self.name), daemon=True).start()

    def stop(self) -> None:
        if self.process is None:
            return
        # -v: `--rm` removes the anonymous volumes of the image's VOLUMEs only when the
        # container exits by itself, not when it is removed by force
        subprocess.run(["docker", "rm", "-f", "-v", self.name], capture_output=True)
        self.process.wait()
        self.process = None

    def close(self) -> None:
        """Remove the container and the images this loop pulled."""
        self.stop()
        if self.pulled:
            subprocess.run(["docker", "image", "rm", *self.pulled], capture_output=True)


def _show_logs(process: subprocess.Popen, name: str) -> None:
    for line in iter(process.stdout.readline, b""):
        console.print(f"[dim]{name} |[/] {escape(line.decode(errors='replace').rstrip())}")


class Quiet(Runner):
    """A runner that does not show each command: the first cycle showed them."""

    def show(self, argv, cwd=None) -> None:
        pass


class Prover(Protocol):
    """What proves each pushed image (smoke.Proof): (platforms proven, "") or (0, what
    failed); clean() removes what the proofs left, once their line is shown."""

    def __call__(self, ref: str, runner: Runner) -> tuple[int, str]: ...

    def clean(self) -> None: ...


@dataclass(frozen=True)
class Cycle:
    changed: list[str]
    how: str  # "fast", or "full: why", or "failed: why"
    seconds: float
    reference: str = ""
    # with --smoke: "proven on 3 platforms 1.52 s after the save", or what failed
    proof: str = ""
    proven: bool = True


def line(cycle: Cycle) -> str:
    """The one line a cycle prints."""
    shown = ", ".join(cycle.changed[:3]) + (
        f" and {len(cycle.changed) - 3} more" if len(cycle.changed) > 3 else ""
    )
    clock = time.strftime("%H:%M:%S")
    if cycle.how.startswith("failed"):
        return f"{clock} {escape(shown)}: [red]{escape(cycle.how)}[/], still watching"
    pushed = (
        f"{clock} {escape(shown)}: {escape(cycle.how)}, in the registry "
        f"{cycle.seconds:.2f} s after the save: {escape(cycle.reference)}"
    )
    if not cycle.proof:
        return pushed
    if not cycle.proven:
        return f"{pushed}, [red]not proven: {escape(cycle.proof)}[/], still watching"
    return f"{pushed}, {escape(cycle.proof)}"


def loop(
    dev: DevSettings,
    settings: BuildSettings,
    runner: Runner,
    environ,
    registry: RegistrySettings,
    report: Callable[[Cycle], None],
    prove: Prover | None = None,
) -> None:
    """Build, then watch and build each change, until KeyboardInterrupt; with `prove`
    (smoke.Proof), each pushed image is proven on its platforms too."""
    plans = planning.plan(settings, runner, environ)
    running = None
    if dev.run:
        host = emulation.daemon_host(runner).platform
        if not any(_same_machine(str(t), host) for t in plans[0].platforms):
            raise UserError(
                f"--run starts this machine's image ({host}), which --platforms leaves out",
                f"add {host} to --platforms",
            )
        running = Running(dev, runner, host)
    full.ensure_registry(plans[0], registry, runner)
    if runner.dry:
        fast.build(runner).run(plans)
        return
    watcher = Watcher(plans[0].layout)

    cleaners: list[threading.Thread] = []

    def shown(cycle: Cycle) -> None:
        report(cycle)
        if prove is not None:  # what the proof left goes once its verdict is out, while
            # the next save is watched for (removing it takes the daemon seconds)
            cleaners.append(threading.Thread(target=prove.clean))
            cleaners[-1].start()

    try:
        first = time.monotonic()
        cycle, _ = _cycle(settings, runner, environ, ["(start)"], first, running, prove)
        shown(cycle)
        quiet = Quiet()  # the commands were shown once; a cycle is one line from now on
        while True:
            first, changed = watcher.changes.batch(dev.debounce)
            cycle, layout = _cycle(settings, quiet, environ, changed, first, running, prove)
            shown(cycle)
            if layout is not None and set(Watcher.dirs(layout)) != set(watcher.roots):
                watcher.stop()  # go.work now uses other modules: watch those
                watcher = Watcher(layout)
    finally:
        watcher.stop()
        if running is not None:
            running.close()
        if prove is not None:
            for cleaner in cleaners:
                cleaner.join()
            prove.clean()


def _cycle(settings, runner, environ, changed, first, running, prove=None):
    """One build (and proof): the cycle, and the layout it built (None when it failed)."""
    tell = say if not isinstance(runner, Quiet) else (lambda _: None)
    try:
        plans = planning.plan(settings, runner, environ)
        results = fast.build(runner, tell=tell).run(plans)
    except UserError as e:
        return Cycle(changed, f"failed: {e}", time.monotonic() - first), None
    seconds = time.monotonic() - first
    why = next((r.why for r in results if r.why), "")
    result = results[0]
    if running is not None:
        image = _for_platform(result, running.platform)
        if image:
            running.replace(image)
    how = f"full ({why})" if why else "fast"
    pushed = Reference.parse(result.reference).at_digest(result.digest)
    # a build that wrote no digest shows "HOST/REPO@", as it always has
    cycle = Cycle(changed, how, seconds, str(pushed) if result.digest else f"{pushed}@")
    if prove is not None:
        cycle = dataclasses.replace(cycle, **_proof(prove, result, runner, first))
    return cycle, plans[0].layout


def _proof(prove, result: Result, runner: Runner, first: float) -> dict:
    """A cycle's proof: every platform of the pushed image proven and run."""
    try:
        count, failed = prove(result.reference, runner)
    except UserError as e:
        count, failed = 0, str(e)
    if failed:
        return {"proof": failed, "proven": False}
    seconds = time.monotonic() - first
    return {"proof": f"proven on {count} platforms {seconds:.2f} s after the save"}


def _same_machine(platform: str, host: str) -> bool:
    """Whether an image's platform runs natively on the host's (os and arch)."""
    return platform.split("/")[:2] == host.split("/")[:2]


def _for_platform(result: Result, host: str) -> str:
    """The reference of the manifest for the daemon's platform, or "". A one-platform
    build pushes a manifest, not an index: that one."""
    pushed = Reference.parse(result.reference)
    for m in result.manifests:
        if m.platform == "unknown" or _same_machine(m.platform, host):
            return str(pushed.at_digest(m.digest))
    return ""
