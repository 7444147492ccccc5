"""What the docs pages say beyond the reference is derived from the specs, and complete."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from chatgate.contract_model import model_for
from chatgate.docs.model import api_doc
from chatgate.docs.site import render_page
from chatgate.specs import API_NAMES, assumptions, load_spec, operations
from tests.summary_schemas import assert_valid_summary

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("api", API_NAMES)
def test_every_operation_and_every_error_answer_is_listed(api: str) -> None:
    spec = load_spec(api)
    doc = api_doc(api)
    assert [(o.method, o.path) for o in doc.operations] == [
        (o.method.upper(), o.path) for o in operations(spec)
    ]
    listed = {(e.status, op) for e in doc.errors for op in e.operations}
    expected = {
        (str(status), op.label)
        for op in operations(spec)
        for status in op.definition["responses"]
        if not str(status).startswith("2")
    }
    assert listed == expected
    for error in doc.errors:
        assert error.when and error.response and json.loads(error.example)


@pytest.mark.parametrize("api", API_NAMES)
def test_every_assumption_is_listed_with_where_it_applies(api: str) -> None:
    doc = api_doc(api)
    assert [text for _, text in doc.assumptions] == [a.text for a in assumptions(load_spec(api))]
    assert len(doc.assumptions) >= 5
    assert all(" › " in where or where == "info" for where, _ in doc.assumptions)


def test_stream_catalogue_grammar_and_roles_come_from_the_model() -> None:
    doc = api_doc("nara")
    [stream] = doc.streams
    [op] = model_for("nara").streamed()
    s = op.stream
    assert s is not None and stream.operation == op.label
    assert [e.name for e in stream.events] == list(s.events)
    # the grammar and roles the docs state are the ones the gate enforces
    assert stream.grammar == s.grammar.text == "message_start delta* (message_end | error)"
    assert (frozenset(stream.opening), frozenset(stream.terminal)) == (s.opening, s.terminal)
    roles = {e.name: e.roles for e in stream.events}
    assert roles == {"message_start": ("opening",), "delta": ("content",), "message_end": ("terminal",),
                     "error": ("terminal", "error")}  # fmt: skip
    said = dict(stream.rules)
    assert (
        "`content` of each `delta` event" in said["the reply's text"]
        and "`index`" in said["the reply's text"]
    )
    assert said["asked for"] == "by sending `stream` = `true` in the body"
    assert "30 s" in said["liveness"] and "300 s" in said["length"]
    delta = next(e for e in stream.events if e.name == "delta")
    assert [f.name for f in delta.fields] == ["type", "index", "content"]
    assert json.loads(delta.example)["type"] == "delta" and delta.schema == "DeltaData"
    assert api_doc("navigable").streams == []


def test_the_rules_each_operation_states_are_in_integrators_words() -> None:
    nara = {(d.label, r.kind): r.lines for d in api_doc("nara").rules for r in d.rules}
    pages = " ".join(nara["GET /api/v1.0/chat/messages", "pages"])
    for said in ("`current_page` (from 1 to 2147483647, default 1)", "`rows_per_page` rows (from 1 to 100, "
                 "default 20)", "`pagination.total_rows` counts every row", "ordered by `id` in the same "
                 "direction", "(default `created_at:desc`)", "only once that stream has ended",
                 "past the last one is an empty list"):  # fmt: skip
        assert said in pages, said
    owner = " ".join(nara["GET /api/v1.0/chat/messages", "ownership"])
    assert "`user_id` binds to your identity" in owner and "`$NARA_USER_ID`" in owner and "gets 403" in owner
    back = " ".join(nara["POST /api/v1.0/chat", "read-back"])
    assert "the `message_start` event's `user_message_id`" in back and "your request's `message`" in back
    identity = api_doc("nara").identity
    assert identity is not None and (identity.name, identity.variable) == ("user_id", "NARA_USER_ID")
    assert "reply to a non-streamed send" in identity.description
    navigable = {(d.label, r.kind): r.lines for d in api_doc("navigable").rules for r in d.rules}
    window = " ".join(navigable["GET /api/v1/chat", "window"])
    assert "at most 20 rows in `data`, ordered by `createdAt` (oldest first)" in window
    assert "the newest 20 are kept" in window and "`new` = `true` opens a new session" in window
    assert api_doc("navigable").identity is None
    page = render_page("nara")
    assert 'id="rules"' in page and "<code>rows_per_page</code>" in page and 'id="identity"' in page


def _edited_specs(tmp_path: Path) -> Path:
    """A copy of specs/ whose Nara stream renames `delta` to `content_delta` and adds a `usage?` event."""
    out = tmp_path / "specs"
    shutil.copytree(ROOT / "specs", out)
    path = out / "nara.openapi.yaml"
    text = re.sub(r"\bdelta\b", "content_delta", path.read_text(encoding="utf-8"))
    spec = yaml.safe_load(text)
    schemas = spec["components"]["schemas"]
    schemas["UsageData"] = {
        "type": "object", "description": "How many tokens the reply used.", "required": ["type", "tokens"],
        "properties": {"type": {"const": "usage"}, "tokens": {"type": "integer", "description": "Tokens."}},
    }  # fmt: skip
    schemas["ChatStreamEvent"]["properties"]["event"]["enum"].insert(2, "usage")
    schemas["ChatStreamEvent"]["properties"]["data"]["contentSchema"]["oneOf"].insert(
        2, {"$ref": "#/components/schemas/UsageData"}
    )
    media = spec["paths"]["/api/v1.0/chat"]["post"]["responses"]["200"]["content"]["text/event-stream"]
    media["x-chatgate-stream"]["grammar"] = "message_start content_delta* usage? (message_end | error)"
    path.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return out


def test_docs_of_an_edited_spec_name_its_events_with_no_code_change(tmp_path: Path) -> None:
    specs, out = _edited_specs(tmp_path), tmp_path / "site"
    proc = subprocess.run(
        [sys.executable, "-m", "chatgate", "docs", "--specs", str(specs), "--out", str(out)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["pages"][0]["stream_events"] == [
        "message_start",
        "content_delta",
        "usage",
        "message_end",
        "error",
    ]
    page = re.sub(r"<script\b.*?</script>", "", (out / "nara.html").read_text(encoding="utf-8"), flags=re.S)
    assert "message_start content_delta* usage? (message_end | error)" in page
    assert 'id="event-content_delta"' in page and 'id="event-usage"' in page
    assert "<code>content</code> of each <code>content_delta</code> event" in page
    assert "the <code>content</code> of every <code>content_delta</code> event" in page  # the read-back
    assert not re.search(r"\bdelta\b", page)


@pytest.mark.parametrize("api", API_NAMES)
def test_each_operation_has_curl_and_python_examples_without_a_key(api: str) -> None:
    doc = api_doc(api)
    assert {e.operation_id for e in doc.examples} == {o.operation_id for o in doc.operations}
    for example in doc.examples:
        assert example.curl.startswith("curl ") and f"${api.upper()}_API_KEY" in example.curl
        compile(example.python, f"<{example.title}>", "exec")  # valid Python
        assert f"os.environ['{api.upper()}_API_KEY']" in example.python
        for text in (example.curl, example.python):
            assert "dev-key" not in text


def test_the_listing_example_reads_the_identity_from_its_variable() -> None:
    [listing] = [e for e in api_doc("nara").examples if e.operation_id == "listChatMessages"]
    assert "user_id=$NARA_USER_ID&" in listing.curl
    assert "'user_id': os.environ['NARA_USER_ID']," in listing.python
    assert "1001" not in listing.curl + listing.python
    page = render_page("nara")
    assert "export NARA_USER_ID=…   # the user_id your key belongs to" in page
    streamed = [e for e in api_doc("nara").examples if e.stream]
    assert [e.title for e in streamed] == ["Send a chat message (streamed)"]
    assert "if event in ('error', 'message_end'):" in streamed[0].python


def test_offline_page_inlines_the_renderer_and_embeds_the_spec() -> None:
    html = render_page("nara")
    assert "<script src=" not in html and '<link rel="stylesheet"' not in html
    assert "SwaggerUIBundle" in html and '"operationId": "listChatMessages"' in html
    assert '"supportedSubmitMethods": []' in html  # no try-it-out from file://
    assert "</script" not in html.split("<script>", 1)[1].split("</script>", 1)[0]  # nothing ends it early


def test_served_page_links_assets_and_targets_its_server() -> None:
    html = render_page(
        "navigable",
        server_url="http://127.0.0.1:5555",
        asset_base="/docs/assets",
        try_keys={"apiKeyAuth": "k"},
    )
    assert '<script src="/docs/assets/swagger-ui-bundle.js">' in html
    assert '"servers": [{"url": "http://127.0.0.1:5555"' in html
    assert '"supportedSubmitMethods": ["get", "post"]' in html


def test_docs_command_writes_pages_specs_and_summary(tmp_path: Path) -> None:
    out = tmp_path / "site"
    proc = subprocess.run(
        [sys.executable, "-m", "chatgate", "docs", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert f"docs: {out / 'index.html'}" in proc.stdout
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["renderer"].startswith("Swagger UI v5.")
    assert [p["api"] for p in summary["pages"]] == list(API_NAMES)
    for page in summary["pages"]:
        assert (out / page["page"]).stat().st_size > 500_000  # the renderer is inside
        assert (out / page["spec"]).read_bytes() == (ROOT / "specs" / page["spec"]).read_bytes()
    assert summary["pages"][0]["stream_events"] == ["message_start", "delta", "message_end", "error"]
    assert_valid_summary("docs", summary)
    shipped = sorted(p.name for p in (ROOT / "src" / "chatgate" / "schemas").iterdir())
    assert summary["schemas"] == shipped and "docs.summary.schema.json" in shipped
    for name in shipped:  # every schema published, whatever the areas add
        assert (out / "schemas" / name).read_bytes() == (
            ROOT / "src" / "chatgate" / "schemas" / name
        ).read_bytes()
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="nara.html"' in index and 'href="navigable.html"' in index


def test_docs_into_an_unwritable_place_is_one_line_exit_2(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "chatgate", "docs", "--out", str(blocker / "docs")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"chatgate: error: docs: cannot write to {blocker / 'docs'}: Not a directory"
    ]


_NOT_SHIPPED = re.compile(r"\b(DESIGN|API-NOTES|ARCHITECTURE|CHANGELOG|BENCHMARKS)\b|[\w/-]+\.(md|py|toml)\b")


@pytest.mark.parametrize("api", API_NAMES)
def test_specs_and_pages_name_no_file_an_integrator_does_not_get(api: str) -> None:
    """An integrator gets the spec and the docs pages (with the spec beside them), nothing else."""
    spec_text = (ROOT / "specs" / f"{api}.openapi.yaml").read_text(encoding="utf-8")
    assert [m.group(0) for m in _NOT_SHIPPED.finditer(spec_text)] == []
    page = re.sub(r"<script\b.*?</script>", "", render_page(api), flags=re.S)  # chatgate's own text only
    assert [m.group(0) for m in _NOT_SHIPPED.finditer(page)] == []
