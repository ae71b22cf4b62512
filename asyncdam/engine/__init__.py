"""Shared machinery: pooling, quota limiting, conditional caching, retries, paging, errors."""
