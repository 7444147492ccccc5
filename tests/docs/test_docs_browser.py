"""Headless Chromium opens the docs from disk with networking disabled, and the served docs try a call.

Offline: every operation of both APIs is rendered by the reference (Swagger UI) and listed by
chatgate's sections, no request leaves the machine, and the console shows no errors. Served: the
reference server's /docs runs a real request against itself with try-it-out.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chatgate.artifacts import RunDir
from chatgate.docs.build import build_docs
from chatgate.docs.report import publish_docs
from chatgate.specs import API_NAMES, load_spec, operations
from tests.field_proxy import ThreadedServer
from tests.server.server_helpers import start_in_process

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("docs")
    publish_docs(build_docs(), RunDir(out))
    return out


@pytest.mark.parametrize("api", API_NAMES)
def test_offline_page_shows_every_operation_with_no_network(
    api: str, site: Path, open_page: Any, screenshot: Any
) -> None:
    visit = open_page((site / f"{api}.html").as_uri(), ready="body[data-reference-ready=true]")
    page = visit.page
    ops = list(operations(load_spec(api)))
    rendered = page.locator("#swagger-ui .opblock")
    assert rendered.count() == len(ops)
    for op in ops:
        block = page.locator(f"#swagger-ui .opblock-{op.method}:has([data-path='{op.path}'])")
        assert block.count() == 1, op.label
        assert page.locator(f"tr.operation[data-operation='{op.method.upper()} {op.path}']").count() == 1
    assert page.locator("#errors tr.error-row").count() >= 4
    assert page.locator("#examples pre.example-curl").count() >= len(ops)
    assert page.locator("ol.assumptions li").count() >= 5
    if api == "nara":
        assert page.locator("#event-message_start").count() == 1
        assert "message_start delta* (message_end | error)" in page.locator("#stream").inner_text()
    screenshot(visit, f"docs-{api}")
    assert visit.left_the_machine() == []
    assert visit.errors == []


def test_offline_index_links_both_pages(site: Path, open_page: Any, screenshot: Any) -> None:
    visit = open_page((site / "index.html").as_uri())
    hrefs = visit.page.locator("h2 a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    assert hrefs == ["nara.html", "navigable.html"]
    screenshot(visit, "docs-index")
    assert visit.left_the_machine() == [] and visit.errors == []


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThreadedServer]:
    """A reference server of this module's own (50 messages per user; nothing else writes to it)."""
    server = start_in_process(tmp_path_factory.mktemp("served") / "db.sqlite3", seed_messages=50)
    yield server
    server.stop()


def test_served_docs_try_it_out_calls_the_server(
    served: ThreadedServer, open_page: Any, screenshot: Any
) -> None:
    visit = open_page(f"{served.base_url}/docs/nara", offline=False, ready="body[data-reference-ready=true]")
    op = visit.page.locator("#operations-chat-listChatMessages")
    op.locator(".opblock-summary").click()
    op.locator("button.try-out__btn").click()
    op.locator("input[placeholder='user_id']").fill("1001")
    op.locator("button.execute").click()
    status = op.locator(".live-responses-table tbody .response-col_status").first
    status.wait_for(timeout=15_000)
    assert status.inner_text().strip() == "200"
    body = op.locator(".live-responses-table tbody .response-col_description").first.inner_text()
    assert '"total_rows": 50' in body
    screenshot(visit, "docs-served-try-it-out")
    own = served.base_url
    assert all(u.startswith((own, "data:")) for u in visit.requests), visit.requests
    assert visit.errors == []


def test_the_harness_catches_a_page_that_reaches_out(tmp_path: Path, open_page: Any) -> None:
    page = tmp_path / "leaky.html"
    page.write_text(
        '<html><head><link rel="stylesheet" href="https://fonts.example.com/x.css"></head>'
        "<body><script>console.error('boom')</script></body></html>",
        encoding="utf-8",
    )
    visit = open_page(page.as_uri())
    assert visit.left_the_machine() == ["https://fonts.example.com/x.css"]
    assert "boom" in visit.errors
