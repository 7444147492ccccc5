"""The reference server: both APIs on one Starlette app over SQLite, run by ``chatgate serve``.

Modules: ``config`` (ServerConfig), ``app`` (create_app, the handler table ``ROUTES`` of ``Route``s,
dispatch, private endpoints), ``docs_pages`` (the served spec docs), ``nara`` and ``navigable`` (the
operations), ``validation`` (the specs' schemas applied to requests), ``storage`` (SQLite), ``replies``
(deterministic or sampled replies), ``generation`` (generation slots, paced non-streamed replies),
``streaming`` (SSE), ``faults``, ``state`` (what a running server holds), ``command`` (``chatgate serve``).
"""
