"""Sessions: `nox` runs lint, tests, e2e (the smoke test of every platform) and gotest (the
Go tests on every platform)."""

import nox

nox.options.sessions = ["lint", "tests", "e2e", "gotest"]
nox.options.reuse_existing_virtualenvs = True


@nox.session(python="3.11")
def tests(session: nox.Session) -> None:
    """Unit and integration tests (the integration ones drive the real Docker daemon)."""
    session.install("-e", ".[dev]")
    session.run("pytest", *session.posargs)


@nox.session(python="3.11")
def unit(session: nox.Session) -> None:
    """The tests that need no Docker: parsing, decisions, configuration, the workflow file.
    Seconds."""
    session.install("-e", ".[dev]")
    session.run("pytest", "-q", "tests/unit", "tests/test_workflow.py", *session.posargs)


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    """ruff: lint rules and formatting."""
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python="3.11")
def e2e(session: nox.Session) -> None:
    """Build with `invoke build`, then run every platform of the pushed index (natively or
    under qemu) after proving its binary, and check it: `invoke smoke`. After `--`:
    --no-build (test what the registry holds), --image REF, --platforms P,..., --timeout
    SECONDS, and smoke's other options (--args, --expect, --exit, --http, --json)."""
    session.install("-e", ".")
    session.run("invoke", "smoke", *session.posargs)


@nox.session(python="3.11")
def gotest(session: nox.Session) -> None:
    """The module's Go tests on every platform, natively or under qemu: `invoke test`.
    After `--`: --platforms P,..., --packages PATTERNS, --run REGEX, --timeout SECONDS ..."""
    session.install("-e", ".")
    session.run("invoke", "test", *session.posargs)
