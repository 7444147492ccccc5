"""``chatgate lint [SPEC...]``: is each spec valid OpenAPI, and clean under a recommended ruleset?

Four passes per file, each problem a ``chatgate.specs.SpecProblem`` reported as
``file:line: severity: [source] message``:

1. **openapi-spec-validator** (the OpenAPI meta-schema, ``chatgate.specs.meta_schema_problems``): any
   problem here makes the spec invalid.
2. **examples**: every example validated against the schema it illustrates, SSE ``data`` included
   (``chatgate.spec_examples``); an example that breaks its schema makes the spec invalid.
3. **x-chatgate**: every ``x-chatgate-*`` extension held to its own JSON Schema and place
   (``chatgate.contract_model.extensions``: a misspelt or ill-typed one is an error at its line), then
   the rules they state checked against the spec (a rule naming a parameter, field, event or operation
   the spec lacks is an error at its line).
4. **Redocly CLI** with its ``recommended`` ruleset (installed by ``scripts/install`` under
   ``tools/``): its errors make the spec invalid, its warnings are reported but don't fail.

The meta-schema and example passes live below this package because the gate refuses an invalid spec
too. Modules: ``model`` (the immutable ``LintResult``), ``runner`` (the passes; returns a result),
``report`` (terminal lines and ``summary.json``, pure), ``command`` (click: run, report, exit code).
"""

from __future__ import annotations

__all__: list[str] = []
