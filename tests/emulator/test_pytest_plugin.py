"""The `asyncdam` pytest plugin: emulator fixtures for users' own tests."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from asyncdam.emulator import registry
from asyncdam.emulator.config import EmulatorConfig
from asyncdam.emulator.pytest_plugin import EmulatorHandle, in_process_emulator

pytest_plugins = ["pytester"]
LOOP_SCOPE = "asyncio_default_fixture_loop_scope = function"

# A stand-in Phrase package, so the fixtures are tested whatever state the real one is in.
FAKE_PHRASE = """
import sys, types
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

def create_app(config):
    async def whoami(request):
        if request.headers.get("authorization") != "token " + config.token:
            return JSONResponse({"message": "Unauthorized"}, status_code=401)
        return JSONResponse({"seed": config.seed})
    return Starlette(routes=[Route("/v2/whoami", whoami)])

fake = types.ModuleType("asyncdam.emulator.phrase")
fake.BASE_PATH = "/v2"
fake.create_app = create_app
sys.modules["asyncdam.emulator.phrase"] = fake
"""

USER_TESTS = """
import httpx, pytest
from asyncdam.emulator.config import EmulatorConfig

@pytest.fixture
def emulator_config():
    return EmulatorConfig(seed=42, token="user-token")

async def test_in_process(phrase_emulator):
    assert phrase_emulator.base_url == "http://phrase.emulator.localhost/v2"
    assert phrase_emulator.token == "user-token"
    assert "user-token" not in repr(phrase_emulator)
    auth = {"Authorization": "token " + phrase_emulator.token}
    async with phrase_emulator.client(headers=auth) as client:
        assert (await client.get("whoami")).json() == {"seed": 42}

def test_server(phrase_server):
    assert phrase_server.base_url.endswith("/v2")
    response = httpx.get(phrase_server.base_url + "/whoami")
    assert response.status_code == 401
"""


def test_fixtures_with_overridden_config(pytester: pytest.Pytester) -> None:
    pytester.makeini(f"[pytest]\nasyncio_mode = auto\n{LOOP_SCOPE}")
    pytester.makeconftest(FAKE_PHRASE)
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_fixtures_skip_without_starlette(pytester: pytest.Pytester) -> None:
    pytester.makeini(f"[pytest]\n{LOOP_SCOPE}")
    pytester.makeconftest(
        'import sys\nsys.modules["starlette"] = None\nsys.modules["uvicorn"] = None\n'
    )
    pytester.makepyfile(
        test_user="""
        def test_in_process(openasset_emulator):
            raise AssertionError("should have been skipped")

        def test_server(phraseanet_server):
            raise AssertionError("should have been skipped")
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rs")
    result.assert_outcomes(skipped=2)
    result.stdout.fnmatch_lines(["*install 'asyncdam?emulator?'*"])


def test_plugin_imports_without_emulator_dependencies() -> None:
    code = textwrap.dedent(
        """
        import sys
        sys.modules["starlette"] = None
        sys.modules["uvicorn"] = None
        import asyncdam.emulator.pytest_plugin
        """
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("service", registry.SERVICES)
def test_in_process_handles_for_real_services(service: str) -> None:
    if not registry.is_available(service):
        pytest.skip(f"the {service} emulator package is not ready")
    handle = in_process_emulator(service, EmulatorConfig(token="handle-token"))
    assert isinstance(handle, EmulatorHandle)
    assert handle.base_url == f"http://{service}.emulator.localhost{registry.base_path(service)}"
    assert "handle-token" not in repr(handle)


PROFILE_TESTS = """
import pytest

RECORD = "/api/v1/records/1/1/"

async def _record(handle):
    async with handle.client(headers={"Authorization": "OAuth " + handle.token}) as client:
        response = await client.get(RECORD)
    return response

async def test_polite_by_default(phraseanet_emulator, request):
    if request.config.getoption("emulator_quirks"):
        pytest.skip("the whole run has quirks on")
    assert not phraseanet_emulator.config.quirks.active
    body = (await _record(phraseanet_emulator)).json()["response"]["record"]
    assert "x_emulator_quirk" not in str(body)

@pytest.mark.emulator_quirks(rate=1.0, kinds=["extra_fields"])
async def test_marker_turns_quirks_on(phraseanet_emulator):
    quirks = phraseanet_emulator.config.quirks
    assert quirks.active and quirks.kinds == {"extra_fields"}
    body = (await _record(phraseanet_emulator)).json()["response"]["record"]
    assert body["x_emulator_quirk"] == body["x_emulator_quirk"]  # present
    assert body["record_id"] == 1

@pytest.mark.emulator_faults(redirect_rate=1.0)
async def test_marker_turns_faults_on(phraseanet_emulator):
    response = await _record(phraseanet_emulator)
    assert response.status_code in (301, 302, 307, 308)
    assert response.headers["location"].endswith(RECORD)
"""


def test_quirk_and_fault_markers(pytester: pytest.Pytester) -> None:
    pytester.makeini(f"[pytest]\nasyncio_mode = auto\n{LOOP_SCOPE}")
    pytester.makepyfile(test_user=PROFILE_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_quirks_option_for_a_whole_run(pytester: pytest.Pytester) -> None:
    pytester.makeini(f"[pytest]\nasyncio_mode = auto\n{LOOP_SCOPE}")
    pytester.makepyfile(
        test_user="""
        def test_on(openasset_emulator, phrase_emulator):
            assert openasset_emulator.config.quirks.active
            assert phrase_emulator.config.quirks.active
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--emulator-quirks")
    result.assert_outcomes(passed=1)
