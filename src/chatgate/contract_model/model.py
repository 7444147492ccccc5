"""The model of one API's spec, built once per process from its file: operations, auth, streams, rules.

Everything that judges or drives an API (the gate, the suite in ``contracts/``, the load runner and
scenarios, capacity, compare, the docs) asks this model; no other module names an event, a parameter,
a path or a component of either API::

    >>> m = model_for("nara")
    >>> op = m.streamed()[0]
    >>> op.stream.content_event, sorted(op.stream.terminal)      # doctest: +SKIP
    ('delta', ['error', 'message_end'])

Operations are found by operationId (:meth:`ContractModel.operation`), by the request that reached them
(:meth:`ContractModel.find`), or by the rule they carry (:meth:`streamed`, :meth:`paginated`,
:meth:`windowed`, :meth:`owned`). Schemas are looked up by operation, status and media type
(:meth:`ContractModel.schema`). A spec whose extensions are unknown, misplaced or ill-typed, or whose rules
name what the spec does not have, is a :class:`~chatgate.errors.SpecError` naming FILE:LINE.
"""

from __future__ import annotations

import functools
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chatgate.contract_model.auth import AuthScheme, Identity, Placement
from chatgate.contract_model.extensions import extension_problems
from chatgate.contract_model.operations import HTTP_METHODS, Operation, build_operation
from chatgate.contract_model.rules import OperationRules, build_rules
from chatgate.contract_model.spec_doc import SpecDoc
from chatgate.errors import SpecError
from chatgate.git_specs import origin_label
from chatgate.resources import SPECS_VARIABLE, shipped_specs_dir
from chatgate.specs import load_spec_file, meta_schema_problems, spec_path

__all__ = ["RULE_KINDS", "ContractModel", "build_model", "model_for", "require_models", "spec_sources"]

RULE_KINDS = ("stream", "read-back", "pagination", "ownership", "window")  # what ContractModel.states knows


@dataclass(frozen=True)
class ContractModel:
    """One API's spec as rules and operations (see the module docstring)."""

    api: str
    path: Path
    title: str
    version: str
    spec: dict[str, Any]
    operations: tuple[Operation, ...]
    rules_by_id: dict[str, OperationRules]

    @property
    def doc(self) -> SpecDoc:
        return SpecDoc(self.path, self.spec)

    def operation(self, operation_id: str) -> Operation | None:
        return next((o for o in self.operations if o.operation_id == operation_id), None)

    def by_label(self, label: str) -> Operation | None:
        return next((o for o in self.operations if o.label == label), None)

    def rules(self, op: Operation) -> OperationRules:
        return self.rules_by_id.get(op.operation_id, OperationRules())

    def find(self, method: str, path: str) -> Operation | None:
        """The operation a request (method, path below the base URL) reached; None when none matches."""
        return next((o for o in self.operations if o.method == method.upper() and o.path_matches(path)), None)

    def path_label(self, method: str, path: str) -> str | None:
        """``METHOD /template`` for a request to a documented path (any method: probes of undocumented
        methods are labelled by the path they tried); None when the path is not the spec's."""
        op = next((o for o in self.operations if o.path_matches(path)), None)
        return f"{method.upper()} {op.path}" if op is not None else None

    def schema(self, op: Operation, status: int | str, media_type: str) -> str | None:
        """The pointer of the documented schema for (status, media type), or None."""
        media = op.media(status, media_type)
        return media.schema_pointer if media is not None else None

    def streamed(self) -> list[Operation]:
        return [o for o in self.operations if o.stream is not None]

    def paginated(self) -> list[Operation]:
        return [o for o in self.operations if self.rules(o).pagination is not None]

    def windowed(self) -> list[Operation]:
        return [o for o in self.operations if self.rules(o).window is not None]

    def states(self, rule: str, op: Operation | None = None) -> bool:
        """Whether the spec states ``rule`` (stream, read-back, pagination, ownership, window) for ``op``
        (for any operation when None)."""
        ops = [op] if op is not None else list(self.operations)
        return any(self._states(rule, o) for o in ops)

    def _states(self, rule: str, op: Operation) -> bool:
        rules = self.rules(op)
        found = {
            "stream": op.stream is not None,
            "read-back": op.stream is not None and bool(rules.read_backs),
            "pagination": rules.pagination is not None,
            "ownership": rules.ownership is not None,
            "window": rules.window is not None,
        }
        if rule not in found:
            raise ValueError(f"unknown rule {rule!r}")
        return found[rule]

    def rule_pointers(self, rule: str, op: Operation) -> list[str]:
        """Where the spec states ``op``'s rules of kind ``rule`` (one of :data:`RULE_KINDS`; a read-back
        rule per answer form): the JSON pointers of the extensions."""
        rules = self.rules(op)
        found: dict[str, list[str]] = {
            "stream": [op.stream.rules_pointer] if op.stream is not None else [],
            "read-back": [rb.pointer for rb in rules.read_backs],
            "pagination": [rules.pagination.pointer] if rules.pagination is not None else [],
            "ownership": [rules.ownership.pointer] if rules.ownership is not None else [],
            "window": [rules.window.pointer] if rules.window is not None else [],
        }
        if rule not in found:
            raise ValueError(f"unknown rule {rule!r}")
        return found[rule]

    def read_back_sources(self, target: Operation | None = None) -> list[Operation]:
        """Operations with a read-back rule (to ``target`` when given)."""
        return [
            o for o in self.operations
            if any(target is None or rb.target == target.operation_id for rb in self.rules(o).read_backs)
        ]  # fmt: skip

    @property
    def identity(self) -> Identity | None:
        return next((s.identity for o in self.operations for s in o.schemes if s.identity is not None), None)

    @property
    def scheme(self) -> AuthScheme | None:
        """The scheme a client uses by default: the first the spec's operations accept."""
        return next((s for o in self.operations for s in o.schemes), None)

    def credentials(self, key: str, op: Operation | None = None, scheme: str | None = None) -> Placement:
        """Where ``key`` goes on a request (to ``op``, else to any operation): the scheme named ``scheme``
        when the operation accepts it, else its first accepted scheme."""
        accepted = op.schemes if op is not None and op.schemes else tuple(self.schemes)
        chosen = next((s for s in accepted if s.name == scheme), accepted[0] if accepted else None)
        return chosen.place(key) if chosen is not None else Placement({}, {})

    @property
    def schemes(self) -> list[AuthScheme]:
        """Every scheme the spec's operations accept, each once, in the order they are first named."""
        seen: dict[str, AuthScheme] = {}
        for o in self.operations:
            for s in o.schemes:
                seen.setdefault(s.name, s)
        return list(seen.values())

    def identity_parameters(self, op: Operation, identity: Any) -> dict[str, Any]:
        """``op``'s parameters that carry the caller's identity (bound by x-chatgate-ownership, or named
        as the identity is), each with ``identity``."""
        rule = self.rules(op).ownership
        names = {rule.parameter.name} if rule is not None else set()
        if self.identity is not None and op.parameter(self.identity.name) is not None:
            names.add(self.identity.name)
        return {name: identity for name in names} if identity is not None else {}

    def identity_variable(self) -> str | None:
        """The environment variable that holds the caller's identity (``NARA_USER_ID``), if any."""
        return f"{self.api.upper()}_{self.identity.name.upper()}" if self.identity is not None else None


def _check_links(doc: SpecDoc, ops: dict[str, Operation], rules: dict[str, OperationRules]) -> None:
    for op in ops.values():
        for link in op.links.values():
            if link.operation_id not in ops:
                raise doc.error(
                    f"{link.pointer}/operationId", f"link {link.name}: no operation {link.operation_id!r}"
                )
        for rb in rules[op.operation_id].read_backs:
            target = ops.get(rb.target)
            if target is None:
                raise doc.error(rb.pointer, f"read-back: no operation {rb.target!r}")
            target_rules = rules[target.operation_id]
            if target_rules.pagination is None and target_rules.window is None:
                why = "states neither x-chatgate-pagination nor x-chatgate-window: its rows cannot be found"
                raise doc.error(rb.pointer, f"read-back: {rb.target} {why}")
            for name in rb.parameters:
                if target.parameter(name) is None:
                    raise doc.error(rb.pointer, f"read-back: {rb.target} has no parameter {name!r}")


def build_model(api: str, path: Path) -> ContractModel:
    """The model of the spec at ``path``; SpecError (FILE:LINE) when its extensions or rules are wrong."""
    raw = load_spec_file(path)
    problems = extension_problems(path)
    if problems:
        more = f" (and {len(problems) - 1} more; run chatgate lint)" if len(problems) > 1 else ""
        raise SpecError(f"{problems[0].path}:{problems[0].line or 1}: {problems[0].message}{more}")
    doc = SpecDoc(Path(path), raw)
    ops: dict[str, Operation] = {}
    for p, item in (raw.get("paths") or {}).items():
        for method in HTTP_METHODS:
            if isinstance(item, dict) and isinstance(item.get(method), dict):
                op = build_operation(doc, api, str(p), method)
                ops[op.operation_id] = op
    rules = {op_id: build_rules(doc, op) for op_id, op in ops.items()}
    _check_links(doc, ops, rules)
    info = raw.get("info") or {}
    return ContractModel(api, Path(path), str(info.get("title", api)), str(info.get("version", "")), raw,
                         tuple(ops.values()), rules)  # fmt: skip


@functools.lru_cache(maxsize=16)
def _cached(api: str, path: str, mtime_ns: int) -> ContractModel:
    del mtime_ns  # part of the key only: an edited file is read again
    return build_model(api, Path(path))


_RECHECK_S = 1.0  # how long a model is used before its file's mtime is looked at again
_CURRENT: dict[tuple[str, str], tuple[float, ContractModel]] = {}


def model_for(api: str) -> ContractModel:
    """The model of ``api``'s spec (``--specs DIR`` / ``CHATGATE_SPECS_DIR``, else the shipped one),
    built once per process and file version. Asked on every request the gate judges, so the file is
    looked at (a ``stat``) at most once a second; an edited file is read again."""
    key, now = (api, os.environ.get(SPECS_VARIABLE, "")), time.monotonic()
    found = _CURRENT.get(key)
    if found is not None and now - found[0] < _RECHECK_S:
        return found[1]
    path = spec_path(api)
    try:
        mtime = path.stat().st_mtime_ns
    except OSError as exc:
        raise SpecError(f"{path}: cannot read spec: {exc.strerror or exc}") from None
    model = _cached(api, str(path), mtime)
    _CURRENT[key] = (now, model)
    return model


def require_models(apis: tuple[str, ...] | list[str]) -> dict[str, ContractModel]:
    """The models of ``apis``, each spec first held to the OpenAPI meta-schema: the first problem of
    the first unusable spec is one SpecError line (exit 2), for commands handed specs they did not lint."""
    out = {}
    for api in apis:
        problems = meta_schema_problems(spec_path(api))
        if problems:
            more = f" (and {len(problems) - 1} more; run chatgate lint)" if len(problems) > 1 else ""
            raise SpecError(f"{problems[0]}{more}")
        out[api] = model_for(api)
    return out


SHIPPED_LABEL = "chatgate:specs/"  # the specs chatgate ships, wherever it is installed


def _shown(path: Path) -> str:
    """A spec file as reports name it: ``git:REV:path`` for ``--specs git:REV``; ``chatgate:specs/NAME``
    for the specs chatgate ships (``--specs`` or not), the same from a checkout and from an installed wheel
    whatever the working directory (a report never names a site-packages path); else relative to the
    working directory when inside it, absolute otherwise."""
    label = origin_label(path)
    if label is not None:
        return label
    full, here = path.resolve(), Path.cwd().resolve()
    if full.parent == shipped_specs_dir().resolve():
        return SHIPPED_LABEL + full.name
    return full.relative_to(here).as_posix() if full.is_relative_to(here) else str(full)


def spec_sources(apis: tuple[str, ...] | list[str]) -> list[dict[str, str]]:
    """What a report says about the specs a run used: per API its file and ``info.version`` (and title)."""
    out = []
    for api in apis:
        m = model_for(api)
        out.append({"api": api, "file": _shown(m.path), "title": m.title, "version": m.version})
    return out
