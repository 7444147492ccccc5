"""The spec-name scan (issue 20): no Python outside the contract model names a name of either spec.

It reads every ``specs/*.openapi.yaml`` and collects the names an API owns: its stream events, its paths
(with every prefix) and their segments, its parameters, the properties of its schemas, its component
names, its operationIds and the headers its security schemes carry the key in. Then it reads the string
literals of ``src/chatgate/`` (but the reference server, which implements today's specs), ``contracts/``
and ``loadtests/`` with ``ast``: docstrings and ``__all__`` entries are left out (comments never reach the
AST), the constant parts of f-strings are in. A literal names a spec name when

- it contains one of the spec's paths, or a prefix of one, as a whole (``/api/v1.0``);
- it contains the header a security scheme names (``X-Api-Key``, any case);
- one of its words is a name (words: identifiers; hyphenated compounds and file names are words of
  their own; a dotted word such as ``$stream.event.NAME`` is its parts too, but for chatgate's request
  names such as ``nara.stream``; a path's version segment such as ``v1`` counts only within its path);
  in a literal with spaces (a sentence) only names no sentence uses by chance count: those with ``_``,
  a digit or an inner capital (``user_id``, ``createdAt``), so "the message was cut" is not a hit for
  ``message``.

Each hit is one line, ``FILE:LINE: 'name' is a name from specs/X (kind)``. Words every API or protocol
uses are allowed by ``scripts/spec_names.allow``, globally or in named files, each with its reason::

    python scripts/spec_names.py            # exit 1 on any hit
    python scripts/spec_names.py --report   # list the hits, exit 0
    python scripts/spec_names.py --root DIR [--allow FILE] [PATH ...]
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PATHS = ("src/chatgate", "contracts", "loadtests")
EXCLUDED = ("src/chatgate/server",)  # the reference server implements today's specs
SSE = "text/event-stream"
_TOKEN = re.compile(r"[A-Za-z0-9_]+(?:[.-][A-Za-z0-9_]+)*")
_FILE_TYPES = frozenset(("html", "css", "js", "json", "yaml", "yml", "py", "toml", "txt", "md", "csv", "png",
                         "svg", "xml", "j2", "sqlite3", "hlog", "gz", "log"))  # fmt: skip
_VERSION = re.compile(r"v[0-9]+(\.[0-9]+)*")
_GRAMMAR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.:-]*")
_SKIPPED_KEYS = ("example", "examples", "description", "summary")


@dataclass
class Names:
    """Every name of the specs: word -> (spec file, kind); paths and headers matched as substrings."""

    words: dict[str, tuple[str, str]] = field(default_factory=dict)
    paths: dict[str, tuple[str, str]] = field(default_factory=dict)
    headers: dict[str, tuple[str, str]] = field(default_factory=dict)
    apis: set[str] = field(default_factory=set)  # the specs' file stems: chatgate's names of the APIs

    def add(self, name: Any, spec: str, kind: str) -> None:
        if isinstance(name, str) and name:
            self.words.setdefault(name, (spec, kind))


def _follow(doc: dict[str, Any], node: Any) -> Any:
    for _ in range(32):
        if not (
            isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/")
        ):
            return node
        target: Any = doc
        for part in node["$ref"][2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            target = target.get(part) if isinstance(target, dict) else None
        node = target
    return node


def _properties(node: Any, found: set[str]) -> None:
    """Every key of every ``properties`` map in ``node`` (examples, descriptions and extensions aside)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _SKIPPED_KEYS or str(key).startswith("x-"):
                continue
            if key == "properties" and isinstance(value, dict):
                found.update(str(k) for k in value)
            _properties(value, found)
    elif isinstance(node, list):
        for item in node:
            _properties(item, found)


def _events(doc: dict[str, Any], node: Any, found: set[str]) -> None:
    """Event names: the ``event`` enum of every streamed schema, the discriminating consts of its data,
    and the names of its ``x-chatgate-stream`` grammar."""
    if isinstance(node, dict):
        media = node.get(SSE)
        if isinstance(media, dict):
            envelope = _follow(doc, media.get("schema")) or {}
            props = envelope.get("properties") or {}
            found.update(str(n) for n in ((props.get("event") or {}).get("enum") or []))
            content = _follow(doc, (props.get("data") or {}).get("contentSchema")) or {}
            prop = ((content.get("discriminator") or {}).get("propertyName")) or "type"
            for branch in content.get("oneOf") or []:
                const = ((_follow(doc, branch) or {}).get("properties") or {}).get(prop) or {}
                if isinstance(const.get("const"), str):
                    found.add(const["const"])
            found.update(
                _GRAMMAR_NAME.findall(str((media.get("x-chatgate-stream") or {}).get("grammar", "")))
            )
        for value in node.values():
            _events(doc, value, found)
    elif isinstance(node, list):
        for item in node:
            _events(doc, item, found)


def _paths(names: Names, spec: str, doc: dict[str, Any]) -> None:
    for path, item in (doc.get("paths") or {}).items():
        parts = [p for p in str(path).split("/") if p]
        for i in range(1, len(parts) + 1):
            names.paths.setdefault(
                "/" + "/".join(parts[:i]), (spec, "path" if i == len(parts) else "path prefix")
            )
        for part in parts:
            if not _VERSION.fullmatch(part):  # a version segment is a name only within its path
                names.add(part.strip("{}"), spec, "path segment")
        for op in (item or {}).values():
            if not isinstance(op, dict):
                continue
            names.add(op.get("operationId"), spec, "operationId")
            for raw in [*(item.get("parameters") or []), *(op.get("parameters") or [])]:
                names.add((_follow(doc, raw) or {}).get("name"), spec, "parameter")


def spec_names(specs_dir: Path) -> Names:
    """The names of every spec in ``specs_dir``."""
    names = Names()
    for path in sorted(specs_dir.glob("*.openapi.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        spec = f"specs/{path.name}"
        names.apis.add(path.name.split(".", 1)[0])
        found: set[str] = set()
        _events(doc, doc.get("paths") or {}, found)
        for name in sorted(found):
            names.add(name, spec, "event")
        _paths(names, spec, doc)
        components = doc.get("components") or {}
        for kind, group in components.items():
            for name in group or {}:
                names.add(name, spec, f"component {kind}")
        for scheme in (components.get("securitySchemes") or {}).values():
            scheme = _follow(doc, scheme) or {}
            header = "Authorization" if scheme.get("type") == "http" else scheme.get("name")
            if scheme.get("type") == "http" or scheme.get("in") == "header":
                names.headers.setdefault(str(header), (spec, "auth header"))
        props: set[str] = set()
        _properties(doc, props)
        for name in sorted(props):
            names.add(name, spec, "property")
    return names


@dataclass(frozen=True)
class Allow:
    name: str
    files: tuple[str, ...]
    why: str


def read_allowlist(path: Path) -> list[Allow]:
    """``NAME [FILE ...] -- why`` per line; ``#`` starts a comment. A line without its reason is an error."""
    out = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.split("#", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not line:
            continue
        head, sep, why = line.partition(" -- ")
        if not sep or not why.strip() or not head.split():
            raise SystemExit(f"{path}:{number}: expected 'NAME [FILE ...] -- why', got {raw!r}")
        name, *files = head.split()
        out.append(Allow(name, tuple(files), why.strip()))
    return out


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the string nodes that are docstrings or other bare string statements, and of __all__'s."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant | ast.JoinedStr):
            skip.update(id(n) for n in ast.walk(node.value))
        if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
                skip.update(id(n) for n in ast.walk(node.value))
    return skip


def literals(path: Path) -> Iterator[tuple[int, str]]:
    """(line, text) of every string literal in the file that is not a docstring or an __all__ entry."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    skip = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and id(node) not in skip:
            if isinstance(node.value, str):
                yield node.lineno, node.value
            elif isinstance(node.value, bytes):
                yield node.lineno, node.value.decode("latin-1")


def _distinctive(name: str) -> bool:
    return "_" in name or any(c.isdigit() for c in name) or any(c.isupper() for c in name[1:])


def _words(text: str, names: Names) -> Iterator[str]:
    """The words of a literal: a hyphenated compound (``content-type``, ``x-chatgate-stream``), a file
    name (``index.html``) or a name (``v1.0``) is one word of its own; another dotted one
    (``$stream.event.NAME``) is its parts too, but for chatgate's request names (``nara.stream``)."""
    for token in _TOKEN.findall(text):
        yield token
        if token in names.words or "." not in token or "-" in token:
            continue
        first, last = token.split(".", 1)[0], token.rsplit(".", 1)[1]
        if last not in _FILE_TYPES and first not in names.apis:  # nara.stream: chatgate's request name
            yield from token.split(".")


def hits_in(text: str, names: Names) -> Iterator[tuple[str, tuple[str, str]]]:
    """(name, (spec, kind)) for every spec name the literal ``text`` names."""
    paths = [p for p in names.paths if re.search(re.escape(p) + r"(?![A-Za-z0-9_.-])", text)]
    longest = [p for p in paths if not any(q != p and q.startswith(p + "/") for q in paths)]
    seen = {part for p in longest for part in p.split("/")}
    for path in longest:
        yield path, names.paths[path]
    lower = text.lower()
    for header, where in names.headers.items():
        if re.search(r"(?<![A-Za-z0-9-])" + re.escape(header.lower()) + r"(?![A-Za-z0-9-])", lower):
            seen.add(header)
            yield header, where
    sentence = any(c.isspace() for c in text)
    for word in _words(text, names):
        if word in names.words and word not in seen and (not sentence or _distinctive(word)):
            seen.add(word)
            yield word, names.words[word]


def _files(root: Path, paths: list[str]) -> Iterator[Path]:
    for rel in paths:
        base = root / rel
        for path in [base] if base.is_file() else sorted(base.rglob("*.py")):
            if not any(path.is_relative_to(root / e) for e in EXCLUDED):
                yield path


def scan(root: Path, paths: list[str], allow: list[Allow]) -> tuple[list[str], set[Allow]]:
    """Every hit as a line, and the allowlist entries that allowed something."""
    names = spec_names(root / "specs")
    used: set[Allow] = set()
    out: list[tuple[str, int, str]] = []
    for path in _files(root, paths):
        rel = path.relative_to(root).as_posix()
        for line, text in literals(path):
            for name, (spec, kind) in hits_in(text, names):
                entry = next((a for a in allow if a.name == name and (not a.files or rel in a.files)), None)
                if entry is not None:
                    used.add(entry)
                    continue
                out.append((rel, line, f"{rel}:{line}: {name!r} is a name from {spec} ({kind})"))
    return [text for _, _, text in sorted(out)], used


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument(
        "paths", nargs="*", help=f"files or folders below --root (default: {' '.join(DEFAULT_PATHS)})"
    )
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout (specs/ and the code)")
    parser.add_argument("--allow", type=Path, help="the allowlist (default: ROOT/scripts/spec_names.allow)")
    parser.add_argument("--report", action="store_true", help="list the hits and exit 0")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    allow_file = args.allow or root / "scripts" / "spec_names.allow"
    allow = read_allowlist(allow_file) if allow_file.is_file() else []
    found, used = scan(root, args.paths or list(DEFAULT_PATHS), allow)
    for line in found:
        print(line)
    if not args.paths:
        for entry in allow:
            if entry not in used:
                print(
                    f"spec_names: note: {allow_file.name}: {entry.name!r} allows nothing now", file=sys.stderr
                )
    if found:
        print(
            f"spec_names: {len(found)} spec name(s) written in Python (allowed words: {allow_file.name})",
            file=sys.stderr,
        )
    return 0 if args.report or not found else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
