"""`asyncdam emulate SERVICE`: serve one emulator on loopback until stopped."""

from __future__ import annotations

import importlib.util
import sys
from typing import NoReturn

import attrs
import click

from asyncdam.emulator.config import (
    QUIRK_KINDS,
    EmulatorConfig,
    FaultConfig,
    QuirkConfig,
    QuirkKind,
)
from asyncdam.emulator.registry import SERVICES

EMULATOR_DEPENDENCIES = ("starlette", "uvicorn")
CREDENTIAL_ENV = "ASYNCDAM_EMULATOR_TOKEN"

_RATE = click.FloatRange(0.0, 1.0)
_MS = click.FloatRange(min=0.0)
_BYTES = click.IntRange(min=1)


def _missing_dependencies() -> list[str]:
    return [name for name in EMULATOR_DEPENDENCIES if importlib.util.find_spec(name) is None]


def _fail(message: str) -> NoReturn:
    """One readable line on stderr and exit status 2, no traceback."""
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def _quirk_kinds(text: str) -> frozenset[QuirkKind]:
    """The `--quirk-kinds` list, checked against the known quirks."""
    names = [part.strip() for part in text.split(",") if part.strip()]
    unknown = sorted(set(names) - set(QUIRK_KINDS))
    if unknown or not names:
        _fail(
            f"unknown quirk kind(s) {', '.join(unknown) or '(none given)'}; "
            f"choose from {', '.join(QUIRK_KINDS)}"
        )
    return frozenset(k for k in QUIRK_KINDS if k in names)


@click.command()
@click.argument("service", type=click.Choice(SERVICES))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--public",
    "allow_public",
    is_flag=True,
    help="Allow listening on a non-loopback address (the emulator has no real security).",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    show_default=True,
    help="Port (0 picks a free one).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for data and faults.")
@click.option(
    "--token",
    envvar=CREDENTIAL_ENV,
    default=None,
    help=f"The one credential accepted (OpenAsset: ID:SECRET); also read from {CREDENTIAL_ENV}.",
)
@click.option("--quota", type=click.IntRange(min=1), help="Requests per window (service default).")
@click.option("--window", type=click.FloatRange(min=0.0, min_open=True), help="Quota window, s.")
@click.option("--concurrency", type=click.IntRange(min=1), help="Requests in flight at most.")
@click.option("--size", type=click.FloatRange(min=0.0), default=1.0, help="Data set scale.")
@click.option("--latency", type=_MS, default=0.0, help="Added latency per request, ms.")
@click.option("--jitter", type=_MS, default=0.0, help="Uniform extra latency up to this, ms.")
@click.option("--error-rate", type=_RATE, default=0.0, help="Share of injected 500/502/503.")
@click.option("--reset-rate", type=_RATE, default=0.0, help="Share of dropped connections.")
@click.option("--truncate-rate", type=_RATE, default=0.0, help="Share of truncated bodies.")
@click.option("--burst-429-rate", type=_RATE, default=0.0, help="Share starting a 429 burst.")
@click.option("--slow-body-rate", type=_RATE, default=0.0, help="Share of slowly sent bodies.")
@click.option("--slow-body-ms", type=_MS, default=200.0, help="Total pause of a slow body, ms.")
@click.option("--redirect-rate", type=_RATE, default=0.0, help="Share redirected to the same URL.")
@click.option(
    "--offsite-redirect-rate", type=_RATE, default=0.0, help="Share redirected to another host."
)
@click.option(
    "--offsite-origin",
    default="http://elsewhere.invalid",
    show_default=True,
    help="Where offsite redirects point.",
)
@click.option("--oversize-rate", type=_RATE, default=0.0, help="Share of oversized bodies.")
@click.option(
    "--oversize-bytes", type=_BYTES, default=64 * 1024 * 1024, help="Size of an oversized body."
)
@click.option("--bomb-rate", type=_RATE, default=0.0, help="Share of gzip-bomb bodies.")
@click.option(
    "--bomb-bytes", type=_BYTES, default=1024**3, help="Inflated size of a gzip-bomb body."
)
@click.option("--drip-rate", type=_RATE, default=0.0, help="Share of bodies sent byte by byte.")
@click.option("--drip-interval-ms", type=_MS, default=100.0, help="Pause between dripped bytes.")
@click.option(
    "--quirks",
    is_flag=True,
    help="Send the real services' payload quirks (PHP [] for {}, numeric strings, ...).",
)
@click.option(
    "--quirk-rate", type=_RATE, default=0.35, show_default=True, help="Share of nodes affected."
)
@click.option(
    "--quirk-kinds",
    default=",".join(QUIRK_KINDS),
    help="Comma list of quirks to send (default: all).",
)
def emulate(
    service: str,
    host: str,
    allow_public: bool,
    port: int,
    seed: int,
    token: str | None,
    quota: int | None,
    window: float | None,
    concurrency: int | None,
    size: float,
    latency: float,
    jitter: float,
    error_rate: float,
    reset_rate: float,
    truncate_rate: float,
    burst_429_rate: float,
    slow_body_rate: float,
    slow_body_ms: float,
    redirect_rate: float,
    offsite_redirect_rate: float,
    offsite_origin: str,
    oversize_rate: float,
    oversize_bytes: int,
    bomb_rate: float,
    bomb_bytes: int,
    drip_rate: float,
    drip_interval_ms: float,
    quirks: bool,
    quirk_rate: float,
    quirk_kinds: str,
) -> None:
    """Serve one emulator on loopback; print its base URL once ready, run until stopped."""
    missing = _missing_dependencies()
    if missing:
        _fail(f"{' and '.join(missing)} not installed; install 'asyncdam[emulator]'")
    if token is not None and not token.strip():
        _fail("--token must not be empty")
    faults = FaultConfig(
        latency_ms=latency,
        jitter_ms=jitter,
        error_rate=error_rate,
        reset_rate=reset_rate,
        truncate_rate=truncate_rate,
        burst_429_rate=burst_429_rate,
        slow_body_rate=slow_body_rate,
        slow_body_ms=slow_body_ms,
        redirect_rate=redirect_rate,
        offsite_redirect_rate=offsite_redirect_rate,
        offsite_origin=offsite_origin,
        oversize_rate=oversize_rate,
        oversize_bytes=oversize_bytes,
        bomb_rate=bomb_rate,
        bomb_bytes=bomb_bytes,
        drip_rate=drip_rate,
        drip_interval_ms=drip_interval_ms,
        seed=seed,
    )
    from asyncdam.emulator.faults import validate_faults

    try:
        validate_faults(faults)
    except ValueError as exc:
        _fail(str(exc))
    config = EmulatorConfig(
        seed=seed,
        quota=quota,
        window=window,
        concurrency=concurrency,
        size=size,
        faults=faults,
        quirks=QuirkConfig(enabled=quirks, rate=quirk_rate, kinds=_quirk_kinds(quirk_kinds)),
    )
    if token is not None:
        config = attrs.evolve(config, token=token)
    from asyncdam.emulator.runner import is_loopback, run_forever

    if not allow_public and not is_loopback(host):
        _fail(f"refusing to listen on non-loopback host {host!r} without --public")
    try:
        status = run_forever(service, config, host, port, allow_public=allow_public)
    except ImportError as exc:
        _fail(f"the {service} emulator cannot be loaded: {exc}")
    except OSError as exc:
        _fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    except RuntimeError as exc:
        _fail(str(exc))
    sys.exit(status)
