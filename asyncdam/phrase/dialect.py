"""What the engine needs to know about Phrase Strings: hosts, auth, headers, quota, error bodies."""

from __future__ import annotations

from typing import Any

import attrs
import httpx

from asyncdam._version import __version__
from asyncdam.engine.dialect import BaseDialect, check_base_url
from asyncdam.engine.errors import ConfigurationError, FieldError
from asyncdam.engine.request import Request, Response
from asyncdam.engine.types import Rate
from asyncdam.phrase.auth import PhraseAuth

__all__ = ["REGIONS", "PhraseDialect", "make_dialect", "user_agent"]

REGIONS = {"eu": "https://api.phrase.com/v2/", "us": "https://api.us.app.phrase.com/v2/"}
CONCURRENCY_BODY = "concurrency limit exceeded"


def user_agent(contact: str | None) -> str:
    """`asyncdam/<version>`, plus the caller's contact in parentheses (Phrase asks for one)."""
    base = f"asyncdam/{__version__}"
    return f"{base} ({contact})" if contact else base


@attrs.define(kw_only=True)
class PhraseDialect(BaseDialect):
    """Phrase Strings API v2: quota per user token by default, per project as an option."""

    scope_per_project: bool = False

    def scope_for(self, request: Request) -> str:
        """The quota scope: the credential (per user), or credential + project when asked."""
        if request.scope:
            return request.scope
        base = f"phrase:{self.base_url.host}:{self.credential_id}"
        if self.scope_per_project:
            project = request.path_params.get("project_id")
            if project is None and request.path.startswith("/projects/{id}"):
                project = request.path_params.get("id")
            if project is not None:
                return f"{base}:project:{project}"
        return base

    def error_message(self, body: Any, response: Response) -> str:
        """`message` (400/404/422), `error` (ICU 422, QPS), plain text (429); else the reason."""
        otp = response.headers.get("x-phraseapp-otp", "")
        if response.status == 401 and otp.lower().startswith("required"):
            kind = otp.partition(";")[2].strip() or "unknown"
            return f"two-factor code required: pass otp= (method: {kind})"
        if isinstance(body, dict):
            error = body.get("error")
            if isinstance(error, dict) and isinstance(error.get("message"), str):
                return str(error["message"])
        if isinstance(body, str) and body.strip() and len(body) < 300 and "<" not in body:
            return body.strip()
        return super().error_message(body, response)

    def field_errors(self, body: Any) -> list[FieldError]:
        """Phrase 422: `errors: [{resource, field, message}]`; the field is `resource.field`."""
        out: list[FieldError] = []
        if isinstance(body, dict) and isinstance(body.get("errors"), list):
            for item in body["errors"]:
                if not isinstance(item, dict):
                    continue
                field = str(item.get("field", ""))
                resource = item.get("resource")
                if resource:
                    field = f"{resource}.{field}" if field else str(resource)
                out.append(FieldError(field=field, message=str(item.get("message", ""))))
        return out

    def is_concurrency_limited(self, response: Response) -> bool:
        """A 429 about parallel requests: X-Rate-Limit-Reason, or the plain-text body."""
        reason = response.headers.get("x-rate-limit-reason", "").lower()
        if reason:
            return "concurren" in reason or "parallel" in reason
        return response.content.strip().lower() == CONCURRENCY_BODY.encode()


def make_dialect(
    *,
    auth: PhraseAuth,
    region: str = "eu",
    base_url: str | None = None,
    concurrency: int = 2,
    user_agent_contact: str | None = None,
    scope_per_project: bool = False,
    allow_insecure_http: bool = False,
) -> PhraseDialect:
    """Build the dialect; `base_url` (validated) overrides `region`."""
    if base_url is not None:
        url = check_base_url(base_url, allow_insecure_http=allow_insecure_http)
    else:
        if region not in REGIONS:
            raise ConfigurationError(f"region must be one of {', '.join(REGIONS)}, got {region!r}")
        url = httpx.URL(REGIONS[region])
    headers = {"User-Agent": user_agent(user_agent_contact), "Accept": "application/json"}
    return PhraseDialect(
        name="phrase",
        base_url=url,
        auth=auth,
        default_headers=headers,
        credential_id=auth.credential_id,
        concurrency=concurrency,
        initial_rate=Rate(500, 300),
        scope_per_project=scope_per_project,
    )
