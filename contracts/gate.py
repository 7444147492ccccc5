"""The suite's recording side: one ledger per session, and an HTTP client whose every answer is checked.

Every test records each case a check judged into the session's :class:`~chatgate.gate.ledger.Ledger`
(one tally per API, operation and check, with its wall time; one finding per distinct problem, with up
to three examples). A test fails when it added findings, so ``pytest contracts/`` reads the same as
``chatgate contract``. Every response the custom checks receive is also validated against the spec
(``schema_validation``) and counted as read (``transport``), so no body goes unchecked.
"""

from __future__ import annotations

import json as jsonlib
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
import urllib3.exceptions
from requests.structures import CaseInsensitiveDict

from chatgate.artifacts import scrub
from chatgate.gate.ledger import Ledger
from chatgate.gate.model import Example, Problem, mask_headers
from chatgate.gate.scope import Scope, looks_secret
from contracts.target import Target
from contracts.validation import body_problems

__all__ = ["LEDGER", "Client", "Exchange", "Gate", "session_gate"]


@dataclass
class Exchange:
    """One request and what came back (``cut``: the body broke off; ``error``: no response at all)."""

    operation: str
    method: str
    url: str
    request_headers: dict[str, str]
    request_body: bytes
    status: int = 0
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    cut: bool = False
    error: str | None = None

    @property
    def content_type(self) -> str:
        return (CaseInsensitiveDict(self.headers).get("content-type") or "").split(";")[0].strip().lower()

    def json(self) -> Any:
        try:
            return jsonlib.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            return None


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
        """Seconds since the last lap (or the test's start) on this thread; the work leading to a verdict."""
        now = time.perf_counter()
        last = getattr(self._clock, "last", now)
        self._clock.last = now
        return now - last

    def example(self, method: str, url: str, headers: Mapping[str, str], body: bytes | str | None,
                status: int | None) -> Example:  # fmt: skip
        """A request as a finding shows it: credentials masked, keys scrubbed, the whole body."""
        text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else (body or "")
        masked = mask_headers(dict(headers), self._masked)
        return Example(
            method=method.upper(),
            url=scrub(url, self.secrets),
            headers=tuple((k, scrub(v, self.secrets)) for k, v in masked.items()),
            body=scrub(text, self.secrets),
            status=status or None,
        )

    def _exchange_example(self, exchange: Exchange | None) -> Example | None:
        if exchange is None:
            return None
        ex = exchange
        return self.example(ex.method, ex.url, ex.request_headers, ex.request_body, ex.status)

    def check(
        self,
        api: str,
        operation: str,
        check: str,
        problems: Iterable[Problem],
        exchange: Exchange | None = None,
    ) -> bool:
        """Record one case ``check`` judged: a pass, or one finding per problem. True when it passed."""
        if not self.scope.check_selected(check) or not self.operation_selected(api, operation):
            return True  # a side request (a fixture's setup) to an operation outside the run
        clean = [
            Problem(scrub(p.title, self.secrets), scrub(p.message, self.secrets), p.signature, p.spec_pointer)
            for p in problems
        ]
        example = self._exchange_example(exchange)
        return self.ledger.judged(api, operation, check, clean, example=example, seconds=self.lap())

    def finding(
        self, api: str, operation: str, check: str, title: str, message: str, exchange: Exchange | None = None
    ) -> None:
        self.check(api, operation, check, [Problem(title, message)], exchange)


LEDGER = Ledger()
_GATE: list[Gate] = []


def session_gate() -> Gate:
    """The session's gate (one ledger per pytest session), built on first use."""
    if not _GATE:
        import os

        from contracts.target import scope, second_target, selected_apis, target

        secrets = [os.environ.get(v, "") for v in ("NARA_API_KEY", "NAVIGABLE_API_KEY", "NARA_API_KEY_2")]
        secrets += [target(api).key for api in selected_apis()]
        second = second_target() if "nara" in selected_apis() else None
        secrets += [second.key] if second else []
        _GATE.append(Gate(LEDGER, secrets, scope()))
    return _GATE[0]


_CUT = (requests.RequestException, urllib3.exceptions.HTTPError, OSError)


class Client:
    """``requests`` bound to one target; each response is checked (read whole, schema) before it returns."""

    def __init__(self, gate: Gate, target: Target) -> None:
        self.gate = gate
        self.target = target
        self.http = requests.Session()
        self.extra = dict(gate.scope.headers)

    def close(self) -> None:
        self.http.close()

    def _read(self, exchange: Exchange, prepared: requests.PreparedRequest) -> None:
        """Send and read the whole body (streams too); transport failures become ``cut``/``error``."""
        try:
            response = self.http.send(prepared, stream=True, timeout=(5.0, 20.0), allow_redirects=False)
        except requests.RequestException as exc:
            exchange.error = f"{type(exc).__name__}: {exc}"
            return
        exchange.status, exchange.headers = response.status_code, dict(response.headers)
        chunks: list[bytes] = []
        try:
            for chunk in response.raw.stream(65536, decode_content=False):
                chunks.append(chunk)
        except _CUT:
            exchange.cut = True
        finally:
            response.close()
        exchange.body = b"".join(chunks)

    def _transport(self, exchange: Exchange) -> None:
        problems = []
        if exchange.error is not None:
            problems.append(Problem("no response", exchange.error))
        elif exchange.cut and exchange.content_type != "text/event-stream":
            message = (
                f"{exchange.status} {exchange.content_type}: body broke off after {len(exchange.body)} bytes"
            )
            problems.append(Problem("response body cut short", message))
        self.gate.check(self.target.api, exchange.operation, "transport", problems, exchange)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        data: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        auth: bool = True,
        validate: bool = True,
    ) -> Exchange:
        """One request, read to its end, judged by ``transport`` and (``validate``) ``schema_validation``."""
        all_headers = {**self.extra, **(self.target.auth_headers if auth else {}), **(headers or {})}
        request = requests.Request(
            method.upper(), self.target.url(path), params=params, json=json, data=data, headers=all_headers
        )
        prepared = self.http.prepare_request(request)
        body = prepared.body
        exchange = Exchange(
            operation=f"{method.upper()} {path}",
            method=method.upper(),
            url=str(prepared.url),
            request_headers=dict(prepared.headers),
            request_body=body.encode() if isinstance(body, str) else (body or b""),
        )
        self._read(exchange, prepared)
        self._transport(exchange)
        if validate and exchange.error is None:
            problems = body_problems(
                self.target.api, method, path, exchange.status, exchange.content_type, exchange.body
            )
            if problems is not None:
                self.gate.check(self.target.api, exchange.operation, "schema_validation", problems, exchange)
        return exchange
