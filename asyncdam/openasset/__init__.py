"""OpenAsset REST API v1 adapter: `OpenAsset(base_url, token=(id, secret))` and its models."""

from asyncdam.openasset import models
from asyncdam.openasset.bulk import BulkItem, BulkResult, ItemError
from asyncdam.openasset.client import OpenAsset
from asyncdam.openasset.files import ORIGINAL_SIZE, Upload
from asyncdam.openasset.query import (
    Condition,
    Filter,
    OrderKey,
    Query,
    any_of,
    between,
    eq,
    ge,
    gt,
    le,
    lt,
    not_,
)
from asyncdam.openasset.resources import IgnoredFieldsError
from asyncdam.openasset.versions import FeatureNotSupported

__all__ = [
    "ORIGINAL_SIZE",
    "BulkItem",
    "BulkResult",
    "Condition",
    "FeatureNotSupported",
    "Filter",
    "IgnoredFieldsError",
    "ItemError",
    "OpenAsset",
    "OrderKey",
    "Query",
    "Upload",
    "any_of",
    "between",
    "eq",
    "ge",
    "gt",
    "le",
    "lt",
    "models",
    "not_",
]
