"""`execute_text` writes a prepared statement's call with its values as SQL literals: whatever
the text, PostgreSQL must read back exactly the values (never SQL), on a connection set up the
way the store's pool sets up its own, even in a database whose defaults say otherwise."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apidocs.sandbox.pg_literals import execute_text
from postgres_helpers import PostgresServer, postgres_bin, postgres_server
from sandbox_helpers import run_coroutine

pytestmark = [
    pytest.mark.skipif(postgres_bin() is None, reason="PostgreSQL is not installed (apt-get install postgresql)"),
    pytest.mark.xdist_group("postgres"),
]

# Text PostgreSQL can hold: any code point but NUL and the surrogates.
TEXT = st.text(st.characters(exclude_characters="\x00", exclude_categories=["Cs"]), max_size=40)
TRICKY = st.sampled_from(["'", "''", "\\", "\\'", "E'\\x41'", "$$", "$1", "%s", ");", "-- x", "/*", "\n", "ü", "😀"])
VALUES = st.tuples(st.one_of(TEXT, st.lists(TRICKY, max_size=8).map("".join)),
                   st.one_of(st.none(), st.integers(-2**31, 2**31 - 1)),
                   st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False)))


@pytest.fixture(scope="module")
def connection() -> Iterator[Any]:
    """A connection to a database whose defaults are the opposite of what the store needs
    (backslash escapes in '…', a Latin-1 client), set up by the store's own `prepare_connection`."""
    import psycopg

    from apidocs.sandbox.postgres import PostgresBackend, prepare_connection
    from apidocs.sandbox.timp.fixtures import load_fixtures

    with postgres_server() as server:
        url = _latin1_database(server)
        PostgresBackend.open(url, load_fixtures())  # the tables the prepared statements name
        with psycopg.connect(url, autocommit=True) as plain:
            assert plain.execute("SHOW standard_conforming_strings").fetchone() == ("off",)
            assert plain.info.encoding == "iso8859-1"

        async def connect() -> Any:
            opened = await psycopg.AsyncConnection.connect(url, autocommit=True)
            await prepare_connection(opened)
            await opened.execute("PREPARE echo(text, integer, double precision) AS SELECT $1, $2, $3")
            return opened

        opened = run_coroutine(connect())
        try:
            yield opened
        finally:
            run_coroutine(opened.close())


def _latin1_database(server: PostgresServer) -> str:
    import psycopg

    name = "latin1_escapes"
    with psycopg.connect(server.url(), autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name} ENCODING 'UTF8' TEMPLATE template0")
        admin.execute(f"ALTER DATABASE {name} SET standard_conforming_strings = off")
        admin.execute(f"ALTER DATABASE {name} SET client_encoding = 'LATIN1'")
    return server.url(name)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=VALUES)
def test_values_come_back_exactly(connection: Any, values: tuple[str, int | None, float | None]) -> None:
    text = execute_text("echo", values)
    assert text is not None

    async def run() -> tuple[Any, ...]:
        cursor = await connection.execute(text)
        return tuple(await cursor.fetchone())

    assert run_coroutine(run()) == values


def test_the_connection_reads_the_text_as_it_is_written(connection: Any) -> None:
    assert connection.info.encoding == "utf-8"
    assert connection.pgconn.parameter_status(b"standard_conforming_strings") == b"on"


@pytest.mark.parametrize("value", ["a\x00b", "\ud800", True, b"bytes", math.nan, math.inf, 1.5j, ["list"]])
def test_values_it_cannot_write_are_left_to_psycopg(value: object) -> None:
    assert execute_text("echo", ("fine", value)) is None


def test_plain_values() -> None:
    assert execute_text("apidocs_update", ("it's", 3, None, -0.5)) == "EXECUTE apidocs_update('it''s', 3, NULL, -0.5)"
