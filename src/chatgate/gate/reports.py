"""Every report of a gate run, as texts by file name: the one place the command gets them from.

    files = render_reports(result)   # {"junit.xml": ..., "summary.json": ..., "reproducers/...": ...}
    RunDir(report_dir).publish(files, secrets=keys)

Each reporter is a pure function of the :class:`~chatgate.gate.result.GateResult`.
"""

from __future__ import annotations

import json

from chatgate.gate.html import render_html
from chatgate.gate.junit import render_junit
from chatgate.gate.markdown import render_markdown
from chatgate.gate.reproduce import reproducer_files
from chatgate.gate.result import GateResult
from chatgate.gate.sarif import render_sarif
from chatgate.gate.summary import REPORT_FILES, summary_dict

__all__ = ["render_reports"]


def render_reports(result: GateResult) -> dict[str, str]:
    summary = summary_dict(result)
    return {
        REPORT_FILES["junit"]: render_junit(result),
        REPORT_FILES["markdown"]: render_markdown(result),
        REPORT_FILES["html"]: render_html(result, summary),
        REPORT_FILES["sarif"]: render_sarif(result),
        **reproducer_files(result.findings),
        REPORT_FILES["summary"]: json.dumps(summary, indent=2, ensure_ascii=False) + "\n",
    }
