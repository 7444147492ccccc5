"""``chatgate contract``: parse the flags, run the gate, publish the reports, say the verdict, exit.

The work is in :mod:`chatgate.gate.runner` (returns a result) and the reporters (render it); this module
only composes them: flags -> ``run_gate`` -> ``render_reports`` -> ``RunDir.publish`` -> echo -> exit code.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import cast

import click

from chatgate.apis import API_NAMES, ApiName
from chatgate.artifacts import RunDir, write_atomic
from chatgate.errors import UsageError
from chatgate.gate.annotations import render_annotations
from chatgate.gate.baseline import load_baseline, render_baseline
from chatgate.gate.coverage import parse_floors
from chatgate.gate.reports import render_reports
from chatgate.gate.result import GateResult
from chatgate.gate.runner import DEFAULT_MAX_EXAMPLES, GateConfig, baseline_scope, run_gate
from chatgate.gate.scope import Mode, Scope, parse_header
from chatgate.gate.settings import DEFAULT_CONCURRENCY, DEFAULT_MAX_TIME_S, Transport
from chatgate.options import (
    DURATION,
    Deadlines,
    deadline_options,
    parse_duration,
    parse_rate,
    parse_size,
)
from chatgate.targets import EMBEDDED_BANNER, Tls

__all__ = ["contract"]

_KEY_VARIABLES = ("NARA_API_KEY", "NAVIGABLE_API_KEY", "NARA_API_KEY_2")


def _names(values: Sequence[str]) -> tuple[str, ...]:
    """``--checks a,b --checks c`` -> (a, b, c)."""
    return tuple(dict.fromkeys(n.strip() for v in values for n in v.split(",") if n.strip()))


def _scope(options: dict[str, object]) -> Scope:
    return Scope(
        checks=_names(cast(Sequence[str], options["checks"])),
        exclude_checks=_names(cast(Sequence[str], options["exclude_checks"])),
        include_operation_ids=tuple(cast(Sequence[str], options["include_operation_id"])),
        exclude_operation_ids=tuple(cast(Sequence[str], options["exclude_operation_id"])),
        include_names=tuple(cast(Sequence[str], options["include_name"])),
        exclude_names=tuple(cast(Sequence[str], options["exclude_name"])),
        mode=cast(Mode, options["mode"]),
        read_only=bool(options["read_only"]),
        headers=tuple(parse_header(h) for h in cast(Sequence[str], options["header"])),
    )


def _opt_path(value: object) -> Path | None:
    return Path(str(value)) if value else None


def _transport(options: dict[str, object]) -> Transport:
    """The sending side of the run from the flags (bad values: UsageError, exit 2)."""
    d = Deadlines()
    deadlines = Deadlines(
        cast(float | None, options["request_timeout"]) or d.request_s,
        cast(float | None, options["stream_idle_timeout"]) or d.stream_idle_s,
        cast(float | None, options["stream_timeout"]) or d.stream_s,
    )
    rate = cast(str | None, options["rate_limit"])
    tls = Tls(
        verify=not options["no_tls_verify"],
        ca_bundle=_opt_path(options["ca_bundle"]),
        client_cert=_opt_path(options["client_cert"]),
        client_key=_opt_path(options["client_key"]),
    )
    return Transport(
        concurrency=cast(int, options["concurrency"]),
        rate=parse_rate(rate, "--rate-limit") if rate else None,
        deadlines=deadlines,
        max_stream_bytes=parse_size(str(options["max_stream_bytes"]), "--max-stream-bytes"),
        max_time_s=parse_duration(str(options["max_time"]), "--max-time"),
        tls=tls,
        deterministic_replies=cast(bool | None, options["deterministic_replies"]),
    )


def _verdict_line(result: GateResult, baseline: Path | None) -> str:
    """What the run decided: PASS / FAIL with its findings, JUDGED NOTHING, or with --update-baseline
    what it recorded (never PASS with new findings)."""
    stale = len(result.baseline.stale) if result.baseline else 0
    if result.baseline_updated:
        new, known = len(result.new_findings), len(result.known_findings)
        return (
            f"contract: BASELINE UPDATED: {len(result.findings)} finding(s) recorded as known in {baseline} "
            f"({new} new, {known} already known; {stale} stale entr{'y' if stale == 1 else 'ies'} dropped)"
        )
    verdict = "JUDGED NOTHING" if result.judged_nothing else "PASS" if result.exit_code == 0 else "FAIL"
    if result.coverage_shortfalls and not result.new_findings and not result.judged_nothing:
        verdict = "FAIL (coverage below --min-coverage)"
    return (
        f"contract: {verdict}: {len(result.new_findings)} new finding(s), "
        f"{len(result.known_findings)} known, {stale} stale"
    )


def _echo_coverage(result: GateResult) -> None:
    """Each API's coverage shares, and what fell below a --min-coverage floor (not a finding)."""
    if result.coverage is None:
        return
    for api, kinds in result.coverage.share().items():
        shares = ", ".join(f"{kind} {s.text()}" for kind, s in kinds.items() if s.total)
        click.echo(f"contract: coverage {api}: {shares or 'nothing in scope'}")
    if result.coverage_shortfalls:
        click.echo(
            "contract: BELOW --min-coverage (not a finding; summary.md lists what was never exercised):"
        )
        for line in result.coverage_shortfalls:
            click.echo(f"  {line}")
    elif result.coverage_floors and not result.complete:
        click.echo("contract: --min-coverage not judged: the run did not complete")


def _echo_result(result: GateResult, report_dir: Path, baseline: Path | None) -> None:
    if result.embedded:
        click.echo(f"contract: {EMBEDDED_BANNER}")
    ran = sum(1 for v in result.checks.values() if v.status != "not_run")
    click.echo(
        f"{_verdict_line(result, baseline)}; {result.requests} requests, {result.writes} messages created; "
        f"{ran} of {len(result.checks)} checks ran; {result.seconds:.1f}s"
    )
    if not result.complete:
        click.echo(
            f"contract: INCOMPLETE: --max-time reached; {len(result.record.incomplete)} test(s) did not end "
            "(summary.json: complete false; checks that judged nothing are not_run)"
        )
    tls = result.settings.get("tls")
    if isinstance(tls, dict) and tls.get("verify") is False:
        click.echo("contract: WARNING: --no-tls-verify: the target's TLS certificate was NOT verified")
    for f in result.new_findings:
        click.echo(f"  [{f.check}] {f.api} {f.operation}: {f.title}")
    _echo_coverage(result)
    for e in result.baseline.stale if result.baseline else ():
        click.echo(f"  stale baseline entry [{e.check}] {e.api} {e.operation}: {e.title}")
    click.echo(
        f"contract: reports in {report_dir}/ "
        "(summary.md, report.html, junit.xml, findings.sarif, summary.json)"
    )


@click.command("contract")
@click.option(
    "--api",
    type=click.Choice(["nara", "navigable", "all"]),
    default="all",
    show_default=True,
    help="Which API to test.",
)
@click.option(
    "--base-url",
    metavar="URL",
    help="Target base URL (wins over the *_BASE_URL variables). With no target given at all: the embedded "
    "reference server, said in every report; an empty one is exit 2.",
)
@click.option(
    "--max-examples",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_EXAMPLES,
    show_default=True,
    help="Generated examples per operation and phase.",
)
@click.option(
    "--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Same seed, same cases."
)
@click.option(
    "--report-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("reports/contract"),
    show_default=True,
    help="Where the reports go.",
)
@click.option(
    "--baseline",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Known findings (JSON); only new findings fail the gate.",
)
@click.option(
    "--update-baseline",
    is_flag=True,
    help="Rewrite --baseline with this run's findings (notes kept, stale entries dropped).",
)
@click.option("--checks", multiple=True, metavar="A,B", help="Run only these checks (comma-separated).")
@click.option("--exclude-checks", multiple=True, metavar="A,B", help="Do not run these checks.")
@click.option(
    "--allow-empty",
    is_flag=True,
    help="Let a run in which no check judged anything pass (without it: exit 2 naming why each did not).",
)
@click.option(
    "--min-coverage",
    metavar="KIND=FLOOR,...",
    help="Floors on the run's spec coverage, per API: any of responses, events, parameters, rules, each "
    "80% or 0.8 (e.g. responses=80%,events=100%). Below one: exit 1 naming what was never exercised (not "
    "a finding); not judged when the run did not complete. docs/coverage.md.",
)
@click.option(
    "--include-operation-id", multiple=True, metavar="ID", help="Only this operationId (repeatable)."
)
@click.option(
    "--exclude-operation-id", multiple=True, metavar="ID", help="Not this operationId (repeatable)."
)
@click.option(
    "--include-name", multiple=True, metavar="'METHOD /path'", help="Only this operation (repeatable)."
)
@click.option(
    "--exclude-name", multiple=True, metavar="'METHOD /path'", help="Not this operation (repeatable)."
)
@click.option(
    "--mode",
    type=click.Choice(["positive", "negative", "all"]),
    default="all",
    show_default=True,
    help="Generated cases: valid input, invalid input, or both.",
)
@click.option(
    "-H",
    "--header",
    multiple=True,
    metavar="'Name: value'",
    help="Extra header on every request (masked in reports when it looks secret).",
)
@click.option(
    "--read-only",
    is_flag=True,
    help="Production smoke profile: GET operations only, nothing that creates messages.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=DEFAULT_CONCURRENCY,
    show_default=True,
    help="Requests in flight; 1 sends one at a time in the suite's order. The same seed gives the same "
    "cases and findings whatever the concurrency.",
)
@click.option("--rate-limit", metavar="N/UNIT", help="At most N requests per s, m or h (e.g. 5/s, 100/m).")
@click.option(
    "--max-time",
    default=f"{DEFAULT_MAX_TIME_S / 60:g}m",
    show_default=True,
    metavar=DURATION,
    help="The whole gate (30s, 10m, 1h). When it runs out the gate stops, reports what ran (complete: "
    "false) and exits 1 with findings, else 3.",
)
@deadline_options
@click.option(
    "--max-stream-bytes",
    default="10MiB",
    show_default=True,
    metavar="SIZE",
    help="The most of one body read (512k, 10MiB); reaching it is reported, the rest is not read.",
)
@click.option(
    "--ca-bundle", type=click.Path(dir_okay=False), help="CA certificates (PEM) to verify the target."
)
@click.option("--client-cert", type=click.Path(dir_okay=False), help="Client certificate (PEM) for mTLS.")
@click.option(
    "--client-key", type=click.Path(dir_okay=False), help="Its private key, if not in --client-cert."
)
@click.option(
    "--no-tls-verify", is_flag=True, help="Do not verify the target's certificate (reported loudly)."
)
@click.option(
    "--deterministic-replies/--sampled-replies",
    default=None,
    help="Whether the same input gives the same reply: then a streamed reply must also equal the "
    "non-streamed one. Default: on for the embedded server, off for any other target (a sampled model).",
)
def contract(report_dir: Path, baseline: Path | None, update_baseline: bool, **options: object) -> None:
    """Run the conformance gate against a base URL (or the embedded server).

    Property-based positive and negative cases per operation with every schemathesis check, stateful
    workflows, jsonschema on every body and SSE event, and the gate's own checks (streams, pagination,
    ownership, Navigable reads, auth). Keys come from NARA_API_KEY / NAVIGABLE_API_KEY (and
    NARA_USER_ID; a second identity from NARA_API_KEY_2 / NARA_USER_ID_2); they are never printed.
    Under GITHUB_ACTIONS=true, findings are also printed as annotations on the spec's lines.

    Every request goes through one transport: Content-Encoding decoded (gzip, deflate, br), deadlines
    (--request-timeout, --stream-idle-timeout, --stream-timeout; a stalled stream is a stream_stalled
    finding), 429 + Retry-After waited out and retried, a 502/503/504 retried once (flaky unless it
    repeats), HTTPS_PROXY / NO_PROXY honoured.

    Exit codes: 0 conforms, 1 new findings or coverage below --min-coverage, 2 usage or invalid spec (or a
    run in which no check judged anything, without --allow-empty), 3 target unreachable, key rejected, or
    --max-time reached without findings.

    Example: chatgate contract --api nara --base-url http://127.0.0.1:8080 --checks pagination,ownership
    """
    api = str(options["api"])
    config = GateConfig(
        apis=tuple(API_NAMES) if api == "all" else (cast(ApiName, api),),
        base_url=cast(str | None, options["base_url"]),
        max_examples=cast(int, options["max_examples"]),
        seed=cast(int, options["seed"]),
        scope=_scope(options),
        baseline=baseline,
        update_baseline=update_baseline,
        transport=_transport(options),
        allow_empty=bool(options["allow_empty"]),
        min_coverage=parse_floors(str(options["min_coverage"])) if options["min_coverage"] else {},
    )
    run_dir = RunDir(report_dir)
    result = run_gate(config, run_dir, progress=lambda line: click.echo(line, err=True))
    secrets = [os.environ.get(k, "") for k in _KEY_VARIABLES] + config.scope.secrets
    run_dir.publish(render_reports(result), secrets=secrets)
    if update_baseline and baseline is not None:
        previous = load_baseline(baseline) if baseline.exists() else None
        kept = result.coverage.record() if result.coverage is not None and result.complete else None
        write_atomic(baseline, render_baseline(result.findings, previous, baseline_scope(config), kept))
    _echo_result(result, report_dir, baseline)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        for line in render_annotations(result, f"{report_dir}/summary.md"):
            click.echo(line)
    if result.judged_nothing:
        raise UsageError(result.judged_nothing)
    click.get_current_context().exit(result.exit_code)
