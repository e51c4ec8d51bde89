"""The HTTP API on a port, rate limit off: `python -m bench.programs.server INDEX_DIR PORT`."""

import sys

import uvicorn

from qa.config import Settings
from qa.serve.app import create_app

settings = Settings(index_dir=sys.argv[1], rate_limit_per_minute=0)
uvicorn.run(create_app(settings), host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
