"""``chatgate capacity``: the highest arrival rate a target sustains within its SLOs.

``command`` (flags -> ``runner.run_capacity`` -> ``report.write_capacity_reports`` -> exit code),
``runner`` (the target resolved once, each step a ``chatgate.load`` open-model run), ``search`` (pure:
step length, next rate, a step's verdict, the conclusion), ``report`` (pure renderers), ``model``.
"""
