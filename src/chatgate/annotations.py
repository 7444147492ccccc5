"""GitHub Actions workflow commands (``::error file=...,line=...::message``): their escaping.

The gate and ``chatgate diff`` both write annotations; the data and property escaping GitHub's runner
expects lives here once (``%``, CR and LF in the message; ``:`` and ``,`` in a property as well).
"""

from __future__ import annotations

__all__ = ["escape_data", "escape_property"]


def escape_data(text: str) -> str:
    """A workflow command's message, escaped."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value (``file=``, ``title=``), escaped."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")
