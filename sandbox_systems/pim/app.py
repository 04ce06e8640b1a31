"""The PIM's HTTP API: a bearer-token JSON API under /api/v1.

GET    /api/v1/products?updated_since=<ISO time>&limit=<1-200>&cursor=<cursor>
       -> {"data": [product, ...], "next_cursor": "<cursor>" | null}
GET    /api/v1/products/{identifier}
PATCH  /api/v1/products/{identifier}    merge the JSON body into the product (null removes)
PUT    /api/v1/products/{identifier}    create or replace the product
POST   /api/v1/_faults                   {"status": 429, "times": 1, "retry_after": 1}
"""

import hmac
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox_systems.pim.store import BadRequest, PimStore, UnknownProduct

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def create_app(store: PimStore, token: str) -> Starlette:
    """The Starlette application serving `store` to callers that present `token`."""

    async def guarded(request: Request, handler) -> Response:
        if not _authorized(request, token):
            response = _error(401, "missing or wrong bearer token")
        else:
            try:
                response = await handler(request)
            except BadRequest as error:
                response = _error(400, str(error))
            except UnknownProduct as error:
                response = _error(404, f"no product {error.args[0]!r}")
        store.log(request.method, request.url.path, response.status_code)
        return response

    async def list_products(request: Request) -> Response:
        fault = store.take_fault()
        if fault is not None:
            return _fault_response(fault)
        page, following = store.page(
            updated_since=request.query_params.get("updated_since"),
            cursor=request.query_params.get("cursor"),
            limit=_limit(request.query_params.get("limit")),
        )
        return JSONResponse({"data": page, "next_cursor": following})

    async def one_product(request: Request) -> Response:
        identifier = request.path_params["identifier"]
        if request.method == "GET":
            return JSONResponse(store.get(identifier))
        body = await _json_object(request)
        if request.method == "PATCH":
            return JSONResponse(store.edit(identifier, body))
        return JSONResponse(store.add(body | {"identifier": identifier}))

    async def faults(request: Request) -> Response:
        body = await _json_object(request)
        if not isinstance(body.get("status"), int):
            raise BadRequest('give the HTTP status to answer with, e.g. {"status": 503}')
        store.fail_next(
            int(body["status"]),
            times=int(body.get("times", 1)),
            retry_after=body.get("retry_after"),
        )
        return JSONResponse({"queued": int(body.get("times", 1))})

    def route(path: str, handler, methods: list[str]) -> Route:
        async def endpoint(request: Request) -> Response:
            return await guarded(request, handler)

        return Route(path, endpoint, methods=methods)

    return Starlette(
        routes=[
            route("/api/v1/products", list_products, ["GET"]),
            route("/api/v1/products/{identifier}", one_product, ["GET", "PATCH", "PUT"]),
            route("/api/v1/_faults", faults, ["POST"]),
        ]
    )


def _authorized(request: Request, token: str) -> bool:
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(presented.encode(), token.encode())


def _limit(value: str | None) -> int:
    if value is None:
        return DEFAULT_LIMIT
    if not value.isdigit() or not 1 <= int(value) <= MAX_LIMIT:
        raise BadRequest(f"limit must be a whole number from 1 to {MAX_LIMIT}; got {value!r}")
    return int(value)


async def _json_object(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError as error:
        raise BadRequest("the body is not JSON") from error
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    return body


def _fault_response(fault) -> Response:
    if fault.status == 429:
        headers = {"Retry-After": str(fault.retry_after if fault.retry_after is not None else 1)}
        return JSONResponse({"error": "too many requests"}, status_code=429, headers=headers)
    return JSONResponse({"error": f"injected failure {fault.status}"}, status_code=fault.status)


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)
