"""``python -m chatgate.contract_model``: print the x-chatgate-* reference (docs/spec-extensions.md)."""

from chatgate.contract_model.extensions import reference_markdown

print(reference_markdown(), end="")
