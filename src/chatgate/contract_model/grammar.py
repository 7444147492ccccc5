"""A stream's grammar, compiled once: the regular language of event names a spec states.

The grammar is written in the spec (``x-chatgate-stream.grammar``) as a regular expression over event
names: names, juxtaposition (sequence), ``|`` (choice), ``*`` (zero or more), ``+`` (one or more), ``?``
(optional) and parentheses::

    >>> g = compile_grammar("message_start delta* usage? (message_end | error)")
    >>> g.opening, sorted(g.terminal)
    (frozenset({'message_start'}), ['error', 'message_end'])
    >>> g.matches(["message_start", "delta", "usage", "message_end"])
    True

It compiles to a deterministic automaton (Thompson construction, then subsets): ``step(state, name)``
is one dict lookup, so the load generator matches every event of every stream on its hot path with it,
and the gate matches whole streams with the same table. ``opening`` are the names a stream may start
with; ``terminal`` the names after which the stream must end (they lead only to accepting states with no
way on). A grammar the compiler cannot read is a :class:`GrammarError` naming the position.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

__all__ = ["Grammar", "GrammarError", "compile_grammar"]

_TOKEN = re.compile(r"\s*(?:(?P<name>[A-Za-z_][A-Za-z0-9_.:-]*)|(?P<op>[()|*+?]))")


class GrammarError(ValueError):
    """A grammar that cannot be compiled; the message names what and where."""


@dataclass
class _Nfa:
    """Thompson NFA: ``moves[state]`` is a list of (name or None for epsilon, next state)."""

    moves: list[list[tuple[str | None, int]]] = field(default_factory=list)

    def state(self) -> int:
        self.moves.append([])
        return len(self.moves) - 1

    def edge(self, a: int, name: str | None, b: int) -> None:
        self.moves[a].append((name, b))


class _Parser:
    """Recursive descent: choice := seq ('|' seq)*; seq := item+; item := atom ('*'|'+'|'?')*."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[tuple[str, str, int]] = []
        pos = 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            m = _TOKEN.match(text, pos)
            if m is None:
                raise GrammarError(f"unexpected {text[pos:].strip()[:10]!r} at character {pos + 1}")
            kind = "name" if m.group("name") else "op"
            self.tokens.append((kind, m.group(kind), m.start(kind) + 1))
            pos = m.end()
        self.i = 0
        self.nfa = _Nfa()
        self.names: list[str] = []

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def parse(self) -> tuple[int, int]:
        if not self.tokens:
            raise GrammarError("the grammar is empty")
        frag = self.choice()
        extra = self.peek()
        if extra is not None:
            raise GrammarError(f"unexpected {extra[1]!r} at character {extra[2]}")
        return frag

    def choice(self) -> tuple[int, int]:
        parts = [self.seq()]
        while (tok := self.peek()) is not None and tok[1] == "|":
            self.i += 1
            parts.append(self.seq())
        if len(parts) == 1:
            return parts[0]
        start, end = self.nfa.state(), self.nfa.state()
        for a, b in parts:
            self.nfa.edge(start, None, a)
            self.nfa.edge(b, None, end)
        return start, end

    def seq(self) -> tuple[int, int]:
        items = []
        while (tok := self.peek()) is not None and (tok[0] == "name" or tok[1] == "("):
            items.append(self.item())
        if not items:
            tok = self.peek()
            where = f"{tok[1]!r} at character {tok[2]}" if tok else "the end"
            raise GrammarError(f"expected an event name or '(' before {where}")
        for (_, b), (a, _) in itertools.pairwise(items):
            self.nfa.edge(b, None, a)
        return items[0][0], items[-1][1]

    def item(self) -> tuple[int, int]:
        start, end = self.atom()
        while (tok := self.peek()) is not None and tok[1] in "*+?":
            self.i += 1
            s, e = self.nfa.state(), self.nfa.state()
            self.nfa.edge(s, None, start)
            self.nfa.edge(end, None, e)
            if tok[1] in "*?":
                self.nfa.edge(s, None, e)
            if tok[1] in "*+":
                self.nfa.edge(end, None, start)
            start, end = s, e
        return start, end

    def atom(self) -> tuple[int, int]:
        tok = self.peek()
        assert tok is not None
        self.i += 1
        if tok[0] == "name":
            a, b = self.nfa.state(), self.nfa.state()
            self.nfa.edge(a, tok[1], b)
            if tok[1] not in self.names:
                self.names.append(tok[1])
            return a, b
        frag = self.choice()
        close = self.peek()
        if close is None or close[1] != ")":
            raise GrammarError(f"'(' at character {tok[2]} is never closed")
        self.i += 1
        return frag


def _closure(nfa: _Nfa, states: Iterable[int]) -> frozenset[int]:
    seen = set(states)
    todo = list(seen)
    while todo:
        for name, b in nfa.moves[todo.pop()]:
            if name is None and b not in seen:
                seen.add(b)
                todo.append(b)
    return frozenset(seen)


@dataclass(frozen=True, slots=True)
class Grammar:
    """A compiled grammar: state 0 is the start; ``delta[(state, name)]`` the next state."""

    text: str
    names: tuple[str, ...]
    delta: dict[tuple[int, str], int]
    accepting: frozenset[int]
    opening: frozenset[str]
    terminal: frozenset[str]
    finals: frozenset[int]  # accepting states with no way on: the stream must end there

    def step(self, state: int, name: str) -> int | None:
        return self.delta.get((state, name))

    def expected(self, state: int) -> list[str]:
        """The names that may come next in ``state`` (in the grammar's order)."""
        return [n for n in self.names if (state, n) in self.delta]

    def matches(self, names: Sequence[str]) -> bool:
        state: int | None = 0
        for name in names:
            state = self.delta.get((state, name)) if state is not None else None
            if state is None:
                return False
        return state in self.accepting


def compile_grammar(text: str) -> Grammar:
    """The grammar ``text`` as a deterministic automaton; GrammarError when it cannot be read."""
    parser = _Parser(text)
    start, end = parser.parse()
    nfa = parser.nfa
    first = _closure(nfa, [start])
    ids: dict[frozenset[int], int] = {first: 0}
    todo = [first]
    delta: dict[tuple[int, str], int] = {}
    while todo:
        current = todo.pop()
        for name in parser.names:
            nxt = _closure(nfa, [b for s in current for n, b in nfa.moves[s] if n == name])
            if not nxt:
                continue
            if nxt not in ids:
                ids[nxt] = len(ids)
                todo.append(nxt)
            delta[(ids[current], name)] = ids[nxt]
    accepting = frozenset(i for states, i in ids.items() if end in states)
    if 0 in accepting:
        raise GrammarError("the grammar accepts a stream with no event at all")
    outgoing = {s for s, _ in delta}
    finals = frozenset(s for s in accepting if s not in outgoing)
    into_final = {name for (_, name), b in delta.items() if b in finals}
    terminal = frozenset(n for n in into_final if all(b in finals for (_, m), b in delta.items() if m == n))
    opening = frozenset(name for (s, name) in delta if s == 0)
    return Grammar(text, tuple(parser.names), delta, accepting, opening, terminal, finals)
