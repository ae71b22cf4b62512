"""Distributed quota, concurrency cap and cache storage on Redis (the `redis` extra).

`Engine(backend=RedisBackend("redis://host:6379/0"))` makes every worker that uses the same Redis
and key prefix share one token bucket and one concurrency cap per quota scope, and one cache.
"""

from __future__ import annotations

from asyncdam.engine.redis.backend import RedisBackend
from asyncdam.engine.redis.cache import RedisCache
from asyncdam.engine.redis.limiter import BackendUnavailable, RedisLimiter, RedisPermit

__all__ = ["BackendUnavailable", "RedisBackend", "RedisCache", "RedisLimiter", "RedisPermit"]
