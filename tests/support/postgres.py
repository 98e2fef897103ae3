"""A throwaway PostgreSQL server that the test suite starts, fills with databases and throws away."""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Self

import psycopg
from psycopg import sql
from sqlalchemy.engine import URL, make_url

__all__ = ["EXTERNAL_URL_ENV", "PostgresUnavailableError", "ThrowawayPostgres", "find_postgres_bindir"]

logger = logging.getLogger(__name__)

EXTERNAL_URL_ENV = "CXLOOP_TEST_POSTGRES_URL"
MIN_MAJOR_VERSION = 15
SUPERUSER = "postgres"
DEFAULT_DBNAME = "cxloop_test"
# The Debian package creates this account; initdb and postgres refuse to run as root.
SERVICE_ACCOUNT = "postgres"
INSTALL_HINT = "install the Debian package 'postgresql' (scripts/ensure-system-deps.sh postgres)"

# Durability buys nothing for a server whose data is deleted after the run, and costs seconds.
_SERVER_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
    "log_min_messages": "warning",
}
# Unix socket paths are limited to 107 bytes; keep ours well inside that.
_MAX_SOCKET_DIR_LEN = 80


class PostgresUnavailableError(RuntimeError):
    """PostgreSQL binaries are missing or the throwaway server could not be started."""


def find_postgres_bindir() -> Path:
    """Return the directory holding initdb and pg_ctl of a PostgreSQL >= 15 server."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        # libpq-dev's pg_config answers /usr/bin, which has no initdb; the checks below skip it.
        result = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        if result.returncode == 0 and result.stdout.strip():
            candidates.append(Path(result.stdout.strip()))
    versioned = [p for p in Path("/usr/lib/postgresql").glob("*/bin") if p.parent.name.isdigit()]
    candidates.extend(sorted(versioned, key=lambda p: int(p.parent.name), reverse=True))
    initdb_on_path = shutil.which("initdb")
    if initdb_on_path:
        candidates.append(Path(initdb_on_path).resolve().parent)

    too_old: list[str] = []
    for bindir in candidates:
        if not ((bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file()):
            continue
        major = _major_version(bindir / "initdb")
        if major is not None and major >= MIN_MAJOR_VERSION:
            return bindir
        too_old.append(f"{bindir} (version {major})")
    found = f"; found only {', '.join(too_old)}" if too_old else ""
    raise PostgresUnavailableError(
        f"no PostgreSQL >= {MIN_MAJOR_VERSION} server binaries (initdb, pg_ctl){found}: {INSTALL_HINT}"
    )


def _major_version(initdb: Path) -> int | None:
    result = subprocess.run([str(initdb), "--version"], capture_output=True, text=True, check=False)
    match = re.search(r"\)\s*(\d+)", result.stdout)  # "initdb (PostgreSQL) 15.18 (Debian ...)"
    return int(match.group(1)) if match else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no server log)"


def _libpq_conninfo(url: URL) -> str:
    """Render a SQLAlchemy URL as a libpq URI (libpq does not know '+psycopg')."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class ThrowawayPostgres:
    """A PostgreSQL server in a temp dir on 127.0.0.1, or the server named by CXLOOP_TEST_POSTGRES_URL.

    `url` is a SQLAlchemy URL (postgresql+psycopg://...) of a database that exists once
    `start()` returns; `create_database()` makes more, one per test for isolation.
    """

    def __init__(self, *, dbname: str = DEFAULT_DBNAME, startup_timeout: float = 60.0) -> None:
        self._dbname = dbname
        self._startup_timeout = startup_timeout
        external = os.environ.get(EXTERNAL_URL_ENV, "").strip()
        self._external_url = make_url(external).set(drivername="postgresql+psycopg") if external else None
        self._url: URL | None = None
        # Databases are created and dropped from here, never from a database a test may be using.
        self._admin_url: URL | None = None
        self._root: Path | None = None
        self._bindir: Path | None = None
        self._run_as: pwd.struct_passwd | None = None
        self._created_on_external: list[str] = []
        self.startup_seconds: float | None = None

    # -- public surface ----------------------------------------------------------------------

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the default test database."""
        if self._url is None:
            raise RuntimeError("ThrowawayPostgres is not started")
        return self._url.render_as_string(hide_password=False)

    @property
    def port(self) -> int:
        if self._url is None or self._url.port is None:
            raise RuntimeError("ThrowawayPostgres is not started")
        return self._url.port

    @property
    def is_external(self) -> bool:
        """True when CXLOOP_TEST_POSTGRES_URL names a server this object does not own."""
        return self._external_url is not None

    @property
    def directory(self) -> Path | None:
        """The temp dir holding the local server's data, socket and log, while it runs."""
        return self._root

    def start(self) -> Self:
        """Start the server (or connect to the external one) and create the default database."""
        if self._url is not None:
            return self
        began = time.monotonic()
        atexit.register(self.stop)
        try:
            if self._external_url is not None:
                self._admin_url = self._url = self._external_url
                self._check_connects(self._url)
            else:
                self._start_local()
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - began
        logger.info("PostgreSQL ready at %s in %.2fs", self.url, self.startup_seconds)
        return self

    def create_database(self, name: str) -> str:
        """Create an empty database (replacing one of that name) and return its SQLAlchemy URL."""
        if self._admin_url is None:
            raise RuntimeError("ThrowawayPostgres is not started")
        if name == self._admin_url.database:
            raise ValueError(f"refusing to recreate the maintenance database {name!r}")
        with psycopg.connect(_libpq_conninfo(self._admin_url), autocommit=True) as conn:
            # FORCE: a connection leaked by an earlier test or run must not block the fresh copy.
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            # template0: never touched by tests, so every copy starts identical (~25 ms here).
            conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'").format(sql.Identifier(name)))
        if self._external_url is not None and name not in self._created_on_external:
            self._created_on_external.append(name)
        return self._admin_url.set(database=name).render_as_string(hide_password=False)

    def drop_database(self, name: str) -> None:
        """Drop a database made by `create_database`, closing any connection still open to it."""
        if self._admin_url is None or name == self._admin_url.database:
            return
        with psycopg.connect(_libpq_conninfo(self._admin_url), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        if name in self._created_on_external:
            self._created_on_external.remove(name)

    def stop(self) -> None:
        """Stop the server and delete its files; safe to call twice or after a failed start."""
        atexit.unregister(self.stop)
        if self._external_url is not None:
            self._drop_external_databases()
        elif self._root is not None:
            self._stop_local(self._root)
            shutil.rmtree(self._root, ignore_errors=True)
            self._root = None
        self._url = self._admin_url = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- local server ------------------------------------------------------------------------

    def _start_local(self) -> None:
        self._bindir = find_postgres_bindir()
        if os.geteuid() == 0:
            try:
                self._run_as = pwd.getpwnam(SERVICE_ACCOUNT)
            except KeyError:
                raise PostgresUnavailableError(
                    f"running as root, but there is no '{SERVICE_ACCOUNT}' user to run initdb as: "
                    f"{INSTALL_HINT}, or run the tests as an ordinary user"
                ) from None
        self._root = self._make_root()
        data = self._root / "data"
        self._initdb(data)
        with (data / "postgresql.conf").open("a") as conf:
            conf.write("\n# cxloop throwaway test server\n")
            for key, value in _SERVER_SETTINGS.items():
                conf.write(f"{key} = {value}\n")
            conf.write(f"unix_socket_directories = '{self._root / 'sock'}'\n")

        # Another process can take the port between our probe and the server's bind; retry then.
        for attempt in range(3):
            port = _free_port()
            result = self._pg_ctl("start", "-w", "-t", str(int(self._startup_timeout)), "-o", f"-p {port}")
            if result.returncode == 0:
                break
            log = _tail(self._root / "server.log")
            if attempt < 2 and "could not bind" in log:
                continue
            raise PostgresUnavailableError(
                f"PostgreSQL did not start on 127.0.0.1:{port}:\n{result.stdout}{result.stderr}\n"
                f"--- server log ---\n{log}"
            )
        self._admin_url = URL.create(
            "postgresql+psycopg", username=SUPERUSER, host="127.0.0.1", port=port, database="postgres"
        )
        self._check_connects(self._admin_url)
        self._url = make_url(self.create_database(self._dbname))

    def _make_root(self) -> Path:
        """Make the temp dir, owned by the account the server will run as."""
        bases = [Path(tempfile.gettempdir()), Path("/tmp")]
        for base in dict.fromkeys(bases):
            root = Path(tempfile.mkdtemp(prefix="cxloop-pg-", dir=base))
            (root / "sock").mkdir()
            usable = len(str(root / "sock")) <= _MAX_SOCKET_DIR_LEN
            if usable and self._run_as is not None:
                for path in (root, root / "sock"):
                    os.chown(path, self._run_as.pw_uid, self._run_as.pw_gid)
                # A TMPDIR under /root, say, is not traversable by the service account.
                usable = self._run(["test", "-w", str(root / "sock")]).returncode == 0
            if usable:
                return root
            shutil.rmtree(root, ignore_errors=True)
        account = self._run_as.pw_name if self._run_as else "this user"
        raise PostgresUnavailableError(
            f"no temp dir that {account} can write to with a socket path under {_MAX_SOCKET_DIR_LEN} "
            f"characters (tried {', '.join(map(str, dict.fromkeys(bases)))}); set TMPDIR=/tmp"
        )

    def _initdb(self, data: Path) -> None:
        assert self._bindir is not None
        base = [str(self._bindir / "initdb"), "-D", str(data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8"]
        # --no-sync: the cluster is deleted after the run, so flushing it to disk is wasted time.
        extra = ["--no-sync", "--no-instructions"]
        failures: list[str] = []
        # C.UTF-8 matches a real deployment's character classes; --no-locale covers a libc without it.
        for locale_args in (["--locale=C.UTF-8"], ["--no-locale"]):
            result = self._run([*base, *locale_args, *extra])
            if result.returncode == 0:
                return
            failures.append(f"$ initdb {' '.join(locale_args)}\n{result.stdout}{result.stderr}")
            shutil.rmtree(data, ignore_errors=True)
        raise PostgresUnavailableError("initdb failed:\n" + "\n".join(failures))

    def _pg_ctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        assert self._bindir is not None
        assert self._root is not None
        command = [str(self._bindir / "pg_ctl"), "-D", str(self._root / "data")]
        return self._run([*command, "-l", str(self._root / "server.log"), *args])

    def _run(self, command: list[str]) -> subprocess.CompletedProcess[str]:
        if self._run_as is not None:
            command = ["runuser", "-u", self._run_as.pw_name, "--", *command]
        # cwd: the service account cannot enter root's working directory, and says so on every call.
        return subprocess.run(
            command,
            capture_output=True,
            text=True,
            check=False,
            cwd=self._root or "/",
            timeout=self._startup_timeout + 30,
        )

    def _stop_local(self, root: Path) -> None:
        pid_file = root / "data" / "postmaster.pid"
        if not pid_file.exists() or self._bindir is None:
            return
        result = self._pg_ctl("stop", "-m", "immediate", "-w", "-t", "30")
        if result.returncode == 0:
            return
        # pg_ctl gave up; kill the postmaster ourselves so no server outlives the test run.
        logger.warning("pg_ctl stop failed: %s%s", result.stdout, result.stderr)
        with contextlib.suppress(OSError, ValueError, IndexError):
            pid = int(pid_file.read_text().splitlines()[0])
            os.kill(pid, signal.SIGKILL)

    def _check_connects(self, url: URL) -> None:
        """Wait until the server answers a query, or raise with what it said."""
        deadline = time.monotonic() + self._startup_timeout
        conninfo = _libpq_conninfo(url)
        while True:
            try:
                with psycopg.connect(conninfo, connect_timeout=5) as conn:
                    conn.execute("SELECT 1")
                return
            except psycopg.OperationalError as error:
                if time.monotonic() > deadline:
                    log = _tail(self._root / "server.log") if self._root else ""
                    shown = url.render_as_string(hide_password=True)
                    raise PostgresUnavailableError(
                        f"PostgreSQL at {shown} did not accept connections within "
                        f"{self._startup_timeout:.0f}s: {error}\n{log}"
                    ) from error
                time.sleep(0.1)

    # -- external server ---------------------------------------------------------------------

    def _drop_external_databases(self) -> None:
        if not self._created_on_external or self._admin_url is None:
            return
        with psycopg.connect(_libpq_conninfo(self._admin_url), autocommit=True) as conn:
            for name in self._created_on_external:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        self._created_on_external.clear()
