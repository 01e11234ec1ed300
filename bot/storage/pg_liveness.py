"""A pooled PostgreSQL connection is checked when it is taken from the pool, without a round trip.

SQLAlchemy's `pool_pre_ping` sends a query to the server at every checkout: a round trip (and
work for PostgreSQL, on the same cores) for each of the eight or so transactions and reads one
inbound message causes, a third of all round trips. A connection the server has ended (a
restart, `pg_terminate_backend`, an idle timeout) shows it on its socket instead: the server sends
its last words and closes, so the idle connection's socket has something waiting (a poll with no
timeout finds it), and the pool replaces the connection before anyone uses it, as the ping did.
What neither finds is a server that vanished without closing (a network partition): the ping
would have hung there too, until the TCP timeout.
"""

from __future__ import annotations

import select
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.ext.asyncio import AsyncEngine


def ended_by_server(driver_connection: Any) -> bool:
    """Has the server ended this idle psycopg connection (or is it unusable for another reason)?

    An idle connection that has finished its last result has nothing to receive unless the
    server is ending it (its last words, then an end of file): anything waiting on its socket
    means it must not be used. (A notification would too, but the service LISTENs for none.)"""
    import psycopg  # loaded by the driver already; imported here so a SQLite service never loads it (10 MB)

    if driver_connection is None or driver_connection.closed or driver_connection.broken:
        return True
    pgconn = driver_connection.pgconn
    if pgconn.status != psycopg.pq.ConnStatus.OK:
        return True
    try:
        poller = select.poll()
        poller.register(pgconn.socket, select.POLLIN | select.POLLPRI)
        return bool(poller.poll(0))  # readable, hung up or in error: ended
    except (OSError, psycopg.OperationalError):
        return True


def check_at_checkout(engine: AsyncEngine) -> None:
    """Make the engine's pool replace a connection the server ended, at checkout, before use."""

    @event.listens_for(engine.sync_engine, "checkout")
    def _replace_if_ended(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        if ended_by_server(getattr(dbapi_connection, "driver_connection", None)):
            raise exc.DisconnectionError("the server ended this connection")  # the pool opens another
