"""The cache's pure decisions: keys, validators, store rules, 304 merging."""

from __future__ import annotations

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asyncdam.engine.cache import (
    cache_key,
    canonical_url,
    entry_from,
    merge_headers,
    refreshed,
    revalidated,
    should_store,
    storable_headers,
    validators,
)
from asyncdam.engine.protocols import CacheEntry
from asyncdam.engine.request import Response

URL = "https://api.phrase.com/v2/projects/p1/keys?page=2&per_page=100"
ACCEPT = "application/json"


def make_response(
    headers: list[tuple[str, str]], content: bytes = b'{"a":1}', status: int = 200
) -> Response:
    return Response(
        status=status, headers=httpx.Headers(headers), content=content, method="GET", url=URL
    )


def make_entry(**changes: object) -> CacheEntry:
    fields: dict[str, object] = {
        "status": 200,
        "headers": (
            ("content-type", "application/json"),
            ("content-length", "7"),
            ("etag", '"v1"'),
            ("link", '<https://x/?page=3>; rel="next"'),
            ("link", '<https://x/?page=9>; rel="last"'),
            ("x-rate-limit-remaining", "900"),
        ),
        "content": b'{"a":1}',
        "etag": '"v1"',
        "last_modified": None,
        "stored_at": 10.0,
    }
    fields.update(changes)
    return CacheEntry(**fields)  # type: ignore[arg-type]


# -- keys ------------------------------------------------------------------------------------


def test_key_is_stable_hex_and_hides_its_inputs() -> None:
    key = cache_key("cred1234", "GET", URL, ACCEPT)
    assert key == cache_key("cred1234", "GET", URL, ACCEPT)
    assert len(key) == 64 and int(key, 16) >= 0
    assert "cred1234" not in key and "phrase" not in key


@pytest.mark.parametrize(
    ("credential", "method", "url", "accept"),
    [
        ("other", "GET", URL, ACCEPT),
        ("cred1234", "HEAD", URL, ACCEPT),
        ("cred1234", "GET", URL.replace("page=2", "page=3"), ACCEPT),
        ("cred1234", "GET", URL.replace("/keys", "/locales"), ACCEPT),
        ("cred1234", "GET", URL.replace("api.phrase.com", "api.us.app.phrase.com"), ACCEPT),
        ("cred1234", "GET", URL.replace("https", "http"), ACCEPT),
        ("cred1234", "GET", URL, "application/xml"),
        ("cred1234", "GET", URL, None),
        (None, "GET", URL, ACCEPT),
    ],
)
def test_key_changes_with_each_input(
    credential: str | None, method: str, url: str, accept: str | None
) -> None:
    assert cache_key(credential, method, url, accept) != cache_key("cred1234", "GET", URL, ACCEPT)


def test_fields_cannot_run_into_each_other() -> None:
    assert cache_key("ab", "GET", URL, "c") != cache_key("a", "GET", URL, "bc")
    assert cache_key('a", "b', "GET", URL, None) != cache_key("a", "GET", URL, "b")


@pytest.mark.parametrize(
    "same",
    [
        "HTTPS://API.Phrase.com/v2/projects/p1/keys?page=2&per_page=100",
        "https://api.phrase.com:443/v2/projects/p1/keys?page=2&per_page=100",
        "https://api.phrase.com/v2/projects/p1/keys?per_page=100&page=2",
        "https://api.phrase.com/v2/projects/p1/keys?page=2&per_page=100#top",
        "https://api.phrase.com/v2/projects/%70%31/keys?page=2&per_page=100",
        "https://api.phrase.com/v2/projects/p1/keys?page=2&&per_page=100",
    ],
)
def test_equivalent_urls_share_a_key(same: str) -> None:
    assert cache_key("c", "get", same, ACCEPT) == cache_key("c", "GET", URL, ACCEPT)


def test_canonical_url_keeps_meaningful_differences() -> None:
    # Order among repeated names is meaningful; escaped reserved characters are not decoded.
    assert canonical_url("https://h/a?ids[]=1&ids[]=2") != canonical_url(
        "https://h/a?ids[]=2&ids[]=1"
    )
    assert canonical_url("https://h/a%2Fb") != canonical_url("https://h/a/b")
    assert canonical_url("https://h/a%2fb") == canonical_url("https://h/a%2Fb")
    assert canonical_url("https://h:8443/") != canonical_url("https://h/")
    assert canonical_url("https://h") == "https://h/"
    assert canonical_url("http://[::1]:8400/x") == "http://[::1]:8400/x"


def test_accept_whitespace_does_not_matter() -> None:
    assert cache_key("c", "GET", URL, " application/json ") == cache_key("c", "GET", URL, ACCEPT)
    assert cache_key("c", "GET", URL, "a/b,  c/d") == cache_key("c", "GET", URL, "a/b, c/d")


_segment = st.text(alphabet="aZ09-._~%2fF/:@!$&'()*+,;=?#[] ", max_size=12)


@settings(max_examples=300, deadline=None)
@given(
    host=st.sampled_from(["Example.COM", "h", "127.0.0.1", "[::1]"]),
    port=st.sampled_from(["", ":443", ":80", ":8400"]),
    path=_segment,
    query=_segment,
)
def test_canonical_url_is_idempotent(host: str, port: str, path: str, query: str) -> None:
    url = f"https://{host}{port}/{path}?{query}"
    once = canonical_url(url)
    assert canonical_url(once) == once


# -- validators and store rules --------------------------------------------------------------


def test_validators_echo_stored_values_verbatim() -> None:
    lm = "Wed, 28 Jan 2015 15:31:30 UTC"  # Phrase's non-RFC suffix must survive untouched
    assert validators(make_entry(etag='W/"abc"', last_modified=lm)) == {
        "If-None-Match": 'W/"abc"',
        "If-Modified-Since": lm,
    }
    assert validators(make_entry(etag=None, last_modified=lm)) == {"If-Modified-Since": lm}
    assert validators(make_entry(etag='"x"')) == {"If-None-Match": '"x"'}
    assert validators(make_entry(etag=None)) == {}


@pytest.mark.parametrize(
    ("cacheable", "status", "headers", "expected"),
    [
        (True, 200, {"ETag": '"a"'}, True),
        (True, 200, {"Last-Modified": "Wed, 28 Jan 2015 15:31:30 GMT"}, True),
        (True, 200, {}, False),
        (True, 200, {"ETag": "  "}, False),
        (False, 200, {"ETag": '"a"'}, False),
        (True, 201, {"ETag": '"a"'}, False),
        (True, 206, {"ETag": '"a"'}, False),
        (True, 304, {"ETag": '"a"'}, False),
        (True, 404, {"ETag": '"a"'}, False),
        (True, 200, {"ETag": '"a"', "Cache-Control": "no-store"}, False),
        (True, 200, {"ETag": '"a"', "Cache-Control": "private, No-Store"}, False),
        (True, 200, {"ETag": '"a"', "Cache-Control": "no-cache, max-age=0"}, True),
        (True, 200, {"ETag": '"a"', "Cache-Control": "private"}, True),
        (True, 200, {"ETag": '"a"', "Vary": "*"}, False),
        (True, 200, {"ETag": '"a"', "Vary": "Accept-Encoding"}, True),
    ],
)
def test_should_store(
    cacheable: bool, status: int, headers: dict[str, str], expected: bool
) -> None:
    assert should_store(cacheable, status, headers) is expected


def test_no_store_in_a_second_cache_control_header_counts() -> None:
    headers = httpx.Headers(
        [("etag", '"a"'), ("cache-control", "private"), ("cache-control", "no-store")]
    )
    assert should_store(True, 200, headers) is False


def test_storable_headers_drop_credentials_and_connection_state() -> None:
    kept = storable_headers(
        [
            ("Content-Type", "application/json"),
            ("X-SessionKey", "s3cr3t-session"),
            ("Set-Cookie", "OpenAsset_X=abc"),
            ("Authorization", "token t"),
            ("X-Auth-Token", "t"),
            ("Connection", "keep-alive"),
            ("Transfer-Encoding", "chunked"),
            ("Link", "<a>; rel=next"),
            ("Link", "<b>; rel=last"),
            ("X-Rate-Limit-Remaining", "5"),
        ]
    )
    assert kept == (
        ("content-type", "application/json"),
        ("link", "<a>; rel=next"),
        ("link", "<b>; rel=last"),
        ("x-rate-limit-remaining", "5"),
    )


# -- entries and 304s -------------------------------------------------------------------------


def test_entry_from_keeps_body_validators_and_safe_headers() -> None:
    response = make_response(
        [
            ("ETag", '"v1"'),
            ("Last-Modified", "Wed, 28 Jan 2015 15:31:30 UTC"),
            ("Pagination", '{"total_count":250}'),
            ("X-SessionKey", "secret"),
        ]
    )
    entry = entry_from(response, now=123.5)
    assert entry.status == 200
    assert entry.content == b'{"a":1}'
    assert entry.etag == '"v1"'
    assert entry.last_modified == "Wed, 28 Jan 2015 15:31:30 UTC"
    assert entry.stored_at == 123.5
    assert ("pagination", '{"total_count":250}') in entry.headers
    assert all(name != "x-sessionkey" for name, _ in entry.headers)


def test_entry_from_refuses_a_stream() -> None:
    async def chunks() -> object:
        yield b"x"

    response = Response(
        status=200,
        headers=httpx.Headers({"etag": '"a"'}),
        content=chunks(),  # type: ignore[arg-type]
        method="GET",
        url=URL,
    )
    with pytest.raises(TypeError):
        entry_from(response, now=0.0)


def test_revalidated_serves_stored_body_with_fresh_headers() -> None:
    entry = make_entry()
    not_modified = httpx.Headers(
        [
            ("ETag", '"v1"'),
            ("Date", "Mon, 23 Nov 2026 10:00:00 GMT"),
            ("X-Rate-Limit-Remaining", "899"),
            ("Content-Length", "0"),
            ("Content-Type", "text/html"),
            ("X-SessionKey", "fresh-session"),
        ]
    )
    response = revalidated(entry, not_modified, method="GET", url=URL, attempts=2, elapsed=0.25)
    assert response.status == 200 and response.ok
    assert response.from_cache is True
    assert response.content == entry.content
    assert response.json() == {"a": 1}
    assert (response.method, response.url, response.attempts, response.elapsed) == (
        "GET",
        URL,
        2,
        0.25,
    )
    h = response.headers
    assert h["x-rate-limit-remaining"] == "899"
    assert h["date"] == "Mon, 23 Nov 2026 10:00:00 GMT"
    # The 304 describes its own empty body: the stored representation headers stay.
    assert h["content-length"] == "7"
    assert h["content-type"] == "application/json"
    links = h.get_list("link")
    assert links == [
        '<https://x/?page=3>; rel="next"',
        '<https://x/?page=9>; rel="last"',
    ]
    # Live headers from this very response (a session key) reach the caller, just not the store.
    assert h["x-sessionkey"] == "fresh-session"


def test_merge_replaces_every_stored_value_of_a_name() -> None:
    merged = merge_headers([("link", "a"), ("link", "b"), ("x", "1")], [("Link", "c")])
    assert merged == [("x", "1"), ("link", "c")]


def test_refreshed_takes_new_validators_and_stays_secret_free() -> None:
    entry = make_entry(last_modified="Wed, 28 Jan 2015 15:31:30 GMT")
    updated = refreshed(entry, [("ETag", 'W/"v1"'), ("X-SessionKey", "s")], now=99.0)
    assert updated.etag == 'W/"v1"'
    assert updated.last_modified == "Wed, 28 Jan 2015 15:31:30 GMT"
    assert updated.content == entry.content and updated.stored_at == 99.0
    assert all(name != "x-sessionkey" for name, _ in updated.headers)
    same = refreshed(entry, [("Date", "x")], now=99.0)
    assert (same.etag, same.last_modified) == (entry.etag, entry.last_modified)
