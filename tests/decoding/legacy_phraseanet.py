"""One cattrs converter for Phraseanet, tolerant of what the PHP server sends.

- id-keyed objects (`{"1": {...}}`) where a list is meant, and `{}`/`[]` for empty either way;
- numbers as strings (`"0"`, `"12"`) and `"0"/"1"` booleans;
- unknown keys kept in each model's `extra` dict instead of failing.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import attrs
import cattrs

from asyncdam.engine.errors import DecodeError

__all__ = ["converter", "structure", "structure_list"]

T = TypeVar("T")

converter = cattrs.Converter()


def _int(value: Any, _: type) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    raise ValueError(f"not an integer: {value!r}")


def _float(value: Any, _: type) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        return float(value)
    raise ValueError(f"not a number: {value!r}")


def _bool(value: Any, _: type) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("0", "1", "true", "false", ""):
        return value.strip().lower() in ("1", "true")
    raise ValueError(f"not a boolean: {value!r}")


def _str(value: Any, _: type) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise ValueError(f"not a string: {value!r}")


converter.register_structure_hook(int, _int)
converter.register_structure_hook(float, _float)
converter.register_structure_hook(bool, _bool)
converter.register_structure_hook(str, _str)
converter.register_structure_hook(Any, lambda v, _: v)


def _is_list(tp: Any) -> bool:
    return typing.get_origin(tp) is list


def _list_hook(tp: Any) -> Callable[[Any, Any], list[Any]]:
    (item_type,) = typing.get_args(tp) or (Any,)

    def hook(value: Any, _: Any) -> list[Any]:
        if isinstance(value, Mapping):
            # PHP arrays keyed by id serialise as objects; their order is the server's order.
            value = list(value.values())
        if not isinstance(value, list):
            raise ValueError(f"expected a list, got {type(value).__name__}")
        return [converter.structure(item, item_type) for item in value]

    return hook


def _is_dict(tp: Any) -> bool:
    return typing.get_origin(tp) is dict


def _dict_hook(tp: Any) -> Callable[[Any, Any], dict[Any, Any]]:
    key_type, value_type = typing.get_args(tp) or (str, Any)

    def hook(value: Any, _: Any) -> dict[Any, Any]:
        if value == []:
            return {}
        if not isinstance(value, Mapping):
            raise ValueError(f"expected an object, got {type(value).__name__}")
        return {
            converter.structure(k, key_type): converter.structure(v, value_type)
            for k, v in value.items()
        }

    return hook


def _is_optional(tp: Any) -> bool:
    return typing.get_origin(tp) in (typing.Union, types.UnionType) and type(
        None
    ) in typing.get_args(tp)


def _optional_hook(tp: Any) -> Callable[[Any, Any], Any]:
    inner = [a for a in typing.get_args(tp) if a is not type(None)]
    target = inner[0] if len(inner) == 1 else typing.Union[tuple(inner)]  # noqa: UP007

    def hook(value: Any, _: Any) -> Any:
        return None if value is None else converter.structure(value, target)  # type: ignore[arg-type]

    return hook


def _is_model(tp: Any) -> bool:
    return (
        isinstance(tp, type) and attrs.has(tp) and any(f.name == "extra" for f in attrs.fields(tp))
    )


def _model_hook(cls: Any) -> Callable[[Any, Any], Any]:
    attrs.resolve_types(cls)
    fields = {f.alias or f.name: f for f in attrs.fields(cls) if f.name != "extra"}

    def hook(value: Any, _: Any) -> Any:
        if not isinstance(value, Mapping):
            raise ValueError(f"{cls.__name__}: expected an object, got {type(value).__name__}")
        kwargs: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for key, item in value.items():
            f = fields.get(key)
            if f is None:
                extra[key] = item
                continue
            kwargs[f.alias or f.name] = converter.structure(item, f.type)
        return cls(**kwargs, extra=extra)

    return hook


converter.register_structure_hook_factory(_is_optional, _optional_hook)
converter.register_structure_hook_factory(_is_list, _list_hook)
converter.register_structure_hook_factory(_is_dict, _dict_hook)
converter.register_structure_hook_factory(_is_model, _model_hook)


def structure(value: Any, cls: type[T], *, what: str = "") -> T:
    """Structure one model; a shape the model cannot take becomes a `DecodeError`."""
    try:
        return converter.structure(value, cls)
    except Exception as exc:
        detail = (
            cattrs.transform_error(exc)
            if isinstance(exc, cattrs.BaseValidationError)
            else [str(exc)]
        )
        raise DecodeError(f"cannot read {what or cls.__name__}: {'; '.join(detail)}") from None


def structure_list(value: Any, cls: type[T], *, what: str = "") -> list[T]:
    """Structure a list (or id-keyed object, or `{}`) of models."""
    if isinstance(value, Mapping):
        value = list(value.values())
    if not isinstance(value, list):
        raise DecodeError(f"expected a list of {what or cls.__name__}, got {type(value).__name__}")
    return [structure(item, cls, what=what) for item in value]
