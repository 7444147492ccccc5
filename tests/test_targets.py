"""Which deployment, key and identity each API is tested with, and the probe before a run: all read from
the spec (``chatgate.contract_model``), so an edited spec changes them with no code change."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from chatgate.errors import TargetError, UsageError
from chatgate.probe import check_target, probe, probe_request
from chatgate.targets import Target, credentials, second_identity
from tests.conftest import ROOT
from tests.field_proxy import ThreadedServer
from tests.server.server_helpers import start_in_process

NARA_KEY, NAV_KEY = "nara-dev-key-1001", "navigable-dev-key"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThreadedServer]:
    started = start_in_process(tmp_path_factory.mktemp("targets") / "db.sqlite3")
    yield started
    started.stop()


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("NARA_API_KEY", "NARA_USER_ID", "NARA_API_KEY_2", "NARA_USER_ID_2", "NAVIGABLE_API_KEY",
                 "CHATGATE_SPECS_DIR", "NAVIGABLE_AUTH_SCHEME"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.fixture
def edited_specs(tmp_path: Path, clean_env: pytest.MonkeyPatch) -> Path:
    """Nara's spec with its identity and page size renamed (``owner_id``, ``page_size``) everywhere."""
    shutil.copytree(ROOT / "specs", tmp_path / "specs")
    nara = tmp_path / "specs" / "nara.openapi.yaml"
    text = (
        nara.read_text(encoding="utf-8").replace("user_id", "owner_id").replace("rows_per_page", "page_size")
    )
    nara.write_text(text, encoding="utf-8")
    clean_env.setenv("CHATGATE_SPECS_DIR", str(tmp_path / "specs"))
    return tmp_path / "specs"


def test_the_probe_is_a_read_of_the_spec_with_its_parameters_filled(clean_env: pytest.MonkeyPatch) -> None:
    nara = probe_request(Target("nara", "http://h", "k", 1001))
    assert nara is not None
    assert (nara.op.operation_id, nara.params, nara.headers) == (
        "listChatMessages", {"user_id": "1001", "rows_per_page": "1"}, {"Authorization": "Bearer k"}
    )  # fmt: skip
    navigable = probe_request(Target("navigable", "http://h", "k"))
    assert navigable is not None
    assert (navigable.op.operation_id, navigable.params, navigable.headers) == (
        "getChatSessionMessages", {"identifier": "chatgate-probe"}, {"X-Api-Key": "k"}
    )  # fmt: skip


def test_an_edited_spec_changes_the_probe_and_the_identity_variable(
    edited_specs: Path, clean_env: pytest.MonkeyPatch
) -> None:
    found = probe_request(Target("nara", "http://h", "k", 7))
    assert found is not None and found.params == {"owner_id": "7", "page_size": "1"}
    clean_env.setenv("NARA_API_KEY", "k")
    with pytest.raises(UsageError, match=r"^NARA_OWNER_ID is not set \(the owner_id the Nara key belongs"):
        credentials("nara", "http://h", embedded=False)
    clean_env.setenv("NARA_OWNER_ID", "7")
    clean_env.setenv("NARA_API_KEY_2", "k2")
    clean_env.setenv("NARA_OWNER_ID_2", "8")
    first = credentials("nara", "http://h", embedded=False)
    second = second_identity(first)
    assert first.user_id == 7 and second is not None and (second.key, second.user_id) == ("k2", 8)


def test_a_key_that_does_not_own_its_identity_is_one_line(server: ThreadedServer) -> None:
    assert probe(Target("nara", server.base_url, NARA_KEY, 1001)) == (200,)
    assert probe(Target("navigable", server.base_url, NAV_KEY)) == (200,)
    with pytest.raises(TargetError) as caught:
        probe(Target("nara", server.base_url, NARA_KEY, 1002))
    assert str(caught.value) == (
        "nara: the key does not belong to user_id 1002 (403 on GET /api/v1.0/chat/messages);"
        " check NARA_USER_ID"
    )
    with pytest.raises(TargetError) as caught:
        probe(Target("navigable", server.base_url, "wrong"))
    assert (
        str(caught.value) == f"navigable: {server.base_url} rejected the key (401); check NAVIGABLE_API_KEY"
    )


def test_identities_come_from_the_variables_the_spec_names(clean_env: pytest.MonkeyPatch) -> None:
    assert credentials("nara", "http://h", embedded=True).user_id == 1001  # the dev key's user
    assert credentials("navigable", "http://h", embedded=True).user_id is None  # keys identify an account
    clean_env.setenv("NARA_API_KEY", "k")
    with pytest.raises(
        UsageError, match=r"^NARA_USER_ID is not set \(the user_id the Nara key belongs to\)$"
    ):
        credentials("nara", "http://h", embedded=False)
    clean_env.setenv("NARA_USER_ID", "abc")
    with pytest.raises(UsageError, match=r"^NARA_USER_ID='abc' is not an integer$"):
        credentials("nara", "http://h", embedded=False)
    clean_env.setenv("NARA_USER_ID", "5")
    assert credentials("nara", "http://h", embedded=False).user_id == 5


def test_a_second_identity_needs_both_variables_and_must_differ(clean_env: pytest.MonkeyPatch) -> None:
    dev = Target("nara", "http://h", NARA_KEY, 1001)
    embedded = second_identity(dev, embedded=True)
    assert embedded is not None and embedded.user_id == 1002
    assert second_identity(dev) is None
    assert second_identity(Target("navigable", "http://h", NAV_KEY), embedded=True) is None
    clean_env.setenv("NARA_API_KEY_2", "k2")
    with pytest.raises(UsageError, match=r"^NARA_USER_ID_2 is not set \(a second Nara identity needs both"):
        second_identity(dev)
    clean_env.setenv("NARA_USER_ID_2", "1001")
    with pytest.raises(UsageError, match=r"^NARA_USER_ID_2 is the same user_id as NARA_USER_ID \("):
        second_identity(dev)
    clean_env.setenv("NARA_USER_ID_2", "x")
    with pytest.raises(UsageError, match=r"^NARA_USER_ID_2='x' is not an integer$"):
        second_identity(dev)


def test_a_key_refused_in_the_first_scheme_but_taken_in_another_is_not_a_wrong_key(
    server: ThreadedServer, tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    """A spec that adds Bearer before X-Api-Key, a server that still takes only X-Api-Key: the key is
    right (the refused scheme is the gate's auth finding), so the run sends it where it was taken; a key
    every scheme refuses is still the one-line exit 3."""
    from tests.spec_variants import VARIANTS, write_specs

    clean_env.setenv("CHATGATE_SPECS_DIR", str(write_specs(VARIANTS["second-auth-scheme"], tmp_path)))
    first = Target("navigable", server.base_url, NAV_KEY)
    sent = probe_request(first)
    assert sent is not None and sent.headers == {"Authorization": f"Bearer {NAV_KEY}"}
    used, statuses = check_target(first)
    assert (used.scheme, statuses) == ("apiKeyAuth", ((200, "application/json"),))
    with pytest.raises(TargetError, match=r"rejected the key \(401\); check NAVIGABLE_API_KEY$"):
        check_target(Target("navigable", server.base_url, "wrong"))
    clean_env.setenv("NAVIGABLE_API_KEY", NAV_KEY)
    clean_env.setenv("NAVIGABLE_AUTH_SCHEME", "apiKeyAuth")
    chosen = credentials("navigable", server.base_url, embedded=False)
    assert chosen.scheme == "apiKeyAuth" and check_target(chosen) == (chosen, ((200, "application/json"),))
    clean_env.setenv("NAVIGABLE_AUTH_SCHEME", "basicAuth")
    with pytest.raises(UsageError) as caught:
        credentials("navigable", server.base_url, embedded=False)
    assert str(caught.value) == (
        "NAVIGABLE_AUTH_SCHEME='basicAuth': the navigable spec has no such security scheme"
        " (it has: bearerAuth, apiKeyAuth)"
    )
