"""Developer sessions: tests, lint, typecheck, docs, bench."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint", "typecheck"]
PYTHON = ["3.11", "3.12", "3.13"]


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """The test suite (asyncio and trio), with branch coverage of asyncdam/ (modules not fully
    covered are listed with their missing lines; settings in pyproject's [tool.coverage])."""
    session.install("-e", ".[dev]")
    # `coverage run`, not pytest-cov: our pytest plugin (an entry point) imports asyncdam before
    # a pytest plugin could start measuring, which would hide every module-level line.
    session.run("coverage", "run", "-m", "pytest", *session.posargs)
    session.run("coverage", "report")


@nox.session
def lint(session: nox.Session) -> None:
    """Ruff lint and format check."""
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over the package."""
    session.install("-e", ".[dev]")
    session.run("mypy", "--strict", "asyncdam")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation site strictly."""
    session.install("-e", ".[docs,cli,emulator]")
    session.run("mkdocs", "build", "--strict")


@nox.session
def bench(session: nox.Session) -> None:
    """Run every benchmark; results land in benchmarks/results/."""
    session.install("-e", ".[dev,cli,bench]")
    session.run("python", "-m", "benchmarks", *session.posargs)


@nox.session
def phrase_parity(session: nox.Session) -> None:
    """Our Phrase operations against the LATEST official phrase-api: a new upstream one fails."""
    session.install("-e", ".[dev]")
    session.install("--upgrade", "phrase-api")
    session.run("pip", "show", "phrase-api")
    session.run("pytest", "-q", "-p", "no:randomly", "tests/phrase/test_official_parity.py")
