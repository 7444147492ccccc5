"""Private endpoints: /healthz, and the docs (/docs, its two pages and Swagger UI's files)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.server.server_helpers import InProcess


def test_healthz_and_docs(seeded_server: Any) -> None:
    with httpx.Client(base_url=seeded_server.base_url, timeout=30) as c:
        health = c.get("/healthz")
        index = c.get("/docs")
        pages = {api: c.get(f"/docs/{api}") for api in ("nara", "navigable")}
        script = c.get("/docs/assets/swagger-ui-bundle.js")
        style = c.get("/docs/assets/swagger-ui.css")
        unknown = c.get("/docs/other")
        no_asset = c.get("/docs/assets/../../etc/passwd")
        other_asset = c.get("/docs/assets/index.html")
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    assert index.status_code == 200
    assert 'href="/docs/nara"' in index.text and 'href="/docs/navigable"' in index.text
    for api, page in pages.items():
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert '<script src="/docs/assets/swagger-ui-bundle.js">' in page.text
        assert f'"url": "{seeded_server.base_url}"' in page.text  # try-it-out targets this server
        assert ("nara-dev-key-1001" if api == "nara" else "navigable-dev-key") in page.text
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert len(script.content) > 500_000
    assert style.status_code == 200 and style.headers["content-type"].startswith("text/css")
    assert unknown.status_code == 404 and no_asset.status_code == 404 and other_asset.status_code == 404


def test_docs_never_show_keys_given_by_flag(in_process: InProcess) -> None:
    server = in_process(nara_keys={"secret-nara-key": 7}, navigable_keys=frozenset({"sec-nav"}))
    pages = [httpx.get(f"{server.base_url}/docs/{api}", timeout=30).text for api in ("nara", "navigable")]
    for page in pages:
        assert "secret-nara-key" not in page and "sec-nav" not in page
        assert "dev-key" not in page
