"""``chatgate diff OLD NEW``: does a change to a spec break its integrators' clients?

OLD and NEW are each a spec file, a folder of specs (paired by file name) or ``git:REV[:PATH]``. Both are
read into the one model of a spec (:mod:`chatgate.contract_model`) and compared by value, ``$ref``s
followed: operations, parameters, bodies, keys, documented answers, the JSON inside an SSE event's
``contentSchema``, each stream's grammar (language inclusion on the compiled automata) and the rules
chatgate states (pagination, ownership, window, read-back). Every change has a stable rule id and a
class (:mod:`.catalogue`; the table in docs/diff-rules.md is generated from it): breaking (exit 1),
warning, non-breaking, docs-only.

Modules, top down: ``command`` (click) -> ``report``, ``sarif``, ``annotations`` (pure renderers) ->
``runner`` (returns a ``DiffResult``), ``history`` (a folder's git history, for the docs' Changes page),
``explain`` (which gate findings a compatible change explains) -> ``accept``, ``sources``, ``compare`` ->
``operations``, ``rules`` -> ``streams`` -> ``schemas``, ``languages`` -> ``context`` -> ``catalogue``,
``model``.
"""

from __future__ import annotations

__all__: list[str] = []
