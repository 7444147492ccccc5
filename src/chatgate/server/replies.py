"""Deterministic assistant replies: the same input always gets the same reply, token by token.

A reply is ``reply_tokens`` tokens drawn from a small vocabulary by a generator seeded with a hash of
the input (message, conversation and temperature), so a streamed reply (one ``delta`` per token) and a
non-streamed reply to the same input are the same text, and load tests know how many deltas to expect.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass

__all__ = ["NavigableReply", "navigable_reply", "reply_tokens"]

_VOCABULARY = (
    "Sure", "here", "is", "what", "I", "found", "about", "your", "question", "the", "answer", "depends",
    "on", "a", "few", "things", "first", "check", "settings", "then", "try", "again", "and", "let", "me",
    "know", "if", "it", "helps", "you", "can", "also", "open", "profile", "page", "choose", "security",
    "option", "for", "more", "details", "thanks", "for", "asking",
)  # fmt: skip


def _rng(*parts: object) -> random.Random:
    text = json.dumps([repr(p) for p in parts], ensure_ascii=True)
    return random.Random(hashlib.sha256(text.encode("ascii")).digest())


def reply_tokens(message: str, conversation: str, temperature: float | None, count: int) -> list[str]:
    """The reply's tokens; ``"".join(...)`` is the reply's content. Exactly ``count`` tokens."""
    rng = _rng(message, conversation, None if temperature is None else float(temperature))
    words = [rng.choice(_VOCABULARY) for _ in range(count)]
    if words:
        words[0] = words[0].capitalize()
    return [w + (" " if i < count - 1 else ".") for i, w in enumerate(words)]


@dataclass(frozen=True, slots=True)
class NavigableReply:
    """A Navigable assistant reply: its text, the recommended action and the tool calls."""

    content: str
    action: str | None
    tool_calls: list[dict[str, object]]


def navigable_reply(
    message: str,
    identifier: str,
    count: int,
    *,
    actions: list[str] | None = None,
    functions: list[str] | None = None,
    function_call_id: str | None = None,
) -> NavigableReply:
    """The reply to a Navigable send: an action from ``actions`` and a call of one of ``functions``
    (unless the message is itself a function's result), chosen deterministically."""
    content = "".join(reply_tokens(message, identifier, None, count))
    rng = _rng("navigable", message, identifier, actions, functions)
    action = rng.choice(actions) if actions else None
    calls: list[dict[str, object]] = []
    if functions and function_call_id is None:
        name = rng.choice(functions)
        call_id = (
            "call_" + hashlib.sha256(f"{identifier}\x00{message}".encode(errors="replace")).hexdigest()[:16]
        )
        calls.append({"id": call_id, "type": "function", "function": {"name": name, "arguments": "{}"}})
    return NavigableReply(content, action, calls)
