"""``python -m chatgate.diff``: print the rules table (docs/diff-rules.md)."""

from chatgate.diff.table import rules_markdown

print(rules_markdown(), end="")
