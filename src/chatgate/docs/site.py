"""Render the docs pages: Swagger UI for the reference, chatgate's own sections around it.

Two ways to ship the renderer's script and style:

- **offline** (``chatgate docs``): inlined into each page, so one ``.html`` file opens from disk with
  no network and can be mailed or archived on its own. Try-it-out is off there: a page opened from
  ``file://`` cannot call an API (no CORS origin), and the page says where to try instead.
- **served** (``chatgate serve``, ``/docs/{api}``): loaded from ``/docs/assets/``; the spec's
  ``servers`` is replaced by the server's own URL so try-it-out calls the reference server itself,
  pre-authorised with the dev keys when (and only when) the server runs with them.

Swagger UI comes from the ``flask-swagger-ui`` wheel, which ships Swagger UI's ``dist/`` (we use its
files, not Flask).
"""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any

from chatgate import __version__
from chatgate.contract_model import model_for
from chatgate.docs.model import api_doc
from chatgate.docs.templating import TEMPLATES
from chatgate.specs import API_NAMES

__all__ = ["ASSETS", "asset", "render_index", "render_page", "renderer_version"]

ASSETS = ("swagger-ui-bundle.js", "swagger-ui.css")


def _dist() -> Any:
    return resources.files("flask_swagger_ui") / "dist"


@cache
def asset(name: str) -> bytes:
    """The bytes of one of Swagger UI's files (``ASSETS``)."""
    if name not in ASSETS:
        raise KeyError(name)
    data: bytes = (_dist() / name).read_bytes()
    return data


@cache
def renderer_version() -> str:
    """Swagger UI's version, as its dist says (e.g. ``v5.34.0``)."""
    try:
        version: str = (_dist() / "VERSION").read_text(encoding="utf-8").strip()
        return f"Swagger UI {version}"
    except OSError:
        return "Swagger UI"


def _inline_script(text: str) -> str:
    # "</script" cannot appear inside a <script> element; "<\/" means the same inside JS strings.
    return text.replace("</script", "<\\/script").replace("</SCRIPT", "<\\/SCRIPT")


def _json_for_script(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")


def render_page(
    api: str,
    *,
    server_url: str | None = None,
    asset_base: str | None = None,
    try_keys: dict[str, str] | None = None,
) -> str:
    """The HTML page of ``api``.

    ``server_url`` set: the page is served by a reference server at that URL (try-it-out against it).
    ``asset_base`` set: Swagger UI's files are linked from there, else inlined.
    ``try_keys``: security scheme name -> key to pre-authorise try-it-out with (served pages only).
    """
    model = model_for(api)
    spec = copy.deepcopy(model.spec)
    doc = api_doc(api)
    if server_url:
        spec["servers"] = [{"url": server_url, "description": "This server (try-it-out calls it)"}]
    config = {
        "dom_id": "#swagger-ui",
        "deepLinking": True,
        "docExpansion": "list",
        "defaultModelsExpandDepth": 0,
        "displayOperationId": True,
        "validatorUrl": None,
        "tryItOutEnabled": False,
        "supportedSubmitMethods": ["get", "post"] if server_url else [],
    }
    if asset_base is None:
        css = asset("swagger-ui.css").decode("utf-8")
        script = _inline_script(asset("swagger-ui-bundle.js").decode("utf-8"))
    else:
        css = script = ""
    return TEMPLATES.get_template("api.html.j2").render(
        doc=doc,
        spec_json=_json_for_script(spec),
        config_json=_json_for_script(config),
        try_keys_json=_json_for_script(try_keys or {}),
        served=bool(server_url),
        server_url=server_url or "",
        host=server_url or str(((spec.get("servers") or [{}])[0]).get("url", "https://…")),
        try_hint="pre-authorised on this page with the server's dev key" if try_keys else "",
        asset_base=asset_base,
        inline_css=css,
        inline_script=script,
        renderer=renderer_version(),
        spec_file=model.path.name,
        version=__version__,
    )


def render_index(*, served: bool) -> str:
    """The docs home page linking both APIs (``index.html`` offline, ``/docs`` served)."""
    docs = [api_doc(api) for api in API_NAMES]
    return TEMPLATES.get_template("index.html.j2").render(
        docs=docs, served=served, renderer=renderer_version(), version=__version__
    )
