# Copyright The otelcol-mnm Authors
# SPDX-License-Identifier: Apache-2.0
"""POST /api/endpoints/upsert for MNM's controller, fed by otelcol-mnm's
mnmendpoint exporter (upsert contract v2).

    from mnm_endpoint_upsert import make_router
    app.include_router(make_router(auth=require_auth, upsert=endpoint_store.upsert_endpoint))

make_router (route.py) needs FastAPI; models.py and validation.py need only
pydantic, so make_router is imported on first use.
"""

from typing import Any

__version__ = "2.0.0"  # follows the upsert contract's version
__all__ = ["make_router", "UPSERT_PATH"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import route
        return getattr(route, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
