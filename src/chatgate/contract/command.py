"""``chatgate contract``: the click command; all the work is in :mod:`chatgate.contract.runner`."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import click

from chatgate.apis import API_NAMES, ApiName
from chatgate.contract.runner import DEFAULT_MAX_EXAMPLES, run_contract

__all__ = ["contract"]


@click.command("contract")
@click.option(
    "--api",
    type=click.Choice(["nara", "navigable", "all"]),
    default="all",
    show_default=True,
    help="Which API to test.",
)
@click.option("--base-url", metavar="URL", help="Target base URL (default: the embedded reference server).")
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
@click.option("--update-baseline", is_flag=True, help="Write this run's findings to --baseline.")
def contract(
    api: str,
    base_url: str | None,
    max_examples: int,
    seed: int,
    report_dir: Path,
    baseline: Path | None,
    update_baseline: bool,
) -> None:
    """Run the conformance gate against a base URL (or the embedded server).

    Property-based positive and negative cases per operation with every schemathesis check, stateful
    workflows, jsonschema on every body and SSE event, and the gate's own checks (streams, pagination,
    ownership, Navigable reads, auth). Keys come from NARA_API_KEY / NAVIGABLE_API_KEY (and
    NARA_USER_ID); they are never printed.

    Exit codes: 0 conforms, 1 new findings, 2 usage or invalid spec, 3 target unreachable or key
    rejected.

    Example: chatgate contract --api nara --base-url http://127.0.0.1:8080 --seed 7
    """
    if update_baseline and baseline is None:
        raise click.UsageError("--update-baseline needs --baseline FILE")
    apis: list[ApiName] = list(API_NAMES) if api == "all" else [cast(ApiName, api)]
    result = run_contract(
        apis,
        base_url=base_url,
        max_examples=max_examples,
        seed=seed,
        report_dir=report_dir,
        baseline=baseline,
        update_baseline=update_baseline,
        progress=lambda line: click.echo(line, err=True),
    )
    t = result.totals
    verdict = "PASS" if result.exit_code == 0 else "FAIL"
    click.echo(
        f"contract: {verdict}: {t['new_findings']} new finding(s), {t['known_findings']} known, "
        f"{t['cases']} requests, {t['checks']} operation x check pairs, {result.seconds:.1f}s"
    )
    for f in result.findings:
        if f.new:
            click.echo(f"  [{f.check}] {f.api} {f.operation}: {f.title}")
    click.echo(f"contract: reports in {report_dir}/ (summary.md, report.html, junit.xml, summary.json)")
    if update_baseline:
        click.echo(f"contract: baseline written to {baseline} ({t['findings']} finding(s))")
    click.get_current_context().exit(result.exit_code)
