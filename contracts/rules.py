"""Which operations a check of the suite runs on: those whose spec states the rule it judges.

The suite's tests are parametrized at collection by the models of both specs: a streamed operation
gets the stream checks, an operation with a pagination rule the pagination check, and so on. A test
case's id is ``api METHOD /path``; its ``api`` and ``covers`` marks are what the suite selects by.
:func:`missing_rule_reasons` says, per check, why it has nothing to judge in an API whose spec states
no such rule ("the nara spec states no x-chatgate-window rule"): the check is then ``not_run`` with that
reason, never a guess.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from chatgate.apis import API_NAMES
from chatgate.contract_model import ContractModel, Operation, model_for
from chatgate.gate.catalogue import OWN_CHECKS

__all__ = ["RULE_OF", "has_rule", "missing_rule_reasons", "rule_params", "rule_pointers", "usable_models"]

# check -> the rule of the spec it judges (the catalogue's; checks without one judge every operation)
RULE_OF = {name: check.rule for name, check in OWN_CHECKS.items() if check.rule is not None}
_EXTENSION = {
    "stream": "x-chatgate-stream",
    "read-back": "x-chatgate-read-back",
    "pagination": "x-chatgate-pagination",
    "ownership": "x-chatgate-ownership",
    "window": "x-chatgate-window",
}


def has_rule(model: ContractModel, op: Operation, rule: str) -> bool:
    return model.states(rule, op)


_POINTERS: dict[tuple[int, str, str], list[str]] = {}


def rule_pointers(api: str, operation: str, check: str) -> list[str]:
    """The rules of ``operation`` that ``check`` applies when it judges it (the kind the catalogue says
    it judges): what the run's coverage counts as judged."""
    rule = RULE_OF.get(check)
    if rule is None:
        return []
    model = model_for(api)
    key = (id(model), operation, check)
    if key not in _POINTERS:
        op = model.by_label(operation)
        _POINTERS[key] = model.rule_pointers(rule, op) if op is not None else []
    return _POINTERS[key]


def usable_models() -> list[ContractModel]:
    """The model of every API whose spec loads (the ones whose tests are collected)."""
    out = []
    for api in API_NAMES:
        try:
            out.append(model_for(api))
        except Exception:  # an unusable spec: the gate refused it before; standalone, its tests are absent
            continue
    return out


def rule_params(check: str, *, writes: bool = False, more: Callable[[Operation], list[str]] | None = None,
                extra: Callable[[Operation], list[Any]] | None = None) -> list[Any]:  # fmt: skip
    """``pytest.param(api, operation label, *extra)`` for every operation whose spec states the rule
    ``check`` judges (``more``: other operations the case also covers; ``extra``: more arguments, one
    case each)."""
    rule = RULE_OF[check]
    out = []
    for model in usable_models():
        for op in model.operations:
            if not has_rule(model, op, rule):
                continue
            covers = pytest.mark.covers(check, op.label, *(more(op) if more else []), writes=writes)
            marks = [pytest.mark.api(model.api), covers]
            for args in extra(op) if extra else [()]:
                extra_args = args if isinstance(args, tuple) else (args,)
                suffix = "-".join(str(a) for a in extra_args)
                case_id = f"{model.api} {op.label}" + (f" [{suffix}]" if suffix else "")
                out.append(pytest.param(model.api, op.label, *extra_args, marks=marks, id=case_id))
    return out


def missing_rule_reasons(apis: list[str]) -> dict[str, str]:
    """check -> why it judges nothing: no selected API's spec states its rule."""
    out = {}
    models = [m for m in usable_models() if m.api in apis]
    for check, rule in RULE_OF.items():
        if not any(has_rule(m, op, rule) for m in models for op in m.operations):
            names = " and ".join(f"the {m.api} spec" for m in models) or "no selected spec"
            out[check] = f"{names} states no {_EXTENSION[rule]} rule"
    return out
