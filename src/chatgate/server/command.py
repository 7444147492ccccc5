"""``chatgate serve``: run the reference server (both APIs on one port) with uvicorn.

Kept light to import: uvicorn, Starlette and the app are imported only when the command runs.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from chatgate.errors import UsageError
from chatgate.options import DURATION, parse_duration
from chatgate.resources import SPECS_VARIABLE
from chatgate.specs import require_valid_specs

__all__ = ["serve"]

_MS = click.FloatRange(min=0, max=3_600_000)
_RATE = click.FloatRange(min=0, max=1)
F = TypeVar("F", bound=Callable[..., Any])


def _fault(flag: str, what: str) -> Callable[[F], F]:
    """A fault flag: the share P it hits, how the hit requests are chosen, and what happens to them."""
    return click.option(
        flag,
        type=_RATE,
        default=0.0,
        show_default=True,
        metavar="P",
        help=f"{what[0].upper()}{what[1:]}: a share P (0-1) of API requests, evenly spread (0.05: every "
        "20th request; the rule is above).",
    )


def _duration(ctx: click.Context, param: click.Parameter, value: str) -> float:
    if value.strip() in ("0", "0s"):
        return 0.0
    try:
        seconds = parse_duration(value, f"--{param.name}".replace("_", "-"))
    except UsageError as exc:
        raise click.BadParameter(str(exc).split(": ", 1)[-1]) from None
    if seconds > 600:
        raise click.BadParameter(f"{value!r} is more than 10m")
    return seconds


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True)
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    help="SQLite file (kept). Default: a temporary file, removed at exit.",
)
@click.option(
    "--nara-key",
    "nara_keys",
    multiple=True,
    metavar="KEY=USER_ID",
    help="A Nara key and its user (repeatable). Env CHATGATE_NARA_KEYS='k1=1001,k2=1002'. Default: dev keys.",
)
@click.option(
    "--navigable-key",
    "navigable_keys",
    multiple=True,
    metavar="KEY",
    help="A Navigable key (repeatable). Env CHATGATE_NAVIGABLE_KEYS='k1,k2'. Default: the dev key.",
)
@click.option(
    "--ttft-ms",
    type=_MS,
    default=0.0,
    show_default=True,
    help="Delay from request to first delta. A non-streamed reply (Nara stream:false, Navigable send) "
    "takes TTFT + n x ITL, n = the reply's tokens.",
)
@click.option("--itl-ms", type=_MS, default=0.0, show_default=True, help="Gap between deltas.")
@click.option(
    "--reply-tokens",
    type=click.IntRange(1, 100_000),
    default=12,
    show_default=True,
    help="Tokens (deltas) per reply.",
)
@click.option(
    "--sampled",
    is_flag=True,
    help="Every reply differs from call to call, like a sampled LLM; what is stored and listed is "
    "exactly what that call returned or streamed. Default: replies are a function of the input.",
)
@click.option(
    "--ping-interval-ms",
    type=_MS,
    default=0.0,
    show_default=True,
    help="': ping' comments in streams, on this interval, while the next event is not yet due (0: none).",
)
@click.option(
    "--max-concurrent-streams",
    type=click.IntRange(1, 1_000_000),
    default=None,
    help="At most N replies generated at once (streamed or not); the rest wait in a FIFO queue (the "
    "wait shows in TTFT; depth and peak in /_chatgate/stats). Capacity is then about N / reply "
    "duration, e.g. N=10 and 1 s replies: 10 replies/s.  [default: no limit]",
)
@click.option(
    "--seed-messages",
    type=click.IntRange(0, 1_000_000),
    default=0,
    show_default=True,
    help="Messages for each Nara dev user and each Navigable identifier seed-0..seed-9.",
)
@click.option(
    "--body-limit",
    type=click.IntRange(1, 1 << 30),
    default=1048576,
    show_default=True,
    help="Bytes; larger bodies get 413.",
)
@_fault("--fault-500-rate", "requests answered 500 in the API's error envelope")
@_fault("--fault-429-rate", "requests answered 429 with Retry-After (--retry-after)")
@click.option(
    "--retry-after",
    type=click.IntRange(0, 86_400),
    default=1,
    show_default=True,
    metavar="SECONDS",
    help="The Retry-After header of the 429 fault, in whole seconds.",
)
@click.option(
    "--added-latency-ms",
    type=_MS,
    default=0.0,
    show_default=True,
    help="Added before every API request is handled (all of them; the private endpoints aside).",
)
@_fault("--fault-stream-cut-rate", "streams cut mid-way (the connection closes, no terminal event)")
@_fault("--fault-malformed-event-rate", "streams carrying one event whose data is not JSON")
@_fault("--fault-missing-terminal-rate", "streams ending cleanly without a terminal event")
@_fault(
    "--fault-stall-rate",
    "streams that stall: two deltas, then only ': ping' comments (every ping interval, 1 s when none "
    "is set), never a terminal event, until the client leaves or the server stops",
)
@_fault(
    "--fault-stream-error-rate",
    "streams that end with the error event (code internal_error) in place of message_end, after every "
    "delta: a valid stream whose reply failed, stored as streamed",
)
@click.option(
    "--graceful-timeout",
    default="5s",
    show_default=True,
    metavar=DURATION,
    callback=_duration,
    help="On SIGINT/SIGTERM, how long open streams get to end before the server stops.",
)
def serve(
    host: str,
    port: int,
    db: Path | None,
    nara_keys: tuple[str, ...],
    navigable_keys: tuple[str, ...],
    graceful_timeout: float,
    **pacing_and_faults: Any,
) -> None:
    """Run the reference server for both APIs (Nara under /api/v1.0, Navigable under /api/v1).

    Faults hit an exact share of API requests: request n (counted over every API operation) is hit by a
    rate p iff floor(n*p) > floor((n-1)*p), e.g. every 20th for 0.05; a stream fault changes only the
    hit requests that stream. Example:

        chatgate serve --port 8080 --seed-messages 50 --ttft-ms 200 --itl-ms 20
    """
    from chatgate.apis import DEV_NARA_KEYS, DEV_NAVIGABLE_KEYS
    from chatgate.server.config import ServerConfig, parse_nara_keys, parse_navigable_keys

    if nara_keys:
        nara = parse_nara_keys(nara_keys, "--nara-key")
    elif os.environ.get("CHATGATE_NARA_KEYS", "").strip():
        nara = parse_nara_keys(os.environ["CHATGATE_NARA_KEYS"].split(","), "CHATGATE_NARA_KEYS")
    else:
        nara = dict(DEV_NARA_KEYS)
    if navigable_keys:
        nav = parse_navigable_keys(navigable_keys, "--navigable-key")
    elif os.environ.get("CHATGATE_NAVIGABLE_KEYS", "").strip():
        nav = parse_navigable_keys(
            os.environ["CHATGATE_NAVIGABLE_KEYS"].split(","), "CHATGATE_NAVIGABLE_KEYS"
        )
    else:
        nav = DEV_NAVIGABLE_KEYS
    if os.environ.get(SPECS_VARIABLE):  # specs that are not chatgate's own: one line if they are broken
        require_valid_specs()
    if db is not None and not db.parent.is_dir():
        raise UsageError(f"--db {db}: folder {db.parent} does not exist")
    config = ServerConfig(
        host=host,
        port=port,
        db=db,
        nara_keys=nara,
        navigable_keys=nav,
        graceful_timeout_s=graceful_timeout,
        **pacing_and_faults,
    )
    tmp_dir = None if db is not None else Path(tempfile.mkdtemp(prefix="chatgate-serve-"))
    try:
        _run(config, db or Path(tmp_dir or ".") / "chatgate.sqlite3")
    finally:
        if tmp_dir is not None:
            shutil.rmtree(tmp_dir, ignore_errors=True)


def _run(config: Any, db: Path) -> None:
    import asyncio
    import sqlite3
    import types

    import uvicorn

    from chatgate.server.app import create_app

    try:
        app = create_app(config, db=db)
    except sqlite3.Error as exc:
        raise UsageError(f"--db {db}: cannot use the database: {exc}") from None
    state = app.state.chatgate

    class _Server(uvicorn.Server):
        """uvicorn's server, telling open streams to end as soon as a shutdown signal arrives."""

        _loop: asyncio.AbstractEventLoop | None = None

        def handle_exit(self, sig: int, frame: types.FrameType | None) -> None:
            super().handle_exit(sig, frame)
            self._captured_signals.clear()  # a graceful stop is a normal exit, not a re-raised signal
            if self._loop is not None:
                self._loop.call_soon_threadsafe(state.streams.shutdown)

        async def startup(self, sockets: list[Any] | None = None) -> None:
            self._loop = asyncio.get_running_loop()  # handle_exit runs in a signal handler
            await super().startup(sockets)
            if self.started:
                where = "a temporary database" if config.db is None else str(db)
                click.echo(
                    f"chatgate serve: http://{config.host}:{config.port} (Nara /api/v1.0, "
                    f"Navigable /api/v1, docs /docs; {where})"
                )
                sys.stdout.flush()

    uv_config = uvicorn.Config(
        app,
        host=config.host,
        port=config.port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=config.graceful_timeout_s,
        lifespan="on",
        backlog=4096,
    )
    server = _Server(uv_config)
    try:
        server.run()
    except SystemExit:  # uvicorn exits when it cannot bind; say so in one line
        server.started = False
    if not server.started:
        raise UsageError(f"cannot listen on {config.host}:{config.port} (in use or not permitted)")
