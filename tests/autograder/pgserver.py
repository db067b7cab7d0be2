"""A real PostgreSQL server for the tests: Debian's binaries, a temporary cluster, a Unix socket.

``initdb`` refuses to run as root, so as root (here and on CI) the server runs as ``nobody``
(``setpriv``); as an ordinary user it runs as that user. The cluster lives in a fresh folder
under the temporary folder, listens on a Unix socket only (no TCP port to collide with) and is
removed by :meth:`PgServer.destroy`.

Without the binaries the tests skip with the reason, except on CI (``CI`` set), where
``make postgres`` installs them: there a missing server is a failure.
"""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

#: The superuser and database the tests use.
USER, DB = "nnmath", "nnmath"


def binaries() -> Path | None:
    """The newest ``/usr/lib/postgresql/<v>/bin`` holding ``initdb`` and ``pg_ctl``."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    return Path(found[-1]).parent if found else None


def require_binaries() -> Path:
    """The binaries, or skip (fail on CI) with the reason."""
    bindir = binaries()
    if bindir is None:
        msg = ("PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin/initdb): "
               "make postgres (apt-get install postgresql) installs them")
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    return bindir


class PgServer:
    """One temporary PostgreSQL cluster (see the module docstring)."""

    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.base = Path(tempfile.mkdtemp(prefix="nnmath-pg-"))
        os.chmod(self.base, 0o755)
        self.data = self.base / "data"
        self.sock = self.base / "sock"
        self.log = self.base / "server.log"
        self.port = 5432
        self.as_root = os.geteuid() == 0
        self.data.mkdir()
        self.sock.mkdir()
        if self.as_root:
            for p in (self.data, self.sock, self.base):
                os.chown(p, 65534, 65534)
        self._run("initdb", "-D", str(self.data), "-U", USER, "--auth=trust", "-E", "UTF8",
                  "--no-sync")

    def _run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [str(self.bindir / tool), *args]
        if self.as_root:
            cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *cmd]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=self.base)
        if check and proc.returncode != 0:
            raise RuntimeError(f"{tool} failed ({proc.returncode}): {proc.stderr[-1500:]}"
                               + (self.log.read_text()[-1500:] if self.log.exists() else ""))
        return proc

    def start(self) -> PgServer:
        """Start the server (again) and create the database if needed."""
        opts = f"-k {self.sock} -p {self.port} -c listen_addresses='' -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", opts, "-w",
                  "-t", "60", "start")
        have = self._run("psql", "-h", str(self.sock), "-p", str(self.port), "-U", USER,
                         "-d", "postgres", "-tAc",
                         f"SELECT 1 FROM pg_database WHERE datname = '{DB}'")
        if "1" not in have.stdout:
            self._run("createdb", "-h", str(self.sock), "-p", str(self.port), "-U", USER, DB)
        return self

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``immediate``: as if it crashed)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def psql(self, sql: str) -> str:
        return self._run("psql", "-h", str(self.sock), "-p", str(self.port), "-U", USER,
                         "-d", DB, "-tAc", sql).stdout.strip()

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the test database (psycopg2, the Unix socket)."""
        return f"postgresql+psycopg2://{USER}@/{DB}?host={self.sock}&port={self.port}"

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.base, ignore_errors=True)
