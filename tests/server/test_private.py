"""Private endpoints: /healthz, /docs and its two pages (rendered by chatgate.docs when installed)."""

from __future__ import annotations

import importlib.util
from typing import Any

import httpx


def test_healthz_and_docs(shared_server: Any) -> None:
    with httpx.Client(base_url=shared_server.base_url, timeout=30) as c:
        health = c.get("/healthz")
        index = c.get("/docs")
        pages = {api: c.get(f"/docs/{api}") for api in ("nara", "navigable")}
        unknown = c.get("/docs/other")
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    assert (
        index.status_code == 200
        and 'href="/docs/nara"' in index.text
        and 'href="/docs/navigable"' in index.text
    )
    docs_installed = importlib.util.find_spec("chatgate.docs") is not None
    for page in pages.values():
        if docs_installed:
            assert page.status_code == 200 and page.headers["content-type"].startswith("text/html"), (
                page.text[:200]
            )
        else:
            assert page.status_code == 503 and "not available" in page.text
    assert unknown.status_code == 404
