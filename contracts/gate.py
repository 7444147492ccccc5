"""The suite's recording side: one ledger per session, the test each record belongs to, and examples.

Every test records each case a check judged into the session's :class:`~chatgate.gate.ledger.Ledger`
(one tally per API, operation and check, with its wall time; one finding per distinct problem, with up
to three examples). A test fails when it added findings, so ``pytest contracts/`` reads the same as
``chatgate contract``. Tests run at once (``contracts.pool``), so each record names its test from the
context it runs in (:data:`CURRENT_TEST`), whatever thread records it.
"""

from __future__ import annotations

import base64
import contextvars
import hashlib
import os
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import replace
from urllib.parse import quote, quote_plus

from chatgate.apis import API_NAMES, key_variable
from chatgate.artifacts import scrub
from chatgate.gate.ledger import Ledger
from chatgate.gate.model import Example, Problem, mask_headers
from chatgate.gate.reproduce import base64_ref
from chatgate.gate.scope import Scope, looks_secret
from contracts.failures import NOT_A_SERVER_ERROR, server_error
from contracts.pointers import rule_pointer
from contracts.rules import rule_pointers

__all__ = ["CURRENT_TEST", "LEDGER", "RESPONSE_EXCERPT", "Gate", "session_gate"]

CURRENT_TEST: contextvars.ContextVar[str] = contextvars.ContextVar("chatgate_test", default="")
RESPONSE_EXCERPT = 4000  # characters of an answer kept with an example


def _forms(key: str, var: str) -> list[tuple[str, str]]:
    """(form, its reference): the ways a key can appear in a request as sent (as is, URL-encoded, as
    Basic credentials), each with what stands for it in a finding."""
    ref = "${" + var + "}"
    basic = base64.b64encode(f"{key}:".encode()).decode()
    forms = {basic: base64_ref(ref), key: ref, quote(key, safe=""): ref, quote_plus(key): ref}
    return sorted(forms.items(), key=lambda kv: len(kv[0]), reverse=True)


def exchange_id(
    method: str, url: str, body: bytes | str | None, status: int | None, response: bytes | str
) -> str:
    """One HTTP exchange's identity (the request as sent and the whole answer): every check that judged
    it names the same exchange, so the ledger can tell one defect seen by several checks."""
    digest = hashlib.sha256()
    for part in (method.upper(), url, body or b"", str(status or ""), response or b""):
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\x1f")
    return digest.hexdigest()[:20]


class Gate:
    """Records judged cases and findings for the session; keeps a per-thread stopwatch for their times.

    ``keys``: the variables that hold the run's keys and their values. In what a finding shows, a key
    is written as a reference to its variable (``${NARA_API_KEY}``; its Basic-credentials form as the
    Base64 of ``${NARA_API_KEY}:``), so the reproducer runs as printed with the user's own environment
    and no key is ever written; other secrets (secret-looking ``-H`` values) are masked."""

    def __init__(self, ledger: Ledger, keys: Mapping[str, str], scope: Scope) -> None:
        self.ledger = ledger
        self.scope = scope
        self.keys = {var: value for var, value in keys.items() if value and len(value) >= 4}
        self.secrets = list(self.keys.values()) + scope.secrets
        # every form of every key and what stands for it, longest first, computed once (scrub runs on
        # every header, URL and body of every example)
        forms = [pair for var, key in self.keys.items() for pair in _forms(key, var)]
        self._forms = sorted(forms, key=lambda kv: len(kv[0]), reverse=True)
        self._masked = frozenset(k.lower() for k, _ in scope.headers if looks_secret(k))
        self._server_errors: set[str] = set()
        self._errors_lock = threading.Lock()
        self._clock = threading.local()
        self._selected: dict[str, frozenset[str]] = {}

    def operation_selected(self, api: str, operation: str) -> bool:
        if api not in self._selected:
            from contracts.target import selected_operations

            self._selected[api] = frozenset(selected_operations(api))
        return operation in self._selected[api]

    def restart_clock(self) -> None:
        self._clock.last = time.perf_counter()

    def lap(self) -> float:
        """Seconds since the last lap (or the task's start) on this thread; the work leading to a verdict."""
        now = time.perf_counter()
        last = getattr(self._clock, "last", now)
        self._clock.last = now
        return now - last

    def scrub(self, text: str) -> str:
        """``text`` with each key replaced by a reference to its variable, and other secrets masked."""
        for form, ref in self._forms:
            if form in text:
                text = text.replace(form, ref)
        return scrub(text, self.secrets)

    def example(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes | str | None,
        status: int | None,
        response: bytes | str = b"",
        response_type: str = "",
    ) -> Example:
        """A request as a finding shows it (the whole body; keys as references to their variables) and
        the start of what came back; ``exchange`` identifies the exchange itself."""
        text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else (body or "")
        answer = response.decode("utf-8", errors="replace") if isinstance(response, bytes) else response
        if len(answer) > RESPONSE_EXCERPT:
            answer = answer[:RESPONSE_EXCERPT] + f"\n[... {len(answer) - RESPONSE_EXCERPT} more characters]"
        masked = mask_headers(dict(headers), self._masked, keys_referenced=True)
        return Example(
            method=method.upper(),
            url=self.scrub(url),
            headers=tuple((k, self.scrub(v)) for k, v in masked.items()),
            body=self.scrub(text),
            status=status or None,
            response=self.scrub(answer),
            exchange=exchange_id(method, url, body, status, response),
            response_type=response_type.split(";")[0].strip().lower(),
        )

    def judged(
        self,
        api: str,
        operation: str,
        check: str,
        problems: Iterable[Problem],
        example: Example | None = None,
        *,
        code: str | None = None,
        seconds: float | None = None,
        also: Iterable[Example] = (),
        rules: Iterable[str] | None = None,
    ) -> bool:
        """Record one case ``check`` judged (scrubbed, timed, attributed to the current test). A 5xx answer
        is the server's error, whatever the check looked for: it is recorded as ``not_a_server_error``
        (one root cause, one finding), and ``check`` judged nothing in it. ``rules``: the pointers of the
        spec rules the judgement applied (default: the operation's rules of the kind ``check`` judges)."""
        if (
            example is not None
            and (example.status or 0) >= 500
            and self.scope.check_selected(NOT_A_SERVER_ERROR)
        ):
            if check != NOT_A_SERVER_ERROR or not list(problems):
                return self.server_error(api, operation, example)
            if not self._first_server_error(example):
                return False  # this exchange's 5xx is recorded already
        problems = list(problems)
        lacking = any(p.spec_pointer is None for p in problems)
        status = example.status if example else None
        default = rule_pointer(api, operation, check, status) if lacking else None
        clean = [
            replace(
                p,
                title=self.scrub(p.title),
                message=self.scrub(p.message),
                spec_pointer=p.spec_pointer or default,
            )
            for p in problems
        ]
        return self.ledger.judged(
            api,
            operation,
            check,
            clean,
            example=example,
            seconds=self.lap() if seconds is None else seconds,
            code=code,
            test=CURRENT_TEST.get(),
            exchanges=[e.exchange for e in also],
            rules=rule_pointers(api, operation, check) if rules is None else rules,
        )

    def _first_server_error(self, example: Example) -> bool:
        """Whether this is the first time the 5xx of ``example``'s exchange is recorded."""
        with self._errors_lock:
            if example.exchange in self._server_errors:
                return False
            self._server_errors.add(example.exchange)
            return True

    def server_error(self, api: str, operation: str, example: Example) -> bool:
        """Record a 5xx answer as ``not_a_server_error`` (what schemathesis' check records for one), once
        per exchange whichever check met it first."""
        if not self._first_server_error(example):
            return False
        problem = server_error(operation, example.status or 500)
        problem = Problem(problem.title, problem.message, problem.signature,
                          rule_pointer(api, operation, NOT_A_SERVER_ERROR))  # fmt: skip
        return self.ledger.judged(
            api, operation, NOT_A_SERVER_ERROR, [problem], example=example, seconds=self.lap(),
            code="ST101", test=CURRENT_TEST.get(),
        )  # fmt: skip

    def check(
        self,
        api: str,
        operation: str,
        check: str,
        problems: Iterable[Problem],
        example: Example | None = None,
        also: Iterable[Example] = (),
        rules: Iterable[str] | None = None,
    ) -> bool:
        """Record one case ``check`` judged when the check and operation are in scope (``also``: the other
        exchanges the judgement read; ``rules``: the spec rules it applied, see :meth:`judged`). True: it
        passed."""
        if not self.scope.check_selected(check) or not self.operation_selected(api, operation):
            return True  # a side request (a fixture's setup) to an operation outside the run
        return self.judged(api, operation, check, problems, example, also=also, rules=rules)

    def finding(
        self, api: str, operation: str, check: str, title: str, message: str, example: Example | None = None
    ) -> None:
        self.check(api, operation, check, [Problem(title, message)], example)


LEDGER = Ledger()
_GATE: list[Gate] = []
_GATE_LOCK = threading.Lock()


def session_gate() -> Gate:
    """The session's gate (one ledger per pytest session), built on first use."""
    with _GATE_LOCK:
        if not _GATE:
            from contracts.target import scope, second_target, selected_apis, target

            keys = {f"{key_variable(api)}{n}": os.environ.get(f"{key_variable(api)}{n}", "")
                    for api in API_NAMES for n in ("", "_2")}  # fmt: skip
            keys.update({key_variable(api): target(api).key for api in selected_apis()})
            second = second_target()
            if second is not None:
                keys[f"{key_variable(second.api)}_2"] = second.key
            _GATE.append(Gate(LEDGER, keys, scope()))
        return _GATE[0]
