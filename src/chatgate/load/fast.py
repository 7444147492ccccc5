"""Non-streaming JSON requests over geventhttpclient (the client behind Locust's FastHttpUser).

Reads are where the generator's own cost shows; this keeps chatgate's per-request overhead close to a
bare FastHttpUser. Streams stay on ``client.stream_send`` (byte-accurate ``read1`` timing).
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode, urlsplit

from geventhttpclient import HTTPClient

from chatgate.load.client import Outcome, Validators, judge_json

__all__ = ["FastJson"]


class FastJson:
    """One user's keep-alive connection(s) to ``base_url``."""

    def __init__(self, base_url: str, timeout: float) -> None:
        self.client = HTTPClient.from_url(
            base_url, concurrency=2, connection_timeout=timeout, network_timeout=timeout
        )
        self.prefix = urlsplit(base_url).path.rstrip("/")

    def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str],
        validators: Validators | None,
        api: str,
        pointer: str,
        name: str,
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
    ) -> Outcome:
        out = Outcome(name=name)
        uri = self.prefix + path + ("?" + urlencode(params) if params else "")
        data = json.dumps(body).encode() if body is not None else b""
        hdrs = dict(headers, **({"Content-Type": "application/json"} if body is not None else {}))
        t0 = out.start = time.perf_counter()
        try:
            resp = self.client.request(method, uri, body=data, headers=hdrs)
            try:
                content = resp.read()
            finally:
                resp.release()
        except TimeoutError as exc:
            out.total_s = time.perf_counter() - t0
            out.error, out.detail = "timeout", type(exc).__name__
            return out
        except OSError as exc:
            out.total_s = time.perf_counter() - t0
            out.error, out.detail = "connection", type(exc).__name__
            return out
        out.total_s = time.perf_counter() - t0
        return judge_json(out, resp.status_code, content, validators, api, pointer)

    def close(self) -> None:
        self.client.close()
