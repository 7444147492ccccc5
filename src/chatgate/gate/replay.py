"""Is a finding intermittent? Replay its request once and judge the answer again.

A finding seen in k of n judged responses (k < n) may be the API's rule or a fluke; only a replay tells.
For a finding whose evidence is an idempotent request (GET, HEAD, OPTIONS: replaying it changes nothing)
and whose check can be judged on one answer alone (a 5xx, an undocumented status or media type, a body
against its documented schema), the request is sent again exactly as recorded (its key references
filled from the run's keys) and the answer judged by the same rule: when it passes, the finding is marked
``intermittent``. Findings of other checks (a walk of pages, a read-back) are never marked: a single
replay cannot judge them. At most :data:`MAX_REPLAYS` per run, each within :data:`TIMEOUT_S`. What a
replay got is an answer the run received: the coverage counts it as seen.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import replace

import httpx

from chatgate.contract_model import ContractModel, model_for
from chatgate.gate.ledger import SuiteRecord
from chatgate.gate.model import Example, Finding
from chatgate.specs import schema_validator

__all__ = ["MAX_REPLAYS", "REPLAYABLE", "expand", "replay_findings"]

MAX_REPLAYS = 20
TIMEOUT_S = 10.0
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS"})
_BASIC = re.compile(r"\$\(printf '%s:' \"\$\{([A-Z][A-Z0-9_]*)\}\" \| base64\)")
_VAR = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")

Judge = Callable[[ContractModel, str, httpx.Response], bool]  # (model, operation label, answer) -> passes


def expand(text: str, keys: Mapping[str, str]) -> str:
    """``text`` with the key references a finding holds filled in (a missing variable stays as it is)."""
    text = _BASIC.sub(
        lambda m: (
            base64.b64encode(f"{keys[m.group(1)]}:".encode()).decode() if m.group(1) in keys else m.group(0)
        ),
        text,
    )
    return _VAR.sub(lambda m: keys.get(m.group(1), m.group(0)), text)


def _media(answer: httpx.Response) -> str:
    return str(answer.headers.get("content-type", "")).split(";")[0].strip().lower()


def _status_documented(model: ContractModel, label: str, answer: httpx.Response) -> bool:
    op = model.by_label(label)
    return op is not None and op.response(answer.status_code) is not None


def _media_documented(model: ContractModel, label: str, answer: httpx.Response) -> bool:
    op = model.by_label(label)
    return op is not None and op.media(answer.status_code, _media(answer)) is not None


def _body_valid(model: ContractModel, label: str, answer: httpx.Response) -> bool:
    op = model.by_label(label)
    pointer = model.schema(op, answer.status_code, _media(answer)) if op is not None else None
    if pointer is None or op is None or op.media(answer.status_code, _media(answer)).stream is not None:  # type: ignore[union-attr]
        return False  # nothing to judge it by (or a stream: the grammar's to judge)
    try:
        doc = json.loads(answer.content)
    except ValueError:
        return False
    return bool(schema_validator(model.spec, f"#{pointer}").is_valid(doc))


REPLAYABLE: dict[str, Judge] = {
    "not_a_server_error": lambda _m, _l, answer: answer.status_code < 500,
    "status_code_conformance": _status_documented,
    "content_type_conformance": _media_documented,
    "schema_validation": _body_valid,
    "response_schema_conformance": _body_valid,
}


def _replay(example: Example, keys: Mapping[str, str], client: httpx.Client) -> httpx.Response | None:
    headers = {k: expand(v, keys) for k, v in example.headers if k.lower() not in ("content-length", "host")}
    try:
        return client.request(example.method, expand(example.url, keys), headers=headers,
                              content=expand(example.body, keys) or None)  # fmt: skip
    except httpx.HTTPError:
        return None


def _candidate(f: Finding, record: SuiteRecord) -> bool:
    tally = record.tallies.get((f.api, f.operation, f.check))
    judged = tally.cases if tally is not None else 0
    return (
        f.check in REPLAYABLE
        and bool(f.examples)
        and f.examples[0].method.upper() in IDEMPOTENT
        and f.occurrences < judged
    )


def replay_findings(record: SuiteRecord, keys: Mapping[str, str], verify: bool | object) -> SuiteRecord:
    """``record`` with the findings whose replay passed marked ``intermittent`` (``keys``: variable ->
    key of the run; ``verify``: an ``ssl.SSLContext`` or a bool, as the run's TLS settings say)."""
    picks = [f for f in record.findings if _candidate(f, record)][:MAX_REPLAYS]
    if not picks:
        return record
    marked: dict[str, Finding] = {}
    answers = []  # what the replays got: answers the run received, as the coverage counts them
    with httpx.Client(timeout=TIMEOUT_S, verify=verify, follow_redirects=False) as client:  # type: ignore[arg-type]
        for f in picks:
            answer = _replay(f.examples[0], keys, client)
            if answer is not None:
                answers.append((f.api, f.operation, answer.status_code, _media(answer)))
            if answer is not None and REPLAYABLE[f.check](model_for(f.api), f.operation, answer):
                marked[f.fingerprint] = replace(f, intermittent=True)
    findings = tuple(marked.get(f.fingerprint, f) for f in record.findings)
    return replace(record, findings=findings, coverage=record.coverage.with_seen(answers))
