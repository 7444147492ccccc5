"""The reference server: both APIs on one Starlette app over SQLite, run by ``chatgate serve``.

Modules: ``config`` (ServerConfig), ``app`` (create_app, dispatch, private endpoints), ``nara`` and
``navigable`` (the operations), ``validation`` (the specs' schemas applied to requests), ``storage``
(SQLite), ``replies`` (deterministic replies), ``streaming`` (SSE), ``faults``, ``command``.
"""
