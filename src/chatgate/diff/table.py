"""The rules table (docs/diff-rules.md), generated from :data:`chatgate.diff.catalogue.RULES`."""

from __future__ import annotations

from chatgate.diff.catalogue import AREAS, RULES
from chatgate.diff.model import CLASSES

__all__ = ["rules_markdown"]

_HEAD = """# chatgate diff: the rules

<!-- generated from src/chatgate/diff/catalogue.py by
     python -m chatgate.diff > docs/diff-rules.md -->

`chatgate diff OLD NEW` lists every change between two specs with one of these rule ids (stable: an id
never changes meaning) and its class. **breaking** fails the diff (exit 1) unless accepted
(`--allow-major` after a major `info.version` bump, or `--accept FILE`); **warning** means a client may
break (exit 0); **non-breaking** and **docs-only** exit 0.

Direction decides the class. A client *sends* requests: NEW must accept everything OLD accepted. A
client *reads* responses and streams: NEW must send only what OLD promised. Streams are judged as a
client built on OLD reads them: its grammar (language inclusion on the compiled automata, with the
events OLD told clients to ignore dropped), each event's data schema (inside the data's
`contentSchema`), and the unknown-events policy OLD stated. `$ref`s are followed, so renaming a
component is not a change. A difference no rule covers is `spec.unclassified` (a warning), never
silently passed.
"""


def rules_markdown() -> str:
    counts = ", ".join(f"{sum(r.cls == c for r in RULES.values())} {c}" for c in CLASSES)
    lines = [_HEAD, f"{len(RULES)} rules: {counts}.", ""]
    for area, title in AREAS.items():
        rows = [r for r in RULES.values() if r.id.split(".")[0] == area]
        lines += [f"## {title}", "", "| rule | class | what it means for a client |", "| --- | --- | --- |"]
        lines += [f"| `{r.id}` | {r.cls} | {r.what} |" for r in rows]
        lines.append("")
    return "\n".join(lines)
