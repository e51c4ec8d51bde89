"""The HTTP service: the FastAPI app (app), its engine holder (deps), security,
rate limits, SSE streaming, the OpenAI-compatible routes, hot reload, the demo site
and the widget (static/)."""
