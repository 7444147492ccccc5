"""The command line end to end: every command answers --help, bad usage is one line and exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest

from chatgate.cli import cli

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = ["serve", "lint", "contract", "load", "capacity", "compare", "diff", "docs", "run"]


def chatgate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chatgate", *args], capture_output=True, text=True, cwd=ROOT, timeout=120
    )


def test_top_level_help_lists_every_command_and_exit_codes() -> None:
    proc = chatgate("--help")
    assert proc.returncode == 0
    for name in COMMANDS:
        assert f"  {name} " in proc.stdout
    assert "4 measurement invalid" in proc.stdout


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help(name: str) -> None:
    proc = chatgate(name, "--help")
    assert proc.returncode == 0, proc.stderr
    assert f"Usage: chatgate {name}" in proc.stdout


def test_version() -> None:
    proc = chatgate("--version")
    assert proc.returncode == 0 and proc.stdout.startswith("chatgate, version ")


@pytest.mark.parametrize(
    "args",
    [
        ["frobnicate"],
        ["--no-such-flag"],
        ["contract", "--api", "narra"],
        ["contract", "--max-examples", "many"],
        ["load", "--users", "-3"],
        ["load", "--scenario", "no-such-scenario"],
        ["capacity", "--resolution", "fine"],
        ["capacity", "--min-rps", "-1"],
        ["compare", "only-one-dir"],
        ["diff", "only-old"],
        ["diff", "specs", "specs", "--update-accept"],
        ["serve", "--port", "http"],
        ["docs", "--out"],
    ],
)
def test_bad_usage_is_exit_2_without_traceback(args: list[str]) -> None:
    proc = chatgate(*args)
    assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stdout + proc.stderr
    assert proc.stderr.strip(), "a usage error says what is wrong"


def test_a_mistyped_command_gets_did_you_mean() -> None:
    proc = chatgate("contrat", "--api", "nara")
    assert proc.returncode == 2
    assert proc.stderr.startswith("chatgate: error: No such command 'contrat'. Did you mean 'contract'?")
    far = chatgate("frobnicate")
    assert "Commands: serve, lint, contract" in far.stderr, far.stderr


def _options(name: str) -> list[click.Option]:
    command = cli.get_command(click.Context(cli), name)
    assert command is not None
    return [p for p in command.params if isinstance(p, click.Option)]


# Every option that takes a length of time, by command: one metavar, one parser (30s, 2m, 250ms).
DURATIONS = {
    "serve": ["--graceful-timeout"],
    "contract": ["--max-time", "--request-timeout", "--stream-idle-timeout", "--stream-timeout"],
    "load": ["--run-time", "--warmup", "--stop-timeout", "--expect-workers-max-wait", "--request-timeout",
             "--stream-idle-timeout", "--stream-timeout"],
    "capacity": ["--max-time", "--step-time", "--warmup", "--request-timeout", "--stream-idle-timeout",
                 "--stream-timeout"],
    "run": ["--load-run-time"],
}  # fmt: skip


@pytest.mark.parametrize("name", COMMANDS)
def test_every_duration_option_has_one_metavar(name: str) -> None:
    found = {o.opts[0]: o.metavar for o in _options(name)}
    timeish = {f for f in found if f.endswith(("-time", "-timeout", "-wait", "warmup"))}
    assert timeish == set(DURATIONS.get(name, [])), timeish
    assert {f: str(found[f]).split("|")[0] for f in timeish} == dict.fromkeys(timeish, "DURATION")


def test_graceful_timeout_parses_like_every_duration() -> None:
    command = cli.get_command(click.Context(cli), "serve")
    assert command is not None
    assert command.make_context("serve", ["--graceful-timeout", "250ms"]).params["graceful_timeout"] == 0.25
    with pytest.raises(click.BadParameter, match="invalid duration"):
        command.make_context("serve", ["--graceful-timeout", "soon"])


def test_every_serve_fault_flag_says_what_it_does_and_how_often() -> None:
    faults = [o for o in _options("serve") if o.opts[0].startswith("--fault-")]
    assert len(faults) >= 6
    for option in faults:
        assert option.help and "a share P (0-1) of API requests, evenly spread" in option.help, option.opts
        assert option.metavar == "P"
    helped = {o.opts[0] for o in _options("serve") if o.help}
    assert {"--added-latency-ms", "--retry-after", "--graceful-timeout"} <= helped


@pytest.mark.parametrize("width", range(40, 121))
def test_help_never_breaks_a_flag_or_a_path_at_its_hyphen(width: int) -> None:
    """A help line ends at a space, never inside ``--abort-on-error-rate`` or an installed path's
    ``site-packages`` (the shipped SLO file's path is in --slo's help), whatever the terminal width."""
    from chatgate.cli import _Context

    path = "/home/ci-user/.venv/lib/python3.11/site-packages/loadtests/slo.toml"

    @click.command(help="Stopped by --abort-on-error-rate or --stream-idle-timeout, past the budget.")
    @click.option("--slo", help=f"SLO file, layered key by key over the shipped one ({path}).")
    def command(slo: str | None) -> None: ...

    command.context_class = _Context
    with command.make_context("chatgate", [], terminal_width=width, max_content_width=width) as ctx:
        text = command.get_help(ctx)
    words = text.split()
    assert f"({path})." in words and "--abort-on-error-rate" in words and "--stream-idle-timeout," in words, (
        text
    )
    assert all(not w.endswith("-") for w in words if w != "-"), text
