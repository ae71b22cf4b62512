"""Per-class structure functions, generated once: already-correct values go straight through.

For each attrs model the builder writes one Python function (like cattrs' code generation) that
reads every known key, takes a value whose type is already right as it is (the fast path), and
calls the field's lenient coercer only for the rest. A value the coercer refuses is kept raw in
`extra` and recorded as a `DecodeProblem` on the model; unknown keys go to `extra`. The function
never raises for a JSON object.
"""

from __future__ import annotations

import datetime as _dt
import operator
import types
import typing
from collections.abc import Callable
from typing import Any

import attrs

from asyncdam.decoding import lenient
from asyncdam.decoding.lenient import ABSENT, Coercer
from asyncdam.decoding.problems import DecodeProblem
from asyncdam.decoding.rules import Rules

__all__ = ["ItemsFn", "StructureFn", "build_items_fn", "build_structure_fn", "field_wire_names"]

StructureFn = Callable[[dict[str, Any]], Any]
ItemsFn = Callable[[list[Any]], "list[Any] | None"]
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


# Fast-path tests, as source templates by declared type ({v}: the value's variable): a value
# passing one is taken as it is.
_FAST: dict[Any, str] = {
    str: "type({v}) is str",
    int: "type({v}) is int",
    float: "type({v}) is float",
    bool: "({v} is True or {v} is False)",
}
_ANY = "True"


class _Builder:
    """Coercers for field types; nested models resolve through `model_fn` (cycles allowed)."""

    def __init__(self, rules: Rules, model_fn: Callable[[type[Any]], StructureFn]) -> None:
        self.rules = rules
        self.model_fn = model_fn

    def coercer(self, tp: Any) -> tuple[str | None, Coercer]:
        """The fast-path test (source or None) and the lenient coercer of one declared type."""
        inner = _optional_inner(tp)
        if inner is Any or inner is object:
            return _ANY, lenient.to_any
        if inner in self.rules.scalars:
            return _FAST.get(inner), self.rules.scalars[inner]
        origin = typing.get_origin(inner)
        if inner is dict or origin is dict:
            args = typing.get_args(inner)
            if not args or args[1] is Any:
                return "type({v}) is dict", lenient.to_object
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
        any_item = fast_src == _ANY
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


# How one field's value (in the variable {v}) becomes the local f{i}: the fast test first,
# `None` as the default, the lenient coercer for the rest.
_VALUE = """\
if {fast}:
    f{i} = {v}
elif {v} is None:
    f{i} = {default}
else:
{slow}
"""

# A date-time the service writes in ISO 8601: `datetime.fromisoformat` first (it refuses a
# non-string with TypeError), the lenient coercer only for what it refuses.
_ISO_VALUE = """\
try:
    f{i} = _fromiso({v})
except (TypeError, ValueError):
    if {v} is None:
        f{i} = {default}
    else:
{slow_deeper}
"""

# A list of plain scalars: taken as it is when every item already has the declared type.
_LIST_VALUE = """\
ok = type({v}) is list
if ok:
    for x in {v}:
        if type(x) is not _T{i}:
            ok = False
            break
if ok:
    f{i} = {v}
elif {v} is None:
    f{i} = {default}
else:
{slow}
"""

_SLOW = """\
try:
    r = _c{i}({v})
except Exception as e:
    bad = _note(bad, {wire!r}, {v}, e)
    r = _A
f{i} = {default} if r is _A else r"""

# A key the object may lack: read with a marker, counted, so unknown keys show as a surplus.
_GENERAL = """\
v = d.get({wire!r}, _M)
if v is _M:
    f{i} = {default}
else:
    n += 1
{value}
"""


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


@attrs.frozen
class _Field:
    """One model field as the generator writes it: wire key, default and value code."""

    index: int
    name: str
    wire: str
    default: str
    template: str
    fast: str


class _Source:
    """The source of one class's structure code: per-field value handling plus construction.

    Two paths are written. The exact path serves an object holding exactly the model's keys
    (the usual payload): one C-level `itemgetter` call reads them all, with no per-key marker
    tests or counting. The general path reads each key with a marker, counts what it found and
    sends any surplus (unknown keys) to `extra`; missing keys keep their defaults.
    """

    def __init__(self, cls: type[Any], rules: Rules, model_fn: Callable[[type[Any]], Any]) -> None:
        attrs.resolve_types(cls)
        builder = _Builder(rules, model_fn)
        self.cls = cls
        self.names = {f.name for f in attrs.fields(cls)}
        wire_of = field_wire_names(cls)
        self.namespace: dict[str, Any] = {
            "_M": _MISSING,
            "_A": ABSENT,
            "_note": _note,
            "_leftovers": _leftovers,
            "_cls": cls,
            "_new": object.__new__,
        }
        self.fields: list[_Field] = []
        for i, f in enumerate(attrs.fields(cls)):
            if f.name in ("extra", "problems"):
                continue
            fast, coercer = builder.coercer(f.type)
            self.namespace[f"_c{i}"] = coercer
            inner = _optional_inner(f.type)
            item = typing.get_args(inner)[0] if typing.get_origin(inner) is list else None
            if coercer is lenient.to_datetime_iso:
                self.namespace["_fromiso"] = _dt.datetime.fromisoformat
                template = _ISO_VALUE
            elif item in (str, int, float):
                self.namespace[f"_T{i}"] = item
                template = _LIST_VALUE
            else:
                template = _VALUE
            default = _default_source(f, self.namespace, i)
            field = _Field(i, f.name, wire_of[f.name], default, template, fast or "False")
            self.fields.append(field)
        wires = [f.wire for f in self.fields]
        self.namespace["_W"] = frozenset(wires)
        if len(wires) == 1:
            only = wires[0]
            self.namespace["_getall"] = lambda d: (d[only],)
        elif wires:
            self.namespace["_getall"] = operator.itemgetter(*wires)
        self.setters = _slot_setters(cls)

    def _value(self, f: _Field, var: str) -> str:
        """Source turning the value in `var` into the local `f<index>` (no indentation)."""
        slow = _SLOW.format(i=f.index, wire=f.wire, default=f.default, v=var)
        return f.template.format(
            fast=f.fast.format(v=var),
            v=var,
            i=f.index,
            default=f.default,
            slow=_indent(slow, 4),
            slow_deeper=_indent(slow, 8),
        )

    def body(self, on_built: list[str], identity: tuple[str, str] | None = None) -> list[str]:
        """Lines (indented for a function body) that structure the object `d` into `o`, then
        run `on_built`; with `identity` (attribute, wire), an object lacking it `return None`s."""
        count = len(self.fields)
        exact: list[str] = []
        for f in self.fields:
            exact.extend(self._value(f, f"v{f.index}").splitlines())
        exact += [
            "if bad is None:",
            "    extra = {}",
            "    problems = ()",
            "else:",
            "    extra, problems = _leftovers(d, _W, False, bad)",
        ]
        general = ["n = 0"]
        for f in self.fields:
            value = _indent(self._value(f, "v"), 4)
            general.extend(
                _GENERAL.format(wire=f.wire, i=f.index, default=f.default, value=value).splitlines()
            )
        general += [
            "if bad is None and n == len(d):",
            "    extra = {}",
            "    problems = ()",
            "else:",
            "    extra, problems = _leftovers(d, _W, n != len(d), bad)",
        ]
        if identity is not None:
            attr, wire = identity
            local = next(f"f{f.index}" for f in self.fields if f.name == attr)
            exact.append(f'if {local} is None or {local} == "":')
            exact.append("    return None")
            general.append(f'if {local} is None or {local} == "" or {wire!r} not in d:')
            general.append("    return None")
        lines = ["bad = None"]
        if count:
            # Same length and every known key found: exactly the known keys, nothing unknown.
            targets = ", ".join(f"v{f.index}" for f in self.fields) + ("," if count == 1 else "")
            lines += [
                f"if len(d) == {count}:",
                "    try:",
                f"        {targets} = _getall(d)",
                "    except KeyError:",
                "        exact = False",
                "    else:",
                "        exact = True",
                "else:",
                "    exact = False",
                "if exact:",
            ]
            lines += [_indent(line, 4) for line in exact]
            lines += ["else:"] + [_indent(line, 4) for line in general]
        else:
            lines += general
        lines += self._construct() + on_built
        return lines

    def _construct(self) -> list[str]:
        """Lines building the model `o` from the field locals (slot writes where allowed)."""
        values = {f.name: f"f{f.index}" for f in self.fields}
        if "extra" in self.names:
            values["extra"] = "extra"
        if "problems" in self.names:
            values["problems"] = "problems"
        if self.setters is not None:
            lines = ["o = _new(_cls)"]
            for name, expression in values.items():
                self.namespace[f"_s_{name}"] = self.setters[name]
                lines.append(f"_s_{name}(o, {expression})")
            return lines
        aliases = {f.name: f.alias or f.name for f in attrs.fields(self.cls)}
        args = ", ".join(f"{aliases[name]}={expression}" for name, expression in values.items())
        return [f"o = _cls({args})"]

    def compile(self, lines: list[str], kind: str) -> Any:
        """Compile the function `lines` define (named on their first line) in the namespace."""
        source = "\n".join(lines) + "\n"
        name = f"<asyncdam.decoding {kind} {self.cls.__qualname__}>"
        exec(compile(source, name, "exec"), self.namespace)  # noqa: S102
        return self.namespace[lines[0].split()[1].split("(")[0]]


def build_structure_fn(
    cls: type[Any], rules: Rules, model_fn: Callable[[type[Any]], StructureFn]
) -> StructureFn:
    """Write and compile the structure function of one attrs class (dict in, model out)."""
    src = _Source(cls, rules, model_fn)
    lines = ["def structure(d):"] + [_indent(line, 4) for line in src.body(["return o"])]
    fn: StructureFn = src.compile(lines, "structure")
    return fn


def build_items_fn(
    cls: type[Any],
    rules: Rules,
    model_fn: Callable[[type[Any]], StructureFn],
    identity: tuple[str, str] | None,
) -> ItemsFn:
    """Write and compile the page function of one attrs class: a list of objects in, the list of
    models out, or None as soon as one item is not an object or lacks `identity` (attribute,
    wire key); the caller then sorts the page item by item. One loop, no call per item."""
    src = _Source(cls, rules, model_fn)
    body = src.body(["append(o)"], identity)
    lines = [
        "def structure_items(values):",
        "    out = []",
        "    append = out.append",
        "    for d in values:",
        "        if type(d) is not dict:",
        "            return None",
    ]
    lines += [_indent(line, 8) for line in body] + ["    return out"]
    fn: ItemsFn = src.compile(lines, "items")
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
