"""Connecting to PostgreSQL, with one-line errors for what goes wrong most.

An unreachable server, wrong credentials, a missing database and a missing pgvector
extension each become a ``DatabaseError`` that names the (password-free) URL and
says what to do; the CLI prints it without a traceback, the API answers 503.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from qa.config import Settings
from qa.errors import QAError

CONNECT_TIMEOUT_S = 5
# Candidates the HNSW scan returns; pgvector's default (40) would cap a top-100 pool at 40.
HNSW_EF_SEARCH = 200


class DatabaseError(QAError):
    """The database cannot be reached or used."""

    status_code = 503


def database_url(settings: Settings) -> str:
    """``QA_DATABASE_URL``, else the URL of the server `qa db start` runs."""
    if settings.database_url:
        return settings.database_url
    with warnings.catch_warnings():  # platformdirs warns about XDG_RUNTIME_DIR on import
        warnings.simplefilter("ignore")
        from qa.postgres.server import EmbeddedServer

    server = EmbeddedServer(Path(settings.db_dir))
    status = server.status()
    if status.url is None:
        raise DatabaseError(
            f"QA_BACKEND=postgres but QA_DATABASE_URL is not set and no embedded server runs in "
            f"{settings.db_dir}/. Start one with `qa db start`, or set "
            "QA_DATABASE_URL=postgresql://user:password@host:5432/dbname."
        )
    return status.url


def redact(url: str) -> str:
    """The URL without its password (for messages and /readyz)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable URL>"
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def connect(url: str):
    """An autocommit psycopg connection with pgvector's types registered, or a one-line ``DatabaseError``."""
    import psycopg

    shown = redact(url)
    try:
        conn = psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT_S, autocommit=True)
    except psycopg.ProgrammingError as exc:
        raise DatabaseError(
            f"QA_DATABASE_URL {shown!r} is not a valid connection URL ({_first_line(exc)}). "
            "Use postgresql://user:password@host:port/dbname."
        ) from exc
    except psycopg.OperationalError as exc:
        raise DatabaseError(_explain(exc, shown)) from exc
    try:
        _ensure_vector(conn, shown)
        from pgvector.psycopg import register_vector

        register_vector(conn)
        conn.execute(f"SET hnsw.ef_search = {HNSW_EF_SEARCH}")
        # Keep scanning the graph when the generation filter drops rows (pgvector >= 0.8).
        conn.execute("SET hnsw.iterative_scan = relaxed_order")
    except BaseException:
        conn.close()
        raise
    return conn


MIN_PGVECTOR = (0, 8)  # iterative index scans (hnsw.iterative_scan) for the generation filter


def _ensure_vector(conn, shown: str) -> None:
    import psycopg

    row = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()
    if row:
        version = tuple(int(p) for p in re.findall(r"\d+", row[0])[:2])
        if version < MIN_PGVECTOR:
            raise DatabaseError(
                f"the database at {shown} has pgvector {row[0]}; qa needs 0.8 or newer. Upgrade the "
                "pgvector package on the server, then run `ALTER EXTENSION vector UPDATE;` in the database."
            )
        return
    try:
        with conn.transaction():
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
    except psycopg.Error as exc:
        available = conn.execute(
            "SELECT 1 FROM pg_available_extensions WHERE name = 'vector'"
        ).fetchone()
        if not available:
            raise DatabaseError(
                f"the PostgreSQL server at {shown} has no pgvector extension. Install pgvector "
                "(https://github.com/pgvector/pgvector) on it, or use `qa db start`, which bundles it."
            ) from exc
        raise DatabaseError(
            f"the database at {shown} has no pgvector extension and this user cannot create it "
            f"({_first_line(exc)}). Run `CREATE EXTENSION vector;` in it as a superuser."
        ) from exc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    # psycopg prefixes "connection failed: connection to server at ... failed: FATAL:  "
    text = re.sub(r"^.*?(FATAL|ERROR):\s+", "", text.splitlines()[0] if text else "")
    return text.strip()


def _explain(exc: BaseException, shown: str) -> str:
    message = str(exc)
    if "password authentication failed" in message or "no password supplied" in message or (
        "authentication failed" in message
    ):
        return (
            f"the database at {shown} refused the user name or password ({_first_line(exc)}). "
            "Fix the credentials in QA_DATABASE_URL (`qa db status` prints the embedded server's URL)."
        )
    if "does not exist" in message and "database" in message:
        return (
            f"{_first_line(exc)} on the server at {shown}. Create it (`createdb NAME`) or fix the "
            "database name in QA_DATABASE_URL."
        )
    if "role" in message and "does not exist" in message:
        return f"{_first_line(exc)} on the server at {shown}. Fix the user name in QA_DATABASE_URL."
    reason = "connection refused" if "refused" in message else _first_line(exc) or "no answer"
    if "resolve host" in message:
        reason = "unknown host name"
    if "timeout" in message.lower():
        reason = f"no answer within {CONNECT_TIMEOUT_S} s"
    return (
        f"cannot reach the database at {shown} ({reason}). Start it (`qa db start` for the "
        "embedded one) or fix QA_DATABASE_URL."
    )
