"""JUnit XML: one testsuite per API, one testcase per operation and check that judged something there.

Each testcase's ``time`` is its own wall time (the time the suite spent on the cases that check judged on
that operation), so the times add up to about the run's wall time when nothing runs concurrently. A
check that judged nothing in the run is one ``<skipped message=reason>`` testcase per API it applies
to. New findings are ``<failure>``s; known ones (baseline) are listed in ``system-out``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from chatgate.contract_model import model_for
from chatgate.errors import ChatgateError
from chatgate.gate.catalogue import CHECKS, Check
from chatgate.gate.reproduce import curls
from chatgate.gate.result import GateResult

__all__ = ["render_junit", "xml_safe"]

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str) -> str:
    """Characters XML 1.0 cannot hold (NUL, other controls, lone surrogates: generated data has them)
    written as escapes, so the file always parses."""
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256 else "\ufffd", text)


def _cases(result: GateResult, api: str, suite: ET.Element) -> tuple[int, int, float]:
    """Add the testcases of ``api``; returns (tests, failures, seconds)."""
    keys = sorted({k for k in result.tallies if k[0] == api and result.tallies[k].cases})
    keys += sorted({(f.api, f.operation, f.check) for f in result.findings if f.api == api} - set(keys))
    failures, seconds = 0, 0.0
    for _, operation, check in keys:
        tally = result.tallies.get((api, operation, check))
        time = tally.seconds if tally else 0.0
        seconds += time
        case = ET.SubElement(
            suite, "testcase", classname=f"{api}.{operation}", name=check, time=f"{time:.3f}"
        )
        found = result.findings_for(api, operation, check)
        new = [f for f in found if result.is_new(f)]
        if new:
            failures += 1
            text = "\n\n".join(
                f"{f.title}\n{f.message}\nReproduce: {(curls(f) or ['(see the message)'])[0]}" for f in new
            )
            message = xml_safe("; ".join(f.title for f in new)[:500])
            ET.SubElement(case, "failure", message=message).text = xml_safe(text)
        out = f"{tally.cases if tally else 0} case(s) judged"
        known = [f for f in found if not result.is_new(f)]
        if known:
            out += "; known (baseline): " + "; ".join(f.title for f in known)
        agreed = [f for f in result.findings if (f.api, f.operation) == (api, operation)
                  and any(a.check == check for a in f.agreeing)]  # fmt: skip
        if agreed:
            out += "; saw the defects reported under another check: " + "; ".join(
                f"[{f.check}] {f.title}" for f in agreed
            )
        ET.SubElement(case, "system-out").text = xml_safe(out)
    return len(keys), failures, seconds


def _applies(check: Check, api: str) -> bool:
    """Whether ``check`` applies to ``api``: it judges a rule ``api``'s spec states (or every operation)."""
    if check.rule is None:
        return True
    try:
        return model_for(api).states(check.rule)
    except ChatgateError:  # the spec cannot be read now: list the check rather than hide it
        return True


def _skipped(result: GateResult, api: str, suite: ET.Element) -> int:
    n = 0
    for name, verdict in result.checks.items():
        check = CHECKS.get(name)
        if verdict.status != "not_run" or (check is not None and not _applies(check, api)):
            continue
        case = ET.SubElement(suite, "testcase", classname=f"{api}.(not run)", name=name, time="0.000")
        ET.SubElement(case, "skipped", message=xml_safe(verdict.not_run_reason or "not run"))
        n += 1
    return n


def render_junit(result: GateResult) -> str:
    root = ET.Element("testsuites", name="chatgate contract", time=f"{result.seconds:.3f}")
    for api in result.apis:
        suite = ET.SubElement(root, "testsuite", name=api)
        tests, failures, seconds = _cases(result, api, suite)
        skipped = _skipped(result, api, suite)
        suite.set("tests", str(tests + skipped))
        suite.set("failures", str(failures))
        suite.set("errors", "0")
        suite.set("skipped", str(skipped))
        suite.set("time", f"{seconds:.3f}")
        properties = ET.Element("properties")  # before the testcases, as the JUnit schema orders them
        ET.SubElement(properties, "property", name="target", value=result.targets.get(api, ""))
        ET.SubElement(properties, "property", name="embedded", value=str(result.embedded).lower())
        suite.insert(0, properties)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
