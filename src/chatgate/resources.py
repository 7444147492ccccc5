"""Where the files the commands need live: the specs, the contract suite, the load scenarios, the SLO file.

One lookup for all of them, in the order flag, environment, checkout, installed package:

    specs        --specs DIR        CHATGATE_SPECS_DIR        specs/       chatgate/_specs/
    contracts                       CHATGATE_CONTRACTS_DIR    contracts/   chatgate/_suite/contracts/
    loadtests                       CHATGATE_LOADTESTS        loadtests/   chatgate/_suite/loadtests/
    SLO file     --slo FILE                                   <loadtests>/slo.toml

"Checkout" means chatgate runs from a clone of its repository (an editable install: the folder above
``src/chatgate`` holds ``pyproject.toml``); otherwise the files come from the installed package
(``importlib.resources``: the wheel carries them, see pyproject.toml). ``--specs DIR`` (every command
takes it, ``chatgate.cli``) sets ``CHATGATE_SPECS_DIR`` for the command and every process it starts.
A folder that is not there is a UsageError (exit 2) naming the folder and the variable to set.

Every Python process chatgate starts (the embedded server, Locust's master and workers, the contract
suite, the main job's parts) starts with :func:`python_command`: the interpreter with ``-P``, so the
folder it is started from is not on its import path. A user's ``chatgate/`` folder (a clone) or
``locust.py`` beside them would otherwise be imported instead of chatgate's or Locust's own.

The contract suite is the top-level package ``contracts`` in both places: it is run by pytest with its
parent folder on the path (``contracts/..`` in a checkout, ``chatgate/_suite`` when installed).
"""

from __future__ import annotations

import functools
import os
import sys
from importlib import resources
from pathlib import Path

from chatgate.errors import UsageError

__all__ = [
    "SPECS_VARIABLE",
    "checkout_root",
    "contracts_dir",
    "in_checkout",
    "loadtests_dir",
    "python_command",
    "shipped_specs_dir",
    "slo_file",
    "specs_dir",
]

SPECS_VARIABLE = "CHATGATE_SPECS_DIR"


@functools.cache  # fixed for the process; the gate asks on every response it validates
def checkout_root() -> Path:
    """The folder holding ``src/chatgate`` when running from a checkout (an editable install)."""
    return Path(__file__).resolve().parents[2]


@functools.cache
def in_checkout() -> bool:
    """Whether chatgate runs from a clone of its repository rather than from an installed package."""
    root = checkout_root()
    return (root / "pyproject.toml").is_file() and (root / "src" / "chatgate").is_dir()


def _packaged(name: str) -> Path:
    """A folder shipped inside the installed package (``chatgate/_specs``, ``chatgate/_suite/...``)."""
    folder = resources.files("chatgate").joinpath(*name.split("/"))
    if not isinstance(folder, Path):  # a zipped install: the suite must be real files for pytest/Locust
        raise UsageError(
            f"chatgate is installed in a form whose files cannot be run ({folder}); install the wheel"
        )
    return folder


def _default(checkout_name: str, packaged_name: str) -> Path:
    return checkout_root() / checkout_name if in_checkout() else _packaged(packaged_name)


def _folder(env: str, default: Path, marker: str, what: str) -> Path:
    raw = os.environ.get(env, "").strip()
    path = Path(raw) if raw else default
    if not (path / marker).exists():
        raise UsageError(f"{path}: {what} is not there (set {env} to the folder holding {marker})")
    return path


def shipped_specs_dir() -> Path:
    """The specs chatgate ships: ``specs/`` in a checkout, ``chatgate/_specs`` in an installed package."""
    return _default("specs", "_specs")


def specs_dir() -> Path:
    """The folder holding ``nara.openapi.yaml`` and ``navigable.openapi.yaml`` (``--specs DIR``)."""
    raw = os.environ.get(SPECS_VARIABLE, "").strip()
    return Path(raw) if raw else shipped_specs_dir()


def contracts_dir() -> Path:
    """The conformance suite (``conftest.py`` and its test modules)."""
    default = _default("contracts", "_suite/contracts")
    return _folder("CHATGATE_CONTRACTS_DIR", default, "conftest.py", "the contract suite")


def loadtests_dir() -> Path:
    """The Locust scenarios and ``slo.toml``."""
    return _folder(
        "CHATGATE_LOADTESTS", _default("loadtests", "_suite/loadtests"), "slo.toml", "the load scenarios"
    )


def slo_file() -> Path:
    """The default SLO file."""
    return loadtests_dir() / "slo.toml"


def python_command() -> list[str]:
    """The interpreter for chatgate's child processes, the working directory kept off their import path
    (``-P``: a ``chatgate/`` or ``locust.py`` there cannot shadow the real ones)."""
    return [sys.executable, "-P"]
