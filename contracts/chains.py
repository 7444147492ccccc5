"""Stateful chains along the specs' links, drawn up front and run at once.

A chain is a short workflow: a *root* step (an operation other operations link from, e.g. a send), then
steps that either follow one of the spec's ``links`` from the previous answer (the next case takes the
linked parameter from that answer, e.g. the listing's ``user_id`` from the sent message) or start afresh
at a root. Everything a chain will do is drawn before anything is sent, from ``--seed`` alone: its length,
each step's operation, whether it follows a link, and its generated case (from a pool of valid cases
per operation, generated up front like every other case). Only the linked values come from the answers.
Chains run at once through the pool; the steps of one chain run in order. A link whose source answer
does not carry it (another status, no value) ends its chain there.

Each chain has its own schemathesis recorder, so checks that look at a step's parent
(``ensure_resource_availability``, ``use_after_free``) see the chain. Link expressions supported:
``$response.body#/json/pointer`` (the only form both specs use); a link with another form is skipped, and
a link scoped to one answer form (``x-chatgate-link: {media_type}``) is followed only from that form.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from schemathesis.engine.recorder import ScenarioRecorder

from chatgate.contract_model import model_for
from contracts.judging import AnyCase

__all__ = ["MAX_STEPS", "Chain", "Link", "Step", "draw_chains", "links", "resolve_pointer"]

MAX_STEPS = 6
FOLLOW_P = 0.75  # a step after one with links follows one of them this often


@dataclass(frozen=True, slots=True)
class Link:
    """``source`` answered ``status`` -> ``target`` may take ``parameters`` (name -> JSON pointer) from it."""

    name: str
    source: str
    status: str
    target: str
    parameters: Mapping[str, str]
    media_type: str | None = None  # x-chatgate-link: the answer form its expressions can be read from


@dataclass(frozen=True, slots=True)
class Step:
    operation: str
    case: int  # index into the operation's pool of valid cases
    link: Link | None = None


@dataclass(frozen=True, slots=True)
class Chain:
    number: int
    steps: tuple[Step, ...]


def links(api: str) -> list[Link]:
    """Every link of ``api``'s spec whose parameters are all ``$response.body#/...`` pointers."""
    model = model_for(api)
    found: list[Link] = []
    for op in model.operations:
        for status, response in sorted(op.responses.items()):
            for name, link in sorted(response.links.items()):
                target = model.operation(link.operation_id)
                exprs = link.parameters.values()
                if target is None or not all(e.source == "response" for e in exprs):
                    continue
                pointers = {key: e.pointer for key, e in link.parameters.items()}
                found.append(Link(name, op.label, str(status), target.label, pointers, link.media_type))
    return found


def _rng(seed: int, api: str, number: int) -> random.Random:
    digest = hashlib.blake2b(f"{seed}:{api}:chain:{number}".encode(), digest_size=8).digest()
    return random.Random(int.from_bytes(digest, "big"))


def draw_chains(api: str, seed: int, count: int, pools: Mapping[str, int], selected: set[str]) -> list[Chain]:
    """``count`` chains of ``api`` (``pools``: how many valid cases each operation has)."""
    usable = [lk for lk in links(api) if {lk.source, lk.target} <= selected and pools.get(lk.target)]
    roots = sorted({lk.source for lk in usable if pools.get(lk.source)})
    if not roots:
        return []
    chains = []
    for number in range(count):
        rng = _rng(seed, api, number)
        steps = [Step(op := rng.choice(roots), rng.randrange(pools[op]))]
        for _ in range(rng.randint(2, MAX_STEPS) - 1):
            outgoing = [lk for lk in usable if lk.source == steps[-1].operation]
            if outgoing and rng.random() < FOLLOW_P:
                link = rng.choice(outgoing)
                steps.append(Step(link.target, rng.randrange(pools[link.target]), link))
            else:
                op = rng.choice(roots)
                steps.append(Step(op, rng.randrange(pools[op])))
        chains.append(Chain(number, tuple(steps)))
    return chains


def resolve_pointer(doc: Any, pointer: str) -> Any:
    """The value at a JSON pointer, or None."""
    node = doc
    for raw in pointer.lstrip("/").split("/") if pointer.strip("/") else []:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def linked_case(base: AnyCase, link: Link, previous: Any) -> AnyCase | None:
    """``base`` with the link's parameters taken from ``previous`` (a response), or None when the
    answer does not carry them."""
    if previous is None or str(previous.status_code) != link.status:
        return None
    values = previous.headers.get("content-type") or [""]
    media = str(values[0] if isinstance(values, list) else values).split(";")[0].strip().lower()
    if link.media_type is not None and media != link.media_type:
        return None  # the spec scopes the link to another answer form (e.g. JSON, not a stream)
    try:
        doc = previous.json()
    except ValueError:
        return None
    query = dict(base.query or {})
    path: dict[str, Any] = {}
    for name, pointer in link.parameters.items():
        value = resolve_pointer(doc, pointer)
        if value is None:
            return None
        (path if name in (base.path_parameters or {}) else query)[name] = value
    case = base.derive(query=query, keep_auth=True)
    case.path_parameters.update(path)
    return case


def new_recorder(api: str, chain: Chain) -> ScenarioRecorder:
    return ScenarioRecorder(label=f"{api} chain {chain.number}")
