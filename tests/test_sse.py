"""chatgate.sse: WHATWG parsing rules and chunking-independence (hypothesis)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from chatgate.sse import EventSplitter, SSEDecoder, SSEEvent, decode_all


def _feed_split(body: bytes, cuts: list[int]) -> list[SSEEvent]:
    dec = SSEDecoder()
    out: list[SSEEvent] = []
    prev = 0
    for k, c in enumerate([*sorted(set(cuts)), len(body)]):
        out.extend(dec.feed(body[prev:c], float(k)))
        prev = c
    dec.close()
    return out


def _strip(evs: list[SSEEvent]) -> list[tuple[str, str, str, int | None]]:
    return [(e.event, e.data, e.id, e.retry) for e in evs]


def test_basic_named_json_events_and_comments() -> None:
    body = b': ping\n\nevent: delta\ndata: {"a": 1}\n\nevent: message_end\ndata: {}\n\n'
    dec = SSEDecoder()
    evs = dec.feed(body, 1.5)
    assert [(e.event, e.data) for e in evs] == [("delta", '{"a": 1}'), ("message_end", "{}")]
    assert dec.comments == 1
    assert all(e.at == 1.5 for e in evs)


def test_line_endings_bom_multiline_and_fields() -> None:
    body = "\ufeffdata: a\r\ndata:b\rid: 7\nretry: 300\nevent: x\r\n\r\ndata\n\n".encode()
    evs = decode_all(body)
    assert _strip(evs) == [("x", "a\nb", "7", 300), ("message", "", "7", 300)]


def test_bom_only_stripped_at_start_and_bad_fields_ignored() -> None:
    evs = decode_all(b"data: 1\n\n\xef\xbb\xbfdata: 2\n\nretry: 1x\nid: a\x00b\ndata: 3\n\n")
    assert [e.data for e in evs] == ["1", "3"]
    assert evs[-1].retry is None and evs[-1].id == ""


def test_event_without_data_not_dispatched_and_unterminated_discarded() -> None:
    dec = SSEDecoder()
    assert dec.feed(b"event: lonely\n\n", 0.0) == []
    assert dec.feed(b"data: half", 0.0) == []
    assert dec.close() is True


def test_timestamp_is_chunk_that_completed_event() -> None:
    dec = SSEDecoder()
    assert dec.feed(b"data: hel", 1.0) == []
    assert dec.feed("lo \u00e9".encode()[:-1], 2.0) == []
    evs = dec.feed("\u00e9".encode()[-1:] + b"\n", 3.0) + dec.feed(b"\n", 4.0)
    assert [(e.data, e.at) for e in evs] == [("hello \u00e9", 4.0)]


def test_cr_then_lf_in_next_chunk_is_one_line_end() -> None:
    dec = SSEDecoder()
    evs = dec.feed(b"data: a\r", 1.0) + dec.feed(b"\n\r", 2.0) + dec.feed(b"\ndata: b\n\n", 3.0)
    assert [(e.data, e.at) for e in evs] == [("a", 2.0), ("b", 3.0)]


_field = st.sampled_from(["data", "event", "id", "retry", "", "x"])
# Any text a server can send as UTF-8 (lone surrogates cannot be encoded, so none are drawn).
_value = st.text(
    alphabet=st.characters(blacklist_characters="\r\n\x00", blacklist_categories=("Cs",)), max_size=12
)
_eol = st.sampled_from(["\n", "\r", "\r\n"])
_line = st.one_of(
    st.tuples(_field, _value).map(lambda fv: f"{fv[0]}: {fv[1]}" if fv[0] else f":{fv[1]}"),
    st.just(""),
    st.just("retry: 250"),
)


@st.composite
def _bodies(draw: st.DrawFn) -> bytes:
    lines = draw(st.lists(st.tuples(_line, _eol), max_size=25))
    text = ("\ufeff" if draw(st.booleans()) else "") + "".join(line + eol for line, eol in lines)
    return text.encode("utf-8")


@settings(max_examples=300, deadline=None)
@given(body=_bodies(), data=st.data())
def test_any_chunking_yields_the_same_events(body: bytes, data: st.DataObject) -> None:
    cuts = data.draw(st.lists(st.integers(0, len(body)), max_size=12))
    assert _strip(_feed_split(body, cuts)) == _strip(decode_all(body))


@settings(max_examples=100, deadline=None)
@given(body=_bodies())
def test_byte_at_a_time_matches_whole(body: bytes) -> None:
    assert _strip(_feed_split(body, list(range(len(body))))) == _strip(decode_all(body))


@settings(max_examples=200, deadline=None)
@given(body=_bodies(), data=st.data())
def test_each_event_is_timed_by_the_chunk_that_completes_it(body: bytes, data: st.DataObject) -> None:
    # Byte at a time, with each byte's offset as its time: where in the body each event completes.
    ends = [int(e.at) for e in _feed_split(body, list(range(1, len(body))))]
    cuts = sorted(set(data.draw(st.lists(st.integers(1, max(1, len(body) - 1)), max_size=12))))
    events = _feed_split(body, cuts)
    assert len(events) == len(ends)
    bounds = [*cuts, len(body)]
    for event, end in zip(events, ends, strict=True):
        # the chunk holding byte `end` is the first whose upper bound lies past it
        assert event.at == next(k for k, b in enumerate(bounds) if end < b), (end, bounds)


# EventSplitter: the load generator's fast path gives the same events, with the same times.


def _split(body: bytes, cuts: list[int]) -> tuple[list[tuple[str, str, float]], EventSplitter]:
    sp = EventSplitter()
    out: list[tuple[str, str, float]] = []
    prev = 0
    for k, c in enumerate([*sorted(set(cuts)), len(body)]):
        for name, data, at in sp.feed(body[prev:c], float(k)):
            out.append((name, data.decode() if isinstance(data, bytes) else data, at))
        prev = c
    sp.close()
    return out, sp


@settings(max_examples=300, deadline=None)
@given(body=_bodies(), data=st.data())
def test_splitter_matches_the_decoder_for_any_body_and_chunking(body: bytes, data: st.DataObject) -> None:
    cuts = data.draw(st.lists(st.integers(0, len(body)), max_size=12))
    got, sp = _split(body, cuts)
    want = [(e.event, e.data, e.at) for e in _feed_split(body, cuts)]
    assert got == want
    assert sp.fallback == (b"\r" in body or body.startswith(b"\xef\xbb\xbf"))


_lf_line = st.one_of(
    st.tuples(st.sampled_from(["data", "event", "id", ""]), _value).map(
        lambda fv: f"{fv[0]}: {fv[1]}" if fv[0] else f":{fv[1]}"
    ),
    st.just(""),
)


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(_lf_line, max_size=25), data=st.data())
def test_lf_only_streams_stay_on_the_fast_path(lines: list[str], data: st.DataObject) -> None:
    body = "".join(line + "\n" for line in lines).encode()
    cuts = data.draw(st.lists(st.integers(0, len(body)), max_size=12))
    got, sp = _split(body, cuts)
    assert not sp.fallback
    assert got == [(e.event, e.data, e.at) for e in _feed_split(body, cuts)]
    assert sp.events == len(got)


def test_splitter_counts_comments_and_keeps_data_as_bytes() -> None:
    sp = EventSplitter()
    events = sp.feed(b': ping\n\nevent: delta\ndata: {"a": 1}\n\n: ping\n', 2.0)
    assert events == [("delta", b'{"a": 1}', 2.0)]
    assert sp.feed(b"\n", 3.0) == [] and sp.comments == 2 and not sp.close()


def test_splitter_falls_back_mid_stream_on_a_cr_without_dropping_a_bom_there() -> None:
    sp = EventSplitter()
    assert sp.feed(b"data: 1\n\ndata: 2", 1.0) == [("message", b"1", 1.0)]
    assert sp.feed(b"\r\n\r\n\xef\xbb\xbfdata: 3\n\n", 2.0) == [("message", "2", 2.0)]
    assert sp.fallback and sp.events == 2
