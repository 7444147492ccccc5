"""Incremental, timestamping Server-Sent Events decoder (WHATWG HTML "server-sent events").

Feed it the raw bytes of a ``text/event-stream`` body as they arrive, each chunk with the time it
arrived (taken *before* any parsing); it yields the events that chunk completed, each stamped with
the arrival time of the chunk that completed it (the one carrying the blank line that dispatches it)::

    dec = SSEDecoder()
    for chunk in body:
        t = time.perf_counter()
        for ev in dec.feed(chunk, t):
            ...

Chunks may split anywhere: mid-line, inside a multi-byte UTF-8 character, between the CR and LF of
a CRLF. A leading BOM is dropped, comment lines (``: ping``) are reported through ``comments`` but
never dispatch, multi-line ``data`` is joined with ``\\n``. ``close()`` discards an unterminated
trailing event, as the spec says, and tells the caller whether anything was left pending.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["SSEDecoder", "SSEEvent", "decode_all"]


@dataclass(frozen=True, slots=True)
class SSEEvent:
    """One dispatched event; ``at`` is the arrival timestamp of the chunk that completed it."""

    event: str
    data: str
    id: str
    retry: int | None
    at: float


class SSEDecoder:
    """Incremental decoder; one instance per stream."""

    def __init__(self) -> None:
        self._utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._line = ""
        self._skip_lf = False
        self._bom_checked = False
        self._data: list[str] = []
        self._event = ""
        self._last_id = ""
        self._retry: int | None = None
        self.comments = 0
        self.bytes_seen = 0

    def feed(self, chunk: bytes, at: float) -> list[SSEEvent]:
        """Decode ``chunk`` (arrived at ``at``); return the events it completed, in order."""
        self.bytes_seen += len(chunk)
        text = self._utf8.decode(chunk)
        return list(self._lines(text, at))

    def close(self) -> bool:
        """End of stream; return True when an incomplete event or line was discarded."""
        rest = self._utf8.decode(b"", final=True)
        pending = bool(rest or self._line or self._data or self._event)
        self._line = ""
        self._data = []
        self._event = ""
        return pending

    def _lines(self, text: str, at: float) -> Iterator[SSEEvent]:
        if not self._bom_checked and text:
            self._bom_checked = True
            if text[0] == "\ufeff":
                text = text[1:]
        i, n = 0, len(text)
        while i < n:
            if self._skip_lf:
                self._skip_lf = False
                if text[i] == "\n":
                    i += 1
                    continue
            # find next line terminator
            cr = text.find("\r", i)
            lf = text.find("\n", i)
            if cr < 0 and lf < 0:
                self._line += text[i:]
                return
            end = lf if cr < 0 else cr if lf < 0 else min(cr, lf)
            line = self._line + text[i:end]
            self._line = ""
            if text[end] == "\r":
                self._skip_lf = True
            i = end + 1
            ev = self._process(line, at)
            if ev is not None:
                yield ev

    def _process(self, line: str, at: float) -> SSEEvent | None:
        if line == "":
            return self._dispatch(at)
        if line[0] == ":":
            self.comments += 1
            return None
        name, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id":
            if "\0" not in value:
                self._last_id = value
        elif name == "retry" and value.isascii() and value.isdigit():
            self._retry = int(value)
        return None

    def _dispatch(self, at: float) -> SSEEvent | None:
        if not self._data:
            self._event = ""
            return None
        ev = SSEEvent(
            event=self._event or "message",
            data="\n".join(self._data),
            id=self._last_id,
            retry=self._retry,
            at=at,
        )
        self._data = []
        self._event = ""
        return ev


def decode_all(body: bytes, at: float = 0.0) -> list[SSEEvent]:
    """Decode a whole body at once (convenience for tests and non-streaming callers)."""
    dec = SSEDecoder()
    events = dec.feed(body, at)
    dec.close()
    return events
