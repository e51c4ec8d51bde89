"""Schemathesis fuzzes every operation in the OpenAPI schema against the live server: no 5xx.

The schema is taken from the app itself at import time (it does not depend on the
settings), so each operation is its own test; requests go to the real server.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from serve_helpers import LiveServer  # noqa: E402

from qa.config import Settings
from qa.serve.app import create_app

schema = schemathesis.openapi.from_dict(create_app(Settings()).openapi())

# Per operation; both valid and invalid inputs are generated.
EXAMPLES = 25


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_no_server_errors(case, live: LiveServer):
    case.call_and_validate(base_url=live.url, checks=[not_a_server_error], timeout=60)
