"""How an API takes its key, read from the spec's ``securitySchemes``; and where it must refuse it.

Each scheme an operation accepts is an :class:`AuthScheme`: an ``http`` scheme (``Authorization:
<Scheme> <key>``, the scheme name case-insensitive per RFC 7235) or an ``apiKey`` in a header, the query
string or a cookie. ``x-chatgate-identity`` on a scheme says what a key identifies (e.g. a user id).

:func:`refused_placements` lists the *right* key sent where no accepted scheme puts it (bare, under
another scheme, as Basic credentials, in the query string, in another usual header): the gate sends each
and expects a 401. The candidates are chatgate's own wordlist of places clients and servers commonly
put keys; every one that an accepted scheme documents is left out, so a spec that adds a scheme is
never asked to refuse it.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from chatgate.contract_model.spec_doc import SpecDoc, escape

__all__ = ["AuthScheme", "Identity", "Placement", "build_schemes", "refused_placements"]

AUTHORIZATION = "Authorization"


@dataclass(frozen=True, slots=True)
class Identity:
    """What a key identifies (``x-chatgate-identity``): a name (``user_id``) and its value's schema."""

    name: str
    schema: Mapping[str, Any]
    pointer: str

    def parse(self, raw: str) -> Any:
        """A value from text (an environment variable): an integer when the schema says so."""
        if self.schema.get("type") == "integer":
            return int(raw)
        return raw


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a credential goes: headers and query parameters to add."""

    headers: Mapping[str, str]
    query: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class AuthScheme:
    """One accepted way to send the key."""

    name: str
    location: str  # header | query | cookie
    field: str  # the header, query parameter or cookie name
    prefix: str  # "Bearer " for an http bearer scheme, "" for an apiKey
    pointer: str
    identity: Identity | None = None

    def place(self, key: str, *, prefix: str | None = None) -> Placement:
        """``key`` where this scheme puts it (``prefix`` overrides the scheme word, e.g. lower case)."""
        value = (self.prefix if prefix is None else prefix) + key
        if self.location == "query":
            return Placement({}, {self.field: value})
        if self.location == "cookie":
            return Placement({"Cookie": f"{self.field}={value}"}, {})
        return Placement({self.field: value}, {})

    @property
    def is_http(self) -> bool:
        return bool(self.prefix)

    def takes(self, location: str, name: str, value: str, key: str) -> bool:
        """Whether a credential ``value`` at (location, name) is what this scheme accepts for ``key``."""
        if location != self.location or name.lower() != self.field.lower():
            return False
        if self.is_http:
            word, _, rest = value.partition(" ")
            return word.lower() == self.prefix.strip().lower() and rest == key
        return value == key


def _scheme(doc: SpecDoc, name: str) -> AuthScheme:
    at = f"/components/securitySchemes/{escape(name)}"
    raw = doc.resolved(at)
    if not isinstance(raw, dict):
        raise doc.error("/components/securitySchemes", f"security scheme {name!r} is not defined")
    ident = raw.get("x-chatgate-identity")
    identity = (
        Identity(str(ident["name"]), dict(ident.get("schema") or {}), f"{at}/x-chatgate-identity")
        if isinstance(ident, dict)
        else None
    )
    kind = raw.get("type")
    if kind == "http":
        word = str(raw.get("scheme", "")).strip()
        if not word or word.lower() == "basic":
            raise doc.error(
                at, f"security scheme {name!r}: http scheme {word!r} is not supported (bearer-like only)"
            )
        return AuthScheme(
            name, "header", AUTHORIZATION, word[:1].upper() + word[1:].lower() + " ", at, identity
        )
    if kind == "apiKey" and raw.get("in") in ("header", "query", "cookie"):
        return AuthScheme(name, str(raw["in"]), str(raw.get("name", "")), "", at, identity)
    raise doc.error(at, f"security scheme {name!r} of type {kind!r} is not supported (http or apiKey)")


def build_schemes(doc: SpecDoc, requirements: Any, at: str) -> tuple[tuple[AuthScheme, ...], bool]:
    """The schemes a security requirement list accepts (alternatives, in order), and whether a request
    without credentials is allowed (an empty requirement)."""
    if not isinstance(requirements, list):
        return (), True
    schemes: list[AuthScheme] = []
    optional = False
    for i, req in enumerate(requirements):
        if not isinstance(req, dict) or not req:
            optional = True
            continue
        if len(req) > 1:
            raise doc.error(
                f"{at}/{i}", "a security requirement naming several schemes at once is not supported"
            )
        schemes.append(_scheme(doc, str(next(iter(req)))))
    return tuple(schemes), optional


def _candidates(key: str) -> Iterable[tuple[str, str, str, str]]:
    """(label, location, name, value): places keys commonly go."""
    basic = base64.b64encode(f"{key}:".encode()).decode()
    yield "the right key bare in Authorization", "header", AUTHORIZATION, key
    yield "the right key under another scheme", "header", AUTHORIZATION, f"Token {key}"
    yield "the right key as a Bearer token", "header", AUTHORIZATION, f"Bearer {key}"
    yield "the right key as Basic credentials", "header", AUTHORIZATION, f"Basic {basic}"
    yield "the right key in X-Api-Key", "header", "X-Api-Key", key
    for param in ("api_key", "access_token", "x-api-key"):
        yield "the right key in the query string", "query", param, key


def refused_placements(schemes: tuple[AuthScheme, ...], key: str) -> dict[str, Placement]:
    """Label -> where the right ``key`` goes that no scheme of ``schemes`` accepts (query candidates of
    one label are sent together)."""
    out: dict[str, tuple[dict[str, str], dict[str, str]]] = {}
    for label, location, name, value in _candidates(key):
        if any(s.takes(location, name, value, key) for s in schemes):
            continue
        headers, query = out.setdefault(label, ({}, {}))
        (query if location == "query" else headers)[name] = value
    return {label: Placement(h, q) for label, (h, q) in out.items()}
