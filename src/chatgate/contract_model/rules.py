"""The behavioural rules a spec states in ``x-chatgate-*``: pagination, ownership, window and read-back.

Each is parsed once and checked against the operation it stands on (its parameters, its documented
answers, the schema of a listed item), so a rule that names a parameter, a field or an operation the
spec does not have is a SpecError with its FILE:LINE, never a rule that silently judges nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from chatgate.contract_model.expressions import Expression, ExpressionError, parse_expression
from chatgate.contract_model.operations import Operation, Parameter
from chatgate.contract_model.spec_doc import SpecDoc, escape, split_pointer
from chatgate.errors import UsageError
from chatgate.options import parse_duration

__all__ = [
    "JSON",
    "OperationRules",
    "Ownership",
    "Pagination",
    "ReadBack",
    "RowRule",
    "SortOption",
    "Window",
    "build_rules",
    "schema_at",
]

JSON = "application/json"


def schema_at(doc: SpecDoc, schema: str, data_pointer: str) -> str | None:
    """Where the schema of the value at ``data_pointer`` (``/data``, ``/data/0/id``, ``/*/id``) sits
    inside the schema at ``schema``; None when the schema does not describe it."""
    at = doc.follow(schema)
    for part in split_pointer(data_pointer):
        node = doc.node(at)
        if not isinstance(node, dict):
            return None
        if isinstance(part, int) or part == "*":
            if "items" not in node:
                return None
            at = doc.follow(f"{at}/items")
        elif part in (node.get("properties") or {}):
            at = doc.follow(f"{at}/properties/{escape(part)}")
        else:
            return None
    return at


def _kind(doc: SpecDoc, at: str | None) -> str:
    node = doc.node(at) if at else None
    if not isinstance(node, dict):
        return "string"
    if node.get("format") == "date-time":
        return "time"
    kinds = node.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return "number" if {"integer", "number"} & set(kinds) else "string"


@dataclass(frozen=True, slots=True)
class SortOption:
    value: str  # as sent, e.g. "created_at:desc"
    field: str
    direction: str  # asc | desc


@dataclass(frozen=True)
class Pagination:
    pointer: str
    style: str  # page | cursor
    page: Parameter | None
    size: Parameter | None
    items: str
    total_rows: str | None
    total_pages: str | None
    echo: dict[str, str]  # parameter name -> pointer of its echo in the body
    sort: Parameter | None
    sorts: tuple[SortOption, ...]
    fields: dict[str, str]  # sort field -> pointer into an item
    kinds: dict[str, str]  # sort field -> time | number | string
    tie_break: str | None
    append_keys: tuple[str, ...]
    late_rows: bool
    item_schema: str | None

    @property
    def first_page(self) -> int:
        low = self.page.minimum if self.page is not None else None
        return int(low) if isinstance(low, int) else 1

    @property
    def default_sort(self) -> SortOption | None:
        default = self.sort.default if self.sort is not None else None
        return next((s for s in self.sorts if s.value == default), None)

    def sort_of(self, value: str | None) -> SortOption | None:
        return self.default_sort if value is None else next((s for s in self.sorts if s.value == value), None)

    def newest_first(self) -> SortOption | None:
        """The order that lists the latest rows first (the last append key, descending)."""
        for key in reversed(self.append_keys):
            found = next((s for s in self.sorts if s.field == key and s.direction == "desc"), None)
            if found is not None:
                return found
        return None

    @property
    def size_range(self) -> tuple[int, int, int]:
        """(smallest, largest, default) page size."""
        p = self.size
        low = int(p.minimum) if p is not None and isinstance(p.minimum, int) else 1
        high = int(p.maximum) if p is not None and isinstance(p.maximum, int) else max(low, 100)
        default = int(p.default) if p is not None and isinstance(p.default, int) else min(high, max(low, 20))
        return low, high, default


@dataclass(frozen=True, slots=True)
class Ownership:
    pointer: str
    parameter: Parameter
    status: str
    item_field: str | None
    identity: str


@dataclass(frozen=True, slots=True)
class Window:
    pointer: str
    items: str
    size: int
    order_field: str
    direction: str
    order_kind: str  # time | number | string: how the order field's values compare
    keep: str
    session_field: str | None
    session_value: Any


@dataclass(frozen=True, slots=True)
class RowRule:
    match: dict[str, Expression]
    equal: dict[str, Expression]


@dataclass(frozen=True, slots=True)
class ReadBack:
    pointer: str
    media_type: str | None
    target: str  # operationId of the read that lists the stored copy
    parameters: dict[str, Expression]
    rows: tuple[RowRule, ...]
    in_order: bool
    within_s: float
    link: str | None


@dataclass(frozen=True, slots=True)
class OperationRules:
    pagination: Pagination | None = None
    ownership: Ownership | None = None
    window: Window | None = None
    read_backs: tuple[ReadBack, ...] = ()


def _param(doc: SpecDoc, op: Operation, at: str, name: Any) -> Parameter:
    found = op.parameter(str(name))
    if found is None:
        names = sorted(p.name for p in op.parameters)
        raise doc.error(at, f"{op.operation_id} has no parameter {name!r} (parameters: {names})")
    return found


def _body_schema(doc: SpecDoc, op: Operation, at: str, what: str) -> str:
    ok = op.success(JSON)
    if ok is None or ok.schema_pointer is None:
        raise doc.error(at, f"{what} needs a documented 2xx {JSON} answer of {op.operation_id}")
    return ok.schema_pointer


def _exists(doc: SpecDoc, schema: str, pointer: str, at: str, what: str) -> str:
    found = schema_at(doc, schema, pointer)
    if found is None:
        raise doc.error(at, f"{what} {pointer!r} is not in the schema at #{schema}")
    return found


def _sorts(doc: SpecDoc, sort: Parameter, ext: dict[str, Any], at: str) -> tuple[SortOption, ...]:
    fmt = re.escape(str(ext["format"]))
    fmt = fmt.replace(r"\{field\}", "(?P<field>.+?)").replace(r"\{direction\}", "(?P<direction>asc|desc)")
    out = []
    for value in sort.enum:
        m = re.fullmatch(fmt, str(value))
        if m is None or m.group("field") not in ext["fields"]:
            raise doc.error(f"{at}/sort", f"sort value {value!r} does not read as {ext['format']!r} over the "
                            f"fields {sorted(ext['fields'])}")  # fmt: skip
        out.append(SortOption(str(value), m.group("field"), m.group("direction")))
    return tuple(out)


def _pagination(doc: SpecDoc, op: Operation) -> Pagination | None:
    at = f"{op.pointer}/x-chatgate-pagination"
    ext = doc.node(at)
    if not isinstance(ext, dict):
        return None
    body = _body_schema(doc, op, at, "x-chatgate-pagination")
    items = _exists(doc, body, ext["items"], f"{at}/items", "items")
    item = (
        doc.follow(f"{items}/items")
        if isinstance(doc.node(items), dict) and "items" in doc.node(items)
        else None
    )
    for key in ("total_rows", "total_pages"):
        if key in ext:
            _exists(doc, body, ext[key], f"{at}/{key}", key)
    echo = {str(k): str(v) for k, v in (ext.get("echo") or {}).items()}
    for name, pointer in echo.items():
        _param(doc, op, f"{at}/echo", name)
        _exists(doc, body, pointer, f"{at}/echo/{escape(name)}", "echo")
    page = _param(doc, op, f"{at}/page", ext["page"]) if "page" in ext else None
    size = _param(doc, op, f"{at}/size", ext["size"]) if "size" in ext else None
    if ext["style"] == "page" and (page is None or size is None):
        raise doc.error(at, "x-chatgate-pagination with style page names its page and size parameters")
    sort_ext = ext.get("sort") or {}
    sort = _param(doc, op, f"{at}/sort/parameter", sort_ext["parameter"]) if sort_ext else None
    fields = {str(k): str(v) for k, v in (sort_ext.get("fields") or {}).items()}
    for name, pointer in fields.items():
        if item is not None:
            _exists(doc, item, pointer, f"{at}/sort/fields/{escape(name)}", f"sort field {name}:")
    appends = tuple(str(k) for k in ext.get("append_keys") or ())
    for key in (*appends, *([sort_ext["tie_break"]] if "tie_break" in sort_ext else [])):
        if key not in fields:
            raise doc.error(at, f"{key!r} is not one of the sort fields {sorted(fields)}")
    return Pagination(
        pointer=at, style=str(ext["style"]), page=page, size=size, items=str(ext["items"]),
        total_rows=ext.get("total_rows"), total_pages=ext.get("total_pages"), echo=echo, sort=sort,
        sorts=_sorts(doc, sort, sort_ext, at) if sort is not None else (), fields=fields,
        kinds={k: _kind(doc, schema_at(doc, item, v) if item else None) for k, v in fields.items()},
        tie_break=sort_ext.get("tie_break"), append_keys=appends, late_rows=bool(ext.get("late_rows")),
        item_schema=item,
    )  # fmt: skip


def _ownership(doc: SpecDoc, op: Operation, pagination: Pagination | None) -> Ownership | None:
    at = f"{op.pointer}/x-chatgate-ownership"
    ext = doc.node(at)
    if not isinstance(ext, dict):
        return None
    param = _param(doc, op, f"{at}/parameter", ext["parameter"])
    status = str(ext["status"])
    if status not in op.responses:
        raise doc.error(f"{at}/status", f"status {status} is not documented for {op.operation_id}")
    identity = next((s.identity for s in op.schemes if s.identity is not None), None)
    if identity is None:
        raise doc.error(
            at, "x-chatgate-ownership needs x-chatgate-identity on a security scheme of the operation"
        )
    item_field = ext.get("item_field")
    if item_field is not None and pagination is not None and pagination.item_schema is not None:
        _exists(doc, pagination.item_schema, str(item_field), f"{at}/item_field", "item_field")
    return Ownership(at, param, status, item_field, identity.name)


def _window(doc: SpecDoc, op: Operation) -> Window | None:
    at = f"{op.pointer}/x-chatgate-window"
    ext = doc.node(at)
    if not isinstance(ext, dict):
        return None
    body = _body_schema(doc, op, at, "x-chatgate-window")
    items = _exists(doc, body, ext["items"], f"{at}/items", "items")
    node = doc.node(items)
    size = node.get("maxItems") if isinstance(node, dict) else None
    if not isinstance(size, int):
        raise doc.error(f"{at}/items", f"the window's items (#{items}) need maxItems: the window's size")
    order = _exists(
        doc, doc.follow(f"{items}/items"), ext["order"]["field"], f"{at}/order/field", "order field"
    )
    session = ext.get("session") or {}
    field, direction = str(ext["order"]["field"]), str(ext["order"]["direction"])
    return Window(at, str(ext["items"]), size, field, direction, _kind(doc, order), str(ext["keep"]),
                  session.get("field"), session.get("value"))  # fmt: skip


def _expressions(doc: SpecDoc, raw: Any, at: str) -> dict[str, Expression]:
    out = {}
    for key, value in (raw or {}).items():
        try:
            out[str(key)] = parse_expression(value)
        except ExpressionError as exc:
            raise doc.error(f"{at}/{escape(key)}", str(exc)) from None
    return out


def _read_back(doc: SpecDoc, op: Operation, at: str, ext: dict[str, Any]) -> ReadBack:
    target, params, link = (
        ext.get("operation"),
        _expressions(doc, ext.get("parameters"), f"{at}/parameters"),
        None,
    )
    if "link" in ext:
        link = op.links.get(str(ext["link"]))
        if link is None:
            raise doc.error(
                f"{at}/link", f"{op.operation_id} has no link {ext['link']!r} (links: {sorted(op.links)})"
            )
        target, params = link.operation_id, {**link.parameters, **params}
    if not target:
        raise doc.error(at, "a read-back names its read: link or operation")
    media = ext.get("media_type")
    if media is not None and op.success(str(media)) is None:
        raise doc.error(f"{at}/media_type", f"{op.operation_id} documents no 2xx {media} answer")
    rows = []
    for i, row in enumerate(ext["rows"]):
        rows.append(RowRule(_expressions(doc, row.get("match"), f"{at}/rows/{i}/match"),
                            _expressions(doc, row["equal"], f"{at}/rows/{i}/equal")))  # fmt: skip
    try:
        within = parse_duration(str(ext["within"]), "within") if "within" in ext else 0.0
    except UsageError as exc:
        raise doc.error(f"{at}/within", str(exc)) from None
    return ReadBack(at, media, str(target), params, tuple(rows), bool(ext.get("in_order")), within,
                    str(ext["link"]) if link else None)  # fmt: skip


def build_rules(doc: SpecDoc, op: Operation) -> OperationRules:
    """Every rule the operation carries (checked against it; cross-operation checks: the model)."""
    pagination = _pagination(doc, op)
    raw = doc.node(f"{op.pointer}/x-chatgate-read-back")
    backs = tuple(
        _read_back(doc, op, f"{op.pointer}/x-chatgate-read-back/{i}", r)
        for i, r in enumerate(raw if isinstance(raw, list) else [])
    )
    return OperationRules(pagination, _ownership(doc, op, pagination), _window(doc, op), backs)
