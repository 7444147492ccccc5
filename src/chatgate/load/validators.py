"""Response validators built from the specs' own schemas (no schema is written twice in Python).

Which schema judges what comes from the model of the spec (:mod:`chatgate.contract_model`): an
operation's documented 2xx ``application/json`` answer, each streamed event's data schema, a stream's
event envelope. No component is named here.

The hot path is jsonschema-rs (Rust: a content event or a 20-row page validates in well under a
microsecond to a few microseconds). Only an invalid payload also goes through Python jsonschema, for the
clearest message and its JSON path; both validators are built from the same schema in the spec, here
and nowhere else in the load generator.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

import jsonschema
import jsonschema_rs

from chatgate.contract_model import ContractModel, Operation, model_for
from chatgate.specs import schema_validator

__all__ = ["JSON", "Validators", "ref", "used_by_scenarios"]

JSON = "application/json"


def ref(pointer: str) -> str:
    """A model pointer (``/components/schemas/X``, or already ``#/...``) as a ``$ref`` into the spec
    (``{`` and ``}`` of a path template percent-encoded, as a URI fragment needs)."""
    bare = pointer[1:] if pointer.startswith("#") else pointer
    return "#" + quote(bare, safe="/~-._!$&'()*+,;=:@")


def used_by_scenarios(model: ContractModel) -> list[Operation]:
    """The operations the load scenarios drive, found by the rules they carry (streamed sends, paginated
    reads, window reads and the sends read back there)."""
    found = [*model.streamed(), *model.paginated(), *model.windowed(), *model.read_back_sources()]
    return list({op.operation_id: op for op in found}.values())


class Validators:
    """Validators per (api, schema pointer), built on first use; ``sampled()`` picks what is checked."""

    def __init__(self, sample_rate: float = 1.0, seed: int | None = None) -> None:
        self.sample_rate = sample_rate
        self._rng = random.Random(seed)
        self._slow: dict[tuple[str, str], jsonschema.protocols.Validator] = {}
        self._fast: dict[tuple[str, str], Any] = {}

    def fast(self, api: str, pointer: str) -> Any:
        """The jsonschema-rs validator of ``pointer``, resolved inside the whole spec."""
        key = (api, ref(pointer))
        v = self._fast.get(key)
        if v is None:
            v = self._fast[key] = jsonschema_rs.Draft202012Validator(
                {**model_for(api).spec, "$ref": key[1]}, validate_formats=True
            )
        return v

    def warm(self, apis: Iterable[str] = ("nara", "navigable")) -> None:
        """Build the validators of what the scenarios use, as the model says (compiling a schema takes
        milliseconds): each such operation's JSON answer, its stream's event data and envelope."""
        for api in apis:
            for op in used_by_scenarios(model_for(api)):
                answer = op.success(JSON)
                if answer is not None and answer.schema_pointer is not None:
                    self.fast(api, answer.schema_pointer)
                if op.stream is not None:
                    for pointer in (op.stream.envelope_pointer, *op.stream.data_pointers.values()):
                        self.fast(api, pointer)

    def sampled(self) -> bool:
        return self.sample_rate >= 1.0 or self._rng.random() < self.sample_rate

    def check(self, api: str, pointer: str, payload: Any) -> str | None:
        """A one-line violation, or None when valid."""
        if self.fast(api, pointer).is_valid(payload):
            return None
        return self.explain(api, pointer, payload)

    def explain(self, api: str, pointer: str, payload: Any) -> str:
        """Why ``payload`` is invalid (Python jsonschema's best match, with its JSON path)."""
        key = (api, ref(pointer))
        slow = self._slow.get(key)
        if slow is None:
            slow = self._slow[key] = schema_validator(model_for(api).spec, key[1])
        err = jsonschema.exceptions.best_match(slow.iter_errors(payload))
        if err is None:  # the two validators disagree: report it rather than pass silently
            return "(root): invalid by jsonschema-rs, valid by jsonschema"
        where = "/".join(str(p) for p in err.absolute_path) or "(root)"
        return f"{where}: {err.message[:160]}"
