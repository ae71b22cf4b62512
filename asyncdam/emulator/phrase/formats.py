"""File formats: the `/formats` table, rendering locale files and reading uploaded ones."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from typing import Any
from xml.etree import ElementTree as ET

Entry = tuple[str, str, str]  # key name, content, description

FORMATS: tuple[dict[str, Any], ...] = tuple(
    {
        "name": name,
        "api_name": api,
        "description": desc,
        "extension": ext,
        "default_encoding": "UTF-8",
        "importable": True,
        "exportable": True,
        "default_file": default_file,
        "renders_default_locale": False,
        "includes_locale_information": includes,
    }
    for name, api, desc, ext, default_file, includes in (
        ("Ruby/Rails YAML", "yml", "YAML file format for use with Rails", "yml",
         "./config/locales/<locale_name>.yml", True),
        ("Simple JSON", "simple_json", "Flat JSON key/value file", "json",
         "./locales/<locale_name>.json", False),
        ("Nested JSON", "nested_json", "Nested JSON file", "json",
         "./locales/<locale_name>.json", False),
        ("Chrome JSON i18n", "json", "Chrome extension messages.json", "json",
         "./_locales/<locale_code>/messages.json", False),
        ("CSV", "csv", "Comma separated values", "csv", "./<locale_name>.csv", True),
        ("XLIFF", "xlf", "XLIFF 1.2", "xlf", "./<locale_name>.xlf", True),
        ("Java Properties", "properties", "Java .properties", "properties",
         "./src/main/resources/Messages_<locale_name>.properties", False),
        ("iOS Localizable Strings", "strings", "Apple .strings", "strings",
         "./<locale_code>.lproj/Localizable.strings", False),
    )
)  # fmt: skip
FORMAT_NAMES = frozenset(f["api_name"] for f in FORMATS)
ENCODINGS = {"utf-8": "utf-8", "utf-16": "utf-16", "iso-8859-1": "latin-1", "": "utf-8"}


def _yaml_str(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _nest(entries: Sequence[Entry]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for name, content, _ in entries:
        node = root
        parts = name.split(".")
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = {}
                node[part] = child
            node = child
        node[parts[-1]] = content
    return root


def _render_yml(entries: Sequence[Entry], locale: str) -> str:
    lines = [f"{_yaml_str(locale)}:"]

    def walk(node: dict[str, Any], depth: int) -> None:
        for name, value in node.items():
            pad = "  " * depth
            if isinstance(value, dict):
                lines.append(f"{pad}{_yaml_str(name)}:")
                walk(value, depth + 1)
            else:
                lines.append(f"{pad}{_yaml_str(name)}: {_yaml_str(value)}")

    walk(_nest(entries), 1)
    return "\n".join(lines) + "\n"


def _render_csv(entries: Sequence[Entry], locale: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["key_name", locale, "comment"])
    for name, content, desc in entries:
        writer.writerow([name, content, desc])
    return out.getvalue()


def _render_xlf(entries: Sequence[Entry], locale: str) -> str:
    xliff = ET.Element(
        "xliff", {"version": "1.2", "xmlns": "urn:oasis:names:tc:xliff:document:1.2"}
    )
    file_el = ET.SubElement(
        xliff, "file", {"original": "phrase", "datatype": "plaintext", "target-language": locale}
    )
    body = ET.SubElement(file_el, "body")
    for name, content, desc in entries:
        unit = ET.SubElement(body, "trans-unit", {"id": name, "resname": name})
        ET.SubElement(unit, "source").text = name
        ET.SubElement(unit, "target").text = content
        if desc:
            ET.SubElement(unit, "note").text = desc
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(xliff, encoding="unicode")


def _prop_escape(text: str, key: bool = False) -> str:
    text = text.replace("\\", "\\\\").replace("\n", "\\n")
    if key:
        text = text.replace(" ", "\\ ").replace("=", "\\=").replace(":", "\\:")
    return text


def _render_properties(entries: Sequence[Entry], locale: str) -> str:
    return "".join(f"{_prop_escape(n, True)}={_prop_escape(c)}\n" for n, c, _ in entries)


def _render_strings(entries: Sequence[Entry], locale: str) -> str:
    return "".join(
        (f"/* {d} */\n" if d else "") + f"{json.dumps(n)} = {json.dumps(c, ensure_ascii=False)};\n"
        for n, c, d in entries
    )


def _render_simple_json(entries: Sequence[Entry], locale: str) -> str:
    return json.dumps({n: c for n, c, _ in entries}, ensure_ascii=False, indent=2) + "\n"


def _render_nested_json(entries: Sequence[Entry], locale: str) -> str:
    return json.dumps(_nest(entries), ensure_ascii=False, indent=2) + "\n"


def _render_chrome_json(entries: Sequence[Entry], locale: str) -> str:
    body = {n: {"message": c, "description": d} for n, c, d in entries}
    return json.dumps(body, ensure_ascii=False, indent=2) + "\n"


RENDERERS: dict[str, tuple[Callable[[Sequence[Entry], str], str], str]] = {
    "yml": (_render_yml, "text/yaml"),
    "simple_json": (_render_simple_json, "application/json"),
    "nested_json": (_render_nested_json, "application/json"),
    "json": (_render_chrome_json, "application/json"),
    "csv": (_render_csv, "text/csv"),
    "xlf": (_render_xlf, "application/xml"),
    "properties": (_render_properties, "text/plain"),
    "strings": (_render_strings, "text/plain"),
}


def render(fmt: str, entries: Sequence[Entry], locale: str, encoding: str) -> tuple[bytes, str]:
    """File bytes and Content-Type for `entries` of `locale` in format `fmt` and `encoding`."""
    func, ctype = RENDERERS[fmt]
    codec = ENCODINGS.get(encoding.lower(), "utf-8")
    text = func(entries, locale)
    return text.encode(codec, errors="replace"), f"{ctype}; charset={codec}"


def _flatten(node: Any, prefix: str, out: dict[str, str]) -> None:
    if isinstance(node, dict):
        for name, value in node.items():
            _flatten(value, f"{prefix}.{name}" if prefix else str(name), out)
    elif node is not None:
        out[prefix] = str(node)


def _parse_yml(text: str) -> dict[str, str]:
    # Reads the YAML subset our renderer writes (and plain `key: value` nesting by indentation).
    out: dict[str, str] = {}
    stack: list[tuple[int, str]] = []
    for raw in text.splitlines():
        if not raw.strip() or raw.lstrip().startswith("#") or raw.strip() == "---":
            continue
        indent = len(raw) - len(raw.lstrip(" "))
        name, sep, value = _split_yaml(raw.strip())
        if not sep:
            raise ValueError("not a mapping line")
        while stack and stack[-1][0] >= indent:
            stack.pop()
        if value == "":
            stack.append((indent, name))
            continue
        path = [n for _, n in stack] + [name]
        out[".".join(path)] = value
    return out


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return str(json.loads(text))
    if len(text) >= 2 and text[0] == text[-1] == "'":
        return text[1:-1].replace("''", "'")
    return text


def _split_yaml(line: str) -> tuple[str, str, str]:
    if line.startswith('"'):
        end = 1
        while end < len(line):
            if line[end] == "\\":
                end += 2
                continue
            if line[end] == '"':
                break
            end += 1
        name = _unquote(line[: end + 1])
        rest = line[end + 1 :].lstrip()
        if not rest.startswith(":"):
            return name, "", ""
        return name, ":", _unquote(rest[1:])
    name, sep, value = line.partition(":")
    return _unquote(name), sep, _unquote(value)


def _parse_properties(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped[0] in "#!":
            continue
        pos = 0
        while pos < len(stripped):
            if stripped[pos] == "\\":
                pos += 2
                continue
            if stripped[pos] in "=:":
                break
            pos += 1
        name = stripped[:pos].replace("\\ ", " ").replace("\\=", "=").replace("\\:", ":")
        value = stripped[pos + 1 :].strip().replace("\\n", "\n").replace("\\\\", "\\")
        out[name.strip()] = value
    return out


def _parse_csv(text: str) -> dict[str, str]:
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return {}
    return {row[0]: row[1] for row in rows[1:] if len(row) >= 2 and row[0]}


def _parse_json(text: str) -> dict[str, str]:
    body = json.loads(text)
    out: dict[str, str] = {}
    if isinstance(body, dict) and all(
        isinstance(v, dict) and "message" in v for v in body.values()
    ):
        return {str(k): str(v["message"]) for k, v in body.items()}
    _flatten(body, "", out)
    return out


def _parse_strings(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith('"') or not line.endswith(";"):
            continue
        name, _, value = line[:-1].partition(" = ")
        out[json.loads(name)] = json.loads(value)
    return out


PARSERS: dict[str, Callable[[str], dict[str, str]]] = {
    "yml": _parse_yml,
    "simple_json": _parse_json,
    "nested_json": _parse_json,
    "json": _parse_json,
    "csv": _parse_csv,
    "properties": _parse_properties,
    "strings": _parse_strings,
}


def parse(fmt: str, data: bytes, encoding: str) -> dict[str, str]:
    """Key name -> content read from an uploaded file; ValueError if it cannot be read."""
    codec = ENCODINGS.get(encoding.lower(), "utf-8")
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        raise ValueError(str(exc)) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    parser = PARSERS.get(fmt)
    if parser is None:
        raise ValueError(f"format {fmt} cannot be imported here")
    try:
        out = parser(text)
    except (json.JSONDecodeError, csv.Error, IndexError) as exc:
        raise ValueError(str(exc)) from None
    if fmt == "yml" and len(out) and all("." in k for k in out):
        # Rails files have the locale as the top key: drop it.
        heads = {k.split(".", 1)[0] for k in out}
        if len(heads) == 1:
            out = {k.split(".", 1)[1]: v for k, v in out.items()}
    return out
