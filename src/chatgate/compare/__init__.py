"""``chatgate compare``: is the new run worse than the base run, beyond noise and a threshold?

``command`` (arguments -> ``runner.compare_runs`` -> ``report.write_compare_reports`` -> exit code),
``runner`` (comparable? valid? each judged metric by the rule), ``samples`` (kept runs read through
``chatgate.load.raw`` and ``chatgate.load.rows``; what each SLO key is compared on), ``stats`` (the
circular block bootstrap over time windows), ``report`` (pure renderers), ``model`` (the result).
"""
