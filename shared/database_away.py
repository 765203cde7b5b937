"""Telling a database that is away from data that is wrong: consumers redeliver the first and keep the second as a
dead letter; an HTTP request that meets the first is answered 503 with Retry-After, not 500."""
from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

log = logging.getLogger(__name__)
# SQLSTATE classes in which the database, not the item, is at fault: 08 connection exception, 40 transaction rollback
# (serialization failure, deadlock), 53 insufficient resources, 57 operator intervention (57P01 terminated by an
# administrator, 57P03 "the database system is shutting down" or "is starting up"). asyncpg's errors reach SQLAlchemy as
# a plain DBAPIError, not an OperationalError: a restart of PostgreSQL under load dead-lettered a valid update
# (tests/chaos/test_database_restarting.py, tests/intake/test_database_away.py).
DATABASE_AT_FAULT = frozenset({"08", "40", "53", "57"})
RETRY_AFTER_SECONDS = 5


def database_at_fault(error: BaseException) -> bool:
    """A database error that says nothing about the data: the driver's operational or interface error (SQLite locked,
    a connection refused or lost), or a SQLSTATE class in DATABASE_AT_FAULT."""
    if isinstance(error, OperationalError | InterfaceError):
        return True
    if not isinstance(error, DBAPIError):
        return False
    sqlstate = getattr(error.orig, "sqlstate", None) or ""
    return error.connection_invalidated or sqlstate[:2] in DATABASE_AT_FAULT


def answer_503_while_the_database_is_away(app: FastAPI) -> None:
    """A request that meets the database away (or, with asyncpg, a refused connection: a bare ConnectionError) is
    answered 503 with Retry-After; any other database error stays a 500."""

    @app.exception_handler(DBAPIError)
    @app.exception_handler(ConnectionError)
    async def database_away(request: Request, error: Exception) -> JSONResponse:
        if isinstance(error, DBAPIError) and not database_at_fault(error):
            raise error  # a fault of ours: a 500, logged as one
        log.warning("%s %s: the database is away: %s", request.method, request.url.path, error)
        return JSONResponse({"detail": "the database is not reachable: send the request again shortly (updates already "
                             "taken keep their event ids and are not applied twice)"},
                            status_code=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
