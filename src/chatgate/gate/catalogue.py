"""Every check the gate can run, what it holds, and why it may have judged nothing.

Two kinds: chatgate's own checks (run by the suite's tests and on every schemathesis case) and
schemathesis 4.32's built-in checks (its default set). ``--checks`` / ``--exclude-checks`` take these
names; an unknown name is exit 2 with this list. A check that judged no case in a run is reported
``not_run`` with a reason: the suite's own (e.g. "needs a second key"), or :attr:`Check.idle_reason`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["CHECKS", "OWN_CHECKS", "SCHEMATHESIS_CHECKS", "Check", "describe"]


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    description: str
    idle_reason: str  # why a run may have given it nothing to judge
    writes: bool = False  # judging it needs the run to create messages
    apis: tuple[str, ...] = ("nara", "navigable")  # the APIs it applies to


NARA = ("nara",)
_OWN = [
    Check(
        "schema_validation",
        "Every response body and every SSE event validates (jsonschema) against the spec; each violation "
        "names its JSON path and the violated schema keyword.",
        "no response with a documented status and media type was received",
    ),
    Check(
        "stream_grammar",
        "message_start, then delta*, then exactly one terminal event (message_end or error), nothing after "
        "it; each event's type equals its name; delta indexes run from 0 without gaps.",
        "no streaming operation selected (or no 200 text/event-stream answer)",
        writes=True,
        apis=NARA,
    ),
    Check(
        "stream_mode",
        "stream: true answers text/event-stream and stream: false (or absent) answers JSON, whatever "
        "Accept says.",
        "no streaming operation selected",
        writes=True,
        apis=NARA,
    ),
    Check(
        "stream_equivalence",
        "The streamed content equals the non-streamed reply to the same input, and the reply is read back "
        "from the listing (read-after-write).",
        "no streaming operation selected",
        writes=True,
        apis=NARA,
    ),
    Check(
        "pagination",
        "rows_per_page respected; pages disjoint and complete; order matches sort_by; totals consistent; a "
        "page past the end is 200 with empty data.",
        "the Nara listing is not selected",
        apis=NARA,
    ),
    Check(
        "ownership",
        "One key cannot read another user's messages (403), and a listing holds only its user's.",
        "the Nara listing is not selected",
        apis=NARA,
    ),
    Check(
        "navigable_read",
        "At most 20 messages, oldest first, the latest ones; documented envelope on 200/400/401; "
        "identifier accepted alike in query, JSON body and urlencoded body.",
        "the Navigable read is not selected",
        apis=("navigable",),
    ),
    Check(
        "auth",
        "Missing or wrong credentials give 401 in the API's error envelope on every operation.",
        "no operation selected",
    ),
    Check(
        "transport",
        "The response could be read at all (no reset connection, no truncated body).",
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
