"""What git says about a checkout: the version, commit and state an image is labelled with.

A module in a subdirectory of its repository (sub/dir/go.mod) is versioned as Go versions
it: by tags sub/dir/vX.Y.Z. Its version comes from those tags alone, without the prefix;
a module at the repository's root ignores such tags of its nested modules.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from ..core.command import last_line, warn
from ..core.errors import UserError


def _git():
    """GitPython, imported when first needed: a build imports it in a thread while it
    waits for the Docker daemon, instead of before it starts (~50 ms)."""
    try:
        import git
    except ImportError as e:  # GitPython refuses to load without a git executable
        raise UserError(f"git cannot be used: {e}".splitlines()[0], "install git") from None
    return git


@dataclass(frozen=True)
class Revision:
    version: str  # `git describe --tags --dirty --always`: v1.2.3, v1.2.3-4-gabc1234-dirty
    commit: str  # full commit id, or "unknown" outside git
    dirty: bool
    created: str  # RFC 3339: the commit's time, or now for a dirty tree
    source: str  # the origin's URL without credentials, or ""
    tag: str = ""  # the exact tag at HEAD, if any

    @property
    def epoch(self) -> int | None:
        """The build's SOURCE_DATE_EPOCH: the commit's time, in seconds since 1970. None for
        a dirty tree or outside git: such a build keeps "now" and is not reproducible."""
        if self.dirty or self.commit == "unknown":
            return None
        return int(dt.datetime.fromisoformat(self.created).timestamp())


def now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _repo(path: Path):
    """The git.Repo holding `path`, or None outside git or in a repository with no commit."""
    git = _git()
    try:
        repo = git.Repo(path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None
    except git.GitError as e:
        raise UserError(
            f"git cannot read {path}: {e}".splitlines()[0], "run git status there"
        ) from None
    try:  # GitPython reads some files itself; git, asked, may refuse the checkout
        repo.git.rev_parse("--git-dir")
    except git.GitCommandError as e:
        said = str(e.stderr).strip().strip("'")
        if "dubious ownership" in said:
            raise UserError(
                f"git refuses {repo.working_dir}: it is owned by another user (dubious "
                "ownership), so its version cannot be read",
                f"git config --global --add safe.directory {repo.working_dir}",
            ) from None
        raise UserError(
            f"git cannot read {path}: {last_line(said)}", "run git status there"
        ) from None
    try:
        repo.head.commit  # noqa: B018 - raises ValueError in a repository with no commit
    except ValueError:
        return None
    return repo


def describe(path: Path, quiet: bool = False) -> Revision:
    """Version metadata for the checkout at `path`; "dev" (with a warning) outside git."""
    repo = _repo(path)
    if repo is None:
        if not quiet:
            warn(f"{path} is not in a git checkout with commits: version 'dev'")
        return Revision("dev", "unknown", False, now(), "")
    head = repo.head.commit
    dirty = repo.is_dirty(untracked_files=False)
    prefix = tag_prefix(repo, path)
    # only this module's tags: sub/dir/v* for a nested module, none of those at the root
    match = ["--match", f"{prefix}v[0-9]*"] if prefix else ["--exclude", "*/v[0-9]*"]
    created = (
        now()
        if dirty
        else head.committed_datetime.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    )
    version, tag = _described(repo.git.describe("--tags", *match, "--dirty", "--always", "--long"))
    return Revision(
        version=version.removeprefix(prefix),
        commit=head.hexsha,
        dirty=dirty,
        created=created,
        source=_public_url(repo),
        tag=tag.removeprefix(prefix),
    )


_LONG = re.compile(r"(?P<tag>.+)-(?P<since>[0-9]+)-g(?P<commit>[0-9a-f]+)(?P<dirty>-dirty)?")


def _described(long: str) -> tuple[str, str]:
    """`git describe --long` as plain `git describe` says it (v1.2.3 at the tag itself,
    v1.2.3-4-gabc1234 after it), and the tag at HEAD ("" when HEAD is past it or no tag
    is found: the abbreviated commit alone)."""
    found = _LONG.fullmatch(long)
    if found is None or found["since"] != "0":
        return long, ""
    return found["tag"] + (found["dirty"] or ""), found["tag"]


def tag_prefix(repo, path: Path) -> str:
    """The tag prefix of the module at path: sub/dir/ for sub/dir, "" at the root."""
    rel = Path(path).resolve().relative_to(Path(repo.working_tree_dir).resolve()).as_posix()
    return "" if rel == "." else f"{rel}/"


def commit_states(paths: list[Path]) -> list[tuple[str, bool | None]]:
    """(commit, dirty) of the checkout holding each path; ("", None) outside git. A go.work's
    modules mostly share one repository: git is asked once per repository, not per
    module (its staged and unstaged changes, each path dirty where they touch it)."""
    found: list[tuple[str, bool | None]] = [("", None)] * len(paths)
    shared: dict[Path, list[int]] = {}
    for i, path in enumerate(paths):
        top = _checkout(Path(path).resolve())
        if top is not None:
            shared.setdefault(top, []).append(i)
    for top, members in shared.items():
        repo = _repo(top)
        if repo is None:
            continue
        rels = [Path(paths[i]).resolve().relative_to(top).as_posix() for i in members]
        changed = [
            name
            for staged in (["--cached"], [])
            for name in repo.git.diff(*staged, "--name-only", "-z", "--", *rels).split("\0")
        ]
        commit = repo.head.commit.hexsha
        changed = [n for n in changed if n]
        for i, rel in zip(members, rels, strict=True):
            inside = [n for n in changed if rel == "." or n == rel or n.startswith(f"{rel}/")]
            found[i] = (commit, bool(inside))
    return found


def _checkout(path: Path) -> Path | None:
    """The top directory of the git checkout holding `path` (a .git there), or None."""
    return next((d for d in (path, *path.parents) if (d / ".git").exists()), None)


def untracked_files(path: Path) -> list[str]:
    """Files in the checkout that git neither tracks nor ignores, relative to
    toplevel(path)."""
    repo = _repo(path)
    return repo.untracked_files if repo is not None else []


def toplevel(path: Path) -> Path | None:
    """The top directory of the checkout holding `path` (which untracked_files are
    relative to); None outside git."""
    repo = _repo(path)
    return Path(repo.working_tree_dir) if repo is not None else None


def has_commit(path: Path, commit: str) -> bool:
    """Whether the repository holding `path` has `commit`."""
    repo = _repo(path)
    try:
        return repo is not None and repo.commit(commit).hexsha == commit
    except (ValueError, _git().BadName):
        return False


def tags_at_head(path: Path) -> list[str]:
    """The module's tags at HEAD, without a nested module's sub/dir/ prefix."""
    repo = _repo(path)
    if repo is None:
        return []
    prefix = tag_prefix(repo, path)
    tags = repo.git.tag("--points-at", "HEAD").split()
    if prefix:
        return [t.removeprefix(prefix) for t in tags if t.startswith(prefix)]
    return [t for t in tags if "/" not in t]


def _public_url(repo) -> str:
    """origin's URL with any user or token removed: it goes into a label."""
    try:
        url = repo.remotes.origin.url
    except (AttributeError, IndexError):
        return ""
    parts = urlsplit(url)
    if "://" in url:  # http(s), ssh, git: user and password or token never go along
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
    # scp-like git@host:path — only the user part, never a secret; keep host and path
    return re.sub(r"^[^@/]+@", "", url)
