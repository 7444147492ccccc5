"""``chatgate compare``: arguments -> ``compare_runs`` -> ``write_compare_reports`` -> echo -> exit code."""

from __future__ import annotations

from pathlib import Path

import click

from chatgate.artifacts import RunDir
from chatgate.compare.report import headline, result_table, write_compare_reports
from chatgate.compare.runner import compare_runs
from chatgate.errors import MeasurementInvalid, UsageError
from chatgate.options import parse_share

__all__ = ["compare"]


@click.command("compare")
@click.argument("base_dir", type=click.Path(path_type=Path), metavar="BASE_DIR")
@click.argument("new_dir", type=click.Path(path_type=Path), metavar="NEW_DIR")
@click.option(
    "--max-regression", default="10%", show_default=True, help="How much worse a metric may get (10% or 0.1)."
)
@click.option(
    "--report-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("reports/compare"),
    show_default=True,
)
@click.option("--resamples", type=click.IntRange(200, 100_000), default=2000, show_default=True,
              help="Bootstrap resamples per run and metric.")  # fmt: skip
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the resampling.")
def compare(
    base_dir: Path, new_dir: Path, max_regression: str, report_dir: Path, resamples: int, seed: int
) -> None:
    """Compare two kept load runs (report directories of `chatgate load`) metric by metric.

    Every metric both runs measured (TTFT, ITL, latency, largest gap, error rate, throughput, goodput;
    per request name too), the ones an SLO judged marked (their thresholds are context, so runs of
    different SLO files compare): base, new, how much worse, and whether that is a significant
    regression beyond --max-regression (the error rate: beyond max(that x the base rate, 0.5 points)),
    at 95% for the whole family (Holm): a block bootstrap over time windows of the raw per-request
    values (docs/capacity-compare.md).

    Exit codes: 0 no significant regression, 1 a significant regression beyond --max-regression,
    2 not comparable (another scenario, load model or deadlines; each difference named) or not a kept
    run, 4 a run's own measurement was invalid.

    \b
    Example:
        chatgate compare reports/base/nara-stream-sends reports/load/nara-stream-sends
    """
    limit = parse_share(max_regression, "--max-regression")
    result = compare_runs(base_dir, new_dir, max_regression=limit, resamples=resamples, seed=seed,
                          report_dir=report_dir)  # fmt: skip
    write_compare_reports(result, RunDir(report_dir).ensure())
    if result.verdict == "not_comparable":
        raise UsageError(f"not comparable: {'; '.join(result.reasons)} (reports: {report_dir})")
    if result.verdict == "measurement_invalid":
        raise MeasurementInvalid(f"measurement invalid: {'; '.join(result.reasons)}")
    click.echo(headline(result))
    click.echo(result_table(result))
    click.echo(f"reports: {report_dir}")
    raise SystemExit(result.exit_code)
