"""``chatgate contract``: the CI conformance gate.

It runs the pytest suite in ``contracts/`` (schemathesis, jsonschema and the gate's own checks) against a
base URL or the embedded server, after a probe that tells an unreachable target or a rejected key apart
from a failing API, then writes the reports (JUnit XML, Markdown, HTML, ``summary.json``)::

    from chatgate.contract.runner import run_contract
    result = run_contract(apis=["nara", "navigable"])
    result.exit_code, result.report_paths
"""
