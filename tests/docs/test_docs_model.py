"""What the docs pages say beyond the reference is derived from the specs, and complete."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from chatgate.docs.model import api_doc
from chatgate.docs.site import render_page
from chatgate.specs import API_NAMES, assumptions, load_spec, operations, resolve
from contracts.validation import TERMINAL_EVENTS
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
        assert error.when and error.code and json.loads(error.example)


@pytest.mark.parametrize("api", API_NAMES)
def test_every_assumption_is_listed_with_where_it_applies(api: str) -> None:
    doc = api_doc(api)
    assert [text for _, text in doc.assumptions] == [a.text for a in assumptions(load_spec(api))]
    assert len(doc.assumptions) >= 5
    assert all(" › " in where or where == "info" for where, _ in doc.assumptions)


def test_stream_catalogue_and_grammar_come_from_the_spec() -> None:
    doc = api_doc("nara")
    [stream] = doc.streams
    assert stream.operation == "POST /api/v1.0/chat"
    names = [e.name for e in stream.events]
    spec = load_spec("nara")
    event_schema = resolve(spec, {"$ref": "#/components/schemas/ChatStreamEvent"})
    assert names == event_schema["properties"]["event"]["enum"]
    assert stream.grammar["grammar"] == "message_start delta* (message_end | error)"
    # the grammar the docs state is the one the gate enforces
    assert tuple(stream.grammar["terminal"]) == TERMINAL_EVENTS
    assert [e.name for e in stream.events if e.terminal] == list(TERMINAL_EVENTS)
    delta = next(e for e in stream.events if e.name == "delta")
    assert [f.name for f in delta.fields] == ["type", "index", "content"]
    assert json.loads(delta.example)["type"] == "delta"
    assert api_doc("navigable").streams == []


def test_a_new_event_in_the_spec_appears_in_the_catalogue() -> None:
    spec = copy.deepcopy(load_spec("nara"))
    spec["components"]["schemas"]["PingData"] = {
        "type": "object",
        "description": "Keeps the connection alive.",
        "properties": {"type": {"const": "ping", "description": "Always `ping`."}},
    }
    data = spec["components"]["schemas"]["ChatStreamEvent"]["properties"]["data"]
    data["contentSchema"]["oneOf"].append({"$ref": "#/components/schemas/PingData"})
    names = [e.name for e in api_doc("nara", spec).streams[0].events]
    assert names[-1] == "ping"


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
