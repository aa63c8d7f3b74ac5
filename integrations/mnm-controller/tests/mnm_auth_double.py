# Copyright The otelcol-mnm Authors
# SPDX-License-Identifier: Apache-2.0
"""Test stand-in for MNM's authentication dependency.

It implements the token scheme of MNM controller/app/main.py, ``_verify_token``
and ``require_auth`` (v1.0.1), as the upsert contract describes it:

- the cookie ``mnm_token`` is ``<unix_ts>.<sig>``, sig the first 32 hex digits of
  HMAC-SHA256(key=NAUTOBOT_SECRET_KEY, msg=<unix_ts> as text);
- valid while now - ts <= 86400 s; a timestamp in the future is accepted (MNM
  checks only the age);
- anything else (no cookie, no ".", a wrong signature, a non-numeric ts, too
  old) is answered 401 {"detail": "Not authenticated"}.

The router under test receives this function as its ``auth`` argument exactly
as MNM's main.py would pass its own ``require_auth``.
"""

import hashlib
import hmac
import time
from typing import Optional

from fastapi import HTTPException, Request

SECRET = "test-secret-not-a-real-nautobot-key"
TOKEN_TTL_SECONDS = 86400
COOKIE = "mnm_token"


def sign(timestamp_text: str, secret: str = SECRET) -> str:
    digest = hmac.new(secret.encode(), timestamp_text.encode(), hashlib.sha256).hexdigest()
    return digest[:32]


def make_token(timestamp: Optional[int] = None, secret: str = SECRET) -> str:
    text = str(int(time.time()) if timestamp is None else timestamp)
    return f"{text}.{sign(text, secret)}"


def token_is_valid(token: str) -> bool:
    timestamp_text, dot, signature = token.partition(".")
    if not dot:
        return False
    try:
        if not hmac.compare_digest(signature, sign(timestamp_text)):
            return False
        age = time.time() - int(timestamp_text)
    except (TypeError, ValueError):  # non-ASCII signature, non-numeric timestamp
        return False
    return age <= TOKEN_TTL_SECONDS  # no lower bound: future timestamps pass


def require_auth(request: Request) -> None:
    token = request.cookies.get(COOKIE)
    if not token or not token_is_valid(token):
        raise HTTPException(status_code=401, detail="Not authenticated")
