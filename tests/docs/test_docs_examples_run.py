"""Every curl and Python example on the docs pages runs as written against ``chatgate serve``.

The host, key and identity come from the environment, as the page says; the output must be what the
spec promises for a 200 (the JSON body, or a stream its grammar accepts whose every event is valid).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from typing import Any

import pytest

from chatgate.apis import DEV_KEYS, DEV_NARA_USER
from chatgate.contract_model import model_for
from chatgate.docs.model import api_doc
from chatgate.specs import API_NAMES, schema_validator
from chatgate.sse import decode_all

CASES = [(api, e) for api in API_NAMES for e in api_doc(api).examples]


def _check(api: str, example: Any, out: str) -> None:
    model = model_for(api)
    op = model.operation(example.operation_id)
    assert op is not None
    if example.stream:
        s = op.stream
        assert s is not None
        events = decode_all(out.encode())
        names = [e.event for e in events]
        assert s.grammar.matches(names) and names[-1] != s.error_event and s.content_event in names, names
        for event in events:
            payload = json.loads(event.data)
            data = schema_validator(model.spec, "#" + s.data_pointers[event.event])
            assert data.is_valid(payload) and payload[s.name_field] == event.event, event
        return
    ok = op.success("application/json")
    assert ok is not None and ok.schema_pointer is not None
    errors = [
        e.message for e in schema_validator(model.spec, "#" + ok.schema_pointer).iter_errors(json.loads(out))
    ]
    assert not errors, (errors, out[:500])


@pytest.fixture(scope="module")
def env(shared_server: Any) -> dict[str, str]:
    env = dict(os.environ)
    for api in API_NAMES:
        env[f"{api.upper()}_BASE_URL"] = shared_server.base_url
        env[f"{api.upper()}_API_KEY"] = DEV_KEYS[api]
        variable = model_for(api).identity_variable()
        if variable:
            env[variable] = str(DEV_NARA_USER)  # the dev key's user
    return env


@pytest.mark.parametrize(("api", "example"), CASES, ids=[f"{a}-{e.title}" for a, e in CASES])
def test_curl_example_runs_as_written(api: str, example: Any, env: dict[str, str]) -> None:
    assert shutil.which("curl"), "curl is needed to run the docs' curl examples"
    proc = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", example.curl],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 0, (example.curl, proc.stderr)
    _check(api, example, proc.stdout)


@pytest.mark.parametrize(("api", "example"), CASES, ids=[f"{a}-{e.title}" for a, e in CASES])
def test_python_example_runs_as_written(api: str, example: Any, env: dict[str, str]) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", example.python], capture_output=True, text=True, env=env, timeout=60
    )
    assert proc.returncode == 0, (example.python, proc.stderr)
    _check(api, example, proc.stdout)
