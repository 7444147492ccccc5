"""Runnable curl and Python examples for every operation, built from the spec's own examples.

Each example reads its host and key from the same environment variables the toolkit uses
(``NARA_BASE_URL`` / ``NARA_API_KEY``, ``NAVIGABLE_BASE_URL`` / ``NAVIGABLE_API_KEY``), so the text on
the page holds no key and runs as written once they are set::

    >>> from chatgate.specs import load_spec
    >>> [e.title for e in request_examples("nara", load_spec("nara"))]  # doctest: +NORMALIZE_WHITESPACE
    ['Send a chat message', 'Send a chat message (streamed)', "List a user's messages, page by page"]

Variants: one per request media type (JSON, urlencoded), plus a streamed one when the operation
answers ``text/event-stream`` and its JSON body has a boolean ``stream`` field. Query parameters are
taken from their ``example``: every parameter of a bodiless operation, only required ones otherwise.
"""

from __future__ import annotations

import json
import shlex
import urllib.parse
from dataclasses import dataclass
from typing import Any

from chatgate.errors import SpecError
from chatgate.specs import operations, resolve

__all__ = ["Example", "auth_header", "env_names", "request_examples"]

_JSON = "application/json"
_FORM = "application/x-www-form-urlencoded"
_SSE = "text/event-stream"


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


def env_names(api: str) -> tuple[str, str]:
    """The environment variables an example reads: (base URL, API key)."""
    prefix = api.upper()
    return f"{prefix}_BASE_URL", f"{prefix}_API_KEY"


def auth_header(spec: dict[str, Any]) -> tuple[str, str]:
    """(header name, value prefix) of the spec's first security scheme, e.g. ("Authorization", "Bearer ")."""
    schemes = (spec.get("components") or {}).get("securitySchemes") or {}
    for requirement in spec.get("security") or []:
        for name in requirement:
            scheme = resolve(spec, schemes.get(name, {}))
            if scheme.get("type") == "http" and str(scheme.get("scheme", "")).lower() == "bearer":
                return "Authorization", "Bearer "
            if scheme.get("type") == "apiKey" and scheme.get("in") == "header":
                return str(scheme["name"]), ""
    raise SpecError("the spec has no bearer or header API-key security scheme: the docs need one")


def _media_example(media: dict[str, Any]) -> Any:
    if "example" in media:
        return media["example"]
    examples = media.get("examples") or {}
    for item in examples.values():
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


def _query(spec: dict[str, Any], op: dict[str, Any], with_body: bool) -> list[tuple[str, Any]]:
    pairs: list[tuple[str, Any]] = []
    for raw in op.get("parameters") or []:
        param = resolve(spec, raw)
        if param.get("in") != "query" or "example" not in param:
            continue
        if with_body and not param.get("required"):
            continue
        pairs.append((str(param["name"]), param["example"]))
    return pairs


def _curl(
    method: str,
    url_expr: str,
    header: tuple[str, str],
    key_env: str,
    media_type: str | None,
    body: Any,
    stream: bool,
) -> str:
    name, prefix = header
    lines = [f'curl -sS{"N" if stream else ""} -X {method.upper()} "{url_expr}"']
    lines.append(f'-H "{name}: {prefix}${key_env}"')
    if stream:
        lines.append(f'-H "Accept: {_SSE}"')
    if media_type == _JSON:
        lines.append(f'-H "Content-Type: {_JSON}"')
        lines.append(f"--data {shlex.quote(json.dumps(body, ensure_ascii=False))}")
    elif media_type == _FORM:
        for field, value in body.items():
            for item in value if isinstance(value, list) else [value]:
                lines.append(f"--data-urlencode {shlex.quote(f'{field}={_form_value(item)}')}")
    return " \\\n  ".join(lines)


def _form_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _python(
    method: str,
    path: str,
    query: list[tuple[str, Any]],
    header: tuple[str, str],
    env: tuple[str, str],
    media_type: str | None,
    body: Any,
    stream: bool,
) -> str:
    base_env, key_env = env
    name, prefix = header
    value = f'f"{prefix}{{os.environ[{key_env!r}]}}"' if prefix else f"os.environ[{key_env!r}]"
    lines = [
        "import json",
        "import os",
        "",
        "import httpx",
        "",
        f"url = os.environ[{base_env!r}] + {path!r}",
        f"headers = {{{name!r}: {value}}}",
    ]
    args = ["url", "headers=headers"]
    if query:
        lines.append(f"params = {_py(dict(query))}")
        args.append("params=params")
    if media_type == _JSON:
        lines.append(f"body = {_py(body)}")
        args.append("json=body")
    elif media_type == _FORM:
        form = {k: v if isinstance(v, list) else _form_value(v) for k, v in body.items()}
        lines.append(f"form = {_py(form)}")
        args.append("data=form")
    args.append("timeout=30")
    call = ", ".join(args)
    lines.append("")
    if stream:
        lines += [
            f"with httpx.stream({method.upper()!r}, {call}) as response:",
            "    response.raise_for_status()",
            "    event = 'message'",
            "    for line in response.iter_lines():  # one Server-Sent Event field per line",
            "        if line.startswith('event:'):",
            "            event = line[len('event:'):].strip()",
            "        elif line.startswith('data:'):",
            "            data = json.loads(line[len('data:'):].strip())",
            "            print(f'event: {event}\\ndata: {json.dumps(data)}\\n')",
            "            if event in ('message_end', 'error'):  # the terminal event",
            "                break",
        ]
    else:
        lines += [
            f"response = httpx.{method.lower()}({call})",
            "response.raise_for_status()",
            "print(json.dumps(response.json(), indent=2))",
        ]
    return "\n".join(lines) + "\n"


def request_examples(api: str, spec: dict[str, Any]) -> list[Example]:
    """Every runnable example of ``spec``, in document order of its operations."""
    header = auth_header(spec)
    env = env_names(api)
    out: list[Example] = []
    for op in operations(spec):
        definition = op.definition
        summary = str(definition.get("summary") or op.operation_id)
        body_content = (resolve(spec, definition.get("requestBody") or {}).get("content")) or {}
        query = _query(spec, definition, with_body=bool(body_content))
        url_expr = f"${env[0]}{op.path}"
        if query:
            url_expr += "?" + urllib.parse.urlencode([(k, _form_value(v)) for k, v in query])
        ok = resolve(spec, (definition.get("responses") or {}).get("200") or {})
        streams = _SSE in (ok.get("content") or {})
        variants: list[tuple[str, str | None, Any, bool]] = []
        if not body_content:
            variants.append((summary, None, None, False))
        for media_type, media in body_content.items():
            if media_type not in (_JSON, _FORM):
                continue
            body = _media_example(media)
            if not isinstance(body, dict):
                continue
            suffix = " (urlencoded)" if media_type == _FORM and len(body_content) > 1 else ""
            if streams and media_type == _JSON and isinstance(body.get("stream"), bool):
                variants.append((summary + suffix, media_type, {**body, "stream": False}, False))
                variants.append((f"{summary} (streamed)", media_type, {**body, "stream": True}, True))
            else:
                variants.append((summary + suffix, media_type, body, False))
        for title, media_type, body, stream in variants:
            out.append(
                Example(
                    title=title,
                    operation_id=op.operation_id,
                    method=op.method,
                    path=op.path,
                    stream=stream,
                    curl=_curl(op.method, url_expr, header, env[1], media_type, body, stream),
                    python=_python(op.method, op.path, query, header, env, media_type, body, stream),
                )
            )
    return out
