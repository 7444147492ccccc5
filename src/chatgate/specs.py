"""The hand-written OpenAPI specs: where they live, how to load them, and validators built from them.

The specs in ``specs/`` are the single source of truth. Everything that validates a request or a
response (the reference server, the contract suite, the load scenarios) builds its validator here,
from the YAML, so no schema is ever written twice in Python::

    >>> from chatgate.specs import load_spec, schema_validator
    >>> v = schema_validator(load_spec("nara"), "#/components/schemas/ChatMessage")
    >>> sorted(e.message for e in v.iter_errors({}))[:1]
    ["'content' is a required property"]
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import referencing
import referencing.exceptions
import referencing.jsonschema
import yaml

from chatgate.apis import API_NAMES, ApiName
from chatgate.errors import SpecError, UsageError
from chatgate.resources import specs_dir

__all__ = [
    "API_NAMES",  # re-exported from chatgate.apis for callers that only need specs
    "ApiName",
    "Assumption",
    "SpecProblem",
    "assumptions",
    "find_line",
    "load_spec",
    "load_spec_file",
    "meta_schema_problems",
    "operations",
    "require_valid_specs",
    "resolve",
    "schema_validator",
    "spec_path",
    "specs_dir",
]

_SPEC_URI = "urn:chatgate:spec"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def spec_path(api: str) -> Path:
    """Path of the spec of ``api`` (``nara`` or ``navigable``)."""
    if api not in API_NAMES:
        raise UsageError(f"unknown API {api!r}: choose one of {', '.join(API_NAMES)}")
    return specs_dir() / f"{api}.openapi.yaml"


MAX_SPEC_BYTES = 10 * 1024 * 1024  # chatgate's own specs are ~40 KB; past this a file is not a spec
MAX_SPEC_NODES = 1_000_000  # values once YAML aliases are expanded (a billion-laughs guard)


def _expanded_size(doc: Any) -> int:
    """How many values ``doc`` holds with every shared (aliased) value counted each time it is used;
    linear in the distinct values, so an alias bomb is measured without being expanded."""
    sizes: dict[int, int] = {}

    def size(node: Any, depth: int) -> int:
        if not isinstance(node, dict | list):
            return 1
        if id(node) in sizes:
            return sizes[id(node)]
        if depth > 500:
            raise SpecError("nesting deeper than 500 levels")
        total = 1  # a plain loop: one frame per level, so the 500-level guard fires before Python's limit
        for child in node.values() if isinstance(node, dict) else node:
            total += size(child, depth + 1)
        sizes[id(node)] = total
        return total

    return size(doc, 0)


# libyaml's parser with the safe constructor when PyYAML was built with it: ~10x faster than the
# pure-Python one (0.17 s per process for the two specs), the same documents.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _parse(path: str, raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(f"{path}: not a spec: not UTF-8 text (byte {exc.start})") from None
    try:
        return yaml.load(text, Loader=_YAML_LOADER)  # the safe loader, in C
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else path
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SpecError(f"{where}: not valid YAML: {problem}") from None
    except RecursionError:
        raise SpecError(f"{path}: not a spec: YAML nested too deeply") from None


@functools.lru_cache(maxsize=16)
def _load_cached(path: str, mtime_ns: int) -> dict[str, Any]:
    del mtime_ns  # part of the cache key only: an edited file is read again
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_SPEC_BYTES + 1)
    except OSError as exc:
        raise SpecError(f"{path}: cannot read spec: {exc.strerror or exc}") from None
    if len(raw) > MAX_SPEC_BYTES:
        raise SpecError(f"{path}: not a spec: larger than {MAX_SPEC_BYTES // (1024 * 1024)} MiB")
    doc = _parse(path, raw)
    if not isinstance(doc, dict):
        raise SpecError(f"{path}:1: not an OpenAPI document (top level is not a mapping)")
    try:
        nodes = _expanded_size(doc)
    except SpecError as exc:
        raise SpecError(f"{path}: not a spec: {exc}") from None
    except RecursionError:  # called deep in another stack
        raise SpecError(f"{path}: not a spec: YAML nested too deeply") from None
    if nodes > MAX_SPEC_NODES:
        raise SpecError(
            f"{path}: not a spec: {nodes:,} values once YAML aliases are expanded (limit {MAX_SPEC_NODES:,};"
            " an alias bomb?)"
        )
    return doc


def load_spec_file(path: Path | str) -> dict[str, Any]:
    """Load one spec file as a plain dict (cached until the file changes). Raises SpecError."""
    p = Path(path)
    try:
        mtime = p.stat().st_mtime_ns
    except OSError as exc:
        raise SpecError(f"{p}: cannot read spec: {exc.strerror or exc}") from None
    return _load_cached(str(p), mtime)


def load_spec(api: str) -> dict[str, Any]:
    """Load the spec of ``api`` (``nara`` or ``navigable``)."""
    return load_spec_file(spec_path(api))


def resolve(spec: dict[str, Any], node: Any) -> Any:
    """Follow ``$ref`` (local, ``#/...``) until ``node`` is not a reference."""
    seen = 0
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#/"):
            raise SpecError(f"only local references are supported, got {ref!r}")
        node = spec
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        seen += 1
        if seen > 64:
            raise SpecError(f"reference cycle at {ref!r}")
    return node


def _registry(spec: dict[str, Any]) -> referencing.Registry[Any]:
    resource: referencing.Resource[Any] = referencing.jsonschema.DRAFT202012.create_resource(spec)
    registry: referencing.Registry[Any] = referencing.Registry().with_resource(_SPEC_URI, resource)
    return registry


def schema_validator(
    spec: dict[str, Any], schema: dict[str, Any] | str, *, formats: bool = True
) -> jsonschema.protocols.Validator:
    """A Draft 2020-12 validator for ``schema`` with the spec's ``$ref``s resolvable.

    ``schema`` is a schema taken from the spec, or a JSON pointer into it (``#/components/...``).
    Local references (``#/components/schemas/X``) inside it resolve against the whole spec.
    """
    root: dict[str, Any] = {"$ref": f"{_SPEC_URI}{schema}"} if isinstance(schema, str) else schema
    root = _rebase_refs(root)
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER if formats else None
    return jsonschema.Draft202012Validator(root, registry=_registry(spec), format_checker=checker)


def _rebase_refs(node: Any) -> Any:
    """Rewrite ``#/...`` references to point into the registered spec document."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith("#"):
                out[key] = f"{_SPEC_URI}{value}"
            else:
                out[key] = _rebase_refs(value)
        return out
    if isinstance(node, list):
        return [_rebase_refs(v) for v in node]
    return node


@dataclass(frozen=True, slots=True)
class Operation:
    """One operation of a spec: method, path and its (unresolved) OpenAPI object."""

    method: str
    path: str
    operation_id: str
    definition: dict[str, Any]

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.path}"


def operations(spec: dict[str, Any]) -> Iterator[Operation]:
    """Every operation of ``spec`` in document order."""
    for path, item in (spec.get("paths") or {}).items():
        for method, op in item.items():
            if method in HTTP_METHODS and isinstance(op, dict):
                yield Operation(method, path, str(op.get("operationId", f"{method} {path}")), op)


@dataclass(frozen=True, slots=True)
class Assumption:
    """An ``x-chatgate-assumption``: where it sits (JSON pointer) and what it says."""

    pointer: str
    text: str


def assumptions(spec: dict[str, Any]) -> list[Assumption]:
    """Every ``x-chatgate-assumption`` in ``spec``, in document order."""
    found: list[Assumption] = []

    def walk(node: Any, pointer: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "x-chatgate-assumption":
                    found.append(Assumption(pointer or "/", " ".join(str(value).split())))
                else:
                    walk(value, f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{pointer}/{i}")

    walk(spec, "")
    return found


@functools.lru_cache(maxsize=16)
def _composed(text: str) -> yaml.Node | None:
    """The YAML node tree of ``text`` (lines included), composed once per content: the gate locates
    every finding in the spec twice, and composing it each time (~33 ms in pure Python) cost a run
    with 50 findings ~3 s (bench/gate_locate.py)."""
    return yaml.compose(text, Loader=_YAML_LOADER)


def find_line(path: Path | str, pointer: list[str | int] | tuple[str | int, ...]) -> int | None:
    """1-based line of the node at ``pointer`` (a list of keys) in the YAML file, or None."""
    try:
        node = _composed(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    line = 1 if node is None else node.start_mark.line + 1
    for part in pointer:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == str(part):
                    node, line = value_node, key_node.start_mark.line + 1
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


@dataclass(frozen=True, slots=True)
class SpecProblem:
    """Something wrong in a spec file, at a line: from the OpenAPI meta-schema, an example that breaks
    its own schema, or a ruleset (``chatgate lint`` reports them; the gate refuses an invalid spec)."""

    path: Path
    line: int | None
    source: str  # "openapi-spec-validator", "examples" or "redocly:<rule>"
    severity: str  # "error" or "warning"
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        return f"{where}: {self.severity}: [{self.source}] {self.message}"


def _meta_schema_validator(doc: dict[str, Any], path: Path) -> Any:
    from openapi_spec_validator import (  # heavy (0.3 s): only the lint and the gate pay for it
        OpenAPIV30SpecValidator,
        OpenAPIV31SpecValidator,
        OpenAPIV32SpecValidator,
    )

    version = str(doc.get("openapi", ""))
    for prefix, validator in (
        ("3.1", OpenAPIV31SpecValidator),
        ("3.0", OpenAPIV30SpecValidator),
        ("3.2", OpenAPIV32SpecValidator),
    ):
        if version.startswith(prefix + ".") or version == prefix:
            return validator
    line = find_line(path, ["openapi"]) or 1
    raise SpecError(f"{path}:{line}: not an OpenAPI 3.x document (openapi: {version or 'missing'})")


def _ref_line(path: Path, ref: str) -> int | None:
    """The first line that holds ``$ref`` to ``ref`` (for a reference that cannot be resolved)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    target = ref.rsplit("/", 1)[-1]
    return next((i for i, line in enumerate(lines, 1) if "$ref" in line and target in line), None)


def meta_schema_problems(path: Path) -> list[SpecProblem]:
    """The OpenAPI meta-schema pass (openapi-spec-validator): every structural problem of the spec at
    ``path``, each with its line. Raises SpecError when the file is not an OpenAPI 3.x document.

    A ``$ref`` that leads nowhere, a reference cycle, or a shape the validator cannot walk (it asserts
    on some) is reported as a problem too, never raised. Judged once per content of the file in a
    process (the validator walks the whole document: ~0.1 s)."""
    try:
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        digest = ""  # load_spec_file says why
    return list(_meta_schema_problems(Path(path), digest))


@functools.lru_cache(maxsize=16)
def _meta_schema_problems(path: Path, digest: str) -> tuple[SpecProblem, ...]:
    del digest  # part of the cache key only: an edited file is judged again
    doc = load_spec_file(path)
    validator = _meta_schema_validator(doc, path)(doc)
    problems: list[SpecProblem] = []

    def problem(line: int | None, message: str) -> None:
        problems.append(SpecProblem(path, line, "openapi-spec-validator", "error", message))

    try:
        for err in validator.iter_errors():
            pointer = list(getattr(err, "absolute_path", []) or [])
            problem(find_line(path, pointer), str(getattr(err, "message", err)).splitlines()[0])
    except referencing.exceptions.Unresolvable as exc:
        ref = str(getattr(exc, "ref", exc))
        problem(_ref_line(path, ref), f"$ref {ref!r} cannot be resolved")
    except RecursionError:
        problem(None, "references or nesting too deep to follow (a $ref cycle?)")
    except Exception as exc:  # the validator's own assertions on shapes it does not expect
        if not problems:
            problem(None, f"not a valid OpenAPI document (the validator stopped: {type(exc).__name__} {exc})")
    return tuple(problems)


def require_valid_specs(apis: tuple[ApiName, ...] = API_NAMES) -> None:
    """Raise SpecError (exit 2) naming the first problem when a spec of ``apis`` cannot be used: not
    readable, not OpenAPI 3.x, or invalid against the meta-schema. For commands handed specs they did
    not lint (``--specs``): a bad spec is one line up front, never a failure deep inside."""
    for api in apis:
        path = spec_path(api)
        problems = meta_schema_problems(path)
        if problems:
            more = f" (and {len(problems) - 1} more; run chatgate lint)" if len(problems) > 1 else ""
            raise SpecError(f"{problems[0]}{more}")
