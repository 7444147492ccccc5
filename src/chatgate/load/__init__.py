"""``chatgate load``: Locust scenarios, SLOs, self-monitoring and load reports.

``chatgate.load.client`` (HTTP + timing, no Locust) and ``chatgate.load.users`` (the Locust side) are
imported by the locustfiles in ``loadtests/``; ``chatgate.load.runner`` drives Locust in a child
process, so gevent's monkey-patching never enters the CLI's process.
"""
