"""The suite's recording side: one ledger per session, the test each record belongs to, and examples.

Every test records each case a check judged into the session's :class:`~chatgate.gate.ledger.Ledger`
(one tally per API, operation and check, with its wall time; one finding per distinct problem, with up
to three examples). A test fails when it added findings, so ``pytest contracts/`` reads the same as
``chatgate contract``. Tests run at once (``contracts.pool``), so each record names its test from the
context it runs in (:data:`CURRENT_TEST`), whatever thread records it.
"""

from __future__ import annotations

import contextvars
import os
import threading
import time
from collections.abc import Iterable, Mapping

from chatgate.artifacts import scrub
from chatgate.gate.ledger import Ledger
from chatgate.gate.model import Example, Problem, mask_headers
from chatgate.gate.scope import Scope, looks_secret

__all__ = ["CURRENT_TEST", "LEDGER", "RESPONSE_EXCERPT", "Gate", "session_gate"]

CURRENT_TEST: contextvars.ContextVar[str] = contextvars.ContextVar("chatgate_test", default="")
RESPONSE_EXCERPT = 4000  # characters of an answer kept with an example


class Gate:
    """Records judged cases and findings for the session; keeps a per-thread stopwatch for their times."""

    def __init__(self, ledger: Ledger, secrets: Iterable[str], scope: Scope) -> None:
        self.ledger = ledger
        self.scope = scope
        self.secrets = [s for s in secrets if s] + scope.secrets
        self._masked = frozenset(k.lower() for k, _ in scope.headers if looks_secret(k))
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
        return scrub(text, self.secrets)

    def example(self, method: str, url: str, headers: Mapping[str, str], body: bytes | str | None,
                status: int | None, response: bytes | str = b"") -> Example:  # fmt: skip
        """A request as a finding shows it: credentials masked, keys scrubbed, the whole body; and the
        start of what came back."""
        text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else (body or "")
        answer = response.decode("utf-8", errors="replace") if isinstance(response, bytes) else response
        if len(answer) > RESPONSE_EXCERPT:
            answer = answer[:RESPONSE_EXCERPT] + f"\n[... {len(answer) - RESPONSE_EXCERPT} more characters]"
        masked = mask_headers(dict(headers), self._masked)
        return Example(
            method=method.upper(),
            url=self.scrub(url),
            headers=tuple((k, self.scrub(v)) for k, v in masked.items()),
            body=self.scrub(text),
            status=status or None,
            response=self.scrub(answer),
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
    ) -> bool:
        """Record one case ``check`` judged (scrubbed, timed, attributed to the current test)."""
        clean = [
            Problem(self.scrub(p.title), self.scrub(p.message), p.signature, p.spec_pointer) for p in problems
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
        )

    def check(
        self,
        api: str,
        operation: str,
        check: str,
        problems: Iterable[Problem],
        example: Example | None = None,
    ) -> bool:
        """Record one case ``check`` judged when the check and operation are in scope. True: it passed."""
        if not self.scope.check_selected(check) or not self.operation_selected(api, operation):
            return True  # a side request (a fixture's setup) to an operation outside the run
        return self.judged(api, operation, check, problems, example)

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

            secrets = [os.environ.get(v, "") for v in ("NARA_API_KEY", "NAVIGABLE_API_KEY", "NARA_API_KEY_2")]
            secrets += [target(api).key for api in selected_apis()]
            second = second_target()
            secrets += [second.key] if second else []
            _GATE.append(Gate(LEDGER, secrets, scope()))
        return _GATE[0]
