"""Docstrings for the generated Phrase resource methods, written from the index's facts only.

Each says what comes back (the model, a paginator, bytes or nothing), which route is called, which
parameters are required, how it pages, and whether the engine may retry it. No sentence of the
spec's own prose is used (the index has none).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

__all__ = ["DocFacts", "method_doc"]

WIDTH = 100 - 8  # class body indentation inside a 100-column file
IDEMPOTENT_METHODS = {"GET", "HEAD", "PUT", "DELETE", "OPTIONS"}


@dataclass(frozen=True)
class DocFacts:
    """What a docstring needs to know about one operation."""

    op_id: str
    method: str
    path: str
    result_kind: str  # one | many | none | binary | mapping
    model: str | None  # the model class name, or the mapping's value type
    paged: str | None  # query | body | None
    required: tuple[str, ...]
    idempotent_post: bool
    source: str | None  # where the operation's facts came from when not the spec snapshot
    identified: bool = True  # the items have an `id`, so listing consistency can check them


def _summary(f: DocFacts, variant: str) -> str:
    route = f"{f.method} {f.path}"
    if variant == "stream":
        return f"Stream the body of {route} without holding it in memory."
    if variant == "to":
        return f"Download the body of {route} into the file `dest`."
    if f.result_kind == "many" and f.paged:
        return f"Every `{f.model}` that {route} lists, fetched page by page."
    if f.result_kind == "many":
        return f"The `{f.model}` items that {route} answers with, as one list."
    if f.result_kind == "one":
        return f"The `{f.model}` that {route} answers with."
    if f.result_kind == "mapping":
        return f"The JSON object that {route} answers with, as a `dict[str, {f.model}]`."
    if f.result_kind == "binary":
        return f"The body of {route} as raw bytes."
    return f"Send {route}; the answer carries no data, so this returns None."


def _returns(f: DocFacts, variant: str) -> str:
    if variant == "stream":
        return (
            "Use it as `async with ... as response:` and read `response.aiter_bytes()`; "
            "the connection is released when the block ends."
        )
    if variant == "to":
        return (
            "Returns the `Path` written. The bytes go to a temporary file beside `dest`, "
            "renamed into place only once complete, so a failure never leaves a partial file."
        )
    if f.result_kind == "many" and f.paged:
        where = "the JSON body" if f.paged == "body" else "the query"
        return (
            f"Returns `Paginator[{f.model}]`: `async for` requests each next page as needed, "
            f"following the Link and Pagination headers, with `per_page` (default 100, the API's "
            f"maximum) in {where}. `cursor=` continues an earlier run's `.cursor`; "
            + (
                "items that exist throughout come out once even while the data changes "
                "(`consistency=`, see `Paginator`)."
                if f.identified
                else "the items carry no id, so `consistency=` cannot check this listing."
            )
        )
    if f.result_kind == "many":
        return f"Returns `list[{f.model}]`; the route does not page."
    if f.result_kind == "one" and f.paged:
        where = "the JSON body" if f.paged == "body" else "the query"
        return (
            f"Returns `{f.model}`, one page: the route takes `page`/`per_page` in {where}, but "
            "the spec types its answer as one object, so pass `page` to walk further."
        )
    if f.result_kind == "one":
        return f"Returns `{f.model}`; fields the model does not name are kept in `extra`."
    if f.result_kind == "mapping":
        return (
            f"Returns `dict[str, {f.model}]` exactly as sent; a body of another shape raises "
            "`DecodeError`."
        )
    if f.result_kind == "binary":
        return (
            "Returns `bytes`, never decoded; with a cache configured an unchanged file is "
            "revalidated (304) rather than downloaded again. For large files use the `_stream` "
            "or `_to` variant."
        )
    return "Returns None once the server has accepted the request."


def _required(f: DocFacts) -> str:
    if not f.required:
        return "No parameter is required."
    names = ", ".join(f"`{n}`" for n in f.required)
    return f"Required: {names}."


def _retry(f: DocFacts) -> str:
    retried = (
        "Retried after transport errors and retryable statuses (429, most 5xx) within the retry "
        "budget:"
    )
    if f.idempotent_post:
        return f"{retried} this POST only reads, so it is marked idempotent."
    if f.method in IDEMPOTENT_METHODS:
        return f"{retried} {f.method} is idempotent."
    return (
        f"Not retried once sent, so it never runs twice: {f.method} is not idempotent (only a "
        "failure before any byte left is retried)."
    )


def method_doc(f: DocFacts, variant: str = "") -> list[str]:
    """The docstring's lines (without quotes or indentation) for one method.

    `variant` is "" for the main method, or "stream" / "to" for a download's two extra forms.
    """
    summary = textwrap.wrap(_summary(f, variant), WIDTH - 3)
    origin = f"Operation `{f.op_id}`"
    if f.source:
        origin += f"; not in the spec snapshot, its facts come from {f.source}"
    body = " ".join([_returns(f, variant), _required(f), _retry(f), origin + "."])
    return [*summary, "", *textwrap.wrap(body, WIDTH)]
