"""The HTTP routes, one module per resource (docs/api.md describes them).

``ROUTERS`` is the order ``create_app`` includes them in, which is also the order of the
paths in the OpenAPI schema.
"""

from __future__ import annotations

from qa.serve.routers import ask, feedback, openai, operations, search, site, sources, widget

ROUTERS = (
    ask.router,
    search.router,
    sources.router,
    feedback.router,
    operations.router,
    widget.router,
    openai.router,
    site.router,
)
