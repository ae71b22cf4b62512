"""Per-class structure functions, generated once: already-correct values go straight through.

For each attrs model the builder writes one Python function (like cattrs' code generation) that
reads every known key, takes a value whose type is already right as it is (the fast path), and
calls the field's lenient coercer only for the rest. A value the coercer refuses is kept raw in
`extra` and recorded as a `DecodeProblem` on the model; unknown keys go to `extra`. The function
never raises for a JSON object.
"""

from __future__ import annotations

import datetime as _dt
import types
import typing
from collections.abc import Callable
from typing import Any

import attrs

from asyncdam.decoding import lenient
from asyncdam.decoding.lenient import ABSENT, Coercer
from asyncdam.decoding.problems import DecodeProblem
from asyncdam.decoding.rules import Rules

__all__ = ["StructureFn", "build_structure_fn", "field_wire_names"]

StructureFn = Callable[[dict[str, Any]], Any]
_MISSING = object()


def _optional_inner(tp: Any) -> Any:
    """`X | None` -> X; anything else unchanged."""
    if isinstance(tp, types.UnionType) or typing.get_origin(tp) is typing.Union:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return tp


def field_wire_names(cls: type[Any]) -> dict[str, str]:
    """Attribute name -> the key the server uses for it (a `wire` metadata entry, else the name)."""
    return {
        f.name: str(f.metadata.get("wire", f.name))
        for f in attrs.fields(cls)
        if f.name not in ("extra", "problems")
    }


# Fast-path tests, as source, by declared type: a value passing one is taken as it is.
_FAST: dict[Any, str] = {
    str: "type(v) is str",
    int: "type(v) is int",
    float: "type(v) is float",
    bool: "(v is True or v is False)",
}


class _Builder:
    """Coercers for field types; nested models resolve through `model_fn` (cycles allowed)."""

    def __init__(self, rules: Rules, model_fn: Callable[[type[Any]], StructureFn]) -> None:
        self.rules = rules
        self.model_fn = model_fn

    def coercer(self, tp: Any) -> tuple[str | None, Coercer]:
        """The fast-path test (source or None) and the lenient coercer of one declared type."""
        inner = _optional_inner(tp)
        if inner is Any or inner is object:
            return "True", lenient.to_any
        if inner in self.rules.scalars:
            return _FAST.get(inner), self.rules.scalars[inner]
        origin = typing.get_origin(inner)
        if inner is dict or origin is dict:
            args = typing.get_args(inner)
            if not args or args[1] is Any:
                return "type(v) is dict", lenient.to_object
            return None, self._dict_coercer(args[0], args[1])
        if inner is list or origin in (list, tuple):
            args = typing.get_args(inner)
            item = args[0] if args else Any
            return None, self._list_coercer(item, as_tuple=origin is tuple)
        if isinstance(inner, type) and attrs.has(inner):
            return None, self._model_coercer(inner)
        raise TypeError(f"no decoding rule for field type {tp!r}")

    def _model_coercer(self, cls: type[Any]) -> Coercer:
        fn = self.model_fn(cls)
        empty_object = self.rules.empty_array_object == "empty"

        def coerce_model(value: Any) -> Any:
            if type(value) is dict:
                return fn(value)
            if value == []:
                return fn({}) if empty_object else ABSENT
            if value == "":
                return ABSENT  # an empty string stands for "no object"
            raise ValueError(f"{cls.__name__} expects an object, got {type(value).__name__}")

        return coerce_model

    def _list_coercer(self, item_type: Any, *, as_tuple: bool) -> Coercer:
        fast_src, item_coercer = self.coercer(item_type)
        item_inner = _optional_inner(item_type)
        exact = item_inner if item_inner in (str, int, float) else None
        any_item = fast_src == "True"
        strings = item_inner is str

        def coerce_list(value: Any) -> Any:
            if type(value) is dict:
                value = list(value.values())  # id-keyed object (PHP array), server order
            elif type(value) is str:
                if strings:
                    value = lenient.split_commas(value)  # "a,b" is a list, never its characters
                elif not value.strip():
                    return ABSENT
                else:
                    raise ValueError("expected a list, got a string")
            elif type(value) is not list:
                raise ValueError(f"expected a list, got {type(value).__name__}")
            if any_item:
                out = value
            elif exact is not None and all(type(x) is exact for x in value):
                out = value
            else:
                out = []
                for position, x in enumerate(value):
                    got = item_coercer(x)
                    if got is ABSENT:
                        raise ValueError(f"item {position} is empty")
                    out.append(got)
            return tuple(out) if as_tuple else out

        return coerce_list

    def _dict_coercer(self, key_type: Any, value_type: Any) -> Coercer:
        _, key_coercer = self.coercer(key_type)
        _, value_coercer = self.coercer(value_type)

        def coerce_dict(value: Any) -> Any:
            value = lenient.to_object(value)
            return {key_coercer(k): value_coercer(v) for k, v in value.items()}

        return coerce_dict


_FIELD = """\
    v = d.get({wire!r}, _M)
    if v is _M:
        f{i} = {default}
    else:
        n += 1
        if {fast}:
            f{i} = v
        elif v is None:
            f{i} = {default}
        else:
{slow}
"""

# A date-time the service writes in ISO 8601: `datetime.fromisoformat` first (it refuses a
# non-string with TypeError), the lenient coercer only for what it refuses.
_ISO_FIELD = """\
    v = d.get({wire!r}, _M)
    if v is _M:
        f{i} = {default}
    else:
        n += 1
        try:
            f{i} = _fromiso(v)
        except (TypeError, ValueError):
            if v is None:
                f{i} = {default}
            else:
{slow_deeper}
"""

# A list of plain scalars: taken as it is when every item already has the declared type.
_LIST_FIELD = """\
    v = d.get({wire!r}, _M)
    if v is _M:
        f{i} = {default}
    else:
        n += 1
        ok = type(v) is list
        if ok:
            for x in v:
                if type(x) is not _T{i}:
                    ok = False
                    break
        if ok:
            f{i} = v
        elif v is None:
            f{i} = {default}
        else:
{slow}
"""

_SLOW = """\
try:
    r = _c{i}(v)
except Exception as e:
    bad = _note(bad, {wire!r}, v, e)
    r = _A
f{i} = {default} if r is _A else r"""


def _indent(text: str, spaces: int) -> str:
    return "\n".join(" " * spaces + line for line in text.splitlines())


def _note(bad: list[Any] | None, wire: str, raw: Any, exc: Exception) -> list[Any]:
    entry = (wire, raw, f"{type(exc).__name__}: {exc}"[:200])
    if bad is None:
        return [entry]
    bad.append(entry)
    return bad


def _leftovers(
    d: dict[str, Any], wires: frozenset[str], unknown: bool, bad: list[Any] | None
) -> tuple[dict[str, Any], tuple[DecodeProblem, ...]]:
    """The rare part of a structure function: unknown keys and refused values, for `extra`."""
    extra = {k: x for k, x in d.items() if k not in wires} if unknown else {}
    problems: tuple[DecodeProblem, ...] = ()
    if bad is not None:
        for wire, raw, _ in bad:
            extra[wire] = raw
        problems = tuple(DecodeProblem(wire, reason) for wire, _, reason in bad)
    return extra, problems


def _slot_setters(cls: type[Any]) -> dict[str, Any] | None:
    """Slot descriptors' setters by attribute, when the class can be built without `__init__`.

    attrs' frozen `__init__` sets each field through `object.__setattr__`; for plain classes
    (slots, no validators, converters, post-init or self-taking factories) writing the slots
    directly gives the same object for a fraction of the cost.
    """
    if getattr(cls, "__attrs_post_init__", None) is not None:
        return None
    if getattr(cls, "__attrs_pre_init__", None) is not None:
        return None
    setters: dict[str, Any] = {}
    for f in attrs.fields(cls):
        if f.validator is not None or f.converter is not None:
            return None
        default = f.default
        if isinstance(default, attrs.Factory) and default.takes_self:  # type: ignore[arg-type]
            return None
        descriptor: Any = getattr(cls, f.name, None)
        if type(descriptor).__name__ != "member_descriptor":
            return None
        setters[f.name] = descriptor.__set__
    return setters


def build_structure_fn(
    cls: type[Any], rules: Rules, model_fn: Callable[[type[Any]], StructureFn]
) -> StructureFn:
    """Write and compile the structure function of one attrs class (dict in, model out)."""
    attrs.resolve_types(cls)
    builder = _Builder(rules, model_fn)
    names = {f.name for f in attrs.fields(cls)}
    wire_of = field_wire_names(cls)
    setters = _slot_setters(cls)
    namespace: dict[str, Any] = {
        "_M": _MISSING,
        "_A": ABSENT,
        "_note": _note,
        "_leftovers": _leftovers,
        "_cls": cls,
        "_new": object.__new__,
    }
    lines = ["def structure(d):", "    bad = None", "    n = 0"]
    wires: list[str] = []
    values: dict[str, str] = {}  # attribute -> the expression holding its value
    for i, f in enumerate(attrs.fields(cls)):
        if f.name in ("extra", "problems"):
            continue
        default = _default_source(f, namespace, i)
        wire = wire_of[f.name]
        wires.append(wire)
        fast, coercer = builder.coercer(f.type)
        namespace[f"_c{i}"] = coercer
        slow = _SLOW.format(i=i, wire=wire, default=default)
        inner = _optional_inner(f.type)
        item = typing.get_args(inner)[0] if typing.get_origin(inner) is list else None
        if coercer is lenient.to_datetime_iso:
            namespace["_fromiso"] = _dt.datetime.fromisoformat
            template = _ISO_FIELD
        elif item in (str, int, float):
            namespace[f"_T{i}"] = item
            template = _LIST_FIELD
        else:
            template = _FIELD
        lines.append(
            template.format(
                wire=wire,
                fast=fast or "False",
                i=i,
                default=default,
                slow=_indent(slow, 12),
                slow_deeper=_indent(slow, 16),
            )
        )
        values[f.name] = f"f{i}"
    namespace["_W"] = frozenset(wires)
    lines.append("    if bad is None and n == len(d):")
    lines.append("        extra = {}")
    lines.append("        problems = ()")
    lines.append("    else:")
    lines.append("        extra, problems = _leftovers(d, _W, n != len(d), bad)")
    if "extra" in names:
        values["extra"] = "extra"
    if "problems" in names:
        values["problems"] = "problems"
    if setters is not None:
        lines.append("    o = _new(_cls)")
        for name, expression in values.items():
            namespace[f"_s_{name}"] = setters[name]
            lines.append(f"    _s_{name}(o, {expression})")
        lines.append("    return o")
    else:
        aliases = {f.name: f.alias or f.name for f in attrs.fields(cls)}
        args = ", ".join(f"{aliases[name]}={expression}" for name, expression in values.items())
        lines.append(f"    return _cls({args})")
    source = "\n".join(lines) + "\n"
    exec(compile(source, f"<asyncdam.decoding structure {cls.__qualname__}>", "exec"), namespace)  # noqa: S102
    fn: StructureFn = namespace["structure"]
    return fn


def _default_source(f: attrs.Attribute[Any], namespace: dict[str, Any], i: int) -> str:
    """Source for a field's default: a constant, or a call of its factory."""
    default: Any = f.default
    if default is attrs.NOTHING:
        raise TypeError(f"field {f.name!r} has no default: every model field needs one")
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        namespace[f"_F{i}"] = default.factory
        return f"_F{i}()"
    namespace[f"_D{i}"] = default
    return f"_D{i}"
