# Copyright The otelcol-mnm Authors
# SPDX-License-Identifier: Apache-2.0
"""What the route does with a valid request: one upsert_endpoint call per
endpoint, in order, with source and change_source; the 200 answer; 413 for too
many endpoints; 500 when the store fails part way."""

import pytest

from mnm_test_app import post_upsert
from payloads import endpoint, macs, request

TRACEBACK = "Traceback"
DB_SECRET = "s3cr3t-db-password"  # in the double's exception message


def test_results_one_per_endpoint_in_order(client, store):
    first, second, third = macs(3)
    body = request(endpoint(mac=first), endpoint(mac=second, vlan=0, ip=None), endpoint(mac=third))
    response = post_upsert(client, body)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"results": [
        {"mac": first, "action": "new", "events": ["appeared"]},
        {"mac": second, "action": "new", "events": ["appeared"]},
        {"mac": third, "action": "new", "events": ["appeared"]},
    ]}
    assert [call["ep_dict"]["mac"] for call in store.calls] == [first, second, third]


def test_store_gets_the_fields_source_and_change_source(client, store):
    sent = endpoint(first_seen="2026-11-01T08:00:00Z")
    post_upsert(client, request(sent, source="proxmox", change_source="otelcol-mnm/proxmox"))
    assert store.calls == [{"ep_dict": sent, "source": "proxmox", "change_source": "otelcol-mnm/proxmox"}]
    assert set(sent) == {"mac", "ip", "additional_ips", "hostname", "classification", "device_name",
                         "switch_port", "vlan", "last_seen", "first_seen"}


def test_resending_the_same_request_is_unchanged(client, store):
    body = request(*[endpoint(mac=m) for m in macs(3)])
    assert {r["action"] for r in post_upsert(client, body).json()["results"]} == {"new"}
    again = post_upsert(client, body).json()["results"]
    assert [(r["action"], r["events"]) for r in again] == [("unchanged", [])] * 3


def test_events_and_actions_come_from_the_store(client, store):
    post_upsert(client, request(endpoint(hostname="web01")))
    moved = post_upsert(client, request(endpoint(switch_port="vmbr1", ip="192.0.2.99", hostname="web02")))
    assert moved.json()["results"] == [{"mac": "BC:24:11:C3:C7:41", "action": "updated",
                                         "events": ["moved_port", "ip_changed", "hostname_changed"]}]
    assert {c.change_source for c in store.changes} == {"proxmox"}


def test_1000_endpoints_are_accepted(client, store):
    response = post_upsert(client, request(*[endpoint(mac=m) for m in macs(1000)]))
    assert response.status_code == 200
    assert len(response.json()["results"]) == 1000 and len(store.calls) == 1000


@pytest.mark.parametrize("item", [endpoint(), {"not": "an endpoint"}], ids=["valid-items", "invalid-items"])
def test_1001_endpoints_are_413(client, store, item):
    response = post_upsert(client, request(endpoints=[item] * 1001))
    assert response.status_code == 413, response.text
    detail = response.json()["detail"]
    assert detail == ("the request carries 1001 endpoints; this controller accepts at most 1000 endpoints "
                      "per request: lower max_batch_size in the exporter's configuration to 1000 or less")
    assert store.calls == []


def test_store_failure_mid_batch_is_500_and_keeps_what_was_stored(client, store):
    all_macs = macs(5)
    store.fail_on.add(all_macs[2])
    response = post_upsert(client, request(*[endpoint(mac=m) for m in all_macs]))
    assert response.status_code == 500
    assert response.json() == {"detail": f"store failed on endpoints[2] (MAC {all_macs[2]}): OperationalError; "
                                         "endpoints[0..1] were stored, the rest were not"}
    assert TRACEBACK not in response.text and DB_SECRET not in response.text
    # endpoints 0 and 1 are stored, 2 was tried and failed, 3 and 4 were not tried
    assert [call["ep_dict"]["mac"] for call in store.calls] == all_macs[:3]
    assert sorted(row.mac for row in store.rows.values()) == all_macs[:2]


def test_store_failure_on_the_first_endpoint(client, store):
    first, second = macs(2)
    store.fail_on.add(first)
    response = post_upsert(client, request(endpoint(mac=first), endpoint(mac=second)))
    assert response.status_code == 500
    assert response.json()["detail"] == (f"store failed on endpoints[0] (MAC {first}): OperationalError; "
                                         "none of the request's endpoints were stored")
    assert store.rows == {}


def test_resend_after_a_store_failure_completes_the_batch(client, store):
    """The exporter may resend: endpoints stored before the failure answer unchanged."""
    all_macs = macs(3)
    body = request(*[endpoint(mac=m) for m in all_macs])
    store.fail_on.add(all_macs[1])
    assert post_upsert(client, body).status_code == 500
    store.fail_on.clear()
    results = post_upsert(client, body).json()["results"]
    assert [r["action"] for r in results] == ["unchanged", "new", "new"]


def test_store_failure_is_logged_with_its_traceback(client, store, caplog):
    store.fail_on.add("BC:24:11:C3:C7:41")
    post_upsert(client, request())
    logged = [r for r in caplog.records if r.name == "mnm_endpoint_upsert.route"]
    assert len(logged) == 1 and logged[0].exc_info is not None
    assert "endpoints[0] (MAC BC:24:11:C3:C7:41, source proxmox)" in logged[0].getMessage()


def test_store_answer_without_action_is_500(store):
    from fastapi.testclient import TestClient
    from mnm_test_app import build_app

    async def broken(ep_dict, source, change_source):
        return None

    store.upsert_endpoint = broken
    response = post_upsert(TestClient(build_app(store)), request())
    assert response.status_code == 500
    assert response.json()["detail"] == ("store returned no action for endpoints[0] (MAC BC:24:11:C3:C7:41); "
                                         "endpoints[0..0] were handed to it, the rest were not")
