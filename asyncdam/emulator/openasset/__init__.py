"""A faithful local fake of the OpenAsset REST API v1 (routes at /REST/1/...).

Credentials: `EmulatorConfig.token` is the one accepted credential, in the OATU form "ID:SECRET"
(a bare value means token id "1"); send it as `Authorization: OATU ID:SECRET`. Basic auth also
works for the seeded users `ADMIN_USERNAME` ("admin", id 1, may write) and `VIEWER_USERNAME`
("viewer", id 2, read-only) with SECRET as password. Responses carry `X-SessionKey`, accepted
alone afterwards. Size files are served without credentials under `/storage/`.
Knobs and counters: `app.state.settings`, `app.state.stats`, `app.state.sessions`.
"""

from asyncdam.emulator.openasset.app import create_app
from asyncdam.emulator.openasset.auth import ANONYMOUS, split_token
from asyncdam.emulator.openasset.seed import (
    ADMIN_USER_ID,
    ADMIN_USERNAME,
    ORIGINAL_SIZE_ID,
    VIEWER_USER_ID,
    VIEWER_USERNAME,
)
from asyncdam.emulator.openasset.state import DEFAULT_VERSION, Sessions, Settings, Stats

BASE_PATH = ""

__all__ = [
    "ADMIN_USERNAME",
    "ADMIN_USER_ID",
    "ANONYMOUS",
    "BASE_PATH",
    "DEFAULT_VERSION",
    "ORIGINAL_SIZE_ID",
    "VIEWER_USERNAME",
    "VIEWER_USER_ID",
    "Sessions",
    "Settings",
    "Stats",
    "create_app",
    "split_token",
]
