# Copyright The otelcol-mnm Authors
# SPDX-License-Identifier: Apache-2.0
"""Authentication: the route runs the controller's own dependency (here the
stand-in for MNM main.py require_auth/_verify_token) before reading the body."""

import time

import pytest
from fastapi import HTTPException
from fastapi.testclient import TestClient

from mnm_auth_double import make_token, sign
from mnm_test_app import UPSERT, auth_headers, build_app, post_upsert
from payloads import request

NOT_AUTHENTICATED = {"detail": "Not authenticated"}


def test_valid_cookie_is_accepted(client, store):
    response = post_upsert(client, request())
    assert response.status_code == 200, response.text
    assert len(store.calls) == 1


def test_missing_cookie(client, store):
    response = client.post(UPSERT, json=request())
    assert (response.status_code, response.json()) == (401, NOT_AUTHENTICATED)
    assert store.calls == []


@pytest.mark.parametrize("token", [
    pytest.param(lambda now: f"{now}.{'0' * 32}", id="wrong-signature"),
    pytest.param(lambda now: make_token(now, secret="another-controller's-secret"), id="other-secret"),
    pytest.param(lambda now: f"{now}.{sign(str(now))[:31]}", id="signature-cut-short"),
    pytest.param(lambda now: f"{now}.{sign(str(now)).upper()}", id="signature-upper-case"),
    pytest.param(lambda now: f"{now + 1}.{sign(str(now))}", id="timestamp-changed"),
    pytest.param(lambda now: make_token(now - 86400 - 60), id="expired-by-a-minute"),
    pytest.param(lambda now: make_token(now - 7 * 86400), id="expired-a-week-ago"),
    pytest.param(lambda now: sign(str(now)), id="no-timestamp"),
    pytest.param(lambda now: f"soon.{sign('soon')}", id="timestamp-not-a-number"),
    pytest.param(lambda now: f"{now}.{'z' * 32}", id="signature-not-hex"),
    pytest.param(lambda now: "", id="empty"),
])
def test_bad_cookie(client, store, token):
    response = post_upsert(client, request(), token=token(int(time.time())))
    assert (response.status_code, response.json()) == (401, NOT_AUTHENTICATED)
    assert store.calls == []


@pytest.mark.parametrize("age", [
    pytest.param(-3600, id="an-hour-in-the-future"),
    pytest.param(-30 * 86400, id="a-month-in-the-future"),
    pytest.param(0, id="fresh"),
    pytest.param(86400 - 60, id="a-minute-before-expiry"),
])
def test_cookie_within_validity_or_in_the_future_is_accepted(client, age):
    # MNM's _verify_token only checks now - ts <= 86400: a future ts passes.
    response = post_upsert(client, request(), token=make_token(int(time.time()) - age))
    assert response.status_code == 200, response.text


def test_authentication_comes_before_the_body(client, store):
    """An unauthenticated caller learns nothing about the body: 401 for a body
    that is not JSON, too big, or invalid."""
    too_many = request(endpoints=[{}] * 1001)
    for kwargs in ({"content": b"{not json", "headers": {"Content-Type": "application/json"}},
                   {"json": too_many}, {"json": {"source": ""}}):
        response = client.post(UPSERT, **kwargs)
        assert (response.status_code, response.json()) == (401, NOT_AUTHENTICATED)
    assert store.calls == []


def test_router_uses_the_auth_dependency_it_is_given(store):
    """The package never checks cookies itself: it runs the controller's dependency."""
    def deny():
        raise HTTPException(status_code=403, detail="denied by the controller")

    client = TestClient(build_app(store, auth=deny))
    response = client.post(UPSERT, json=request(), headers=auth_headers())
    assert (response.status_code, response.json()) == (403, {"detail": "denied by the controller"})
    assert store.calls == []


def test_read_route_needs_the_cookie_too(client):
    assert client.get("/api/endpoints/BC:24:11:C3:C7:41").status_code == 401
