"""Replies like a served chat model: paced in both forms, sampled, pinged, stalled, and capped in number.

``--ttft-ms/--itl-ms`` pace non-streamed replies too (TTFT + n x ITL); ``--sampled`` makes every reply
differ while each stays equal to its stored copy; ``--ping-interval-ms`` sends ``: ping`` comments while
the next event is not due; ``--fault-stall-rate`` streams that stop after two deltas and only ping;
``--max-concurrent-streams`` queues replies beyond N in FIFO order (the wait shows in TTFT).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from typing import Any
from urllib.parse import urlsplit

import httpx

from chatgate.sse import SSEDecoder, SSEEvent
from tests.server.server_helpers import (
    LIST,
    NARA_1001,
    NAV,
    NAVIGABLE,
    SEND,
    InProcess,
    assert_conforms,
    event_data_valid,
)

MSG = {"message": "How do I reset my password?", "conversation_id": "gen", "temperature": 0.3}


def _timed_stream(
    base: str, timeout: float = 10, client: httpx.Client | None = None
) -> tuple[float, float, list[SSEEvent], bytes]:
    """(seconds to the first delta, to the end, events, raw body) of one streamed Nara send."""
    client = client or httpx.Client(timeout=timeout)
    start = time.perf_counter()
    first = end = 0.0
    raw = b""
    dec = SSEDecoder()
    with client, client.stream("POST", base + SEND, json={**MSG, "stream": True}, headers=NARA_1001) as r:
        events: list[SSEEvent] = []
        for chunk in r.iter_raw():
            now = time.perf_counter() - start
            raw += chunk
            for ev in dec.feed(chunk, now):
                events.append(ev)
                if ev.event == "delta" and not first:
                    first = now
        end = time.perf_counter() - start
    return first, end, events, raw


def test_non_streamed_replies_take_ttft_plus_n_itl(in_process: InProcess) -> None:
    server = in_process(ttft_ms=150, itl_ms=25, reply_tokens=8)  # 150 + 8 x 25 = 350 ms
    with httpx.Client(base_url=server.base_url, timeout=10) as c:
        c.get("/healthz")
        timings = {}
        for name, call in {
            "nara": lambda: c.post(SEND, json=MSG, headers=NARA_1001),
            "navigable": lambda: c.post(
                NAV, json={"message": "hi", "identifier": "paced"}, headers=NAVIGABLE
            ),
            "read": lambda: c.get(NAV, params={"identifier": "paced"}, headers=NAVIGABLE),
        }.items():
            t0 = time.perf_counter()
            r = call()
            timings[name] = time.perf_counter() - t0
            assert r.status_code == 200, r.text
    assert 0.345 <= timings["nara"] < 0.5, timings
    assert 0.345 <= timings["navigable"] < 0.5, timings
    assert timings["read"] < 0.1, timings  # reads generate nothing
    first, end, events, _ = _timed_stream(server.base_url)
    assert 0.145 <= first < 0.25 and 0.32 <= end < 0.45, (first, end)  # last delta at 150 + 7 x 25
    assert len(events) == 10


def test_sampled_replies_differ_and_each_equals_its_stored_copy(in_process: InProcess) -> None:
    server = in_process(sampled=True)
    with httpx.Client(base_url=server.base_url, timeout=10) as c:
        replies = [
            assert_conforms("nara", SEND, "post", c.post(SEND, json=MSG, headers=NARA_1001), 200)
            for _ in range(2)
        ]
        _, _, events, _ = _timed_stream(server.base_url)
        streamed = "".join(json.loads(e.data)["content"] for e in events if e.event == "delta")
        stream_id = json.loads(events[0].data)["message_id"]
        listed = c.get(LIST, params={"user_id": 1001, "rows_per_page": 100}, headers=NARA_1001).json()["data"]
        stored = {m["id"]: m["content"] for m in listed}
        nav = [
            c.post(NAV, json={"message": "same", "identifier": "sampled"}, headers=NAVIGABLE).json()["data"]
            for _ in range(2)
        ]
        read = c.get(NAV, params={"identifier": "sampled"}, headers=NAVIGABLE).json()["data"]
    contents = {replies[0]["content"], replies[1]["content"], streamed}
    assert len(contents) == 3  # the same input, three different replies
    assert [stored[r["id"]] for r in replies] == [r["content"] for r in replies]
    assert stored[stream_id] == streamed
    assert nav[0]["assistantMessage"] != nav[1]["assistantMessage"]
    assert [m["content"] for m in read if m["sender"] == "ASSISTANT"] == [n["assistantMessage"] for n in nav]


def test_unsampled_replies_are_a_function_of_the_input(in_process: InProcess) -> None:
    server = in_process()
    with httpx.Client(base_url=server.base_url, timeout=10) as c:
        contents = {c.post(SEND, json=MSG, headers=NARA_1001).json()["content"] for _ in range(3)}
    _, _, events, _ = _timed_stream(server.base_url)
    streamed = "".join(json.loads(e.data)["content"] for e in events if e.event == "delta")
    assert contents == {streamed}


def test_pings_go_out_while_the_next_event_is_not_due(in_process: InProcess) -> None:
    server = in_process(ttft_ms=200, itl_ms=100, reply_tokens=3, ping_interval_ms=30)  # a 400 ms stream
    first, _, events, raw = _timed_stream(server.base_url)
    blocks = [b for b in raw.split(b"\n\n") if b]
    pings = blocks.count(b": ping")
    assert 10 <= pings <= 14, pings  # one per 30 ms over 400 ms
    assert all(b == b": ping" or b.startswith(b"event: ") for b in blocks)
    assert [e.event for e in events] == ["message_start", "delta", "delta", "delta", "message_end"]
    assert 0.195 <= first < 0.3 and all(event_data_valid(e) for e in events)


def test_a_stalled_stream_sends_two_deltas_then_only_pings(in_process: InProcess) -> None:
    server = in_process(fault_stall_rate=0.5, ping_interval_ms=50, reply_tokens=6)
    with httpx.Client(base_url=server.base_url, timeout=10) as c:
        whole = c.post(SEND, json={**MSG, "stream": True}, headers=NARA_1001)  # request 1: not hit
        raw = b""
        with c.stream("POST", SEND, json={**MSG, "stream": True}, headers=NARA_1001) as r:
            start = time.monotonic()
            for chunk in r.iter_raw():
                raw += chunk
                if time.monotonic() - start > 0.6:
                    break
        time.sleep(0.1)
        streams = c.get("/_chatgate/stats").json()["streams"]
    assert b"message_end" in whole.content
    dec = SSEDecoder()
    assert [e.event for e in dec.feed(raw, 0)] == ["message_start", "delta", "delta"]
    after = raw.split(b'"index":1')[1]
    assert after.count(b": ping") >= 10 and b"event:" not in after
    assert streams["completed"] == 1 and streams["disconnected"] == 1 and streams["active"] == 0


def test_a_stall_pings_every_second_without_an_interval_and_ends_at_shutdown(in_process: InProcess) -> None:
    server = in_process(fault_stall_rate=1, reply_tokens=6)
    got: dict[str, Any] = {}

    def read() -> None:
        with httpx.Client(timeout=30) as c:
            got["raw"] = c.post(
                server.base_url + SEND, json={**MSG, "stream": True}, headers=NARA_1001
            ).content

    reader = threading.Thread(target=read)
    reader.start()
    time.sleep(1.4)
    counters = server.app.state.chatgate.streams.counters
    server.stop()
    reader.join(10)
    assert not reader.is_alive()
    # One ping a second: one by 1.4 s (two if the loaded machine delays the stop past 2 s).
    assert 1 <= got["raw"].count(b": ping") <= 2 and got["raw"].count(b"event: delta") == 2
    assert b"message_end" not in got["raw"] and b"server_shutdown" not in got["raw"]
    assert counters.stalled == 1


def _concurrent(base: str, n: int, *, streamed: bool = True) -> list[float]:
    """Send ``n`` replies at once; each one's seconds to its first delta (streamed) or answer."""
    results: list[float] = [0.0] * n
    barrier = threading.Barrier(n)

    def one(i: int) -> None:
        client = httpx.Client(timeout=10)  # made before the start: a client's set-up is not the server's
        barrier.wait()
        if streamed:
            results[i] = _timed_stream(base, client=client)[0]
            return
        with client:
            t0 = time.perf_counter()
            client.post(base + SEND, json=MSG, headers=NARA_1001).raise_for_status()
            results[i] = time.perf_counter() - t0

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return sorted(results)


def test_max_concurrent_streams_queues_the_rest_in_fifo_order(in_process: InProcess) -> None:
    server = in_process(max_concurrent_streams=2, itl_ms=100, reply_tokens=3)  # 200 ms streams
    ttfts = _concurrent(server.base_url, 6)
    base = ttfts[0]  # the first wave starts at once (a few ms of sending): later waves 200 ms apart
    waves = [ttfts[0:2], ttfts[2:4], ttfts[4:6]]
    for k, wave in enumerate(waves):
        assert all(base + 0.2 * k - 0.02 <= t < base + 0.2 * k + 0.08 for t in wave), ttfts
    assert base < 0.1, ttfts
    answers = _concurrent(server.base_url, 4, streamed=False)  # 300 ms each (3 x ITL): two waves
    assert all(0.29 <= t < 0.42 for t in answers[:2]) and all(0.59 <= t < 0.75 for t in answers[2:]), answers
    generation = httpx.get(server.base_url + "/_chatgate/stats").json()["generation"]
    assert generation == {
        "limit": 2,
        "active": 0,
        "active_peak": 2,
        "queued": 0,
        "queue_peak": 4,
        "queued_total": 6,
    }


def _wait_for(base: str, pred: Any, timeout: float = 10) -> dict[str, Any]:
    """Poll ``/_chatgate/stats`` until ``pred(generation stats)`` holds."""
    deadline = time.monotonic() + timeout
    while True:
        generation: dict[str, Any] = httpx.get(base + "/_chatgate/stats").json()["generation"]
        if pred(generation) or time.monotonic() > deadline:
            return generation
        time.sleep(0.01)


def _leave_once_queued(base: str) -> None:
    """A streamed Nara send on a bare socket that waits until the server has queued it, then leaves
    (closes). Not a client timeout: on a busy machine a short one fired before the server had read the
    request at all (CI), and then nobody left the queue."""
    url = urlsplit(base)
    body = json.dumps({**MSG, "stream": True}).encode()
    headers = {**NARA_1001, "Host": url.netloc, "Content-Type": "application/json"}
    head = f"POST {SEND} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    request = (head + f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    with socket.create_connection((url.hostname or "127.0.0.1", url.port or 80), timeout=10) as sock:
        sock.sendall(request)
        assert _wait_for(base, lambda g: g["queued"] == 1)["queued"] == 1  # waiting behind the holder


def test_a_client_that_leaves_the_queue_gives_up_its_place(in_process: InProcess) -> None:
    server = in_process(max_concurrent_streams=1, itl_ms=300, reply_tokens=3)  # 600 ms streams
    holder = threading.Thread(target=_timed_stream, args=(server.base_url,))
    holder.start()
    assert _wait_for(server.base_url, lambda g: g["active"] == 1)["active"] == 1
    _leave_once_queued(server.base_url)
    assert _wait_for(server.base_url, lambda g: g["queued"] == 0)["queued"] == 0  # the server noticed
    first, *_ = _timed_stream(server.base_url)
    holder.join(10)
    # The holder's remaining time (< 450 ms), not that plus a whole 600 ms stream for the leaver.
    assert first < 0.6, first
    generation = _wait_for(server.base_url, lambda g: g["active"] == 0)
    assert generation["queued_total"] == 2 and generation["active"] == 0


def test_a_reply_waiting_for_a_slot_at_shutdown_gets_the_shutdown_event(in_process: InProcess) -> None:
    server = in_process(max_concurrent_streams=1, fault_stall_rate=1)
    got: list[bytes] = []

    def read() -> None:
        with httpx.Client(timeout=30) as c:
            got.append(
                c.post(server.base_url + SEND, json={**MSG, "stream": True}, headers=NARA_1001).content
            )

    readers = [threading.Thread(target=read) for _ in range(2)]
    readers[0].start()
    _wait_for(server.base_url, lambda g: g["active"] == 1)
    readers[1].start()
    assert _wait_for(server.base_url, lambda g: g["queued"] == 1)["queued"] == 1
    server.stop()
    for t in readers:
        t.join(10)
    assert sorted(b"server_shutdown" in g for g in got) == [False, True]
    queued = next(g for g in got if b"server_shutdown" in g)
    assert b"message_start" not in queued
