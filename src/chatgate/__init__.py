"""chatgate: contract gate, load runs and offline docs for the Nara and Navigable AI chat APIs."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
