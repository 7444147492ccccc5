"""Two operations compared: parameters, request body, accepted keys, documented answers and their media
types (a stream's rules through :mod:`chatgate.diff.streams`), as the spec model reads them."""

from __future__ import annotations

from chatgate.contract_model import AuthScheme, MediaModel, Operation, Parameter, Response
from chatgate.diff.context import Context, child, code
from chatgate.diff.schemas import SchemaWalk
from chatgate.diff.streams import compare_streams

__all__ = ["compare_operation", "compare_schemes", "scheme_key"]

_OP_HANDLED = (
    "operationId",
    "deprecated",
    "parameters",
    "requestBody",
    "responses",
    "security",
    "x-chatgate-pagination",
    "x-chatgate-ownership",
    "x-chatgate-window",
    "x-chatgate-read-back",
)


def compare_operation(ctx: Context, o: Operation, n: Operation) -> None:
    """Everything a client of ``o`` sends and reads, against ``n`` (the same method and path)."""
    with ctx.on(n.label):
        if o.operation_id != n.operation_id:
            ctx.add(
                "request.operation.id-changed",
                child(o.pointer, "operationId"),
                child(n.pointer, "operationId"),
                f"operationId is now {code(n.operation_id)} (was {code(o.operation_id)}): generated clients "
                "rename the method that calls it.",
                subject="operationId",
            )
        old_dep = bool(ctx.old.doc.node(f"{o.pointer}/deprecated"))
        if not old_dep and ctx.new.doc.node(f"{n.pointer}/deprecated"):
            ctx.add(
                "request.operation.deprecated",
                o.pointer,
                child(n.pointer, "deprecated"),
                f"{n.label} is now deprecated: plan to move off it.",
                subject="deprecated",
            )
        _parameters(ctx, o, n)
        _body(ctx, o, n)
        _security(ctx, o, n)
        _responses(ctx, o, n)
        ctx.docs(o.pointer, n.pointer)
        ctx.leftover(o.pointer, n.pointer, _OP_HANDLED)


def _parameters(ctx: Context, o: Operation, n: Operation) -> None:
    old = {(p.name, p.location): p for p in o.parameters}
    new = {(p.name, p.location): p for p in n.parameters}
    new_list = child(n.pointer, "parameters") if ctx.new.doc.node(f"{n.pointer}/parameters") else n.pointer
    old_list = child(o.pointer, "parameters") if ctx.old.doc.node(f"{o.pointer}/parameters") else o.pointer
    for key, p in old.items():
        if key not in new:
            ctx.removed(
                "request.parameter.removed",
                p.pointer,
                new_list,
                f"{code(p.name)} ({p.location}) is no "
                "longer a parameter: clients that send it may get 400 or have it ignored.",
                p.name,
            )
    for key, q in new.items():
        if key not in old:
            if q.required:
                ctx.add(
                    "request.parameter.required-added",
                    old_list,
                    q.pointer,
                    f"{code(q.name)} ({q.location}) is new and required: clients that leave it out get 400.",
                    subject=q.name,
                )
            else:
                ctx.add(
                    "request.parameter.added",
                    old_list,
                    q.pointer,
                    f"{code(q.name)} ({q.location}) is a new optional parameter.",
                    subject=q.name,
                )
            continue
        _parameter(ctx, old[key], q)


def _parameter(ctx: Context, p: Parameter, q: Parameter) -> None:
    if p.required != q.required:
        at_o = (
            child(p.pointer, "required") if "required" in (ctx.old.doc.node(p.pointer) or {}) else p.pointer
        )
        at_n = (
            child(q.pointer, "required") if "required" in (ctx.new.doc.node(q.pointer) or {}) else q.pointer
        )
        if q.required:
            ctx.add(
                "request.parameter.required-added",
                at_o,
                at_n,
                f"{code(q.name)} is now required: clients that leave it out get 400.",
                subject=q.name,
            )
        else:
            ctx.add(
                "request.parameter.required-removed",
                at_o,
                at_n,
                f"{code(q.name)} is no longer required.",
                subject=q.name,
            )
    SchemaWalk(ctx, reading=False).compare(child(p.pointer, "schema"), child(q.pointer, "schema"), q.name)
    forms = "x-chatgate-body-forms"
    for form in p.body_forms:
        if form not in q.body_forms:
            ctx.removed(
                "request.parameter.form-removed",
                child(p.pointer, forms),
                q.pointer,
                f"{code(q.name)} may no longer be sent in the {form} body: clients that send it there get "
                "400.",
                form,
            )
    for form in q.body_forms:
        if form not in p.body_forms:
            ctx.add(
                "request.parameter.form-added",
                p.pointer,
                child(q.pointer, forms),
                f"{code(q.name)} may now also be sent in the {form} body.",
                subject=form,
            )
    ctx.docs(
        p.pointer,
        q.pointer,
        {"description", "example", "examples", "x-chatgate-assumption", "deprecated", "x-chatgate-role"},
    )
    ctx.leftover(p.pointer, q.pointer, ("name", "in", "required", "schema", forms, "deprecated"))


def _body(ctx: Context, o: Operation, n: Operation) -> None:
    o_at, n_at = (
        ctx.old.doc.follow(f"{o.pointer}/requestBody"),
        ctx.new.doc.follow(f"{n.pointer}/requestBody"),
    )
    a, b = o.body, n.body
    a_required, b_required = bool(a and a.required), bool(b and b.required)
    holder_o = o_at if a is not None else o.pointer
    holder_n = n_at if b is not None else n.pointer
    if a_required != b_required:
        rule = "request.body.required-added" if b_required else "request.body.required-removed"
        text = (
            "now needs a request body: clients that send none get 400."
            if b_required
            else ("no longer needs a request body.")
        )
        ctx.add(rule, holder_o, holder_n, f"{n.label} {text}", subject="requestBody")
    a_media, b_media = (a.media if a else {}), (b.media if b else {})
    for mt in a_media:
        if mt not in b_media:
            ctx.removed(
                "request.body.media-type-removed",
                child(o_at, "content", mt),
                holder_n,
                f"{n.label} no longer takes {mt} bodies: clients that send one get 415.",
                mt,
            )
    for mt in b_media:
        if mt not in a_media:
            ctx.add(
                "request.body.media-type-added",
                holder_o,
                child(n_at, "content", mt),
                f"{n.label} now also takes {mt} bodies.",
                subject=mt,
            )
        else:
            walk = SchemaWalk(ctx, reading=False, root=f"the {mt} body")
            walk.compare(a_media[mt], b_media[mt], "")
            ctx.docs(child(o_at, "content", mt), child(n_at, "content", mt))
            ctx.leftover(child(o_at, "content", mt), child(n_at, "content", mt), ("schema",))
    if a is not None and b is not None:
        ctx.docs(o_at, n_at)
        ctx.leftover(o_at, n_at, ("content", "required"))


def scheme_key(s: AuthScheme) -> tuple[str, str, str]:
    """What a client does with the key: where it goes, under which name, with which scheme word."""
    return s.location, s.field.lower(), s.prefix.strip().lower()


def _where(s: AuthScheme) -> str:
    if s.is_http:
        return f"`{s.field}: {s.prefix.strip()} <key>`"
    return f"the {code(s.field)} {s.location}{' parameter' if s.location == 'query' else ''}"


def _security(ctx: Context, o: Operation, n: Operation) -> None:
    old_req = (
        f"{o.pointer}/security" if ctx.old.doc.node(f"{o.pointer}/security") is not None else "/security"
    )
    new_req = (
        f"{n.pointer}/security" if ctx.new.doc.node(f"{n.pointer}/security") is not None else "/security"
    )
    new_keys = {scheme_key(s) for s in n.schemes}
    old_keys = {scheme_key(s) for s in o.schemes}
    by_name = {s.name: s for s in n.schemes}
    for s in o.schemes:
        if scheme_key(s) in new_keys:
            continue
        t = by_name.get(s.name)
        if t is not None:
            ctx.add(
                "request.security.scheme-changed",
                s.pointer,
                t.pointer,
                f"the key now goes in {_where(t)} "
                f"(was {_where(s)}): clients that send it the old way get 401.",
                subject=s.name,
            )
        else:
            ctx.removed(
                "request.security.scheme-removed",
                s.pointer,
                new_req,
                f"the key may no longer be sent in {_where(s)}: clients that send it there get 401.",
                s.name,
            )
    old_names = {s.name for s in o.schemes}
    for t in n.schemes:
        if scheme_key(t) not in old_keys and t.name not in old_names:
            ctx.add(
                "request.security.scheme-added",
                old_req,
                t.pointer,
                f"the key may now also be sent in {_where(t)}.",
                subject=t.name,
            )
    if o.auth_optional != n.auth_optional:
        rule = "request.security.optional" if n.auth_optional else "request.security.required"
        text = (
            "now also takes calls without a key."
            if n.auth_optional
            else ("now needs a key: clients that call it without one get 401.")
        )
        ctx.add(rule, old_req, new_req, f"{n.label} {text}", subject="anonymous")


def compare_schemes(ctx: Context) -> None:
    """The security schemes both sides define under one name: what a key identifies, their docs."""
    at = "/components/securitySchemes"
    old_raw, new_raw = ctx.old.doc.node(at) or {}, ctx.new.doc.node(at) or {}
    for name in sorted(set(old_raw) & set(new_raw)):
        o_at, n_at = ctx.old.doc.follow(child(at, name)), ctx.new.doc.follow(child(at, name))
        a, b = (
            ctx.old.doc.node(f"{o_at}/x-chatgate-identity"),
            ctx.new.doc.node(f"{n_at}/x-chatgate-identity"),
        )
        strip = {"description", "x-chatgate-assumption"}
        if {k: v for k, v in (a or {}).items() if k not in strip} != {
            k: v for k, v in (b or {}).items() if k not in strip
        }:
            ctx.add(
                "rule.identity.changed",
                child(o_at, "x-chatgate-identity") if a else o_at,
                child(n_at, "x-chatgate-identity") if b else n_at,
                f"what a key of {code(name)} identifies "
                "changed: clients that pass their own identity must send the new one.",
                subject=name,
            )
        elif a != b:
            ctx.docs(child(o_at, "x-chatgate-identity"), child(n_at, "x-chatgate-identity"))
        ctx.docs(o_at, n_at, {"description", "x-chatgate-assumption", "bearerFormat"})


def _responses(ctx: Context, o: Operation, n: Operation) -> None:
    o_list, n_list = child(o.pointer, "responses"), child(n.pointer, "responses")
    for status in o.responses:
        if status not in n.responses:
            ctx.removed(
                "response.status.removed",
                child(o_list, status),
                n_list,
                f"{n.label} no longer documents "
                f"{status}: clients that handle it are told it no longer happens.",
                status,
            )
    for status, r in n.responses.items():
        if status not in o.responses:
            ctx.add(
                "response.status.added",
                o_list,
                child(n_list, status),
                f"{n.label} may now answer {status}: clients that do not handle it may fail.",
                subject=status,
            )
        else:
            _response(ctx, o.responses[status], r, n.label)


def _response(ctx: Context, a: Response, b: Response, label: str) -> None:
    status = b.status
    for mt, m in a.media.items():
        if mt not in b.media:
            ctx.removed(
                "response.media-type.removed",
                m.pointer,
                child(b.pointer, "content") if b.media else b.pointer,
                f"{label} no longer answers {status} in {mt}: clients that read it get another form.",
                f"{status} {mt}",
            )
    for mt, m in b.media.items():
        if mt not in a.media:
            ctx.add(
                "response.media-type.added",
                child(a.pointer, "content") if a.media else a.pointer,
                m.pointer,
                f"{label} may now answer {status} in {mt}.",
                subject=f"{status} {mt}",
            )
        else:
            _media(ctx, a.media[mt], m, f"the {status} {mt} body")
    _headers(ctx, a, b, label)
    if a.field_errors != b.field_errors:
        key = "x-chatgate-field-errors"
        ctx.add(
            "rule.field-errors.changed",
            child(a.pointer, key) if a.field_errors else a.pointer,
            child(b.pointer, key) if b.field_errors else b.pointer,
            f"the map of invalid fields in {status} "
            f"bodies is now at {code(b.field_errors or 'nowhere')} "
            f"(was {code(a.field_errors or 'nowhere')}): clients that read it there find nothing.",
            subject=status,
            item=child(b.pointer, key) if b.field_errors else child(a.pointer, key),
        )
    ctx.docs(a.pointer, b.pointer)
    ctx.leftover(a.pointer, b.pointer, ("content", "headers", "x-chatgate-field-errors"))


def _headers(ctx: Context, a: Response, b: Response, label: str) -> None:
    for h in a.headers:
        if h not in b.headers:
            ctx.removed(
                "response.header.removed",
                child(a.pointer, "headers", h),
                child(b.pointer, "headers") if b.headers else b.pointer,
                f"{label} no longer sends {code(h)} with {b.status}: clients that read it break.",
                h,
            )
    for h in b.headers:
        if h not in a.headers:
            ctx.add(
                "response.header.added",
                child(a.pointer, "headers") if a.headers else a.pointer,
                child(b.pointer, "headers", h),
                f"{label} now sends {code(h)} with {b.status}.",
                subject=h,
            )
            continue
        o_at = ctx.old.doc.follow(child(a.pointer, "headers", h))
        n_at = ctx.new.doc.follow(child(b.pointer, "headers", h))
        SchemaWalk(ctx, reading=True, root=code(h)).compare(child(o_at, "schema"), child(n_at, "schema"), "")
        ctx.docs(o_at, n_at)
        ctx.leftover(o_at, n_at, ("schema",))


def _media(ctx: Context, a: MediaModel, b: MediaModel, root: str) -> None:
    sa, sb = a.stream, b.stream
    skip: frozenset[str] = frozenset()
    if sa is not None and sb is not None:
        compare_streams(ctx, sa, sb)
        skip = frozenset({"event", "data"})
    elif sa is not None:
        ctx.removed(
            "stream.removed",
            sa.rules_pointer,
            b.pointer,
            "the stream no longer states its rules (events, "
            "grammar, content): clients can no longer rely on them.",
            "stream",
        )
    elif sb is not None:
        ctx.add(
            "stream.added", a.pointer, sb.rules_pointer, "the stream now states its rules.", subject="stream"
        )
    if a.schema_pointer is not None and b.schema_pointer is not None:
        SchemaWalk(ctx, reading=True, skip=skip, root=root).compare(a.schema_pointer, b.schema_pointer, "")
    ctx.docs(a.pointer, b.pointer)
    ctx.leftover(
        a.pointer,
        b.pointer,
        ("schema", "x-chatgate-stream") if a.schema_pointer and b.schema_pointer else ("x-chatgate-stream",),
    )
