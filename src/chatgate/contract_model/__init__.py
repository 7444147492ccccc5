"""One model of each API's spec, read once: operations, auth, streams and the rules the spec states.

``chatgate.contract_model`` is the only reader of what a spec *means*: the gate, the suite in
``contracts/``, the load runner and scenarios, capacity, compare and the docs ask it. The vocabulary of
the rules OpenAPI has no construct for (``x-chatgate-*``) is :mod:`.extensions`; runtime expressions
are :mod:`.expressions`; a stream's grammar compiles in :mod:`.grammar`.
"""

from chatgate.contract_model.auth import AuthScheme, Identity, Placement, refused_placements
from chatgate.contract_model.expressions import MISSING, Call, Expression, parse_expression, resolve_pointer
from chatgate.contract_model.extensions import EXTENSIONS, extension_problems
from chatgate.contract_model.grammar import Grammar, GrammarError, compile_grammar
from chatgate.contract_model.model import (
    RULE_KINDS,
    ContractModel,
    build_model,
    model_for,
    require_models,
    spec_sources,
)
from chatgate.contract_model.operations import Link, MediaModel, Operation, Parameter, RequestBody, Response
from chatgate.contract_model.requests import build_body, build_query, sample_value
from chatgate.contract_model.rules import (
    OperationRules,
    Ownership,
    Pagination,
    ReadBack,
    RowRule,
    SortOption,
    Window,
    schema_at,
)
from chatgate.contract_model.stream import StreamModel

__all__ = [
    "EXTENSIONS",
    "MISSING",
    "RULE_KINDS",
    "AuthScheme",
    "Call",
    "ContractModel",
    "Expression",
    "Grammar",
    "GrammarError",
    "Identity",
    "Link",
    "MediaModel",
    "Operation",
    "OperationRules",
    "Ownership",
    "Pagination",
    "Parameter",
    "Placement",
    "ReadBack",
    "RequestBody",
    "Response",
    "RowRule",
    "SortOption",
    "StreamModel",
    "Window",
    "build_body",
    "build_model",
    "build_query",
    "compile_grammar",
    "extension_problems",
    "model_for",
    "parse_expression",
    "refused_placements",
    "require_models",
    "resolve_pointer",
    "sample_value",
    "schema_at",
    "spec_sources",
]
