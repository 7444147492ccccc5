"""Each fault flag produces exactly the fault it names, on exactly the requests it should."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from chatgate.server.faults import hits
from tests.server.server_helpers import (
    LIST,
    NARA_1001,
    NAV,
    NAVIGABLE,
    SEND,
    InProcess,
    assert_conforms,
    event_data_valid,
    read_stream,
)

MSG = {"message": "fault?", "conversation_id": "faults"}


def test_share_is_exact_and_evenly_spread() -> None:
    assert [n for n in range(1, 101) if hits(n, 0.05)] == [20, 40, 60, 80, 100]
    assert sum(hits(n, 0.3) for n in range(1, 1001)) == 300
    assert all(hits(n, 1.0) for n in range(1, 50))
    assert not any(hits(n, 0.0) for n in range(1, 50))


def test_fault_500_hits_every_nth_request_in_each_envelope(in_process: InProcess) -> None:
    server = in_process(fault_500_rate=0.25)
    statuses = []
    with httpx.Client(base_url=server.base_url, timeout=10) as c:
        for i in range(8):
            if i % 2:
                r = c.post(NAV, json={"message": "x", "identifier": "f500"}, headers=NAVIGABLE)
                api, path, method = "navigable", NAV, "post"
            else:
                r = c.post(SEND, json=MSG, headers=NARA_1001)
                api, path, method = "nara", SEND, "post"
            statuses.append(r.status_code)
            if r.status_code == 500:
                assert_conforms(api, path, method, r, 500)
        stats = c.get("/_chatgate/stats").json()
    assert statuses == [200, 200, 200, 500, 200, 200, 200, 500]
    assert stats["faults"] == {"500": 2}


def test_fault_429_with_retry_after(in_process: InProcess) -> None:
    server = in_process(fault_429_rate=0.5, retry_after=7)
    with httpx.Client(base_url=server.base_url, timeout=10) as c:
        rs = [c.get(NAV, params={"identifier": "seed-1"}, headers=NAVIGABLE) for _ in range(4)]
        nara = [c.get(LIST, params={"user_id": 1001}, headers=NARA_1001) for _ in range(2)]
    assert [r.status_code for r in rs] == [200, 429, 200, 429]
    for r in rs[1::2]:
        assert r.headers["Retry-After"] == "7"
        assert assert_conforms("navigable", NAV, "get", r, 429)["message"] == "TOO_MANY_REQUESTS"
    assert [r.status_code for r in nara] == [200, 429]  # requests 5 and 6 of the same count
    assert nara[1].headers["Retry-After"] == "7"
    assert assert_conforms("nara", LIST, "get", nara[1], 429)["error"]["code"] == "rate_limited"


def test_added_latency_delays_every_api_response(in_process: InProcess) -> None:
    server = in_process(added_latency_ms=300)
    with httpx.Client(base_url=server.base_url, timeout=10) as c:
        c.get("/healthz")  # private endpoints are not delayed; warm the connection
        for call in (
            lambda: c.post(SEND, json=MSG, headers=NARA_1001),
            lambda: c.get(NAV, params={"identifier": "x"}, headers=NAVIGABLE),
            lambda: c.get(NAV, params={"identifier": "x"}),  # even a 401
        ):
            t0 = time.perf_counter()
            r = call()
            assert time.perf_counter() - t0 >= 0.29, r
        t0 = time.perf_counter()
        assert c.get("/healthz").status_code == 200
        assert time.perf_counter() - t0 < 0.29


def test_stream_cut_closes_the_connection_after_half_the_deltas(in_process: InProcess) -> None:
    server = in_process(fault_stream_cut_rate=0.5, reply_tokens=10)
    with httpx.Client(base_url=server.base_url, timeout=10) as c:
        whole = read_stream(c, MSG)  # request 1: not hit
        cut = read_stream(c, MSG)  # request 2: cut
        stats = c.get("/_chatgate/stats").json()["streams"]
    assert whole.clean_end and whole.names[-1] == "message_end"
    assert cut.status == 200 and not cut.clean_end, cut
    assert cut.names == ["message_start"] + ["delta"] * 5
    assert all(event_data_valid(e) for e in cut.events)
    assert stats["cut"] == 1 and stats["completed"] == 1 and stats["active"] == 0


def test_malformed_event_is_one_event_with_data_that_is_not_json(in_process: InProcess) -> None:
    server = in_process(fault_malformed_event_rate=1, reply_tokens=6)
    with httpx.Client(base_url=server.base_url, timeout=10) as c:
        got = read_stream(c, MSG)
    bad = [e for e in got.events if not event_data_valid(e)]
    assert got.clean_end and got.names[0] == "message_start" and got.names[-1] == "message_end"
    assert len(bad) == 1
    with pytest.raises(ValueError):
        json.loads(bad[0].data)
    assert [
        json.loads(e.data)["index"] for e in got.events if e.event == "delta" and e is not bad[0]
    ] == list(range(6))


def test_missing_terminal_ends_cleanly_without_terminal_event(in_process: InProcess) -> None:
    server = in_process(fault_missing_terminal_rate=1, reply_tokens=5)
    with httpx.Client(base_url=server.base_url, timeout=10) as c:
        got = read_stream(c, MSG)
        plain = c.post(SEND, json=MSG, headers=NARA_1001)
    assert got.clean_end and got.error == ""
    assert got.names == ["message_start"] + ["delta"] * 5
    assert all(event_data_valid(e) for e in got.events)
    assert got.content() == assert_conforms("nara", SEND, "post", plain, 200)["content"]


def test_stream_error_ends_with_the_error_event_after_every_delta(in_process: InProcess) -> None:
    server = in_process(fault_stream_error_rate=0.5, reply_tokens=4)
    with httpx.Client(base_url=server.base_url, timeout=10) as c:
        whole = read_stream(c, MSG)  # request 1: not hit
        failed = read_stream(c, MSG)  # request 2: ends with error
        listed = c.get(LIST, params={"user_id": 1001, "sort_by": "id:desc"}, headers=NARA_1001).json()
        stats = c.get("/_chatgate/stats").json()["streams"]
    assert whole.names[-1] == "message_end"
    assert failed.clean_end and failed.names == ["message_start"] + ["delta"] * 4 + ["error"]
    assert all(event_data_valid(e) for e in failed.events)
    assert json.loads(failed.events[-1].data)["code"] == "internal_error"
    assert listed["data"][0]["content"] == failed.content()  # stored as streamed
    assert stats["errored"] == 1 and stats["completed"] == 1 and stats["active"] == 0
