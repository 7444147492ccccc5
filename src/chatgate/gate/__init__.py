"""``chatgate contract``: the CI conformance gate (package ``chatgate.gate``; the suite is ``contracts/``).

The data walks one way: spec -> cases -> HTTP -> checks -> findings -> result -> reports.

    model      Problem, Finding, Example, Tally, Traffic, CheckVerdict (immutable)
    catalogue  every check, what it holds, why it may not have run
    scope      the scoping flags (checks, operations, mode, headers, read-only)
    ledger     the suite's recording side (thread-safe) and the SuiteRecord it hands back
    baseline   known findings: new / known / stale, version 1 and 2 files
    result     GateResult and the per-check verdicts
    suite      the suite in a child pytest; runner: probe, embedded server, suite, baseline -> GateResult
    locate     spec file and lines of each finding
    reproduce, summary, junit, markdown, html, sarif, annotations: reporters (pure functions of a result)
    reports    every report as texts by file name; command: the click command that composes it all

    from chatgate.gate.runner import GateConfig, run_gate
    result = run_gate(GateConfig(apis=("navigable",), max_examples=5), RunDir(Path("reports/contract")))
"""
