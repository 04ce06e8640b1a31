"""The help desk's REST JSON API: tickets changed since a time, a page at a time.

`GET /api/v1/tickets?updated_since=<ISO 8601>&limit=<1-200>&cursor=<opaque>` answers
`{"tickets": [...], "next_cursor": "..." | null}`. Tickets come in (updated_at, id) order and the
cursor is the position of a page's last ticket, so a ticket changed while a reader pages moves
behind the reader rather than shifting every page by one. Bearer and basic auth are accepted.
"""

import base64
import binascii
import secrets
from datetime import datetime

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from sandbox_systems.support.desk import HelpDesk

TICKETS_PATH = "/api/v1/tickets"
HEALTH_PATH = "/health"
DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class BadRequest(ValueError):
    """A query parameter the desk cannot read; the message says which and why."""


def create_app(
    desk: HelpDesk, *, token: str, username: str | None = None, password: str | None = None
) -> Starlette:
    """The desk's API; `username` and `password` also allow basic auth when both are given."""

    async def tickets(request: Request) -> JSONResponse:
        if not _authorized(request, token, username, password):
            return JSONResponse(
                {"error": "unauthorized", "message": "send a bearer token or basic credentials"},
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="support", Basic realm="support"'},
            )
        try:
            since, after, limit = _query(request)
        except BadRequest as error:
            return JSONResponse({"error": "bad_request", "message": str(error)}, status_code=400)
        page, last = desk.page(updated_since=since, after=after, limit=limit)
        return JSONResponse({"tickets": page, "next_cursor": _cursor(last)})

    async def health(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    return Starlette(routes=[Route(TICKETS_PATH, tickets), Route(HEALTH_PATH, health)])


def _authorized(request: Request, token: str, username: str | None, password: str | None) -> bool:
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        return secrets.compare_digest(credentials.strip().encode(), token.encode())
    if scheme.lower() == "basic" and username is not None and password is not None:
        try:
            given = base64.b64decode(credentials.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return False
        return secrets.compare_digest(given.encode(), f"{username}:{password}".encode())
    return False


def _query(request: Request) -> tuple[datetime | None, tuple[str, int] | None, int]:
    params = request.query_params
    since = None
    if params.get("updated_since"):
        try:
            since = datetime.fromisoformat(params["updated_since"])
        except ValueError:
            raise BadRequest("updated_since must be an ISO 8601 time with an offset") from None
        if since.tzinfo is None:
            raise BadRequest("updated_since needs an offset, such as Z or +01:00")
    try:
        limit = int(params.get("limit", DEFAULT_LIMIT))
    except ValueError:
        raise BadRequest("limit must be a whole number") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"limit must be between 1 and {MAX_LIMIT}")
    return since, _position(params.get("cursor")), limit


def _cursor(position: tuple[str, int] | None) -> str | None:
    if position is None:
        return None
    return base64.urlsafe_b64encode(f"{position[0]}|{position[1]}".encode()).decode()


def _position(cursor: str | None) -> tuple[str, int] | None:
    if not cursor:
        return None
    try:
        moment, _, number = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        return moment, int(number)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadRequest("cursor is not one this desk gave out") from None
