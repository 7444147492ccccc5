"""The README and the guides in docs/ stay true: the README is a front page (under 200 lines, linking a
guide for every part), every ``chatgate`` command line in them parses with the real command line, every
block marked ``sh runnable`` runs as written, every relative link resolves, and the generated CLI
reference is what the commands say (docs/developing.md, "Docs that run", has the rules).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click
import pytest

from chatgate.cli import _COMMANDS, cli
from chatgate.embedded import EmbeddedServer

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```", re.S | re.M)
INVOCATION = re.compile(r"(?:^|[\s;&(|])(?:[\w.~/-]*/)?chatgate\s+([a-z]+)\b([^\n]*)")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
LOCAL = "http://127.0.0.1:8080"


@dataclass(frozen=True)
class Block:
    path: Path
    line: int
    info: str
    text: str

    @property
    def id(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"

    @property
    def runnable(self) -> bool:
        return self.info.split()[:2] == ["sh", "runnable"]

    @property
    def expected_exit(self) -> int:
        found = re.search(r"\bexit=(\d+)", self.info)
        return int(found.group(1)) if found else 0


def blocks(path: Path) -> list[Block]:
    text = path.read_text(encoding="utf-8")
    return [
        Block(path, text[: m.start()].count("\n") + 1, m.group(1).strip(), m.group(2))
        for m in FENCE.finditer(text)
    ]


ALL = [b for path in DOCS for b in blocks(path)]
RUNNABLE = [b for b in ALL if b.runnable]


def test_the_readme_is_a_front_page_with_a_guide_for_every_part() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) < 200
    for guide in ("install", "gate", "coverage", "ci", "load", "kubernetes", "capacity-compare", "diff",
                  "integrator-docs", "reference-server", "reports", "cli", "slo-reference", "troubleshooting",
                  "migration", "developing"):  # fmt: skip
        assert f"(docs/{guide}.md)" in readme, guide
    headings = re.findall(r"^## (.+)$", readme, re.M)
    assert headings[:4] == [
        "Two commands",
        "Gate your deployment",
        "A pre-release load run",
        "Capacity and compare",
    ]
    assert "Docs for integrators" in headings
    assert "./scripts/install && .venv/bin/chatgate run" in readme and "./scripts/test" in readme


def _commands(block: Block) -> Iterator[list[str]]:
    text = block.text.replace("\\\n", " ")
    for line in text.splitlines():
        for m in INVOCATION.finditer(line):
            rest = re.split(r"\s(?:&&|\|\||;|\|)\s|\s#", m.group(2))[0]
            yield [m.group(1), *shlex.split(rest)]


def _without_specs(args: list[str]) -> list[str]:
    """``--specs git:REV`` reads git when parsed; its own tests cover it."""
    out, skip = [], False
    for word in args:
        if skip:
            skip = False
        elif word == "--specs":
            skip = True
        else:
            out.append(word)
    return out


def test_every_chatgate_command_in_the_docs_parses() -> None:
    seen = 0
    for block in ALL:
        for name, *args in _commands(block):
            command = cli.get_command(click.Context(cli), name)
            assert command is not None, (block.id, name)
            try:
                words = [a for a in args if a not in (">", "2>&1") and not a.startswith("[") and a != "..."]
                command.make_context(name, _without_specs(words))
            except click.ClickException as exc:
                pytest.fail(f"{block.id}: chatgate {name} {' '.join(args)}: {exc.format_message()}")
            seen += 1
    assert seen >= 40 and len(RUNNABLE) >= 6


def _anchor(heading: str) -> str:
    text = re.sub(r"[^\w\- ]", "", heading.replace("`", "").strip().lower())
    return text.replace(" ", "-")


def test_every_relative_link_resolves() -> None:
    broken = []
    for path in DOCS:
        for target in LINK.findall(path.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            file, _, anchor = target.partition("#")
            dest = (path.parent / file).resolve()
            if not dest.exists():
                broken.append(f"{path.name}: {target}")
            elif anchor and dest.suffix == ".md":
                headings = re.findall(r"^#+ (.+)$", dest.read_text(encoding="utf-8"), re.M)
                if anchor not in {_anchor(h) for h in headings}:
                    broken.append(f"{path.name}: {target} (no such heading)")
    assert broken == []


def test_the_cli_reference_is_what_the_commands_say() -> None:
    from chatgate.cli_reference import render

    committed = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    again = ".venv/bin/python -m chatgate.cli_reference docs/cli.md"
    assert committed == render(), f"docs/cli.md is stale: {again}"
    for name in _COMMANDS:
        assert f"## chatgate {name}\n" in committed


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServer]:
    """The "deployment" the runnable blocks talk to: a reference server with dev keys and history."""
    tmp = tmp_path_factory.mktemp("docs-deployment")
    flags = ["--seed-messages", "30", "--ttft-ms", "20", "--itl-ms", "5", "--db", str(tmp / "db.sqlite3")]
    server = EmbeddedServer(flags, log_path=tmp / "server.log").start()
    yield server
    server.stop()


def _workdir(tmp: Path) -> Path:
    """A fresh git repository holding the specs and contracts/, as a reader's repository would."""
    for name in ("specs", "contracts"):
        shutil.copytree(ROOT / name, tmp / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    (tmp / ".venv").symlink_to(ROOT / ".venv")
    facts = {
        f"GIT_{who}_{k}": v for who in ("AUTHOR", "COMMITTER") for k, v in (("NAME", "t"), ("EMAIL", "t@t"))
    }
    for args in (["init", "-q", "-b", "main"], ["add", "specs", "contracts"], ["commit", "-qm", "specs"]):
        subprocess.run(["git", *args], cwd=tmp, check=True, capture_output=True, env={**os.environ, **facts})
    return tmp


# A block that runs the load generator is judged on its own figures too (late arrivals, loop lag: exit 4
# on a busy machine, seen once in the parallel session): it runs with the timing tests, alone.
_MEASURES = ("chatgate load", "chatgate capacity", "chatgate run")


def _params() -> list[object]:
    def marks(b: Block) -> list[pytest.MarkDecorator]:
        found = [pytest.mark.e2e] if "e2e" in b.info.split() else []
        return found + ([pytest.mark.timing] if any(m in b.text for m in _MEASURES) else [])

    return [pytest.param(b, id=b.id, marks=marks(b)) for b in RUNNABLE]


@pytest.mark.slow
@pytest.mark.parametrize("block", _params())
def test_runnable_blocks_run_as_written(block: Block, deployment: EmbeddedServer, tmp_path: Path) -> None:
    url = deployment.base_url
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHATGATE_", "NARA_", "NAVIGABLE_"))}
    env |= {
        "PATH": f"{ROOT / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        "NARA_BASE_URL": url, "NAVIGABLE_BASE_URL": url,
        "NARA_API_KEY": "nara-dev-key-1001", "NARA_USER_ID": "1001",
        "NARA_API_KEY_2": "nara-dev-key-1002", "NARA_USER_ID_2": "1002",
        "NAVIGABLE_API_KEY": "navigable-dev-key",
    }  # fmt: skip
    script = block.text.replace(LOCAL, url)
    proc = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script], cwd=_workdir(tmp_path), env=env,
                          capture_output=True, text=True, timeout=600, check=False)  # fmt: skip
    assert proc.returncode == block.expected_exit, (block.id, proc.stdout[-3000:], proc.stderr[-3000:])
    assert "Traceback" not in proc.stderr
