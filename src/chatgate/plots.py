"""The reporters' PNG plots: matplotlib on its file-only backend, and a finished figure as PNG bytes."""

from __future__ import annotations

import io
from typing import Any

__all__ = ["png", "pyplot"]


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the Agg backend, imported on first use (only reports that plot pay)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def png(fig: Any) -> bytes:
    """``fig`` laid out, encoded as PNG (90 dpi) and closed."""
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    pyplot().close(fig)
    return buf.getvalue()
