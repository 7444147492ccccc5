"""Which gate findings a compatible spec change explains.

Run the gate with the previous release's specs against a new deployment (``chatgate contract --specs
git:v1.2.0``: old clients' view) and it fails wherever the deployment sends what the old spec did not
promise. Some of that is a change ``chatgate diff`` classes as a warning or non-breaking: a field added
to a schema that refuses unknown fields, an enum value or a looser limit in a response, a newly
documented status. Such a finding is *explained* (listed, not failing); a finding no such change
explains still fails, so a behaviour change the schemas cannot show is caught.

A finding is given by what the gate knows of it (:class:`FindingKey`): the API, the operation, the spec
pointer of the violated keyword in the OLD spec, and the status. It is explained by a warning or
non-breaking change of the same operation whose OLD side stands on the same schema and whose rule is one
that keyword's violation follows from.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from chatgate.diff.model import NON_BREAKING, WARNING, Change
from chatgate.diff.runner import run_diff

__all__ = ["FindingKey", "explain", "explain_findings"]

_LIMITS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength",
           "minItems", "maxItems", "pattern", "format", "multipleOf")  # fmt: skip
# violated keyword -> the tails of the rules (response.schema.* and stream.data.*) it follows from
_FOLLOWS: dict[str, tuple[str, ...]] = {
    "additionalProperties": ("field-added-strict", "opened"),
    "unevaluatedProperties": ("field-added-strict", "opened"),
    "enum": ("enum-widened",),
    "const": ("enum-widened",),
    **{k: ("limit-loosened",) for k in _LIMITS},
}


@dataclass(frozen=True, slots=True)
class FindingKey:
    """A gate finding as the diff sees it (``key``: the gate's fingerprint, handed back)."""

    key: str
    api: str
    operation: str
    spec_pointer: str | None
    status: int | None


def _parent(pointer: str) -> str:
    return pointer.rsplit("/", 1)[0] if "/" in pointer else ""


def _follows(c: Change, f: FindingKey) -> bool:
    if c.cls not in (WARNING, NON_BREAKING) or (c.operations and f.operation not in c.operations):
        return False
    if c.spec.split(".")[0] != f.api:
        return False
    if c.rule == "response.status.added" and f.status is not None:
        return c.subject == str(f.status)
    if not f.spec_pointer or c.old is None:
        return False
    keyword = f.spec_pointer.rsplit("/", 1)[-1]
    tails = _FOLLOWS.get(keyword, ())
    area, _, tail = c.rule.rpartition(".")
    if area not in ("response.schema", "stream.data") or tail not in tails:
        return False
    schema = _parent(f.spec_pointer)
    return schema in (c.old.pointer, _parent(c.old.pointer))


def explain(changes: Iterable[Change], finding: FindingKey) -> Change | None:
    """The compatible change that explains ``finding``, or None."""
    return next((c for c in changes if _follows(c, finding)), None)


def explain_findings(old: str, new: Path, findings: Iterable[FindingKey]) -> dict[str, str]:
    """Finding key -> why it is explained, for the findings a compatible change from ``old`` (a folder or
    ``git:REV[:PATH]``, the specs the gate ran with) to ``new`` (the specs of this release) explains."""
    changes = run_diff(old, str(new)).changes
    out = {}
    for f in findings:
        c = explain(changes, f)
        if c is not None:
            out[f.key] = f"explained by {c.cls} change {c.rule} ({c.fingerprint}): {c.message}"
    return out
