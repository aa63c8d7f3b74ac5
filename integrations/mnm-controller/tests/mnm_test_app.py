# Copyright The otelcol-mnm Authors
# SPDX-License-Identifier: Apache-2.0
"""A small app shaped like MNM's controller/app/main.py around the upsert route."""

from typing import Any, Callable, Dict, Optional

from fastapi import Depends, FastAPI, HTTPException
from fastapi.testclient import TestClient

from mnm_auth_double import COOKIE, make_token, require_auth
from mnm_endpoint_upsert import make_router
from mnm_store_double import MemoryStore

UPSERT = "/api/endpoints/upsert"


def build_app(store: MemoryStore, with_router: bool = True,
              auth: Callable[..., Any] = require_auth) -> FastAPI:
    """MNM's app as far as the route is concerned: its GET /api/endpoints/{mac}
    is registered first (main.py declares it long before any include_router
    line could go), then, with_router, the upsert router."""
    app = FastAPI(title="MNM Controller (test)", docs_url=None, redoc_url=None)

    @app.get("/api/endpoints/{mac}", dependencies=[Depends(require_auth)])
    async def endpoint_detail(mac: str) -> Dict[str, Any]:
        found = store.get_endpoint(mac)
        if not found:
            raise HTTPException(status_code=404, detail="Endpoint not found")
        return found

    if with_router:
        app.include_router(make_router(auth=auth, upsert=store.upsert_endpoint))
    return app


def auth_headers(token: Optional[str] = None) -> Dict[str, str]:
    """The cookie header the exporter sends (a fresh token unless given)."""
    return {"Cookie": f"{COOKIE}={make_token() if token is None else token}"}


def post_upsert(client: TestClient, body: Any, token: Optional[str] = None):
    """POST body as JSON with a valid cookie."""
    return client.post(UPSERT, json=body, headers=auth_headers(token))
