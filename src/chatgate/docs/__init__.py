"""``chatgate docs``: the specs as offline HTML pages for integrators, also served at ``/docs``.

Swagger UI (the maintained renderer, taken from the ``flask-swagger-ui`` wheel's ``dist/``, never
re-implemented) renders the reference; chatgate adds what no renderer gives, all read from the spec
through its contract model (:mod:`chatgate.docs.model`): the stream's event catalogue, roles and
grammar, the rules each operation states and the identity a key carries, in an integrator's words
(:mod:`chatgate.docs.rules`), the error catalogue, the assumptions apart from what the vendor
documents, and a runnable curl and Python example per operation (:mod:`chatgate.docs.examples`).
:mod:`chatgate.docs.site` renders a page (the server serves them at ``/docs``);
:mod:`chatgate.docs.build` builds the whole offline site as data (pages, specs, the JSON Schemas of
every ``summary.json``); :mod:`chatgate.docs.report` publishes a build through ``chatgate.artifacts``;
:mod:`chatgate.docs.command` composes them.
"""

from __future__ import annotations

__all__: list[str] = []
