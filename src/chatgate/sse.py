"""Incremental, timestamping Server-Sent Events decoder (WHATWG HTML "server-sent events").

Feed it the raw bytes of a ``text/event-stream`` body as they arrive, each chunk with the time it
arrived (taken *before* any parsing); it yields the events that chunk completed, each stamped with
the arrival time of the chunk that completed it (the one carrying the blank line that dispatches it)::

    dec = SSEDecoder()
    for chunk in body:
        t = time.perf_counter()
        for ev in dec.feed(chunk, t):
            ...

``EventSplitter`` is the load generator's fast path to the same events: it splits bytes on blank lines
(``\\n\\n``) and hands back ``(event, data, at)`` tuples with ``data`` still bytes (for a JSON parser),
and switches to ``SSEDecoder`` for the rest of a stream the moment it sees a CR or a leading BOM.

Chunks may split anywhere: mid-line, inside a multi-byte UTF-8 character, between the CR and LF of
a CRLF. A leading BOM is dropped, comment lines (``: ping``) are reported through ``comments`` but
never dispatch, multi-line ``data`` is joined with ``\\n``. ``close()`` discards an unterminated
trailing event, as the spec says, and tells the caller whether anything was left pending.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["EventSplitter", "RawEvent", "SSEDecoder", "SSEEvent", "decode_all"]


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

    def __init__(self, *, at_stream_start: bool = True) -> None:
        self._utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._line = ""
        self._skip_lf = False
        self._bom_checked = not at_stream_start  # a BOM is only dropped at the very start
        self._data: list[str] = []
        self._event = ""
        self._last_id = ""
        self._retry: int | None = None
        self.comments = 0

    def feed(self, chunk: bytes, at: float) -> list[SSEEvent]:
        """Decode ``chunk`` (arrived at ``at``); return the events it completed, in order."""
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


RawEvent = tuple[str, "bytes | str", float]
"""``(event name, data, arrival time)``: data is bytes on the fast path, str after a fallback."""

_BOM = b"\xef\xbb\xbf"


class EventSplitter:
    """The events of one ``text/event-stream`` body, split in C where the input allows.

    Streams with LF line ends (the common case, and what both chat APIs send) are split with
    ``bytes.split(b"\\n\\n")``; a block such as ``event: delta\\ndata: {...}`` is read with a few slices.
    Comments, ``id``/``retry`` fields, multi-line ``data`` and stray blank lines go through a per-line
    reader in bytes that follows the same rules as :class:`SSEDecoder`. A CR anywhere, or a BOM at the
    start, hands the rest of the stream to :class:`SSEDecoder` (``fallback`` is then True). ``events``
    and ``comments`` count what was dispatched and skipped.
    """

    __slots__ = ("_buf", "_names", "_slow", "_started", "comments", "events")

    def __init__(self) -> None:
        self._buf = b""
        self._slow: SSEDecoder | None = None
        self._started = False
        self._names: dict[bytes, str] = {}
        self.comments = 0
        self.events = 0

    @property
    def fallback(self) -> bool:
        return self._slow is not None

    def feed(self, chunk: bytes, at: float) -> list[RawEvent]:
        """The events completed by ``chunk`` (arrived at ``at``), in order."""
        if self._slow is not None:
            return self._slow_feed(chunk, at)
        if not self._started:
            head = self._buf + chunk
            if len(head) < 3 and _BOM.startswith(head):
                self._buf = head  # too short yet to tell whether the stream starts with a BOM
                return []
            self._started, self._buf, chunk = True, b"", head
            if head.startswith(_BOM):
                return self._to_slow(chunk, at, stream_start=True)
        if b"\r" in chunk:
            return self._to_slow(chunk, at, stream_start=False)
        buf = self._buf + chunk if self._buf else chunk
        if b"\n\n" not in buf:
            self._buf = buf
            return []
        blocks = buf.split(b"\n\n")
        self._buf = blocks.pop()
        out: list[RawEvent] = []
        for block in blocks:
            self._block(block, at, out)
        self.events += len(out)
        return out

    def close(self) -> bool:
        """End of stream; True when an incomplete event or line was discarded."""
        if self._slow is not None:
            return self._slow.close()
        pending = bool(self._buf.strip(b"\n"))
        self._buf = b""
        return pending

    def _to_slow(self, chunk: bytes, at: float, *, stream_start: bool) -> list[RawEvent]:
        self._slow = SSEDecoder(at_stream_start=stream_start)
        pending, self._buf = self._buf, b""
        return self._slow_feed(pending + chunk, at)

    def _slow_feed(self, chunk: bytes, at: float) -> list[RawEvent]:
        assert self._slow is not None
        before = self._slow.comments
        out: list[RawEvent] = [(e.event, e.data, e.at) for e in self._slow.feed(chunk, at)]
        self.comments += self._slow.comments - before
        self.events += len(out)
        return out

    def _name(self, raw: bytes) -> str:
        name = self._names.get(raw)
        if name is None:
            name = self._names[raw] = raw.decode("utf-8", "replace") or "message"
        return name

    def _block(self, block: bytes, at: float, out: list[RawEvent]) -> None:
        if block[:7] == b"event: ":
            nl = block.find(b"\n")
            if nl > 0 and block[nl + 1 : nl + 7] == b"data: " and block.find(b"\n", nl + 1) < 0:
                out.append((self._name(block[7:nl]), block[nl + 7 :], at))
                return
        elif block[:6] == b"data: " and b"\n" not in block:
            out.append(("message", block[6:], at))
            return
        self._lines(block.split(b"\n"), at, out)

    def _lines(self, lines: list[bytes], at: float, out: list[RawEvent]) -> None:
        """The general case, line by line (WHATWG rules, as SSEDecoder._process)."""
        event = b""
        data: list[bytes] = []
        for line in [*lines, b""]:
            if not line:
                if data:
                    out.append((self._name(event) if event else "message", b"\n".join(data), at))
                event, data = b"", []
                continue
            if line[:1] == b":":
                self.comments += 1
                continue
            name, sep, value = line.partition(b":")
            if sep and value[:1] == b" ":
                value = value[1:]
            if name == b"data":
                data.append(value)
            elif name == b"event":
                event = value
