"""Every category of bad input x every command that accepts it: one ``chatgate: error:`` line, the
documented exit code, never a traceback (DESIGN.md: 2 usage or configuration, 3 target cannot be tested).

Each case runs the real command line in a subprocess (the exit code and stderr are what is under test),
from an empty folder, with the ``CHATGATE_*`` variables of the test run removed. The assertions are
about the command line only, so they hold whatever the runners behind it become.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from chatgate.embedded import free_port
from tests.field_proxy import ThreadedServer
from tests.server.server_helpers import start_in_process

ROOT = Path(__file__).resolve().parents[1]
SPECS = ROOT / "specs"


@dataclass(frozen=True)
class World:
    """What the cases point at: bad files, a target answering HTML, a real server with other keys."""

    tmp: Path
    html_url: str
    server_url: str


@dataclass(frozen=True)
class Case:
    id: str
    args: Callable[[World], list[str]]
    code: int
    env: dict[str, str] = field(default_factory=dict)


def _bad_specs(tmp: Path) -> None:
    """tmp/specs-<category>/: a broken nara.openapi.yaml beside a good navigable one."""
    nara = (SPECS / "nara.openapi.yaml").read_text(encoding="utf-8")
    loop = "\n  schemas:\n    LoopA:\n      $ref: '#/components/schemas/LoopB'\n    LoopB:\n      $ref: '#/components/schemas/LoopA'\n"  # noqa: E501
    bomb = "".join(f"l{i + 1}: &l{i + 1} [{', '.join([f'*l{i}'] * 9)}]\n" for i in range(8))
    contents: dict[str, str | bytes] = {
        "malformed": "openapi: 3.1.0\ninfo: [1,\n",
        "binary": bytes(range(256)) * 16,
        "huge": "openapi: 3.1.0\nx-padding: '" + "a" * (11 * 1024 * 1024) + "'\n",
        "not-openapi": "- just\n- a list\n",
        "wrong-version": nara.replace("openapi: 3.1.0", "openapi: 2.0.0", 1),
        "paths-not-a-mapping": nara.split("\npaths:")[0] + "\npaths: [1, 2]\n",
        "dangling-ref": nara.replace('#/components/schemas/ChatMessage"', '#/components/schemas/Nowhere"', 1),
        "circular-ref": nara.replace("\n  schemas:\n", loop, 1).replace(
            '#/components/schemas/ChatMessage"', '#/components/schemas/LoopA"', 1
        ),
        "alias-bomb": "openapi: 3.1.0\nl0: &l0 [x, x, x, x, x, x, x, x, x]\n" + bomb,
    }
    assert "LoopA" in str(contents["circular-ref"]) and "Nowhere" in str(contents["dangling-ref"])
    for name, content in [*contents.items(), ("unreadable", b"")]:
        folder = tmp / f"specs-{name}"
        folder.mkdir()
        (folder / "navigable.openapi.yaml").write_bytes((SPECS / "navigable.openapi.yaml").read_bytes())
        target = folder / "nara.openapi.yaml"
        if name == "unreadable":  # root reads any file: a folder where the file must be cannot be read
            target.mkdir()
        elif isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")


def _bad_files(tmp: Path) -> None:
    (tmp / "a-file").write_text("not a folder", encoding="utf-8")
    (tmp / "binary.bin").write_bytes(bytes(range(256)) * 8)
    (tmp / "not-toml.toml").write_text("not [toml\n", encoding="utf-8")
    (tmp / "bad-value.toml").write_text(
        '[scenario.nara-stream-sends]\np95_ttft_ms = "fast"\n', encoding="utf-8"
    )
    (tmp / "not-json.json").write_text("{not json", encoding="utf-8")
    (tmp / "not-a-baseline.json").write_text("[1, 2]", encoding="utf-8")


async def _html_app(
    scope: dict[str, object], receive: Callable[..., object], send: Callable[..., object]
) -> None:
    """A target that answers every request with an HTML page (a login portal, a web server's default)."""
    if scope["type"] != "http":
        return
    body = b"<html><body><h1>Welcome</h1></body></html>"
    headers = [(b"content-type", b"text/html"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})  # type: ignore[operator]
    await send({"type": "http.response.body", "body": body})  # type: ignore[operator]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("bad-input")
    _bad_specs(tmp)
    _bad_files(tmp)
    html = ThreadedServer(_html_app).start()
    server = start_in_process(tmp / "server.sqlite3")
    yield World(tmp, html.base_url, server.base_url)
    html.stop()
    server.stop()


SPEC_CATEGORIES = [
    "malformed",
    "binary",
    "huge",
    "not-openapi",
    "wrong-version",
    "paths-not-a-mapping",
    "dangling-ref",
    "circular-ref",
    "alias-bomb",
    "unreadable",
]
LOAD = ["load", "--run-time", "2s", "--scenario", "navigable-reads"]
WRONG_KEYS = {"NARA_API_KEY": "wrong-key", "NAVIGABLE_API_KEY": "wrong-key", "NARA_USER_ID": "1001"}


def _spec_cases() -> list[Case]:
    """Every bad spec through every command that reads specs (exit 2)."""
    cases = []
    for cat in SPEC_CATEGORIES:

        def specs(w: World, cat: str = cat) -> list[str]:
            return ["--specs", str(w.tmp / f"specs-{cat}")]

        def out(w: World, name: str, cat: str = cat) -> str:
            return str(w.tmp / f"out-{name}-{cat}")

        cases += [
            Case(
                f"lint-{cat}",
                lambda w, cat=cat: ["lint", str(w.tmp / f"specs-{cat}" / "nara.openapi.yaml")],
                2,
            ),
            Case(f"docs-{cat}", lambda w, s=specs, o=out: ["docs", *s(w), "--out", o(w, "docs")], 2),
            Case(
                f"contract-{cat}", lambda w, s=specs, o=out: ["contract", *s(w), "--report-dir", o(w, "c")], 2
            ),
            Case(f"serve-{cat}", lambda w, s=specs: ["serve", *s(w), "--port", str(free_port())], 2),
            Case(f"load-{cat}", lambda w, s=specs, o=out: [*LOAD, *s(w), "--report-dir", o(w, "l")], 2),
            Case(f"run-{cat}", lambda w, s=specs, o=out: ["run", *s(w), "--report-dir", o(w, "r")], 2),
        ]
    return cases


def _flag_cases() -> list[Case]:
    """Bad flag values and names, bad --server-arg (exit 2)."""
    values = [
        ("serve-port-out-of-range", ["serve", "--port", "70000"]),
        ("serve-unknown-flag", ["serve", "--bogus"]),
        ("lint-unknown-flag", ["lint", "--bogus"]),
        ("contract-max-examples-negative", ["contract", "--max-examples", "-1"]),
        ("contract-seed-not-a-number", ["contract", "--seed", "x"]),
        ("contract-unknown-api", ["contract", "--api", "narra"]),
        ("contract-unknown-flag", ["contract", "--bogus"]),
        ("load-users-negative", ["load", "--users", "-3"]),
        ("load-run-time-not-a-duration", ["load", "--run-time", "soon"]),
        ("load-unknown-scenario", ["load", "--scenario", "nope"]),
        ("load-unknown-flag", ["load", "--bogus"]),
        ("docs-out-without-a-value", ["docs", "--out"]),
        ("docs-unknown-flag", ["docs", "--bogus"]),
        ("run-load-rate-zero", ["run", "--load-rate", "0"]),
        ("run-load-run-time-not-a-duration", ["run", "--load-run-time", "never"]),
        ("run-unknown-flag", ["run", "--bogus"]),
        ("unknown-command", ["frobnicate"]),
        ("specs-folder-missing", ["docs", "--specs", "/nonexistent/specs"]),
        ("load-server-arg-unknown-flag", [*LOAD, "--server-arg", "--bogus-flag"]),
        ("load-server-arg-bad-value", [*LOAD, "--server-arg", "--ttft-ms abc"]),
        ("load-server-arg-bad-rate", [*LOAD, "--server-arg", "--fault-500-rate 7"]),
    ]
    return [Case(name, lambda w, a=args: list(a), 2) for name, args in values]


def _file_cases() -> list[Case]:
    """Bad SLO files, bad baselines, unwritable report paths (exit 2)."""

    def at(name: str) -> Callable[[World], str]:
        return lambda w: str(w.tmp / name)

    slo = ["missing.toml", "not-toml.toml", "bad-value.toml", "binary.bin", "."]
    baseline = ["missing.json", "not-json.json", "not-a-baseline.json", "binary.bin", "."]
    cases = [Case(f"slo-{n}", lambda w, n=n: [*LOAD, "--slo", at(n)(w)], 2) for n in slo]
    cases += [Case(f"baseline-{n}", lambda w, n=n: ["contract", "--baseline", at(n)(w)], 2) for n in baseline]
    under_a_file = at("a-file/reports")
    cases += [
        Case("unwritable-contract-report-dir", lambda w: ["contract", "--report-dir", under_a_file(w)], 2),
        Case("unwritable-load-report-dir", lambda w: [*LOAD, "--report-dir", under_a_file(w)], 2),
        Case("unwritable-run-report-dir", lambda w: ["run", "--report-dir", under_a_file(w)], 2),
        Case("unwritable-docs-out", lambda w: ["docs", "--out", under_a_file(w)], 2),
        Case("unwritable-lint-summary", lambda w: ["lint", "--summary-json", under_a_file(w) + "/s.json"], 2),
        Case("unwritable-serve-db", lambda w: ["serve", "--db", under_a_file(w) + "/x.sqlite3"], 2),
    ]
    return cases


def _target_cases() -> list[Case]:
    """Bad URLs (exit 2); unreachable targets, wrong keys, a target that answers HTML (exit 3)."""
    cases = []
    for url in ("not-a-url", "ftp://example.org", "http://"):
        cases.append(
            Case(f"contract-url-{url}", lambda w, u=url: ["contract", "--base-url", u], 2, WRONG_KEYS)
        )
        cases.append(Case(f"load-url-{url}", lambda w, u=url: [*LOAD, "--base-url", u], 2, WRONG_KEYS))
    targets: list[tuple[str, Callable[[World], str]]] = [
        ("unreachable", lambda w: f"http://127.0.0.1:{free_port()}"),
        ("wrong-keys", lambda w: w.server_url),
        ("answers-html", lambda w: w.html_url),
    ]
    for name, url in targets:
        cases.append(
            Case(f"contract-{name}", lambda w, u=url: ["contract", "--base-url", u(w)], 3, WRONG_KEYS)
        )
        cases.append(Case(f"load-{name}", lambda w, u=url: [*LOAD, "--base-url", u(w)], 3, WRONG_KEYS))
    return cases


CASES = _spec_cases() + _flag_cases() + _file_cases() + _target_cases()


def test_the_matrix_is_large_and_every_id_unique() -> None:
    assert len(CASES) >= 60 and len({c.id for c in CASES}) == len(CASES)


@pytest.mark.e2e  # ~110 subprocesses, about a minute on 2 cores
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_one_line_and_its_exit_code(case: Case, world: World) -> None:
    args = case.args(world)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHATGATE_", "NARA_", "NAVIGABLE_"))}
    env.update(case.env)
    cwd = world.tmp / "cwd"
    cwd.mkdir(exist_ok=True)
    proc = subprocess.run(
        [sys.executable, "-m", "chatgate", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    errors = [line for line in proc.stderr.splitlines() if line.startswith("chatgate: error: ")]
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr[-2000:]
    assert (proc.returncode, len(errors)) == (case.code, 1), (args, proc.stdout[-1000:], proc.stderr[-1000:])


def test_a_failing_run_leaves_earlier_reports_intact(world: World) -> None:
    out = world.tmp / "kept-docs"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHATGATE_")}

    def docs(*extra: str) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "chatgate", "docs", "--out", str(out), *extra]
        return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)

    assert docs().returncode == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert docs("--specs", str(world.tmp / "specs-dangling-ref")).returncode == 2
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
