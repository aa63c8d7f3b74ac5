# Copyright The otelcol-mnm Authors
# SPDX-License-Identifier: Apache-2.0
"""Routing next to MNM's own routes.

MNM's main.py declares GET /api/endpoints/{mac} long before any line that could
include the router. The POST must still reach the upsert route; a stock MNM
v1.0.1 app (no router) answers that POST 405, which is what the exporter sees
today."""

from fastapi.testclient import TestClient

from mnm_test_app import UPSERT, auth_headers, build_app, post_upsert
from payloads import endpoint, request

MAC = "BC:24:11:C3:C7:41"


def test_post_reaches_upsert_despite_earlier_get_mac_route(store):
    app = build_app(store)
    paths = [(route.path, sorted(getattr(route, "methods", []) or [])) for route in app.routes]
    assert paths.index(("/api/endpoints/{mac}", ["GET"])) < paths.index((UPSERT, ["POST"]))

    response = post_upsert(TestClient(app), request())
    assert response.status_code == 200, response.text
    assert response.json() == {"results": [{"mac": MAC, "action": "new", "events": ["appeared"]}]}


def test_stock_app_without_the_router_answers_405(store):
    client = TestClient(build_app(store, with_router=False))
    response = client.post(UPSERT, json=request(), headers=auth_headers())
    assert response.status_code == 405
    assert response.json() == {"detail": "Method Not Allowed"}
    assert "GET" in response.headers.get("allow", "")
    assert store.calls == []


def test_get_upsert_path_is_still_mnm_detail_route(client):
    # GET /api/endpoints/upsert is MNM's /{mac} route with mac="upsert", as before.
    response = client.get(UPSERT, headers=auth_headers())
    assert (response.status_code, response.json()) == (404, {"detail": "Endpoint not found"})


def test_upserted_endpoint_is_readable_through_mnm_detail_route(client):
    post_upsert(client, request(endpoint(first_seen="2026-11-01T08:00:00Z")))
    response = client.get(f"/api/endpoints/{MAC.lower()}", headers=auth_headers())
    assert response.status_code == 200, response.text
    found = response.json()
    assert (found["mac"], found["ip"], found["additional_ips"], found["device_name"],
            found["switch_port"], found["vlan"], found["active"]) == \
        (MAC, "192.0.2.10", ["2001:db8::10"], "pve1", "vmbr0", 110, True)
    assert (found["first_seen"], found["last_seen"], found["source"]) == \
        ("2026-11-01T08:00:00+00:00", "2026-11-22T13:00:00+00:00", "proxmox")


def test_other_methods_on_the_upsert_path(client):
    assert client.put(UPSERT, json=request(), headers=auth_headers()).status_code == 405
