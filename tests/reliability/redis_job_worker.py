"""An export job for the Redis fault tests: `python redis_job_worker.py REDIS PREFIX BASE TOKEN OUT`
(arguments: Redis URL, key prefix, emulator origin, token, output file).

It lists every Phraseanet record through an Engine whose limiter is a RedisBackend (one slot),
appends each page's items and then the cursor after that page to OUT as JSON lines, and prints
`SENT n` from the request hook, i.e. while it holds the shared slot for request n.
"""

from __future__ import annotations

import asyncio
import json
import sys

from asyncdam.engine.events import Event, Hooks
from asyncdam.engine.redis import RedisBackend
from asyncdam.engine.session import Engine
from asyncdam.phraseanet import Phraseanet

LEASE = 1.0
PER_PAGE = 5


async def main(redis_url: str, prefix: str, base: str, token: str, out: str) -> None:
    sent = 0

    def on_request(event: Event) -> None:
        nonlocal sent
        sent += 1
        print(f"SENT {sent}", flush=True)

    backend = RedisBackend(redis_url, key_prefix=prefix, lease_seconds=LEASE)
    hooks = Hooks(request=[on_request])
    async with Engine(backend=backend, cache=False, hooks=hooks) as engine:
        async with Phraseanet(base, token=token, engine=engine, concurrency=1) as pn:
            listing = pn.records.search(per_page=PER_PAGE)
            with open(out, "a", encoding="utf-8") as sink:  # noqa: ASYNC230 - tiny writes
                async for page in listing.pages():
                    for record in page.items:
                        sink.write(json.dumps({"item": [record.databox_id, record.record_id]}))
                        sink.write("\n")
                    sink.write(json.dumps({"cursor": listing.cursor}) + "\n")
                    sink.flush()
    await backend.aclose()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:6]))
