"""docs/troubleshooting.md covers what users hit: each bad invocation below, run through the real command
line, ends in one ``chatgate: error:`` line that matches an entry of the page (its heading, where
``<...>`` is a value and ``…`` the rest), with the exit code the page files it under."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from chatgate.embedded import EmbeddedServer, free_port

ROOT = Path(__file__).resolve().parents[1]
PAGE = (ROOT / "docs" / "troubleshooting.md").read_text(encoding="utf-8")


def entries() -> dict[int, list[re.Pattern[str]]]:
    """Each exit code's entries, as patterns of the error line."""
    out: dict[int, list[re.Pattern[str]]] = {}
    for section in re.split(r"^## Exit ", PAGE, flags=re.M)[1:]:
        code = int(section[0])
        for heading in re.findall(r"^### (.+)$", section, re.M):
            for span in re.findall(r"`([^`]+)`", heading):
                text = re.escape(span).replace("…", ".*")
                out.setdefault(code, []).append(re.compile(re.sub(r"<[^>]+>", ".+?", text)))
    return out


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("troubleshooting")
    running = EmbeddedServer(["--db", str(tmp / "db")], log_path=tmp / "log").start()
    yield running.base_url
    running.stop()


KEYS = {"NARA_API_KEY": "nara-dev-key-1001", "NARA_USER_ID": "1001"}
AT = {"NARA_BASE_URL": "{url}"}
CASES = {
    "mistyped option": (["contract", "--max-exampels", "3"], {}, 2),
    "mistyped command": (["contrat"], {}, 2),
    "bad value": (["contract", "--api", "narra"], {}, 2),
    "bad duration": (["load", "--run-time", "soon"], {}, 2),
    "empty target": (["contract", "--api", "nara"], {"NARA_BASE_URL": ""}, 2),
    "one api without host": (["contract", "--api", "all"], {**AT, **KEYS}, 2),
    "not a url": (["contract", "--api", "nara"], {"NARA_BASE_URL": "ftp://x", **KEYS}, 2),
    "no key": (["contract", "--api", "nara"], AT, 2),
    "no user id": (["contract", "--api", "nara"], {**AT, "NARA_API_KEY": "k"}, 2),
    "user id type": (["contract", "--api", "nara"], {**AT, **KEYS, "NARA_USER_ID": "x"}, 2),
    "unknown check": (["contract", "--checks", "frobnicate"], {}, 2),
    "judged nothing": (["contract", "--api", "navigable", "--checks", "stream_grammar"], {}, 2),
    "slo table": (["load", "--slo", "{tmp}/table.toml"], {}, 2),
    "slo toml": (["load", "--slo", "{tmp}/broken.toml"], {}, 2),
    "slo nothing": (["load", "--scenario", "navigable-reads", "--slo", "{tmp}/off.toml"], {}, 2),
    "load flags": (["load", "--run-time", "5s", "--warmup", "10s"], {}, 2),
    "invalid spec": (["lint", "{tmp}/broken.yaml"], {}, 2),
    "no git": (["diff", "git:HEAD", "specs"], {}, 2),
    "no kept run": (["compare", "{tmp}", "{tmp}"], {}, 2),
    "report dir": (["docs", "--out", "/proc/chatgate-cannot"], {}, 2),
    "unreachable": (["contract", "--api", "nara"], {"NARA_BASE_URL": "http://127.0.0.1:{dead}", **KEYS}, 3),
    "tls": (["contract", "--api", "nara"], {"NARA_BASE_URL": "{tls}", **KEYS}, 3),
    "key rejected": (["contract", "--api", "nara"], {**AT, **KEYS, "NARA_API_KEY": "no"}, 3),
    "not the key's user": (["contract", "--api", "nara"], {**AT, **KEYS, "NARA_USER_ID": "1002"}, 3),
    "wrong base url": (["contract", "--api", "nara"], {"NARA_BASE_URL": "{url}/nope", **KEYS}, 3),
}  # fmt: skip


def _files(tmp: Path) -> None:
    (tmp / "table.toml").write_text("[scenario.nara-stream-send]\np95_ttft_ms = 1\n", encoding="utf-8")
    (tmp / "broken.toml").write_text("not [toml\n", encoding="utf-8")
    keys = ("p99_latency_ms", "max_error_rate", "min_throughput_rps")
    off = "[scenario.navigable-reads]\n" + "".join(f'{k} = "off"\n' for k in keys)
    (tmp / "off.toml").write_text(off, encoding="utf-8")
    (tmp / "broken.yaml").write_text("openapi: 3.1.0\ninfo: [1,\n", encoding="utf-8")


@pytest.mark.parametrize("case", list(CASES))
def test_each_error_a_user_hits_is_documented(case: str, server: str, tmp_path: Path) -> None:
    args, env, code = CASES[case]
    _files(tmp_path)
    values = {
        "url": server,
        "tmp": str(tmp_path),
        "dead": str(free_port()),
        "tls": server.replace("http:", "https:"),
    }
    base = {k: v for k, v in os.environ.items() if not k.startswith(("CHATGATE_", "NARA_", "NAVIGABLE_"))}
    given = {k: v.format(**values) for k, v in env.items()}
    command = [sys.executable, "-m", "chatgate", *(a.format(**values) for a in args)]
    proc = subprocess.run(command, cwd=tmp_path, env={**base, **given}, capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip
    assert proc.returncode == code, (proc.stdout[-1000:], proc.stderr[-1000:])
    lines = [
        ln.removeprefix("chatgate: error: ")
        for ln in proc.stderr.splitlines()
        if ln.startswith("chatgate: error:")
    ]
    assert len(lines) == 1, proc.stderr
    documented = [p.pattern for p in entries()[code] if p.match(lines[0])]
    assert documented, f"not in docs/troubleshooting.md under exit {code}: {lines[0]}"
