"""The ``chatgate`` command line: it only wires commands to the modules that do the work.

Each subcommand lives beside the code it drives (``chatgate.server.command``, ``chatgate.gate.command``,
...) and is imported only when invoked, so ``chatgate lint`` never pays for importing Locust's gevent.
Every toolkit error ends as one line on stderr and the exit code of its class (``chatgate.errors``);
never a traceback.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from chatgate import __version__
from chatgate.errors import EXIT_USAGE, ChatgateError

__all__ = ["main"]

_COMMANDS: dict[str, tuple[str, str]] = {
    "serve": ("chatgate.server.command", "serve"),
    "lint": ("chatgate.lint", "lint_command"),
    "contract": ("chatgate.gate.command", "contract"),
    "load": ("chatgate.load.command", "load"),
    "docs": ("chatgate.docs.command", "docs"),
    "run": ("chatgate.runall", "run_command"),
}

_HELP = {
    "serve": "Run the reference server for both APIs.",
    "lint": "Validate OpenAPI specs (file and line for every problem).",
    "contract": "Run the conformance gate against a base URL (or the embedded server).",
    "load": "Run a Locust load scenario and judge it against SLOs.",
    "docs": "Build the offline spec docs for integrators.",
    "run": "The main job: lint, contract, a short load of every scenario, docs, one summary.",
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = _COMMANDS.get(cmd_name)
        if target is None:
            return None
        module = importlib.import_module(target[0])
        command = getattr(module, target[1])
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, _HELP[name]) for name in _COMMANDS])

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ChatgateError as exc:
            click.echo(f"chatgate: error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("chatgate: interrupted", err=True)
            ctx.exit(130)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="chatgate")
def cli() -> None:
    """chatgate keeps the Nara and Navigable AI chat APIs honest.

    Exit codes: 0 conforms / SLOs met, 1 findings, 2 usage or configuration error,
    3 target cannot be tested, 4 measurement invalid.
    """


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    try:
        cli.main(args=argv, prog_name="chatgate", standalone_mode=True)
    except ChatgateError as exc:  # raised while parsing, before invoke
        click.echo(f"chatgate: error: {exc}", err=True)
        sys.exit(exc.exit_code if exc.exit_code else EXIT_USAGE)
