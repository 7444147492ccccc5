"""The docs' one Jinja2 environment: autoescaped templates from ``docs/templates``, strict about
undefined names, and a ``code`` filter that shows a text's `backticked` spans as ``<code>``."""

from __future__ import annotations

import re

import jinja2
import markupsafe

__all__ = ["TEMPLATES", "inline_code"]

_CODE = re.compile(r"`([^`]+)`")


def inline_code(text: str) -> markupsafe.Markup:
    """Escape ``text`` and show its `backticked` spans as <code> (the specs' descriptions and diff's
    messages use them)."""
    return markupsafe.Markup(_CODE.sub(r"<code>\1</code>", str(markupsafe.escape(text))))


TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("chatgate", "docs/templates"),
    autoescape=jinja2.select_autoescape(["html", "j2"]),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
TEMPLATES.filters["code"] = inline_code
