"""The service token: what one service shows another on its /internal/* doors, and the refusal to start without it.

One random value per deployment (`tuijin secrets init` writes it; compose keeps it on a volume, Kubernetes in a
Secret). A service reads it from `<PREFIX>SERVICE_TOKEN` or the file named by `<PREFIX>SERVICE_TOKEN_FILE`.
There is no default: a service that needs it and has none exits with a message saying how to make one.
"""
from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from fastapi import Depends, HTTPException, Request

# Shorter than this is not a generated token (token_urlsafe(32) gives 43 characters).
MIN_LENGTH = 32
HEADER = "Authorization"


class MissingSecret(SystemExit):
    """Exits the process with a message naming the setting and how to create it."""


def new_token() -> str:
    return secrets.token_urlsafe(32)


def resolve(value: str, file: Path | None) -> str:
    """The token from the setting, else from the file it names; empty when neither is set."""
    if value:
        return value.strip()
    if file is not None:
        try:
            return file.read_text().strip()
        except OSError as error:
            raise MissingSecret(f"cannot read the service token file {file}: {error.strerror}") from error
    return ""


def require(token: str, prefix: str) -> str:
    """The token, or exit: no service runs on a missing, empty or short (hand-typed) secret."""
    if len(token) < MIN_LENGTH:
        problem = "is not set" if not token else f"is shorter than {MIN_LENGTH} characters"
        raise MissingSecret(
            f"refusing to start: {prefix}SERVICE_TOKEN (or {prefix}SERVICE_TOKEN_FILE) {problem}. "
            "Create one per deployment with `tuijin secrets init <dir>` (docker compose runs it in its `secrets` step; "
            "Kubernetes reads it from the Secret tuijin-service-token); `make run` makes its own.")
    return token


def bearer(token: str) -> dict[str, str]:
    return {HEADER: f"Bearer {token}"}


def presented(request: Request, token: str) -> bool:
    given = request.headers.get(HEADER, "")
    return given.startswith("Bearer ") and secrets.compare_digest(given.removeprefix("Bearer ").encode(), token.encode())


def guard(token: str) -> Callable[[Request], Awaitable[None]]:
    """A FastAPI dependency for the /internal/* routers: 401 unless the caller shows the service token."""
    async def check(request: Request) -> None:
        if not presented(request, token):
            raise HTTPException(401, "the internal API needs the service token", headers={"WWW-Authenticate": "Bearer"})
    return check


def guarded_when_set(token: str) -> list[Any]:
    """Route dependencies for tracker's and notifier's /internal/*: guarded when the deployment gives them the token
    (compose, Kubernetes and `make run` do); open without it, as before (SECURITY.md, known gaps)."""
    return [Depends(guard(token))] if token else []
