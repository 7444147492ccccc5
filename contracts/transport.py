"""The suite's one HTTP transport: every request the suite sends goes through :class:`Meter`.

schemathesis sends its cases, its stateful steps and the probes of its own checks (``ignored_auth``,
``object_level_authorization``, content-type controls...) through ``requests``, often on sessions it
creates itself; the suite's :class:`~contracts.gate.Client` uses ``requests`` too. :func:`install` wraps
``requests.adapters.HTTPAdapter.send`` once per process, so every request of any session passes the meter:
it is counted per API and operation (and as a *write* when a POST was answered 2xx: every POST of both
specs creates a message), whatever sent it. This is also the place for what a transport does on the way
(decoding, deadlines, retries, a rate limit).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
import requests.adapters

from chatgate.apis import api_of_path

__all__ = ["Meter", "install"]

Count = Callable[[str, str, bool], None]  # (api, operation, write)


class Meter:
    """Attributes each request to an API (by the base URL it was sent to) and counts it."""

    def __init__(self, bases: Mapping[str, str], count: Count) -> None:
        self.bases = {api: urlsplit(url) for api, url in bases.items()}
        self.count = count

    def attribute(self, method: str, url: str) -> tuple[str, str] | None:
        """(api, "METHOD /path") for a request to one of the targets, else None."""
        parts = urlsplit(url)
        for api, base in self.bases.items():
            if (parts.scheme, parts.netloc) != (base.scheme, base.netloc):
                continue
            prefix = base.path.rstrip("/")
            if not parts.path.startswith(prefix):
                continue
            path = parts.path[len(prefix) :] or "/"
            if api_of_path(path) == api:
                return api, f"{method.upper()} {path}"
        return None

    def record(self, request: requests.PreparedRequest, status: int | None) -> None:
        found = self.attribute(str(request.method), str(request.url))
        if found is not None:
            api, operation = found
            write = operation.startswith("POST ") and status is not None and 200 <= status < 300
            self.count(api, operation, write)


_INSTALLED: list[Meter] = []
_LOCK = threading.Lock()


def install(meter: Meter) -> None:
    """Route every ``requests`` request of this process through ``meter`` (once; later calls replace it)."""
    with _LOCK:
        if _INSTALLED:
            _INSTALLED[0] = meter
            return
        _INSTALLED.append(meter)
        original = requests.adapters.HTTPAdapter.send

        def send(
            self: requests.adapters.HTTPAdapter, request: requests.PreparedRequest, **kwargs: Any
        ) -> Any:
            try:
                response = original(self, request, **kwargs)
            except requests.RequestException:
                _INSTALLED[0].record(request, None)
                raise
            _INSTALLED[0].record(request, response.status_code)
            return response

        requests.adapters.HTTPAdapter.send = send  # type: ignore[method-assign,assignment]
