"""Response validators built from the specs' own schemas (no schema is written twice in Python).

The hot path is jsonschema-rs (Rust: a delta event or a 20-row page validates in well under a
microsecond to a few microseconds). Only an invalid payload also goes through Python jsonschema, for the
clearest message and its JSON path; both validators are built from the same schema in the spec, here
and nowhere else in the load generator.
"""

from __future__ import annotations

import random
from typing import Any

import jsonschema
import jsonschema_rs

from chatgate.specs import load_spec, schema_validator

__all__ = ["STREAM_EVENT_SCHEMAS", "Validators"]

# Nara's streamed events: the schema of each event's data, by event name.
STREAM_EVENT_SCHEMAS = {
    "message_start": "#/components/schemas/MessageStartData",
    "delta": "#/components/schemas/DeltaData",
    "message_end": "#/components/schemas/MessageEndData",
    "error": "#/components/schemas/StreamErrorData",
}


class Validators:
    """Validators per (api, schema pointer), built on first use; ``sampled()`` picks what is checked."""

    def __init__(self, sample_rate: float = 1.0, seed: int | None = None) -> None:
        self.sample_rate = sample_rate
        self._rng = random.Random(seed)
        self._slow: dict[tuple[str, str], jsonschema.protocols.Validator] = {}
        self._fast: dict[tuple[str, str], Any] = {}

    def fast(self, api: str, pointer: str) -> Any:
        """The jsonschema-rs validator of ``pointer`` (``#/...``), resolved inside the whole spec."""
        key = (api, pointer)
        v = self._fast.get(key)
        if v is None:
            v = self._fast[key] = jsonschema_rs.Draft202012Validator(
                {**load_spec(api), "$ref": pointer}, validate_formats=True
            )
        return v

    def warm(self) -> None:
        """Build the validators the scenarios use (compiling a schema takes milliseconds)."""
        for pointer in STREAM_EVENT_SCHEMAS.values():
            self.fast("nara", pointer)
        self.fast("nara", "#/components/schemas/ChatMessagePage")
        for name in ("SessionMessagesResponse", "SendMessageResponse"):
            self.fast("navigable", f"#/components/schemas/{name}")

    def sampled(self) -> bool:
        return self.sample_rate >= 1.0 or self._rng.random() < self.sample_rate

    def check(self, api: str, pointer: str, payload: Any) -> str | None:
        """A one-line violation, or None when valid."""
        if self.fast(api, pointer).is_valid(payload):
            return None
        return self.explain(api, pointer, payload)

    def explain(self, api: str, pointer: str, payload: Any) -> str:
        """Why ``payload`` is invalid (Python jsonschema's best match, with its JSON path)."""
        key = (api, pointer)
        slow = self._slow.get(key)
        if slow is None:
            slow = self._slow[key] = schema_validator(load_spec(api), pointer)
        err = jsonschema.exceptions.best_match(slow.iter_errors(payload))
        if err is None:  # the two validators disagree: report it rather than pass silently
            return "(root): invalid by jsonschema-rs, valid by jsonschema"
        where = "/".join(str(p) for p in err.absolute_path) or "(root)"
        return f"{where}: {err.message[:160]}"
