"""Build the offline docs as data: every file of the site and what the summary says about it.

``build_docs()`` renders the pages and gathers the files beside them (the specs the pages link to, and
every JSON Schema of chatgate's machine output under ``schemas/``); it writes nothing. ``report``
publishes a build through ``chatgate.artifacts``. Nothing in a build depends on the clock except
``generated``, which honours ``SOURCE_DATE_EPOCH`` (reproducible builds), so two builds of the same
specs are byte-identical but for it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from types import MappingProxyType

from chatgate.docs.changes import CHANGES_PAGE, render_changes
from chatgate.docs.model import api_doc
from chatgate.docs.site import render_index, render_page, renderer_version
from chatgate.specs import API_NAMES, require_valid_specs, spec_path, specs_dir

__all__ = ["DocsBuild", "PageInfo", "build_docs", "generated_at", "shipped_schemas"]


@dataclass(frozen=True, slots=True)
class PageInfo:
    """One API's page: what it holds (for ``summary.json`` and the terminal)."""

    api: str
    title: str
    page: str
    spec: str
    bytes: int
    operations: tuple[str, ...]
    stream_events: tuple[str, ...]
    errors: int
    assumptions: int
    examples: int


@dataclass(frozen=True, slots=True)
class DocsBuild:
    """The site: file name (relative, ``/``-separated) -> content, and what its pages hold."""

    files: Mapping[str, bytes]
    pages: tuple[PageInfo, ...]
    schemas: tuple[str, ...]
    renderer: str
    generated: str


def generated_at() -> str:
    """Now in UTC, or ``SOURCE_DATE_EPOCH`` when set (reproducible builds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    moment = datetime.fromtimestamp(int(epoch), UTC) if epoch.isdigit() else datetime.now(UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def shipped_schemas() -> dict[str, bytes]:
    """Every file in ``chatgate/schemas/`` (the JSON Schemas of each kind of ``summary.json``)."""
    folder = resources.files("chatgate") / "schemas"
    return {f.name: f.read_bytes() for f in sorted(folder.iterdir(), key=lambda f: f.name) if f.is_file()}


def build_docs() -> DocsBuild:
    """Render ``index.html`` and one self-contained page per API, with the specs and schemas beside.

    Raises SpecError (exit 2) on a spec that is not valid OpenAPI: docs of a broken spec mislead."""
    require_valid_specs()
    files: dict[str, bytes] = {}
    pages: list[PageInfo] = []
    for api in API_NAMES:
        doc = api_doc(api)
        spec = spec_path(api)
        html = render_page(api).encode("utf-8")
        files[f"{api}.html"] = html
        files[spec.name] = spec.read_bytes()
        pages.append(
            PageInfo(
                api=api,
                title=doc.title,
                page=f"{api}.html",
                spec=spec.name,
                bytes=len(html),
                operations=tuple(f"{o.method} {o.path}" for o in doc.operations),
                stream_events=tuple(e.name for s in doc.streams for e in s.events),
                errors=len(doc.errors),
                assumptions=len(doc.assumptions),
                examples=len(doc.examples),
            )
        )
    files["index.html"] = render_index(served=False).encode("utf-8")
    files[CHANGES_PAGE] = render_changes(specs_dir())[0].encode("utf-8")  # the specs' git history, classified
    schemas = shipped_schemas()
    files.update({f"schemas/{name}": data for name, data in schemas.items()})
    return DocsBuild(
        MappingProxyType(files), tuple(pages), tuple(schemas), renderer_version(), generated_at()
    )
