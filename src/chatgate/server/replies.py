"""Assistant replies: deterministic by default, sampled with ``chatgate serve --sampled``.

A reply is ``reply_tokens`` tokens drawn from a small vocabulary. By default the generator is seeded
with a hash of the input (message, conversation and temperature): the same input always gets the same
reply, so a streamed reply (one ``delta`` per token) and a non-streamed reply to the same input are the
same text. With ``sample`` (the server's own ``random.Random``, ``--sampled``) every call draws afresh,
like a sampled LLM: two calls with the same input differ (for the default 12 tokens, a repeat has odds
of about 44^-12), while the count stays ``reply_tokens`` so load tests still know how many deltas to
expect. Whatever is drawn is what the handler stores, so a reply always equals its stored copy.
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


def reply_tokens(
    message: str,
    conversation: str,
    temperature: float | None,
    count: int,
    *,
    sample: random.Random | None = None,
) -> list[str]:
    """The reply's tokens; ``"".join(...)`` is the reply's content. Exactly ``count`` tokens."""
    rng = sample or _rng(message, conversation, None if temperature is None else float(temperature))
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
    sample: random.Random | None = None,
) -> NavigableReply:
    """The reply to a Navigable send: an action from ``actions`` and a call of one of ``functions``
    (unless the message is itself a function's result), chosen deterministically (or drawn from
    ``sample``)."""
    content = "".join(reply_tokens(message, identifier, None, count, sample=sample))
    rng = sample or _rng("navigable", message, identifier, actions, functions)
    action = rng.choice(actions) if actions else None
    calls: list[dict[str, object]] = []
    if functions and function_call_id is None:
        name = rng.choice(functions)
        seed = f"{identifier}\x00{message}" if sample is None else f"{sample.random()}"
        call_id = "call_" + hashlib.sha256(seed.encode(errors="replace")).hexdigest()[:16]
        calls.append({"id": call_id, "type": "function", "function": {"name": name, "arguments": "{}"}})
    return NavigableReply(content, action, calls)
