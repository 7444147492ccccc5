"""The ``chatgate`` command line: it only wires commands to the modules that do the work.

Each subcommand lives beside the code it drives (``chatgate.server.command``, ``chatgate.gate.command``,
...) and is imported only when invoked, so ``chatgate lint`` never pays for importing Locust's gevent.
Every toolkit error ends as one line on stderr and the exit code of its class (``chatgate.errors``);
never a traceback.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from chatgate import __version__
from chatgate.errors import EXIT_USAGE, ChatgateError
from chatgate.resources import SPECS_VARIABLE

__all__ = ["main"]


def _serve() -> click.Command:
    from chatgate.server.command import serve

    return serve


def _lint() -> click.Command:
    from chatgate.lint.command import lint_command

    return lint_command


def _contract() -> click.Command:
    from chatgate.gate.command import contract

    return contract


def _load() -> click.Command:
    from chatgate.load.command import load

    return load


def _capacity() -> click.Command:
    from chatgate.capacity.command import capacity

    return capacity


def _compare() -> click.Command:
    from chatgate.compare.command import compare

    return compare


def _diff() -> click.Command:
    from chatgate.diff.command import diff_command

    return diff_command


def _docs() -> click.Command:
    from chatgate.docs.command import docs

    return docs


def _run() -> click.Command:
    from chatgate.run.command import run_command

    return run_command


# Each command is imported only when invoked (the imports are static, inside these functions, so
# import-linter sees every dependency of the CLI).
_COMMANDS: dict[str, Callable[[], click.Command]] = {
    "serve": _serve,
    "lint": _lint,
    "contract": _contract,
    "load": _load,
    "capacity": _capacity,
    "compare": _compare,
    "diff": _diff,
    "docs": _docs,
    "run": _run,
}

_HELP = {
    "serve": "Run the reference server for both APIs.",
    "lint": "Validate OpenAPI specs (file and line for every problem).",
    "contract": "Run the conformance gate against a base URL (or the embedded server).",
    "load": "Run a Locust load scenario and judge it against SLOs.",
    "capacity": "Search the highest arrival rate the target sustains within its SLOs.",
    "compare": "Compare two kept load runs: is the new one significantly worse?",
    "diff": "Does a spec change break clients? Breaking, warning, non-breaking, docs-only.",
    "docs": "Build the offline spec docs for integrators.",
    "run": "The main job: lint, contract, a short load of every scenario, docs, one summary.",
}


class _SpecsSource(click.ParamType[Path | str, str | Path]):
    """``--specs``: a folder (it must exist), or ``git:REV[:PATH]`` (read from git by the callback)."""

    name = "specs"
    _folder = click.Path(exists=True, file_okay=False, path_type=Path)

    def convert(
        self, value: str | Path, param: click.Parameter | None, ctx: click.Context | None
    ) -> Path | str:
        if isinstance(value, str) and value.startswith("git:"):
            return value
        return Path(self._folder.convert(value, param, ctx))


def _git_specs(ctx: click.Context, source: str) -> Path:
    """``--specs git:REV[:PATH]``: PATH at REV copied to a folder kept until the command ends; reports
    name ``git:REV:PATH/...`` (``CHATGATE_SPECS_ORIGIN``), not the copy."""
    import shutil
    import tempfile

    from chatgate.git_specs import ORIGIN_VARIABLE, WORKTREE_VARIABLE, materialise, parse_git, repo_top

    folder = Path(tempfile.mkdtemp(prefix="chatgate-specs-"))
    ctx.call_on_close(lambda: shutil.rmtree(folder, ignore_errors=True))
    copy = materialise(source, folder)
    if not copy.is_dir:
        raise click.BadParameter(f"{source} names a file: --specs takes a folder of specs", ctx=ctx)
    os.environ[ORIGIN_VARIABLE] = copy.label
    os.environ[WORKTREE_VARIABLE] = str(repo_top() / parse_git(source)[1])
    return folder


def _use_specs(ctx: click.Context, param: click.Parameter, value: Path | str | None) -> None:
    """``--specs DIR`` or ``--specs git:REV[:PATH]``: every spec lookup of this command, and of every
    process it starts, goes there."""
    if isinstance(value, str):
        value = _git_specs(ctx, value)
    if value is not None:
        os.environ[SPECS_VARIABLE] = str(value)
    raw = os.environ.get(SPECS_VARIABLE, "").strip()
    if raw:  # absolute, so children started in other folders (the contract suite) find it too
        os.environ[SPECS_VARIABLE] = str(Path(raw).resolve())


def _with_specs_option(command: click.Command) -> click.Command:
    """Every command takes ``--specs DIR`` (DESIGN.md), added here once for all of them."""
    command.context_class = _Context  # its help is formatted as the group's
    if not any(p.name == "specs_dir" for p in command.params):
        command.params.append(
            click.Option(
                ["--specs", "specs_dir"],
                type=_SpecsSource(),
                metavar="DIR|git:REV[:PATH]",
                expose_value=False,
                is_eager=True,
                callback=_use_specs,
                help=f"Another copy of the specs (nara.openapi.yaml, navigable.openapi.yaml), e.g. in "
                "your repository, or git:REV[:PATH] (PATH, default specs, as it was at REV, e.g. the "
                f"previous release's: git:v1.2.0); reports then name those files. Env {SPECS_VARIABLE}.",
            )
        )
    return command


class _HelpFormatter(click.HelpFormatter):
    """Help lines end at a space only: never inside a flag (``--abort-on-error-rate``, which textwrap would
    break at a hyphen) or a path (the shipped SLO file's, under ``site-packages``, even where it is wider
    than the column), so each can be read and copied as it is."""

    def write_text(self, text: str) -> None:
        with _whole_words():
            super().write_text(text)

    def write_dl(self, rows: Any, col_max: int = 30, col_spacing: int = 2) -> None:
        with _whole_words():
            super().write_dl(rows, col_max, col_spacing)


@contextlib.contextmanager
def _whole_words() -> Iterator[None]:
    """click wraps with ``click._textwrap.TextWrapper``, looked up at each call: for the duration, one that
    breaks neither at hyphens nor inside long words. Where a click release moves it, help wraps as
    click's does (tests/test_cli.py then fails)."""
    try:
        module = importlib.import_module("click._textwrap")
    except ImportError:
        module = None
    base = getattr(module, "TextWrapper", None)
    if base is None:
        yield
        return

    class Whole(base):  # type: ignore[misc,valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **{**kwargs, "break_on_hyphens": False, "break_long_words": False})

    module.TextWrapper = Whole  # type: ignore[union-attr]
    try:
        yield
    finally:
        module.TextWrapper = base  # type: ignore[union-attr]


class _Context(click.Context):
    formatter_class = _HelpFormatter


class _LazyGroup(click.Group):
    context_class = _Context

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        loader = _COMMANDS.get(cmd_name)
        return _with_specs_option(loader()) if loader is not None else None

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """An unknown command names the closest one, as a mistyped option does (``contrat``: contract)."""
        name = click.utils.make_str(args[0])
        if name not in _COMMANDS and not name.startswith("-"):
            import difflib

            close = difflib.get_close_matches(name, list(_COMMANDS), n=1, cutoff=0.6)
            hint = f" Did you mean {close[0]!r}?" if close else f" Commands: {', '.join(_COMMANDS)}."
            raise click.UsageError(f"No such command {name!r}.{hint}", ctx)
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, _HELP[name]) for name in _COMMANDS])


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="chatgate")
def cli() -> None:
    """chatgate keeps the Nara and Navigable AI chat APIs honest.

    Exit codes: 0 conforms / SLOs met, 1 findings, 2 usage or configuration error,
    3 target cannot be tested, 4 measurement invalid.
    """


def _usage_line(exc: click.UsageError) -> str:
    """A click usage error as one line, naming the command it is about."""
    ctx = exc.ctx
    name = ctx.info_name if ctx is not None and ctx.parent is not None else None
    where = f"{name}: " if name else ""
    hint = f" (see chatgate {name} --help)" if name else " (see chatgate --help)"
    return f"{where}{exc.format_message()}{hint}"


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def run_cli(argv: list[str] | None = None) -> int:
    """Run the command line; every failure ends as one ``chatgate: error:`` line and its exit code.

    Click's own usage errors (bad flag, bad value, unknown command) are exit 2; a ``ChatgateError`` its
    class's code; an ``OSError`` that escaped (a path that cannot be read or written) exit 2 naming the
    path; anything else is a bug in chatgate: one line, exit 2, and the traceback only with
    ``CHATGATE_DEBUG=1``.
    """
    try:
        rv = cli.main(args=argv, prog_name="chatgate", standalone_mode=False)
    except click.UsageError as exc:
        return _fail(_usage_line(exc), EXIT_USAGE)
    except click.ClickException as exc:
        return _fail(_one_line(exc.format_message()), EXIT_USAGE)
    except click.Abort:
        click.echo("chatgate: interrupted", err=True)
        return 130
    except ChatgateError as exc:
        return _fail(str(exc), exc.exit_code or EXIT_USAGE)
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        return _fail(f"{where}{exc.strerror or _one_line(exc)}", EXIT_USAGE)
    except Exception as exc:
        if os.environ.get("CHATGATE_DEBUG"):
            raise
        message = (
            f"internal error ({type(exc).__name__}: {_one_line(exc)[:300]}); CHATGATE_DEBUG=1 shows where"
        )
        return _fail(message, EXIT_USAGE)
    return rv if isinstance(rv, int) else 0


def _fail(message: str, code: int) -> int:
    click.echo(f"chatgate: error: {message}", err=True)
    return code


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    sys.exit(run_cli(argv))
