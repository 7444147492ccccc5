"""``chatgate run``: the main job. Lint, gate, a short load of every scenario, docs, one summary page.

Modules: ``model`` (``PartResult``, ``RunResult``: immutable), ``runner`` (runs each part as its own
``chatgate`` subprocess, exactly as a user would, and reads back its exit code, ``summary.json`` and
report files; writes nothing itself), ``report`` (the index reporter: ``index.html``, ``summary.json``
and the terminal table, pure functions of a ``RunResult``, published through ``chatgate.artifacts``),
``command`` (click: run, report, exit code).
"""

from __future__ import annotations

__all__: list[str] = []
