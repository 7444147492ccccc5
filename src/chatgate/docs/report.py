"""A docs build as files: ``summary.json`` (pure) and the site published through a ``RunDir``.

``summary.json`` (schema ``chatgate/schemas/docs.summary.schema.json``)::

    {"schema_version": 1, "generated", "renderer", "index": "index.html",
     "pages": [{"api", "title", "page", "spec", "bytes", "operations", "stream_events", "errors",
                "assumptions", "examples"}],
     "schemas": ["lint.summary.schema.json", ...]}   # published under schemas/
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from chatgate.artifacts import RunDir
from chatgate.contract_model import spec_sources
from chatgate.docs.build import DocsBuild

__all__ = ["SCHEMA_VERSION", "publish_docs", "summary"]

SCHEMA_VERSION = 1


def summary(build: DocsBuild) -> dict[str, Any]:
    """The ``summary.json`` document of a build."""
    return {
        "schema_version": SCHEMA_VERSION,
        "generated": build.generated,
        "renderer": build.renderer,
        "index": "index.html",
        "specs": spec_sources([p.api for p in build.pages]),
        "pages": [
            {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(p).items()}
            for p in build.pages
        ],
        "schemas": list(build.schemas),
    }


def publish_docs(build: DocsBuild, run_dir: RunDir) -> dict[str, Path]:
    """Write every file of the site and ``summary.json`` atomically; returns their paths by name."""
    files: dict[str, str | bytes] = dict(build.files)
    files["summary.json"] = json.dumps(summary(build), indent=2) + "\n"
    return run_dir.publish(files)
