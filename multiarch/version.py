"""What git says about a checkout: the version, commit and state an image is labelled with."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from .command import warn
from .errors import UserError


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
        repo.head.commit  # noqa: B018 - raises ValueError in a repository with no commit
        return repo
    except (git.InvalidGitRepositoryError, git.NoSuchPathError, ValueError):
        return None
    except git.GitError as e:  # e.g. "dubious ownership": git itself refuses the checkout
        raise UserError(
            f"git cannot read {path}: {e}".splitlines()[0], "run git status there"
        ) from None


def describe(path: Path, quiet: bool = False) -> Revision:
    """Version metadata for the checkout at `path`; "dev" (with a warning) outside git."""
    repo = _repo(path)
    if repo is None:
        if not quiet:
            warn(f"{path} is not in a git checkout with commits: version 'dev'")
        return Revision("dev", "unknown", False, now(), "")
    head = repo.head.commit
    dirty = repo.is_dirty(untracked_files=False)
    created = (
        now()
        if dirty
        else head.committed_datetime.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    )
    try:
        tag = repo.git.describe("--tags", "--exact-match", "HEAD")
    except _git().GitCommandError:
        tag = ""
    return Revision(
        version=repo.git.describe("--tags", "--dirty", "--always"),
        commit=head.hexsha,
        dirty=dirty,
        created=created,
        source=_public_url(repo),
        tag=tag,
    )


def commit_state(path: Path) -> tuple[str, bool | None]:
    """(commit, dirty) of the checkout holding `path`; ("", None) outside git."""
    repo = _repo(path)
    if repo is None:
        return "", None
    return repo.head.commit.hexsha, repo.is_dirty(untracked_files=False, path=str(path))


def untracked_files(path: Path) -> list[str]:
    """Files in the checkout that git neither tracks nor ignores."""
    repo = _repo(path)
    return repo.untracked_files if repo is not None else []


def toplevel(path: Path) -> Path | None:
    """The top directory of the checkout holding `path`; None outside git."""
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
    repo = _repo(path)
    return repo.git.tag("--points-at", "HEAD").split() if repo is not None else []


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
