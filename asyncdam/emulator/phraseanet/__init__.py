"""A local Phraseanet API emulator (v1/v2/v3 + OAuth2), built from the team's fact sheet.

Routes live at `/api/v1/...`, `/api/v2/...`, `/api/v3/...`, OAuth at `/api/oauthv2/...`, files at
`/medias/<jwt>` and `/permalink/v1/...`. Seeded OAuth credentials (local fixtures, not secrets):

- client id `EMULATOR_CLIENT_ID` ("asyncdam-emulator", password grant on) and
  `EMULATOR_CODE_CLIENT_ID` ("asyncdam-code-only", password grant off), both with secret
  `EMULATOR_CLIENT_SECRET` and redirect URI `EMULATOR_REDIRECT_URI`;
- user `EMULATOR_USERNAME` ("emulator") with password `EMULATOR_PASSWORD`;
- administrator `EMULATOR_ADMIN_USERNAME` ("admin") with password `EMULATOR_ADMIN_PASSWORD` and
  developer token `EMULATOR_ADMIN_TOKEN`: the caller the admin (monitor, accounts) routes serve;
- `EmulatorConfig.token` is an always-valid developer token.

Switches on `app.state`: `header_only` (token only from the Authorization header),
`require_ssl` (HTTPS gate on the token endpoint), `keyed_objects` (False = list-shaped
databoxes/collections/document_metadatas, as older servers sent), `clock` (epoch seconds for the
optional quota). Counters: `app.state.stats` (requests by route, replies by status).
"""

from asyncdam.emulator.phraseanet.app import create_app
from asyncdam.emulator.phraseanet.auth import (
    EMULATOR_ADMIN_PASSWORD,
    EMULATOR_ADMIN_TOKEN,
    EMULATOR_ADMIN_USERNAME,
    EMULATOR_CLIENT_ID,
    EMULATOR_CLIENT_SECRET,
    EMULATOR_CODE_CLIENT_ID,
    EMULATOR_PASSWORD,
    EMULATOR_REDIRECT_URI,
    EMULATOR_USERNAME,
)

BASE_PATH = ""

__all__ = [
    "BASE_PATH",
    "EMULATOR_ADMIN_PASSWORD",
    "EMULATOR_ADMIN_TOKEN",
    "EMULATOR_ADMIN_USERNAME",
    "EMULATOR_CLIENT_ID",
    "EMULATOR_CLIENT_SECRET",
    "EMULATOR_CODE_CLIENT_ID",
    "EMULATOR_PASSWORD",
    "EMULATOR_REDIRECT_URI",
    "EMULATOR_USERNAME",
    "create_app",
]
