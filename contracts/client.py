"""The gate's own HTTP client: ``requests`` bound to one target, every answer read whole and checked.

Each request goes through the suite's one transport (``contracts.transport``: decoding, deadlines,
retries, the rate limit, counting), with the proxies ``requests`` reads from the environment. What comes
back is an :class:`Exchange`; before it is returned it is judged by ``transport`` (it could be read),
``stream_stalled`` (a stream ended in time) and ``schema_validation`` (its body, or every event of its
stream, against the spec). One ``requests.Session`` per thread, so a client is shared by every test.
"""

from __future__ import annotations

import json as jsonlib
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import requests
import requests.adapters
from requests.structures import CaseInsensitiveDict

from chatgate.contract_model import Operation, model_for
from chatgate.gate.model import Example, Problem
from contracts.gate import Gate
from contracts.target import Target
from contracts.transport import wire_of
from contracts.validation import body_problems
from contracts.wire import Wire

__all__ = [
    "Client",
    "Exchange",
    "http_session",
    "stall_problems",
    "transport_problems",
]


def http_session(pool_size: int) -> requests.Session:
    """A ``requests`` session for one worker thread (proxies and CA bundles from the environment, as
    ``requests`` reads them; see ``contracts.conftest._keep_current_test_variable`` for why that is safe
    from many threads)."""
    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_maxsize=pool_size)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


@dataclass
class Exchange:
    """One request and what came back (``error``: no usable answer at all)."""

    operation: str
    method: str
    url: str
    request_headers: dict[str, str]
    request_body: bytes
    status: int = 0
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    error: str | None = None
    wire: Wire | None = None

    @property
    def content_type(self) -> str:
        return (CaseInsensitiveDict(self.headers).get("content-type") or "").split(";")[0].strip().lower()

    @property
    def cut(self) -> bool:
        return self.wire is not None and self.wire.cut

    @property
    def whole(self) -> bool:
        """The body was read to its real end (not cut, stalled or capped)."""
        return self.error is None and (self.wire is None or self.wire.complete)

    def json(self) -> Any:
        try:
            return jsonlib.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            return None


def transport_problems(wire: Wire | None, error: str | None, status: int, content_type: str) -> list[Problem]:
    """``transport``: the answer could be read at all, to its end, and decoded."""
    if error is not None:
        if error.startswith("DeadlineExceeded"):
            return [Problem("answer not whole in time", error)]
        return [Problem("no response", error)]
    if wire is None:
        return []
    problems = []
    if wire.cut:
        message = f"{status} {content_type}: the connection broke off after {len(wire.raw)} bytes"
        problems.append(Problem("connection broke off mid-response", message))
    if wire.decode_error:
        problems.append(Problem("body cannot be decoded", f"Content-Encoding {wire.decode_error}"))
    return problems


def stall_problems(wire: Wire) -> list[Problem]:
    """``stream_stalled``: the stream sent events often enough and ended in time."""
    if wire.stalled is None:
        return []
    title = (
        "stream went silent (only comments)"
        if "stream-idle" in wire.stalled
        else "stream did not end in time"
    )
    return [Problem(title, f"{wire.stalled}; {wire.events} event(s), {len(wire.body)} bytes read")]


class Client:
    """``requests`` bound to one target; each response is checked (read whole, schema) before it returns."""

    def __init__(self, gate: Gate, target: Target, pool_size: int = 10) -> None:
        self.gate = gate
        self.target = target
        self.extra = dict(gate.scope.headers)
        self._pool_size = max(10, pool_size)
        self._local = threading.local()

    @property
    def http(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = http_session(self._pool_size)
            self._local.session = session
        return session

    def close(self) -> None:
        session = getattr(self._local, "session", None)
        if session is not None:
            session.close()

    def _send(self, exchange: Exchange, prepared: requests.PreparedRequest) -> None:
        settings = self.http.merge_environment_settings(str(prepared.url), {}, True, None, None)
        try:
            response = self.http.send(prepared, allow_redirects=False, **settings)
        except requests.RequestException as exc:
            exchange.error = f"{type(exc).__name__}: {exc}"
            exchange.wire = wire_of(prepared)
            return
        exchange.wire = wire_of(prepared)
        exchange.status, exchange.headers = response.status_code, dict(response.headers)
        exchange.body = response.content
        response.close()

    def example(self, ex: Exchange) -> Example:
        return self.gate.example(
            ex.method, ex.url, ex.request_headers, ex.request_body, ex.status, ex.body, ex.content_type
        )

    def _judge(self, ex: Exchange, validate: bool, op: Operation, closed_early_ok: bool = False) -> None:
        api, example = self.target.api, self.example(ex)
        if ex.error is None or not closed_early_ok:
            problems = transport_problems(ex.wire, ex.error, ex.status, ex.content_type)
            self.gate.check(api, ex.operation, "transport", problems, example)
        if ex.wire is not None and ex.wire.stream and ex.error is None:
            self.gate.check(api, ex.operation, "stream_stalled", stall_problems(ex.wire), example)
        if validate and ex.whole:
            judged = body_problems(api, op.method, op.path, ex.status, ex.content_type, ex.body)
            if judged is not None:
                self.gate.check(api, ex.operation, "schema_validation", judged, example)

    def request(
        self,
        op: Operation,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        data: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        auth: bool = True,
        validate: bool = True,
        path_params: dict[str, Any] | None = None,
        content: str | None = None,
        closed_early_ok: bool = False,
    ) -> Exchange:
        """One request to ``op``, read to its end, judged by ``transport``, ``stream_stalled`` (streams)
        and (``validate``) ``schema_validation``. ``auth``: the key where the spec's first scheme for
        ``op`` puts it; ``content``: a body sent as it is (its Content-Type in ``headers``);
        ``closed_early_ok``: the target may refuse the request by closing the connection before it has
        read it all (a body over its size limit), so no answer at all is not a ``transport`` finding."""
        t = self.target
        placement = model_for(t.api).credentials(t.key, op, t.scheme) if auth else None
        all_headers = {**self.extra, **(placement.headers if placement else {}), **(headers or {})}
        query = {**(placement.query if placement else {}), **(params or {})}
        path = op.path
        for name, value in (path_params or {}).items():
            path = path.replace("{" + name + "}", quote(str(value), safe=""))
        request = requests.Request(
            op.method,
            self.target.url(path),
            params=query,
            json=json,
            data=content or data,
            headers=all_headers,
        )
        prepared = self.http.prepare_request(request)
        body = prepared.body
        exchange = Exchange(
            operation=op.label,
            method=op.method,
            url=str(prepared.url),
            request_headers=dict(prepared.headers),
            request_body=body.encode() if isinstance(body, str) else (body or b""),
        )
        self._send(exchange, prepared)
        self._judge(exchange, validate, op, closed_early_ok)
        return exchange
