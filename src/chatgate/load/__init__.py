"""``chatgate load``: Locust scenarios, the open model, SLOs, the generator's validity, load reports.

Two sides, one data path (``spec -> cases -> HTTP -> checks -> findings -> result -> reports``):

- **In the CLI's process** (never gevent-patched): ``command`` (flags -> ``runner.run_load`` ->
  ``report.write_load_reports`` -> exit code), ``config`` (options, the run plan), ``launch`` (targets,
  the embedded server, Locust child processes), ``summary`` (raw data -> ``model.LoadSummary``),
  ``judge`` (pure: SLOs, windows, per-worker validity, blame), ``slo`` (the SLO file, layered over the
  shipped one), ``slo_reference`` (``docs/slo-reference.md``, from ``slo``'s own key lists), ``report``
  (pure renderers published through the run's ``RunDir``), ``page`` (``report.html``), ``series``
  (what the plots show: time series and distributions with their SLO lines, from ``raw/``).
- **In the Locust processes** (imported by ``loadtests/``): ``users`` (user classes, hooks, monitor,
  shipping batches), ``arrivals`` (the open model's scheduler), ``generator`` (settings and what the
  actions share), ``http`` (the hot path), ``recorder`` (interval histograms, counters, rows).
- **Shared by both**: ``raw`` (the raw data's format, its one writer and readers), ``outcome``,
  ``validators``, ``model``.
"""
