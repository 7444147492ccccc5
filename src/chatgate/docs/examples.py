"""Runnable curl and Python examples for every operation, built from the spec's own examples.

Each example reads its host and key from the same environment variables the toolkit uses
(``NARA_BASE_URL`` / ``NARA_API_KEY``, ``NAVIGABLE_BASE_URL`` / ``NAVIGABLE_API_KEY``), and a parameter
bound to the caller's identity (``x-chatgate-ownership``) from the identity's variable
(``NARA_USER_ID``), so the text on the page holds no key and runs as written once they are set::

    >>> from chatgate.contract_model import model_for
    >>> [e.title for e in request_examples(model_for("nara"))]  # doctest: +NORMALIZE_WHITESPACE
    ['Send a chat message', 'Send a chat message (streamed)', "List a user's messages, page by page"]

The key goes where the operation's security scheme puts it. Variants: one per request media type (JSON,
urlencoded), plus a streamed one when the operation answers a stream that a body field selects
(``x-chatgate-stream.select``). Query parameters are taken from their ``example``: every parameter of
a bodiless operation, only required ones otherwise.
"""

from __future__ import annotations

import json
import shlex
import urllib.parse
from dataclasses import dataclass
from typing import Any

from chatgate.contract_model import ContractModel, Operation
from chatgate.contract_model.spec_doc import escape

__all__ = ["Example", "env_names", "request_examples"]

_JSON = "application/json"
_FORM = "application/x-www-form-urlencoded"
_SSE = "text/event-stream"
_KEY = "\x00key\x00"  # stands for the key while its place is worked out


@dataclass(frozen=True, slots=True)
class Example:
    """One runnable request: the same call as a curl command and as a Python script."""

    title: str
    operation_id: str
    method: str
    path: str
    stream: bool
    curl: str
    python: str


@dataclass(frozen=True, slots=True)
class _Call:
    """What every variant of one operation shares: where it goes, its query, where the key goes."""

    op: Operation
    env: tuple[str, str]  # base URL, key
    query: list[tuple[str, Any, str | None]]  # (name, example value, or the variable that holds it)
    headers: dict[str, str]  # with _KEY where the key goes
    terminal: tuple[str, ...]


def env_names(api: str) -> tuple[str, str]:
    """The environment variables an example reads: (base URL, API key)."""
    prefix = api.upper()
    return f"{prefix}_BASE_URL", f"{prefix}_API_KEY"


def _media_example(media: Any) -> Any:
    if not isinstance(media, dict):
        return None
    if "example" in media:
        return media["example"]
    for item in (media.get("examples") or {}).values():
        if isinstance(item, dict) and "value" in item:
            return item["value"]
    return None


def _py(value: Any, indent: int = 0) -> str:
    """``value`` as a Python literal, one item per line (``json.dumps`` style, Python's True/None)."""
    pad, inner = " " * indent, " " * (indent + 4)
    if isinstance(value, dict) and value:
        items = [f"{inner}{k!r}: {_py(v, indent + 4)}," for k, v in value.items()]
        return "{\n" + "\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list) and value:
        return "[\n" + "\n".join(f"{inner}{_py(v, indent + 4)}," for v in value) + f"\n{pad}]"
    return repr(value)


def _form_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _query(
    model: ContractModel, op: Operation, key_query: dict[str, str]
) -> list[tuple[str, Any, str | None]]:
    """(name, example, variable) of each query parameter shown: identity-bound ones read the identity's
    variable, the key's own query parameter (if the scheme puts it there) the key's."""
    bound = model.identity_parameters(op, True)
    variable = model.identity_variable()
    pairs: list[tuple[str, Any, str | None]] = []
    for p in op.parameters:
        if p.location != "query" or (op.body is not None and not p.required):
            continue
        if p.name in bound and variable:
            pairs.append((p.name, None, variable))
            continue
        raw = model.doc.node(p.pointer) or {}
        example = raw.get("example", p.schema.get("example"))
        if example is not None:
            pairs.append((p.name, example, None))
    pairs += [(name, value, None) for name, value in key_query.items()]
    return pairs


def _url(call: _Call) -> str:
    """The curl URL: the base URL's variable, the path, the query (variables left for the shell)."""
    base_env, key_env = call.env
    parts = []
    for name, value, variable in call.query:
        if variable is not None:
            parts.append(f"{urllib.parse.quote(name)}=${variable}")
        elif _KEY in str(value):
            parts.append(f"{urllib.parse.quote(name)}=" + str(value).replace(_KEY, f"${key_env}"))
        else:
            parts.append(urllib.parse.urlencode([(name, _form_value(value))]))
    return f"${base_env}{call.op.path}" + ("?" + "&".join(parts) if parts else "")


def _curl(call: _Call, media_type: str | None, body: Any, stream: bool) -> str:
    lines = [f'curl -sS{"N" if stream else ""} -X {call.op.method} "{_url(call)}"']
    lines += [
        f'-H "{name}: {value.replace(_KEY, "$" + call.env[1])}"' for name, value in call.headers.items()
    ]
    if stream:
        lines.append(f'-H "Accept: {_SSE}"')
    if media_type == _JSON:
        lines.append(f'-H "Content-Type: {_JSON}"')
        lines.append(f"--data {shlex.quote(json.dumps(body, ensure_ascii=False))}")
    elif media_type == _FORM:
        for name, value in body.items():
            for item in value if isinstance(value, list) else [value]:
                lines.append(f"--data-urlencode {shlex.quote(f'{name}={_form_value(item)}')}")
    return " \\\n  ".join(lines)


def _with_key(text: str, key_env: str) -> str:
    """A Python expression for ``text`` with the key in its place (read from the environment)."""
    before, _, after = text.partition(_KEY)
    if not before and not after:
        return f"os.environ[{key_env!r}]"
    safe = [t.replace("{", "{{").replace("}", "}}").replace('"', '\\"') for t in (before, after)]
    return f'f"{safe[0]}{{os.environ[{key_env!r}]}}{safe[1]}"'


def _stream_loop(terminal: tuple[str, ...]) -> list[str]:
    return [
        "    response.raise_for_status()",
        "    event = 'message'",
        "    for line in response.iter_lines():  # one Server-Sent Event field per line",
        "        if line.startswith('event:'):",
        "            event = line[len('event:'):].strip()",
        "        elif line.startswith('data:'):",
        "            data = json.loads(line[len('data:'):].strip())",
        "            print(f'event: {event}\\ndata: {json.dumps(data)}\\n')",
        f"            if event in {terminal!r}:  # a terminal event: nothing follows",
        "                break",
    ]


def _query_value(value: Any, variable: str | None, key_env: str) -> str:
    if variable is not None:
        return f"os.environ[{variable!r}]"
    return _with_key(str(value), key_env) if _KEY in str(value) else repr(value)


def _python(call: _Call, media_type: str | None, body: Any, stream: bool) -> str:
    base_env, key_env = call.env
    headers = ", ".join(f"{name!r}: {_with_key(value, key_env)}" for name, value in call.headers.items())
    lines = ["import json", "import os", "", "import httpx", "",
             f"url = os.environ[{base_env!r}] + {call.op.path!r}", f"headers = {{{headers}}}"]  # fmt: skip
    args = ["url", "headers=headers"]
    if call.query:
        items = [
            f"    {name!r}: {_query_value(value, variable, key_env)}," for name, value, variable in call.query
        ]
        lines.append("params = {\n" + "\n".join(items) + "\n}")
        args.append("params=params")
    if media_type == _JSON:
        lines.append(f"body = {_py(body)}")
        args.append("json=body")
    elif media_type == _FORM:
        form = {k: v if isinstance(v, list) else _form_value(v) for k, v in body.items()}
        lines.append(f"form = {_py(form)}")
        args.append("data=form")
    args.append("timeout=30")
    call_args = ", ".join(args)
    lines.append("")
    if stream:
        lines += [
            f"with httpx.stream({call.op.method!r}, {call_args}) as response:",
            *_stream_loop(call.terminal),
        ]
    else:
        lines += [f"response = httpx.{call.op.method.lower()}({call_args})", "response.raise_for_status()",
                  "print(json.dumps(response.json(), indent=2))"]  # fmt: skip
    return "\n".join(lines) + "\n"


def _variants(model: ContractModel, op: Operation) -> list[tuple[str, str | None, Any, bool]]:
    """(title, media type, body, streamed) of each example of ``op``."""
    s = op.stream
    only_streamed = s is not None and s.select_field is None and op.success(_JSON) is None
    if op.body is None:
        return [(op.summary or op.operation_id, None, None, only_streamed)]
    at = model.doc.follow(f"{op.pointer}/requestBody")
    out: list[tuple[str, str | None, Any, bool]] = []
    for media_type in op.body.media:
        body = _media_example(model.doc.node(f"{at}/content/{escape(media_type)}"))
        if media_type not in (_JSON, _FORM) or not isinstance(body, dict):
            continue
        several = len(op.body.media) > 1
        title = (op.summary or op.operation_id) + (" (urlencoded)" if media_type == _FORM and several else "")
        if s is not None and s.select_field is not None and media_type == _JSON:
            plain = {k: v for k, v in body.items() if k != s.select_field}
            if isinstance(s.select_value, bool):  # the other value, where the spec's example has it
                plain = {**body, s.select_field: not s.select_value}
            out.append((title, media_type, plain, False))
            out.append((f"{title} (streamed)", media_type, {**body, s.select_field: s.select_value}, True))
        else:
            out.append((title, media_type, body, only_streamed))
    return out


def request_examples(model: ContractModel) -> list[Example]:
    """Every runnable example of the model's spec, in document order of its operations."""
    env = env_names(model.api)
    out: list[Example] = []
    for op in model.operations:
        placed = model.credentials(_KEY, op)
        terminal = tuple(sorted(op.stream.terminal)) if op.stream is not None else ()
        call = _Call(op, env, _query(model, op, dict(placed.query)), dict(placed.headers), terminal)
        for title, media_type, body, stream in _variants(model, op):
            out.append(
                Example(title, op.operation_id, op.method, op.path, stream,
                        _curl(call, media_type, body, stream), _python(call, media_type, body, stream))
            )  # fmt: skip
    return out
