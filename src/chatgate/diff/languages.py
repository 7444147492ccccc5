"""Language inclusion between two compiled stream grammars (:class:`chatgate.contract_model.Grammar`).

A client built on OLD reads a stream NEW's server sends. It accepts the stream when OLD's grammar does,
once the events it was told to ignore are dropped. :func:`counterexample` walks both automata at once
(the product construction, breadth first) and returns the *shortest* stream the inner grammar allows
that the outer one rejects, and why; None when every stream of the inner one is accepted::

    >>> old = compile_grammar("start delta* end")
    >>> new = compile_grammar("start usage delta* end")
    >>> counterexample(Lang.of(new), Lang.of(old))
    (('start', 'usage'), '`usage` where OLD allows only `delta`, `end`')

Every state of a compiled grammar can still reach an accepting one, so a prefix that fails is always
the start of a complete stream the inner grammar allows.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

from chatgate.contract_model import Grammar

__all__ = ["Lang", "counterexample"]


@dataclass(frozen=True, slots=True)
class Lang:
    """A grammar's automaton, its event names renamed (an event OLD calls ``r`` that NEW calls ``a``)."""

    delta: Mapping[tuple[int, str], int]
    accepting: frozenset[int]
    names: tuple[str, ...]

    @classmethod
    def of(cls, grammar: Grammar, rename: Mapping[str, str] | None = None) -> Lang:
        r = rename or {}
        delta = {(s, r.get(name, name)): t for (s, name), t in grammar.delta.items()}
        return cls(delta, grammar.accepting, tuple(r.get(n, n) for n in grammar.names))

    def moves(self, state: int) -> list[tuple[str, int]]:
        return [(name, self.delta[(state, name)]) for name in self.names if (state, name) in self.delta]


def counterexample(
    inner: Lang, outer: Lang, *, erase: frozenset[str] = frozenset()
) -> tuple[tuple[str, ...], str] | None:
    """The shortest stream ``inner`` allows that ``outer`` rejects, once the events in ``erase`` are
    dropped (a client that ignores them), with where ``outer`` rejects it; None when there is none."""
    start = (0, 0)
    back: dict[tuple[int, int], tuple[tuple[int, int], str] | None] = {start: None}
    queue = deque([start])
    while queue:
        pair = queue.popleft()
        qi, qo = pair
        if qi in inner.accepting and qo not in outer.accepting:
            expected = ", ".join(f"`{n}`" for n, _ in outer.moves(qo))
            return _path(back, pair), f"the stream may end where OLD expects {expected or 'more'}"
        for name, nxt_i in inner.moves(qi):
            if name in erase:
                nxt = (nxt_i, qo)
            else:
                nxt_o = outer.delta.get((qo, name))
                if nxt_o is None:
                    allowed = ", ".join(f"`{n}`" for n, _ in outer.moves(qo))
                    where = f"allows only {allowed}" if allowed else "allows nothing more"
                    return (*_path(back, pair), name), f"`{name}` where OLD {where}"
                nxt = (nxt_i, nxt_o)
            if nxt not in back:
                back[nxt] = (pair, name)
                queue.append(nxt)
    return None


_Back = Mapping[tuple[int, int], tuple[tuple[int, int], str] | None]


def _path(back: _Back, pair: tuple[int, int]) -> tuple[str, ...]:
    names: list[str] = []
    step = back[pair]
    while step is not None:
        prev, name = step
        names.append(name)
        step = back[prev]
    return tuple(reversed(names))
