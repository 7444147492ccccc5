"""Names vulture cannot see used: framework conventions (pytest hooks, click, Locust, schemathesis),
fields read through asdict()/templates/setattr, and attributes set on third-party objects.

Checked by scripts/check: ``vulture src contracts loadtests tools/vulture_whitelist.py --min-confidence 60``.
Add a name here only when a framework, a template or a serializer reads it; say which in a comment.
"""

# ruff: noqa
# pytest hooks and module-level markers (pytest calls and reads them by name)
pytest_configure, pytest_collection_modifyitems, pytest_collection_finish, pytest_pyfunc_call
pytest_collectreport, pytest_runtest_makereport, pytest_sessionfinish, pytest_unconfigure
pytestmark

# schemathesis Failure: class attributes and the dedup key it reads
kind_title
_unique_key

# click.Group overrides (click calls them)
list_commands, get_command, format_commands

# Locust: user classes picked up from a locustfile, and the attributes/methods Locust reads
Arrivals, NaraStreamSender, NaraPageWalker, NavigableMixed, NavigableReader, NavigableSender
ChatgateShape, tick, abstract, wait_time, act, schedule

# Starlette router attribute set on the app
redirect_slashes

# HdrHistogram fields written directly (chatgate.metrics adds values in bulk)
total_count

# dataclass fields read through dataclasses.asdict() / JSON summaries / Jinja templates
stream_events, python, assumed, mean, events_per_second, requests_by_name, ttft_intended, largest_gap
stream_mean_gap, walks_not_judged, rejoined_at_s, restored_at_s
how  # StreamDoc.how, read by docs/templates/api.html.j2
state_text  # gate.coverage_report.Row.state_text, read by gate/templates/contract.html.j2
# StreamCounters fields, incremented through setattr(name) and read by /_chatgate/stats
completed, malformed, missing_terminal, errored, disconnected
# the SSE "retry" field (WHATWG): parsed and kept on the event
retry
# SplitParser.fallback: whether the fast event splitter handed over to chatgate.sse (tests/test_sse.py)
fallback
# Wire.retried: the statuses a request was retried after (tests/contract/test_transport.py reads it)
retried
# LoadSummary.slo_applied: read through asdict (summary.json) by chatgate compare
slo_applied
# LoadSummary.timeline: written through asdict into summary.json (its schema's `timeline`); the report's
# plots are drawn from raw/ (chatgate.load.series)
timeline
# click reads Command.context_class and Context.formatter_class (chatgate.cli: help wrapped at spaces only)
context_class
formatter_class
