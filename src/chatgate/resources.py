"""Where the files the commands need live: the specs, the contract suite, the load scenarios, the SLO file.

One lookup for all of them, in the order flag, environment, default (ARCHITECTURE.md):

    specs        --specs DIR        CHATGATE_SPECS_DIR        specs/ of this checkout
    contracts                       CHATGATE_CONTRACTS_DIR    contracts/ of this checkout
    loadtests                       CHATGATE_LOADTESTS        loadtests/ of this checkout
    SLO file     --slo FILE                                   <loadtests>/slo.toml

A folder that is not there is a UsageError (exit 2) naming the folder and the variable to set.
"""

from __future__ import annotations

import os
from pathlib import Path

from chatgate.errors import UsageError

__all__ = ["checkout_root", "contracts_dir", "loadtests_dir", "slo_file", "specs_dir"]


def checkout_root() -> Path:
    """The folder holding ``src/chatgate`` when running from a checkout (an editable install)."""
    return Path(__file__).resolve().parents[2]


def _folder(env: str, default: Path, marker: str, what: str) -> Path:
    raw = os.environ.get(env, "").strip()
    path = Path(raw) if raw else default
    if not (path / marker).exists():
        raise UsageError(f"{path}: {what} is not there (set {env} to the folder holding {marker})")
    return path


def specs_dir() -> Path:
    """The folder holding ``nara.openapi.yaml`` and ``navigable.openapi.yaml``."""
    raw = os.environ.get("CHATGATE_SPECS_DIR", "").strip()
    return Path(raw) if raw else checkout_root() / "specs"


def contracts_dir() -> Path:
    """The conformance suite (``conftest.py`` and its test modules)."""
    return _folder(
        "CHATGATE_CONTRACTS_DIR", checkout_root() / "contracts", "conftest.py", "the contract suite"
    )


def loadtests_dir() -> Path:
    """The Locust scenarios and ``slo.toml``."""
    return _folder("CHATGATE_LOADTESTS", checkout_root() / "loadtests", "slo.toml", "the load scenarios")


def slo_file() -> Path:
    """The default SLO file."""
    return loadtests_dir() / "slo.toml"
