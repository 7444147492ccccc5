"""The suite's recording side: one ledger per session, and an HTTP client whose every answer is checked.

Every test records what it checked into the session's :class:`~chatgate.contract.findings.Ledger`
(one tally per API, operation and check; one finding per distinct problem). A test fails when it added
findings, so ``pytest contracts/`` reads the same as ``chatgate contract``. Every response the custom
checks receive is also validated against the spec (``schema_validation``), so no body goes unchecked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import httpx

from chatgate.contract.findings import Finding, Ledger, curl_command, scrub
from contracts.target import Target
from contracts.validation import Problem, body_problems


@dataclass
class Exchange:
    """One request and what came back (``cut``: the body broke off; ``error``: no response at all)."""

    operation: str
    method: str
    url: str
    request_headers: dict[str, str]
    request_body: bytes
    status: int = 0
    headers: httpx.Headers | None = None
    body: bytes = b""
    cut: bool = False
    error: str | None = None

    @property
    def content_type(self) -> str:
        return ((self.headers or httpx.Headers()).get("content-type") or "").split(";")[0].strip().lower()

    @property
    def curl(self) -> str:
        return curl_command(self.method, self.url, self.request_headers, self.request_body)

    def json(self) -> Any:
        import json

        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            return None


class Gate:
    """Records tallies and findings for the session."""

    def __init__(self, ledger: Ledger, secrets: Iterable[str]) -> None:
        self.ledger = ledger
        self.secrets = [s for s in secrets if s]

    def passed(self, api: str, operation: str, check: str) -> None:
        self.ledger.count(api, operation, check)

    def check(
        self,
        api: str,
        operation: str,
        check: str,
        problems: Iterable[Problem],
        exchange: Exchange | None = None,
    ) -> bool:
        """Record one case of ``check``: a pass, or one finding per problem. True when it passed."""
        found = list(problems)
        if not found:
            self.passed(api, operation, check)
            return True
        for problem in found:
            self.finding(api, operation, check, problem.title, problem.message, exchange)
        return False

    def finding(
        self, api: str, operation: str, check: str, title: str, message: str, exchange: Exchange | None = None
    ) -> None:
        curl = exchange.curl if exchange is not None else ""
        status = exchange.status if exchange is not None and exchange.status else None
        self.ledger.add(
            Finding(
                api=api,
                operation=operation,
                check=check,
                title=scrub(title, self.secrets),
                message=scrub(message, self.secrets),
                curl=scrub(curl, self.secrets),
                status=status,
            )
        )


LEDGER = Ledger()
_GATE: list[Gate] = []


def session_gate() -> Gate:
    """The session's gate (one ledger per pytest session), built on first use."""
    if not _GATE:
        import os

        from contracts.target import selected_apis, target

        secrets = [os.environ.get("NARA_API_KEY", ""), os.environ.get("NAVIGABLE_API_KEY", "")]
        secrets += [target(api).key for api in selected_apis()]
        _GATE.append(Gate(LEDGER, secrets))
    return _GATE[0]


class Client:
    """httpx bound to one target; each response is validated against the spec before it is returned."""

    def __init__(self, gate: Gate, target: Target) -> None:
        self.gate = gate
        self.target = target
        self.http = httpx.Client(timeout=httpx.Timeout(20.0, connect=5.0))

    def close(self) -> None:
        self.http.close()

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
        """Send and read the whole body (streams too); transport failures become ``cut``/``error``."""
        all_headers = {**(self.target.auth_headers if auth else {}), **(headers or {})}
        request = self.http.build_request(
            method, self.target.url(path), params=params, json=json, data=data, headers=all_headers
        )
        exchange = Exchange(
            operation=f"{method.upper()} {path}",
            method=method.upper(),
            url=str(request.url),
            request_headers=dict(request.headers),
            request_body=request.content,
        )
        self.gate.ledger.sent(self.target.api, exchange.operation)
        try:
            response = self.http.send(request, stream=True)
        except httpx.HTTPError as exc:
            exchange.error = f"{type(exc).__name__}: {exc}"
            self.gate.finding(
                self.target.api, exchange.operation, "transport", "no response", exchange.error, exchange
            )
            return exchange
        exchange.status, exchange.headers = response.status_code, response.headers
        chunks: list[bytes] = []
        try:
            for chunk in response.iter_raw():
                chunks.append(chunk)
        except httpx.HTTPError:
            exchange.cut = True
        finally:
            response.close()
        exchange.body = b"".join(chunks)
        if exchange.cut and exchange.content_type != "text/event-stream":
            self.gate.finding(
                self.target.api,
                exchange.operation,
                "transport",
                "response body cut short",
                f"{exchange.status} {exchange.content_type}: body broke off after {len(exchange.body)} bytes",
                exchange,
            )
        if validate:
            problems = body_problems(
                self.target.api, method, path, exchange.status, exchange.content_type, exchange.body
            )
            self.gate.check(self.target.api, exchange.operation, "schema_validation", problems, exchange)
        return exchange
