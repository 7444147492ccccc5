"""The spec docs served by the reference server: ``/docs``, ``/docs/{api}``, ``/docs/assets/{name}``.

The pages are rendered by :mod:`chatgate.docs.site` (the same renderer ``chatgate docs`` writes files
with), served with Swagger UI's files from ``/docs/assets/`` and the spec's ``servers`` replaced by the
server's own URL, so try-it-out calls this server. Try-it-out is pre-authorised only with the public dev
keys, never with keys given by flag or environment (those must not appear in a page).
"""

from __future__ import annotations

import logging

from starlette import routing
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response

from chatgate.apis import API_NAMES, DEV_NARA_KEYS, DEV_NAVIGABLE_KEYS
from chatgate.docs import site
from chatgate.server.config import ServerConfig
from chatgate.server.http import ApiError, error_response

__all__ = ["docs_routes"]

log = logging.getLogger("chatgate.server")


def _try_keys(config: ServerConfig) -> dict[str, dict[str, str]]:
    """API -> security scheme -> the dev key try-it-out is pre-authorised with (only the public ones)."""
    keys: dict[str, dict[str, str]] = {"nara": {}, "navigable": {}}
    if dict(config.nara_keys) == dict(DEV_NARA_KEYS):
        keys["nara"]["bearerAuth"] = min(DEV_NARA_KEYS)
    if set(config.navigable_keys) == set(DEV_NAVIGABLE_KEYS):
        keys["navigable"]["apiKeyAuth"] = min(DEV_NAVIGABLE_KEYS)
    return keys


def _unavailable(what: str) -> Response:
    log.exception("rendering %s failed", what)
    return PlainTextResponse("The spec docs could not be rendered.", status_code=503)


def docs_routes(config: ServerConfig) -> list[routing.BaseRoute]:
    """The routes of the served docs."""
    try_keys = _try_keys(config)

    async def index(request: Request) -> Response:
        try:
            return HTMLResponse(site.render_index(served=True))
        except Exception:
            return _unavailable("the docs index")

    async def page(request: Request) -> Response:
        api = request.path_params["api"]
        if api not in API_NAMES:
            return error_response(None, ApiError(404, f"No docs for {api!r}: see /docs."))
        server_url = str(request.base_url).rstrip("/")
        try:
            html = site.render_page(
                api, server_url=server_url, asset_base="/docs/assets", try_keys=try_keys[api]
            )
        except Exception:
            return _unavailable(f"the {api} docs")
        return HTMLResponse(html)

    async def asset(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in site.ASSETS:
            return error_response(None, ApiError(404, f"No docs asset {name!r}."))
        media = "text/css" if name.endswith(".css") else "text/javascript"
        return Response(site.asset(name), media_type=media, headers={"Cache-Control": "max-age=3600"})

    return [
        routing.Route("/docs", index, methods=["GET"]),
        routing.Route("/docs/assets/{name:str}", asset, methods=["GET"]),
        routing.Route("/docs/{api:str}", page, methods=["GET"]),
    ]
