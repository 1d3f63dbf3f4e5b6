"""A real PostgreSQL server for tests: Debian's `postgresql` binaries, `initdb` + `pg_ctl` in a
temporary folder on a free port, torn down after. As root (CI), the server runs as the
`postgres` user, since `initdb` refuses root."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


def postgres_bin() -> Path | None:
    """The folder holding initdb and pg_ctl, or None when PostgreSQL is not installed."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(os.path.realpath(found)).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    return Path(versions[-1]).parent if versions else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class PostgresServer:
    bin: Path
    data: Path
    port: int
    as_user: list[str]

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*self.as_user, *argv], capture_output=True, text=True, check=check, timeout=120)

    def start(self) -> None:
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='{self.data}'"
                   " -c fsync=off -c synchronous_commit=on -c max_connections=200 -c shared_buffers=32MB")
        self.run(str(self.bin / "pg_ctl"), "-D", str(self.data / "db"), "-l", str(self.data / "server.log"),
                 "-o", options, "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self.run(str(self.bin / "pg_ctl"), "-D", str(self.data / "db"), "-m", mode, "-w", "-t", "60", "stop", check=False)

    def pid(self) -> int:
        """The postmaster's process id (its backends are its children)."""
        return int((self.data / "db" / "postmaster.pid").read_text().split()[0])

    def create_database(self) -> str:
        """A new empty database; its URL."""
        import psycopg

        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    binaries = postgres_bin()
    assert binaries is not None
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    folder = Path(tempfile.mkdtemp(prefix="apidocs-pg-"))
    try:
        if as_user:
            shutil.chown(folder, "postgres", "postgres")
        server = PostgresServer(binaries, folder, _free_port(), as_user)
        server.run(str(binaries / "initdb"), "-D", str(folder / "db"), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                   "--no-sync")
        server.start()
        try:
            yield server
        finally:
            server.stop("immediate")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def wait_for(predicate: object, timeout: float, interval: float = 0.1) -> bool:
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())
