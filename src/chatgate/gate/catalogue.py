"""Every check the gate can run, what it holds, and why it may have judged nothing.

Two kinds: chatgate's own checks (run by the suite's tests and on every schemathesis case) and
schemathesis 4.32's built-in checks (its default set). ``--checks`` / ``--exclude-checks`` take these
names; an unknown name is exit 2 with this list. A check that judged no case in a run is reported
``not_run`` with a reason: the suite's own (e.g. "needs a second key"), or :attr:`Check.idle_reason`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "CHECKS",
    "JUDGEMENTS",
    "OWN_CHECKS",
    "PRECEDENCE",
    "SCHEMATHESIS_CHECKS",
    "Check",
    "describe",
    "precedence",
]


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    description: str
    idle_reason: str  # why a run may have given it nothing to judge
    writes: bool = False  # judging it needs the run to create messages
    rule: str | None = None  # the spec rule it judges (stream, read-back, pagination, ownership, window):
    # it applies to an API whose spec states that rule (chatgate.contract_model.ContractModel.states)


_OWN = [
    Check(
        "schema_validation",
        "Every response body and every SSE event validates (jsonschema) against the spec; each violation "
        "names its JSON path and the violated schema keyword.",
        "no response with a documented status and media type was received",
    ),
    Check(
        "stream_grammar",
        "Every stream follows the grammar its spec states (x-chatgate-stream): an opening event first, "
        "exactly one terminal event last and nothing after it; each event's data repeats its name; the "
        "content event's index runs from 0 without gaps; events carrying the link field agree on it.",
        "no selected operation states a stream (or no 2xx text/event-stream answer came)",
        writes=True,
        rule="stream",
    ),
    Check(
        "stream_mode",
        "The request field that selects the stream (x-chatgate-stream select) answers text/event-stream "
        "when set, and the JSON form when set otherwise or absent, whatever Accept says.",
        "no selected operation states a stream",
        writes=True,
        rule="stream",
    ),
    Check(
        "stream_stalled",
        "Every stream sends an event at least every --stream-idle-timeout (comments such as ': ping' do not "
        "count) and ends within --stream-timeout; the partial stream is shown when it does not.",
        "no selected operation states a stream (or no 2xx text/event-stream answer came)",
        writes=True,
        rule="stream",
    ),
    Check(
        "stream_equivalence",
        "A streamed reply equals its own stored copy as the spec's read-back rules state it "
        "(x-chatgate-read-back), and a reply of the other form its own. With --deterministic-replies, the "
        "streamed content also equals the other form's reply to the same input.",
        "no selected streamed operation states a read-back rule",
        writes=True,
        rule="read-back",
    ),
    Check(
        "pagination",
        "Pages as the spec's pagination rule states (x-chatgate-pagination): the page size respected; "
        "pages disjoint and complete; order matches the sort value; totals consistent; a page past the end "
        "empty. Judged on histories of any length (at most 12 pages per walk: the first, middle and last "
        "pages) and while others append rows.",
        "no selected operation states a pagination rule",
        rule="pagination",
    ),
    Check(
        "ownership",
        "One key cannot read another identity's rows (the status x-chatgate-ownership states), and a "
        "listing holds only its own identity's.",
        "no selected operation states an ownership rule",
        rule="ownership",
    ),
    Check(
        "ownership_cross_user",
        "With a second identity: neither reads the other's rows, and neither listing holds what the other "
        "stored.",
        "needs a second key (NARA_API_KEY_2 and NARA_USER_ID_2)",
        rule="ownership",
    ),
    Check(
        "navigable_read",
        "Window reads as x-chatgate-window states them: at most the window's size, the latest rows, in the "
        "stated order, what a send stored listed in order; a parameter the spec lets a body carry reads the "
        "same rows from each body form; the documented 400 (naming the field) and 401.",
        "no selected operation states a window rule",
        rule="window",
    ),
    Check(
        "auth",
        "Missing or wrong credentials, and the right key where the spec does not put it (bare, under "
        "another scheme, in the query string), give 401 in the API's error envelope on every operation.",
        "no operation selected",
    ),
    Check(
        "transport",
        "The response could be read at all (no reset connection, no truncated or undecodable body), "
        "whole within --request-timeout.",
        "no request was sent",
    ),
]

_ST = [
    ("not_a_server_error", "No 5xx answer.", "no response was received"),
    (
        "status_code_conformance",
        "The status code is documented for the operation.",
        "every response was a request-shape probe",
    ),
    (
        "content_type_conformance",
        "The Content-Type is documented for the status.",
        "no response with a documented media type was received",
    ),
    (
        "response_headers_conformance",
        "Documented response headers are present and valid (e.g. Retry-After on 429).",
        "no response whose status documents headers was received",
    ),
    (
        "response_schema_conformance",
        "The body (every event of a stream) validates against the documented schema.",
        "no response with a documented schema was received",
    ),
    (
        "negative_data_rejection",
        "Invalid input (negative cases) is refused with 4xx.",
        "no negative case was sent (--mode positive?)",
    ),
    (
        "positive_data_acceptance",
        "Valid input (positive cases) is accepted with 2xx.",
        "no positive case was sent (--mode negative?)",
    ),
    (
        "missing_required_header",
        "A request missing a required header is refused.",
        "no operation requires a header other than its credentials",
    ),
    (
        "unsupported_method",
        "A method the path does not document is refused with 405 and an Allow header.",
        "no undocumented-method probe was sent",
    ),
    (
        "allow_header_conformance",
        "An Allow header lists exactly the documented methods.",
        "no OPTIONS response carried an Allow header",
    ),
    (
        "use_after_free",
        "A resource deleted in a stateful chain is gone (404).",
        "judges reads after a DELETE in a stateful chain; neither spec has a DELETE operation",
    ),
    (
        "ensure_resource_availability",
        "A resource created in a stateful chain can be read at once.",
        "judges only a 404 right after a creating POST linked to the read (stateful chains)",
    ),
    (
        "ignored_auth",
        "An operation that declares security refuses requests without (or with invalid) credentials.",
        "no 2xx answer of an operation with security was received",
    ),
    (
        "object_level_authorization",
        "One identity cannot read what another identity owns.",
        "needs a second key (NARA_API_KEY_2 and NARA_USER_ID_2)",
    ),
]

OWN_CHECKS: Mapping[str, Check] = {c.name: c for c in _OWN}
SCHEMATHESIS_CHECKS: Mapping[str, Check] = {name: Check(name, text, idle) for name, text, idle in _ST}
CHECKS: Mapping[str, Check] = {**OWN_CHECKS, **SCHEMATHESIS_CHECKS}


def describe(name: str) -> str:
    check = CHECKS.get(name)
    return check.description if check else "a check of the suite"


# When several checks saw one defect (they judged the same exchanges), the finding is the first of them in
# this order, the others listed as agreeing (chatgate.gate.ledger): the cause before its consequences (a
# server error, an answer that cannot be read, a stream that stalled), then whom a request may act as,
# then what came back (status, media type, the body against its schema, the stream's grammar), then the
# behaviour the spec's rules state, then what the request sent should have got.
PRECEDENCE: tuple[str, ...] = (
    "not_a_server_error",
    "transport",
    "stream_stalled",
    "auth",
    "ignored_auth",
    "ownership",
    "ownership_cross_user",
    "object_level_authorization",
    "status_code_conformance",
    "content_type_conformance",
    "schema_validation",
    "response_schema_conformance",
    "response_headers_conformance",
    "stream_grammar",
    "stream_mode",
    "stream_equivalence",
    "pagination",
    "navigable_read",
    "negative_data_rejection",
    "positive_data_acceptance",
    "missing_required_header",
    "unsupported_method",
    "allow_header_conformance",
    "use_after_free",
    "ensure_resource_availability",
)


# Checks whose problems on one exchange (one walk, one stream, one read-back) are symptoms of one defect:
# a page past the end that is not empty and pages that overlap, after a size was ignored. Two problems of
# another check on one exchange are two defects (two fields of a body, each wrong its own way).
JUDGEMENTS: frozenset[str] = frozenset(OWN_CHECKS) - {"schema_validation"}


def precedence(check: str) -> int:
    """A check's rank in :data:`PRECEDENCE` (lower first; a check not listed comes last)."""
    return PRECEDENCE.index(check) if check in PRECEDENCE else len(PRECEDENCE)
