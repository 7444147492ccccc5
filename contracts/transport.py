"""The suite's one HTTP transport: every request the suite sends goes through :class:`Transport`.

schemathesis sends its cases, and the probes of its own checks (``ignored_auth``,
``object_level_authorization``, content-type controls...), through ``requests``, often on sessions it
creates itself; the suite's :class:`~contracts.gate.Client` uses ``requests`` too. :func:`install`
wraps ``requests.adapters.HTTPAdapter.send`` once per process, so every request to a target, whoever
sends it, gets the same treatment, in this order:

1. ``--rate-limit`` (schemathesis' form, ``5/s``, ``100/m``): requests are spaced evenly, run-wide.
2. At most ``--concurrency`` requests in flight (run-wide slots, held while the body is read). Waiting
   requests get a slot by priority, then in arrival order: the bulk of generated cases
   (:data:`BULK` set) after everything else, so the gate's own checks and the steps of stateful chains,
   which wait on each other, are not starved by hundreds of independent cases (and finish first when
   ``--max-time`` is short).
3. TLS as configured (``--ca-bundle``, ``--client-cert``, ``--no-tls-verify``); proxies from
   ``HTTPS_PROXY`` / ``NO_PROXY`` as ``requests`` reads them.
4. The whole body is read at once (:func:`contracts.wire.read_body`): decoded (gzip, deflate, br), within
   the deadlines, up to ``--max-stream-bytes``. The caller gets the decoded body (``Content-Encoding``
   removed, as any HTTP client library does); the bytes as they arrived stay on the request
   (:func:`wire_of`) for the report.
5. Counted: per API and operation (labelled by the spec's path template), and as a *write* when a
   request of an unsafe method (RFC 9110: not GET, HEAD, OPTIONS or TRACE) was answered 2xx. Every
   attempt counts: a retry is a request too. Each attempt, what it sent and what came back, is also
   shown to the :class:`Observer` (the run's spec coverage, ``contracts.coverage``).
6. A 429 with ``Retry-After`` (at most ``MAX_RETRY_AFTER_S`` away) is waited out and sent again, up to
   ``MAX_429_RETRIES`` times: not a finding (the specs document it), reported as ``rate_limited``. A 502,
   503 or 504 is sent again once: when the second answer is fine the first is reported as ``flaky``;
   when it repeats, it is the answer the checks judge.

A read stopped by a deadline is not an error: the answer comes back with what was read, and
``stream_stalled`` / ``transport`` judge it from its :class:`~contracts.wire.Wire`. Past the run's
``--max-time`` nothing more is sent (:class:`OutOfTime`).
"""

from __future__ import annotations

import contextvars
import email.utils
import heapq
import io
import itertools
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests
import requests.adapters
from requests.structures import CaseInsensitiveDict
from requests.utils import DEFAULT_ACCEPT_ENCODING
from schemathesis.core.transport import STREAM_CUT_SHORT_ATTRIBUTE
from urllib3 import HTTPResponse
from urllib3._collections import HTTPHeaderDict

from chatgate.contract_model import model_for
from chatgate.options import Rate
from contracts.wire import Limits, Wire, read_body

__all__ = [
    "BULK",
    "MAX_429_RETRIES",
    "MAX_RETRY_AFTER_S",
    "DeadlineExceeded",
    "Meter",
    "Observer",
    "OutOfTime",
    "Settings",
    "Slots",
    "Transport",
    "install",
    "recent",
    "retry_after",
    "sent_count",
    "wire_of",
]

ACCEPTED_CODINGS = "gzip, deflate, br"  # what contracts.wire.Decoder undoes
MAX_429_RETRIES = 5
MAX_RETRY_AFTER_S = 60.0
TRANSIENT = frozenset({502, 503, 504})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})  # RFC 9110: every other answered 2xx may write
Count = Callable[[str, str, bool], None]  # (api, operation, write)
Notice = Callable[[str, str, str, str], None]  # (kind, api, operation, detail)
_WIRE = "chatgate_wire"


BULK: contextvars.ContextVar[bool] = contextvars.ContextVar("chatgate_bulk", default=False)
_RECENT = threading.local()  # the last exchanges this thread sent: what a check's own probes got
RECENT_KEPT = 16


def recent() -> list[tuple[Any, requests.Response]]:
    """The last exchanges (request, response) this thread sent, oldest first (at most RECENT_KEPT)."""
    found: list[tuple[Any, requests.Response]] = getattr(_RECENT, "items", [])
    return found


def sent_count() -> int:
    """How many exchanges this thread has sent (a mark: what was sent after it is ``recent()[-n:]``)."""
    return int(getattr(_RECENT, "count", 0))


def _remember(request: Any, response: requests.Response) -> None:
    items = recent()
    items.append((request, response))
    _RECENT.items = items[-RECENT_KEPT:]
    _RECENT.count = sent_count() + 1


class Slots:
    """At most ``size`` holders; a freed slot goes to the waiter with the lowest (priority, arrival)."""

    def __init__(self, size: int) -> None:
        self._free = max(1, size)
        self._waiting: list[tuple[int, int, threading.Event]] = []
        self._arrival = itertools.count()
        self._lock = threading.Lock()

    def acquire(self, priority: int) -> None:
        with self._lock:
            if self._free and not self._waiting:
                self._free -= 1
                return
            ready = threading.Event()
            heapq.heappush(self._waiting, (priority, next(self._arrival), ready))
        ready.wait()  # release() hands its slot over

    def release(self) -> None:
        with self._lock:
            if self._waiting:
                heapq.heappop(self._waiting)[2].set()
            else:
                self._free += 1


class OutOfTime(Exception):
    """The run's ``--max-time`` has passed: nothing more is sent."""


class DeadlineExceeded(requests.exceptions.Timeout):
    """An answer (not a stream) was not whole within ``--request-timeout``, or grew past the size cap:
    nothing judges a part of a JSON body, the ``transport`` check reports it."""


@dataclass(frozen=True, slots=True)
class Settings:
    """How the transport behaves (the suite reads it from the environment; see ``contracts.target``)."""

    limits: Limits = field(default_factory=Limits)
    concurrency: int = 1
    rate: Rate | None = None
    verify: bool | str = True  # False: --no-tls-verify; a path: --ca-bundle
    cert: str | tuple[str, str] | None = None  # --client-cert (and its key)
    connect_s: float = 10.0


def wire_of(request: Any) -> Wire | None:
    """What came back for ``request`` (a ``requests.PreparedRequest`` the transport sent), if anything."""
    found = getattr(request, _WIRE, None)
    return found if isinstance(found, Wire) else None


class Observer(Protocol):
    """Sees every attempt the transport makes (see ``contracts.coverage``)."""

    def sent(self, api: str, operation: str, request: Any, wire: Wire | None) -> None:
        """``request`` was sent; ``wire`` is what came back (None: no answer at all)."""

    def retried(self, api: str, operation: str, wire: Wire) -> None:
        """The answer ``wire`` was waited out or sent again (429 with Retry-After, 502-504)."""


class _Blind:
    def sent(self, api: str, operation: str, request: Any, wire: Wire | None) -> None:
        pass

    def retried(self, api: str, operation: str, wire: Wire) -> None:
        pass


class Meter:
    """Attributes each request to an API (by the base URL it was sent to) and counts it."""

    def __init__(self, bases: Mapping[str, str], count: Count) -> None:
        self.bases = {api: urlsplit(url) for api, url in bases.items()}
        self.count = count

    def attribute(self, method: str, url: str) -> tuple[str, str] | None:
        """(api, "METHOD /path") for a request to one of the targets, else None. The path is labelled by
        the spec's template when an API's spec documents it (APIs sharing a host are told apart so);
        another path under a target's base URL keeps its own path, attributed to that target."""
        parts = urlsplit(url)
        fallback: tuple[str, str] | None = None
        for api, base in self.bases.items():
            if (parts.scheme, parts.netloc) != (base.scheme, base.netloc):
                continue
            prefix = base.path.rstrip("/")
            if not parts.path.startswith(prefix):
                continue
            path = parts.path[len(prefix) :] or "/"
            label = model_for(api).path_label(method, path)
            if label is not None:
                return api, label
            fallback = fallback or (api, f"{method.upper()} {path}")
        return fallback

    def record(self, api: str, operation: str, status: int | None) -> None:
        write = operation.split(" ", 1)[0] not in SAFE_METHODS and status is not None and 200 <= status < 300
        self.count(api, operation, write)


class _Spacing:
    """Requests spaced evenly at a rate, across every thread."""

    def __init__(self, rate: Rate | None) -> None:
        self.interval = 1.0 / rate.per_second if rate is not None else 0.0
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self._lock:
            now = time.monotonic()
            at = max(now, self._next)
            self._next = at + self.interval
        if at > now:
            time.sleep(at - now)


def retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds a ``Retry-After`` value asks to wait (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


class Transport:
    """Sends one request the way the module docstring says (see :func:`install`)."""

    def __init__(
        self, settings: Settings, meter: Meter, notice: Notice | None = None, observer: Observer | None = None
    ) -> None:
        self.settings = settings
        self.meter = meter
        self.notice = notice or (lambda *_: None)
        self.observer: Observer = observer or _Blind()
        self._slots = Slots(settings.concurrency)
        self._spacing = _Spacing(settings.rate)

    def _check_time(self) -> None:
        ends = self.settings.limits.run_ends_at
        if ends is not None and time.monotonic() >= ends:
            raise OutOfTime("--max-time reached")

    def _once(
        self, original: Any, adapter: Any, request: Any, kwargs: dict[str, Any], found: tuple[str, str]
    ) -> requests.Response:
        self._check_time()
        self._spacing.wait()
        s = self.settings
        if request.headers.get("Accept-Encoding") == DEFAULT_ACCEPT_ENCODING:
            request.headers["Accept-Encoding"] = ACCEPTED_CODINGS  # never advertise one it cannot decode
        kwargs = {**kwargs, "stream": True, "verify": s.verify, "cert": s.cert}
        kwargs["timeout"] = (s.connect_s, s.limits.deadlines.request_s)
        self._slots.acquire(1 if BULK.get() else 0)
        try:
            started = time.monotonic()
            try:
                response: requests.Response = original(adapter, request, **kwargs)
            except requests.RequestException:
                self.meter.record(*found, None)
                self.observer.sent(*found, request, None)
                raise
            headers = {k: v for k, v in response.raw.headers.items()}
            wire = read_body(response.raw, s.limits, started, response.status_code, headers)
        finally:
            self._slots.release()
        self.meter.record(*found, response.status_code)
        self.observer.sent(*found, request, wire)
        _rebuild(response, wire)
        return response

    def send(self, original: Any, adapter: Any, request: Any, kwargs: dict[str, Any]) -> requests.Response:
        found = self.meter.attribute(str(request.method), str(request.url))
        if found is None:  # not a target of the run (nothing to count or judge)
            return original(adapter, request, **kwargs)  # type: ignore[no-any-return]
        api, operation = found
        earlier: list[int] = []
        while True:
            response = self._once(original, adapter, request, kwargs, found)
            status = response.status_code
            delay = retry_after(response.headers.get("retry-after")) if status == 429 else None
            if delay is not None and delay <= MAX_RETRY_AFTER_S and earlier.count(429) < MAX_429_RETRIES:
                self.notice("rate_limited", api, operation, f"429, waited {delay:g}s")
                self._retried(api, operation, request)
                earlier.append(status)
                self._sleep(delay)
                continue
            if status in TRANSIENT and not any(s in TRANSIENT for s in earlier):
                earlier.append(status)
                self.notice("transient", api, operation, f"{status}, sent again")
                self._retried(api, operation, request)
                continue
            break
        if earlier and earlier[-1] in TRANSIENT and status not in TRANSIENT:
            self.notice("flaky", api, operation, f"{earlier[-1]} once, then {status}")
        wire = wire_of(request)
        if wire is not None:
            wire.retried = earlier
            self._judge_end(wire, request, api, operation)
        _remember(request, response)
        return response

    def _retried(self, api: str, operation: str, request: Any) -> None:
        wire = wire_of(request)
        if wire is not None:
            self.observer.retried(api, operation, wire)

    def _sleep(self, seconds: float) -> None:
        ends = self.settings.limits.run_ends_at
        if ends is not None and time.monotonic() + seconds >= ends:
            raise OutOfTime("--max-time reached while waiting out a Retry-After")
        time.sleep(seconds)

    def _judge_end(self, wire: Wire, request: Any, api: str, operation: str) -> None:
        """Raise what a caller must not mistake for an answer: the run's end, a partial JSON body."""
        if wire.out_of_time:
            raise OutOfTime("--max-time reached while reading an answer")
        if wire.capped:
            self.notice("capped", api, operation, f"{len(wire.body)} bytes read (--max-stream-bytes)")
        if not wire.stream and (wire.stalled or wire.capped):
            reason = wire.stalled or f"the body grew past {len(wire.body)} bytes (--max-stream-bytes)"
            raise DeadlineExceeded(reason, request=request)


def _rebuild(response: requests.Response, wire: Wire) -> None:
    """Give ``response`` the decoded body (already read) as its body, and remember the wire on its
    request."""
    old = response.raw
    headers = HTTPHeaderDict()
    for name, value in old.headers.items():
        if name.lower() not in ("content-encoding", "transfer-encoding", "content-length"):
            headers.add(name, value)
    headers["Content-Length"] = str(len(wire.body))
    response.raw = HTTPResponse(
        body=io.BytesIO(wire.body),
        headers=headers,
        status=old.status,
        version=old.version,
        reason=old.reason,
        preload_content=False,
        decode_content=False,
        original_response=None,
    )
    response.headers = CaseInsensitiveDict(headers)
    if wire.stream and not wire.complete:
        setattr(response, STREAM_CUT_SHORT_ATTRIBUTE, True)  # schemathesis' checks judge no partial stream
    if response.request is not None:
        setattr(response.request, _WIRE, wire)


_INSTALLED: list[Transport] = []
_LOCK = threading.Lock()


def install(transport: Transport) -> None:
    """Route every ``requests`` request of this process through ``transport`` (once; later calls replace
    it)."""
    with _LOCK:
        if _INSTALLED:
            _INSTALLED[0] = transport
            return
        _INSTALLED.append(transport)
        original = requests.adapters.HTTPAdapter.send

        def send(
            self: requests.adapters.HTTPAdapter, request: requests.PreparedRequest, **kwargs: Any
        ) -> Any:
            return _INSTALLED[0].send(original, self, request, kwargs)

        requests.adapters.HTTPAdapter.send = send  # type: ignore[method-assign,assignment]
