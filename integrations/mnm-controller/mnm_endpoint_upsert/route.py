# Copyright The otelcol-mnm Authors
# SPDX-License-Identifier: Apache-2.0
"""The FastAPI router serving ``POST /api/endpoints/upsert`` (upsert contract v2).

MNM's controller plugs in its own pieces, following FastAPI's "Bigger
Applications" pattern::

    from mnm_endpoint_upsert import make_router
    app.include_router(make_router(auth=require_auth, upsert=endpoint_store.upsert_endpoint))
"""

import logging
from typing import Any, Awaitable, Callable, Dict, List

from fastapi import APIRouter, Depends, HTTPException, Request

from .validation import RequestRejected, read_upsert_request

UPSERT_PATH = "/api/endpoints/upsert"

# MNM's endpoint_store.upsert_endpoint(ep_dict, source=..., change_source=...).
UpsertFunc = Callable[..., Awaitable[Dict[str, Any]]]

log = logging.getLogger(__name__)


def make_router(auth: Callable[..., Any], upsert: UpsertFunc) -> APIRouter:
    """A router with POST /api/endpoints/upsert.

    auth: the controller's authentication dependency (MNM: main.require_auth),
        run before the body is read; whatever it raises is the answer.
    upsert: the store's coroutine (MNM: endpoint_store.upsert_endpoint), called
        once per endpoint, in order, after the whole request has been validated.
    """
    router = APIRouter()

    @router.post(
        UPSERT_PATH,
        dependencies=[Depends(auth)],
        summary="Upsert the endpoints of one source (otelcol-mnm mnmendpoint exporter)",
        responses={
            400: {"description": "The body is not JSON."},
            401: {"description": "Not authenticated."},
            413: {"description": "More endpoints than one request may carry."},
            415: {"description": "The Content-Type is not JSON."},
            422: {"description": "Validation errors; nothing was stored."},
            500: {"description": "The store failed; the endpoints before the failing one were stored."},
        },
    )
    async def upsert_endpoints(request: Request) -> Dict[str, List[Dict[str, Any]]]:
        try:
            req = read_upsert_request(await request.body(), request.headers.get("content-type"))
        except RequestRejected as exc:
            raise HTTPException(status_code=exc.status_code, detail=exc.detail) from None

        results: List[Dict[str, Any]] = []
        for index, endpoint in enumerate(req.endpoints):
            try:
                result = await upsert(endpoint.store_record(), source=req.source,
                                      change_source=req.change_source)
            except Exception as exc:  # the store's own error: answer without its text
                log.error("endpoint upsert failed on endpoints[%d] (MAC %s, source %s)",
                          index, endpoint.mac, req.source, exc_info=True)
                raise HTTPException(status_code=500,
                                    detail=_store_failed(index, endpoint.mac, exc)) from None
            if not isinstance(result, dict) or not isinstance(result.get("action"), str):
                log.error("endpoint upsert returned %r for endpoints[%d] (MAC %s)",
                          type(result).__name__, index, endpoint.mac)
                raise HTTPException(
                    status_code=500,
                    detail=(f"store returned no action for endpoints[{index}] (MAC {endpoint.mac}); "
                            f"endpoints[0..{index}] were handed to it, the rest were not"))
            results.append({"mac": endpoint.mac, "action": result["action"],
                            "events": list(result.get("events") or [])})
        return {"results": results}

    return router


def _store_failed(index: int, mac: str, exc: BaseException) -> str:
    """The 500 detail: where it failed and what was stored; the exception's
    class only, never its message or traceback (they may carry data or secrets)."""
    stored = (f"endpoints[0..{index - 1}] were stored, the rest were not" if index
              else "none of the request's endpoints were stored")
    return f"store failed on endpoints[{index}] (MAC {mac}): {type(exc).__name__}; {stored}"
