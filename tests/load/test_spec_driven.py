"""The load side asks the model of each spec: operations found by their rules, requests built from the
spec, credentials and identity where its security scheme says, stream deadlines from its liveness, and a
spec the scenario cannot use refused before anything starts."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from chatgate.contract_model import MISSING, Call
from chatgate.errors import SpecError
from chatgate.load.config import load_options, plan_run, require_scenario, scenario_deadlines
from chatgate.load.generator import Generator, Settings
from chatgate.load.operations import find, listed, path_of, read_back_pairs, rows_read_back
from chatgate.load.slo import SloFile
from chatgate.load.validators import Validators, ref
from tests.load.spec_variants import (
    ignoring_unknown,
    stream_ext,
    with_usage,
    without_stream_rules,
    write_specs,
)


@pytest.fixture
def use_specs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    def use(edit: Any) -> Path:
        where = write_specs(tmp_path / "specs", edit)
        monkeypatch.setenv("CHATGATE_SPECS_DIR", str(where))
        return where

    return use


def test_each_scenario_finds_its_operations_by_the_rule_they_carry() -> None:
    wanted = [
        ("nara", "streamed"),
        ("nara", "paginated"),
        ("navigable", "windowed"),
        ("navigable", "read-back"),
    ]
    labels = {kind: [op.label for op in find(api, kind)] for api, kind in wanted}
    assert labels == {
        "streamed": ["POST /api/v1.0/chat"],
        "paginated": ["GET /api/v1.0/chat/messages"],
        "windowed": ["GET /api/v1/chat"],
        "read-back": ["POST /api/v1/chat"],
    }
    [pair] = read_back_pairs("navigable")
    assert pair.read.label == "GET /api/v1/chat" and pair.rule.target == pair.read.operation_id


def test_a_sent_message_is_read_back_by_the_rows_its_rule_names() -> None:
    [pair] = read_back_pairs("navigable")
    call = Call({"message": "hi there", "identifier": "s1"}, {}, {"data": {"assistantMessage": "hello"}})
    rows = rows_read_back(pair.rule, call, "message")
    assert rows == [{"sender": "USER", "content": "hi there"}]  # the rows that read the message field
    assert rows_read_back(pair.rule, call, None) == [rows[0], {"sender": "ASSISTANT", "content": "hello"}]
    assert listed([{"sender": "ASSISTANT", "content": "hi"}, {"sender": "USER", "content": "hi there"}], rows)
    assert not listed([{"sender": "ASSISTANT", "content": "hi there"}], rows)
    assert not listed([{"sender": "USER", "content": "hi there!"}], rows)
    unanswered = Call({"message": "x"}, {}, MISSING)
    assert rows_read_back(pair.rule, unanswered, None) == [{"sender": "USER", "content": "x"}]


def test_path_templates_are_filled_from_the_spec() -> None:
    op = find("nara", "paginated")[0]
    assert path_of(op) == op.path
    templated = dataclasses.replace(op, path=op.path + "/{user_id}/{conversation}")
    assert path_of(templated, "s1", {"conversation": "c9"}) == op.path + "/1/c9"  # user_id: its minimum


def test_validators_take_the_models_pointers() -> None:
    assert ref("/paths/~1a~1{id}/get/schema") == "#/paths/~1a~1%7Bid%7D/get/schema"
    assert ref("#/components/schemas/X") == "#/components/schemas/X"
    v = Validators()
    v.warm()
    stream = find("nara", "streamed")[0].stream
    assert stream is not None
    warmed = {p for _, p in v._fast}
    assert {ref(p) for p in stream.data_pointers.values()} | {ref(stream.envelope_pointer)} <= warmed
    page = find("nara", "paginated")[0].success("application/json")
    assert page is not None and page.schema_pointer is not None and ref(page.schema_pointer) in warmed


def test_stream_deadlines_default_to_the_specs_liveness(use_specs: Any, tmp_path: Path) -> None:
    def liveness(doc: dict[str, Any]) -> None:
        stream_ext(doc)["liveness"] = {"idle": "7s", "total": "42s"}

    assert (scenario_deadlines("mixed").stream_idle_s, scenario_deadlines("mixed").stream_s) == (30, 300)
    use_specs(liveness)
    d = scenario_deadlines("nara-stream-sends")
    assert (d.request_s, d.stream_idle_s, d.stream_s) == (30, 7, 42)
    no_slo = SloFile(None, {}, {})
    plan = plan_run(load_options("nara-stream-sends"), no_slo)
    assert (plan.deadlines.stream_idle_s, plan.deadlines.stream_s) == (7, 42)
    flagged = plan_run(load_options("nara-stream-sends", stream_timeout_s=9.0), no_slo)
    assert (flagged.deadlines.stream_idle_s, flagged.deadlines.stream_s) == (7, 9)  # the flag wins
    settings = Settings.from_env(None, {})  # plain `locust -f`: no deadline variable set
    assert (settings.deadlines.stream_idle_s, settings.deadlines.stream_s) == (7, 42)
    settings = Settings.from_env(None, {"CHATGATE_STREAM_IDLE_TIMEOUT": "3"})
    assert (settings.deadlines.stream_idle_s, settings.deadlines.stream_s) == (3, 42)


def test_credentials_and_identity_come_from_the_security_scheme(use_specs: Any) -> None:
    def key_in_query(doc: dict[str, Any]) -> None:
        scheme = doc["components"]["securitySchemes"]["bearerAuth"]
        identity = scheme["x-chatgate-identity"]
        doc["components"]["securitySchemes"]["bearerAuth"] = {
            "type": "apiKey", "in": "query", "name": "key", "x-chatgate-identity": identity,
        }  # fmt: skip

    env = {"NARA_API_KEY": "k1", "NARA_USER_ID": "77"}
    gen = Generator(Settings.from_env("http://127.0.0.1:9", env), on_done=lambda out: None)
    client = gen.client("nara")
    assert client.client.default_headers["Authorization"] == "Bearer k1" and client.query == {}
    assert gen.identity("nara") == 77 and gen.identity("navigable") is None
    client.close()
    use_specs(key_in_query)
    gen = Generator(Settings.from_env("http://127.0.0.1:9", env), on_done=lambda out: None)
    client = gen.client("nara")
    assert client.query == {"key": "k1"} and "Authorization" not in client.client.default_headers
    assert client._uri("/p", {"a": 1}) == "/p?key=k1&a=1"
    client.close()
    with pytest.raises(ValueError, match="NARA_USER_ID='abc' is not a valid user_id"):
        Settings.from_env(None, {"NARA_USER_ID": "abc"})


def test_a_spec_the_scenario_cannot_use_is_refused_up_front(use_specs: Any) -> None:
    def bad_extension(doc: dict[str, Any]) -> None:
        stream_ext(doc)["unknown_events"] = "sometimes"

    where = use_specs(bad_extension)
    with pytest.raises(SpecError, match=rf"^{where}/nara.openapi.yaml:\d+: .*unknown_events"):
        require_scenario("nara-stream-sends")
    require_scenario("navigable-reads")  # a scenario that uses only the other spec still runs
    use_specs(without_stream_rules)
    for scenario in ("nara-stream-sends", "mixed"):
        with pytest.raises(SpecError, match=f"{scenario} cannot run: no operation with a streamed answer"):
            require_scenario(scenario)
    require_scenario("nara-paginated-reads")


@pytest.mark.parametrize("command", ["load", "capacity"])
def test_the_cli_refuses_a_bad_extension_with_one_line(use_specs: Any, command: str) -> None:
    def bad_extension(doc: dict[str, Any]) -> None:
        stream_ext(doc)["grammar"] = "message_start delta* (message_end | error"

    where = use_specs(bad_extension)
    proc = subprocess.run(
        [sys.executable, "-m", "chatgate", command, "--specs", str(where), "--base-url", "http://127.0.0.1:9"],
        capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL, check=False,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"chatgate: error: {where}/nara.openapi.yaml:"), lines
    assert "never closed" in lines[0]


@pytest.mark.slow
@pytest.mark.timing
def test_a_run_against_an_evolved_spec_the_server_still_conforms_to(
    tmp_path: Path, load_cli: Any, summary_of: Any, lenient_slo: Path
) -> None:
    """An optional event the server never sends (``usage?``) and unknown events ignored: a team's new
    spec, today's server: every stream conforms, and TTFT is still the server's pacing."""

    def evolved(doc: dict[str, Any]) -> None:
        with_usage(doc)
        ignoring_unknown(doc)

    specs = write_specs(tmp_path / "specs", evolved)
    proc = load_cli(
        "--specs", str(specs), "--scenario", "nara-stream-sends", "--users", "10", "--run-time", "5s",
        "--server-arg", "--ttft-ms 200 --itl-ms 20 --reply-tokens 12", "--slo", str(lenient_slo),
        "--report-dir", str(tmp_path / "reports"),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    s = summary_of(tmp_path / "reports", "nara-stream-sends")
    assert s["requests"] >= 50 and s["errors"] == {} and s["error_rate"] == 0.0, s["errors"]
    assert s["ttft"]["count"] == s["requests"]
    assert abs(s["ttft"]["p50"] - s["headers"]["p50"] - 200.0) <= 5.0, (s["ttft"], s["headers"])
    st = s["streams"]
    assert st["deltas"] == 12 * s["requests"] and st["events_validated"] == st["events"] == 14 * s["requests"]
