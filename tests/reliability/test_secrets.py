"""Secrets: no credential (token, password, client secret, session key, OAuth token) leaks anywhere.

Flows run against the three emulators, error paths included (bad credentials, 404s, injected
5xx with retries), with DEBUG logging captured. Every credential that crossed the wire is
collected from the requests themselves, so secrets the servers minted (OAuth tokens, OpenAsset
session keys) are searched for too: in log records, exception text/repr/tracebacks, reprs of
clients, dialects, engines and hook events, the SQLite cache file, paginator cursors and the CLI's
output, resume file and JSONL.
"""

from __future__ import annotations

import base64
import json
import logging
import ssl
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from asyncdam.cli.main import main as cli_main
from asyncdam.emulator import openasset as openasset_emulator
from asyncdam.emulator import phrase as phrase_emulator
from asyncdam.emulator import phraseanet as phraseanet_emulator
from asyncdam.emulator.config import EmulatorConfig, FaultConfig
from asyncdam.emulator.phraseanet import (
    EMULATOR_CLIENT_ID,
    EMULATOR_CLIENT_SECRET,
    EMULATOR_PASSWORD,
    EMULATOR_USERNAME,
)
from asyncdam.emulator.registry import create_app
from asyncdam.emulator.runner import EmulatorServer
from asyncdam.emulator.transport import emulator_transport
from asyncdam.engine.cache_storage import SQLiteCache
from asyncdam.engine.errors import AsyncDamError, ConfigurationError
from asyncdam.engine.events import Event, Hooks
from asyncdam.engine.retry import RetryPolicy
from asyncdam.engine.session import Engine
from asyncdam.openasset import OpenAsset
from asyncdam.phrase import Phrase
from asyncdam.phraseanet import PasswordGrant, Phraseanet

BASE = "http://127.0.0.1"
PHRASE_TOKEN = "phr-SECRET-token-0123456789abcdef"
PN_TOKEN = "pn-SECRET-token-0123456789abcdef"
OA_ID = "7"
OA_SECRET = "oa-SECRET-value-0123456789abcdef"
WRONG = "wrong-SECRET-credential-fedcba9876"
PHRASE_PASSWORD = "phrase-SECRET-password-123"
# Injected 5xx make the engine retry and log its retries; the seed keeps the run stable.
FLAKY = FaultConfig(error_rate=0.2, seed=5)
FAST_RETRY = RetryPolicy(max_attempts=6, backoff_base=0.0, backoff_cap=0.0)


class Wire:
    """Wraps a transport and collects every credential that travels through it."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.secrets: set[str] = set()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        for name, value in request.headers.items():
            if name.lower() in {"authorization", "cookie", "x-session-key", "x-phraseapp-otp"}:
                self._add_header(value)
        if b"password" in request.content or b"client_secret" in request.content:
            form = httpx.QueryParams(request.content.decode())
            for name in ("password", "client_secret"):
                self.secrets.update(form.get_list(name))
        response = await self.inner.handle_async_request(request)
        await response.aread()
        self._scan_body(response.content)
        return response

    def _add_header(self, value: str) -> None:
        scheme, _, credential = value.partition(" ")
        credential = credential or scheme
        self.secrets.add(credential)
        if scheme.lower() == "basic":
            decoded = base64.b64decode(credential).decode()
            self.secrets.update({decoded, decoded.split(":", 1)[1]})

    def _scan_body(self, content: bytes) -> None:
        try:
            body = json.loads(content)
        except ValueError:
            return
        for key, value in _walk(body):
            if isinstance(value, str) and ("token" in key or "session" in key or key == "key"):
                self.secrets.add(value)

    async def aclose(self) -> None:
        await self.inner.aclose()


def _walk(value: Any, key: str = "") -> Iterable[tuple[str, Any]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, str(k).lower())
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v, key)
    else:
        yield key, value


class Evidence:
    """Everything a user could see or a file could keep, as text and bytes."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.blobs: list[bytes] = []

    def error(self, exc: BaseException) -> None:
        self.texts += [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
        for name in ("url", "body", "message", "request_id"):
            self.texts.append(repr(getattr(exc, name, None)))

    def objects(self, *objs: object) -> None:
        self.texts += [repr(o) for o in objs] + [str(o) for o in objs]

    async def expect_error(self, awaitable: Any) -> None:
        try:
            await awaitable
        except AsyncDamError as exc:
            self.error(exc)
        else:  # pragma: no cover - a flow that should fail and did not
            raise AssertionError("expected a typed error")


def _secret_forms(secret: str) -> list[bytes]:
    raw = secret.encode()
    return [raw, base64.b64encode(raw), json.dumps(secret).encode()]


def _assert_no_leak(secrets: Iterable[str], evidence: Evidence, caplog: Any) -> int:
    texts = [*evidence.texts, caplog.text]
    for record in caplog.records:
        texts += [record.getMessage(), repr(record.args), str(record.exc_text or "")]
        if record.exc_info and record.exc_info[1] is not None:
            texts.append("".join(traceback.format_exception(record.exc_info[1])))
    haystack = "\n".join(texts).encode("utf-8", "backslashreplace")
    blobs = [haystack, *evidence.blobs]
    checked = 0
    for secret in secrets:
        if len(secret) < 6:  # ids such as "7" are not secrets and appear everywhere
            continue
        checked += 1
        for form in _secret_forms(secret):
            for blob in blobs:
                assert form not in blob, f"secret {secret[:3]}... leaked"
    return checked


def _engine(wire: Wire, tmp_path: Path, events: list[Event]) -> Engine:
    record: Callable[[Event], None] = events.append
    hooks = Hooks(request=[record], response=[record], retry=[record], throttle=[record])
    return Engine(
        transport=wire,  # type: ignore[arg-type]
        retry=FAST_RETRY,
        cache=SQLiteCache(tmp_path / "cache.db"),
        hooks=hooks,
    )


def _files(evidence: Evidence, tmp_path: Path) -> None:
    for path in sorted(tmp_path.rglob("*")):
        if path.is_file():
            evidence.blobs.append(path.read_bytes())


@pytest.fixture(autouse=True)
def debug_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="asyncdam")


async def test_phrase_flows_leak_nothing(caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    app = phrase_emulator.create_app(
        EmulatorConfig(seed=1, size=0.1, token=PHRASE_TOKEN, quota=10**6, faults=FLAKY)
    )
    wire, evidence = Wire(emulator_transport(app)), Evidence()
    events: list[Event] = []
    wire.secrets |= {PHRASE_TOKEN, WRONG, PHRASE_PASSWORD}
    async with _engine(wire, tmp_path, events) as engine:
        phrase = Phrase(token=PHRASE_TOKEN, base_url=f"{BASE}/v2", engine=engine)
        projects = [p async for p in phrase.projects.list()]
        listing = phrase.keys.list(projects[0].id or "", per_page=10)
        async for _ in listing:
            pass
        evidence.texts.append(json.dumps(listing.cursor))
        await evidence.expect_error(phrase.keys.show(projects[0].id or "", "no-such-key"))
        bad = Phrase(token=WRONG, base_url=f"{BASE}/v2", engine=engine)
        await evidence.expect_error(bad.projects.list().first_page())
        basic = Phrase(email="me@example.com", password=PHRASE_PASSWORD, base_url=f"{BASE}/v2")
        evidence.objects(basic, basic.dialect, basic.dialect.auth)
        await basic.aclose()
        evidence.objects(phrase, bad, phrase.dialect, phrase.dialect.auth, engine, engine.stats)
        evidence.objects(*events)
    _files(evidence, tmp_path)
    assert any(e.kind == "retry" for e in events)
    assert _assert_no_leak(wire.secrets, evidence, caplog) >= 2


async def test_phraseanet_flows_leak_nothing(
    caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    app = phraseanet_emulator.create_app(EmulatorConfig(size=0.1, token=PN_TOKEN, faults=FLAKY))
    wire, evidence = Wire(emulator_transport(app)), Evidence()
    events: list[Event] = []
    wire.secrets |= {PN_TOKEN, WRONG, EMULATOR_PASSWORD, EMULATOR_CLIENT_SECRET}
    grant = PasswordGrant(
        client_id=EMULATOR_CLIENT_ID,
        client_secret=EMULATOR_CLIENT_SECRET,
        username=EMULATOR_USERNAME,
        password=EMULATOR_PASSWORD,
    )
    bad_grant = PasswordGrant(client_id=EMULATOR_CLIENT_ID, username="u", password=WRONG)
    async with _engine(wire, tmp_path, events) as engine:
        async with Phraseanet(BASE, token=PN_TOKEN, engine=engine) as pn:
            listing = pn.records.search(per_page=10)
            async for _ in listing:
                pass
            evidence.texts.append(json.dumps(listing.cursor))
            await evidence.expect_error(pn.records.get(1, 999_999))
            evidence.objects(pn, pn.dialect, pn.dialect.auth)
        async with Phraseanet(BASE, oauth=grant, engine=engine) as pn:
            await pn.me.get()
            evidence.objects(pn, pn.dialect, pn.dialect.auth, grant)
        for client in (
            Phraseanet(BASE, token=WRONG, engine=engine),
            Phraseanet(BASE, oauth=bad_grant, engine=engine),
        ):
            async with client as pn:
                await evidence.expect_error(pn.me.get())
                evidence.objects(pn, pn.dialect.auth)
        evidence.objects(engine, engine.stats, *events)
    _files(evidence, tmp_path)
    # The OAuth token minted by the password grant was seen on the wire and is checked too.
    assert len(wire.secrets) > 4
    assert _assert_no_leak(wire.secrets, evidence, caplog) >= 5


async def test_openasset_flows_leak_nothing(
    caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    app = openasset_emulator.create_app(
        EmulatorConfig(seed=3, size=0.05, token=f"{OA_ID}:{OA_SECRET}", faults=FLAKY)
    )
    wire, evidence = Wire(emulator_transport(app)), Evidence()
    events: list[Event] = []
    wire.secrets |= {OA_SECRET, WRONG}
    async with _engine(wire, tmp_path, events) as engine:
        good: list[dict[str, Any]] = [
            {"token": (OA_ID, OA_SECRET)},
            {"basic": ("admin", OA_SECRET)},
        ]
        bad: list[dict[str, Any]] = [{"token": (OA_ID, WRONG)}, {"basic": ("admin", WRONG)}]
        for options in good:
            async with OpenAsset(BASE, engine=engine, **options) as oa:
                listing = oa.files.list(page_size=10)
                async for _ in listing:
                    pass
                evidence.texts.append(json.dumps(listing.cursor))
                await evidence.expect_error(oa.files.get(999_999))
                evidence.objects(oa, oa.dialect, oa.dialect.auth, oa.files)
        for options in bad:
            async with OpenAsset(BASE, engine=engine, **options) as oa:
                await evidence.expect_error(oa.files.get(1))
                evidence.objects(oa, oa.dialect.auth)
        evidence.objects(engine, engine.stats, *events)
    _files(evidence, tmp_path)
    # A session key was minted and used after the first login.
    assert len(wire.secrets) > 3
    assert _assert_no_leak(wire.secrets, evidence, caplog) >= 3


CLI_TOKENS = {"phrase": PHRASE_TOKEN, "phraseanet": PN_TOKEN, "openasset": f"{OA_ID}:{OA_SECRET}"}


@pytest.mark.parametrize("service", sorted(CLI_TOKENS))
def test_cli_export_output_resume_file_and_errors_leak_nothing(
    service: str, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    token = CLI_TOKENS[service]
    config = EmulatorConfig(seed=2, size=0.05, token=token, quota=10**6)
    app = create_app(service, config)
    evidence = Evidence()
    with EmulatorServer(service, config, app=app) as server:
        base = server.origin + ("/v2" if service == "phrase" else "")
        extra: list[str] = []
        if service == "phrase":
            headers = {"Authorization": f"token {token}", "User-Agent": "tests"}
            extra = ["--project", httpx.get(base + "/projects", headers=headers).json()[0]["id"]]
        out = tmp_path / "out" / "export.jsonl"
        out.parent.mkdir()
        env_var = f"ASYNCDAM_{service.upper()}_TOKEN"
        env = {"ASYNCDAM_CONFIG": str(tmp_path / "none.toml"), "ASYNCDAM_PROFILE": ""}
        runner = CliRunner()
        args = [service, "export", *extra, "-o", str(out), "--base-url", base]
        ok = runner.invoke(cli_main, args, env={**env, env_var: token})
        assert ok.exit_code == 0, ok.output
        wrong = WRONG if service != "openasset" else f"{OA_ID}:{WRONG}"
        for debug in ([], ["--debug"]):
            failed = runner.invoke(
                cli_main, [*args[:-2], "--base-url", base, *debug], env={**env, env_var: wrong}
            )
            assert failed.exit_code != 0
            evidence.texts.append(failed.output)
            if failed.exc_info is not None and failed.exception is not None:
                evidence.texts.append("".join(traceback.format_exception(failed.exception)))
        evidence.texts.append(ok.output)
    _files(evidence, tmp_path)
    assert any(out.parent.glob("*resume*")) or out.exists()
    secrets = {token, token.split(":")[-1], WRONG}
    assert _assert_no_leak(secrets, evidence, caplog) >= 2


@pytest.mark.parametrize("service", ["phrase", "phraseanet", "openasset"])
async def test_tls_verified_by_default_and_plain_http_refused_off_loopback(service: str) -> None:
    def make(url: str, **kw: Any) -> Any:
        if service == "phrase":
            return Phrase(token="t0ken-value", base_url=url + "/v2", **kw)
        if service == "phraseanet":
            return Phraseanet(url, token="t0ken-value", **kw)
        return OpenAsset(url, token=("7", "t0ken-value"), **kw)

    client = make("https://dam.example.com")
    try:
        pool = client.engine._http._transport._pool
        context: ssl.SSLContext = pool._ssl_context
        assert context.verify_mode == ssl.CERT_REQUIRED
        assert context.check_hostname
    finally:
        await client.aclose()
    for url in ("http://dam.example.com", "http://10.0.0.5", "http://localhost.evil.com"):
        with pytest.raises(ConfigurationError):
            make(url)
    for url in ("http://127.0.0.1:8080", "http://localhost:8080", "http://[::1]:8080"):
        await make(url).aclose()
    await make("http://dam.example.com", allow_insecure_http=True).aclose()


@pytest.mark.slow
def test_demo_with_debug_logging_leaks_nothing(caplog: pytest.LogCaptureFixture) -> None:
    evidence = Evidence()
    result = CliRunner().invoke(
        cli_main, ["demo", "--size", "0.05", "--latency-ms", "1", "--debug"]
    )
    assert result.exit_code == 0, result.output
    evidence.texts.append(result.output)
    # The demo's emulator credentials (asyncdam/cli/demo.py).
    secrets = {"demo-phrase-token", "demo-phraseanet-token", "demo-openasset-secret"}
    assert any(r.levelno == logging.DEBUG for r in caplog.records)
    assert _assert_no_leak(secrets, evidence, caplog) >= 3
