# Copyright The otelcol-mnm Authors
# SPDX-License-Identifier: Apache-2.0
"""Every endpoint field rule of the contract, over HTTP: an invalid value is
answered 422 with an error at ["body", "endpoints", 0, <field>...] that says
what is wrong, and nothing is stored; a valid one reaches the store as sent."""

import pytest

from mnm_test_app import post_upsert
from payloads import INVALID_ENDPOINTS, VALID_ENDPOINTS, endpoint, request


@pytest.mark.parametrize("overrides, loc, fragments", INVALID_ENDPOINTS)
def test_invalid_endpoint_field_is_422(client, store, overrides, loc, fragments):
    response = post_upsert(client, request(endpoint(**overrides)))
    assert response.status_code == 422, response.text
    errors = response.json()["detail"]
    want = ["body", "endpoints", 0, *loc]
    matching = [e for e in errors if e["loc"] == want]
    assert matching, errors
    assert any(f.lower() in e["msg"].lower() for e in matching for f in fragments), matching
    assert all(set(e) == {"loc", "msg", "type"} for e in errors), errors
    assert store.calls == []


@pytest.mark.parametrize("overrides", VALID_ENDPOINTS)
def test_valid_endpoint_field_reaches_the_store_as_sent(client, store, overrides):
    sent = endpoint(**overrides)
    response = post_upsert(client, request(sent))
    assert response.status_code == 200, response.text
    assert [call["ep_dict"] for call in store.calls] == [sent]


def test_first_seen_absent_or_null_is_not_passed_to_the_store(client, store):
    post_upsert(client, request(endpoint(), endpoint(mac="BC:24:11:C3:C7:42", first_seen=None)))
    assert ["first_seen" in call["ep_dict"] for call in store.calls] == [False, False]


def test_error_for_lower_case_mac_names_the_fix(client):
    detail = post_upsert(client, request(endpoint(mac="bc:24:11:c3:c7:41"))).json()["detail"]
    assert detail == [{"loc": ["body", "endpoints", 0, "mac"],
                       "msg": "must be upper case: 'BC:24:11:C3:C7:41', not 'bc:24:11:c3:c7:41'",
                       "type": "value_error.mac.case"}]


def test_error_for_nul_in_hostname_says_where(client):
    detail = post_upsert(client, request(endpoint(hostname="web\x0001"))).json()["detail"]
    assert detail == [{"loc": ["body", "endpoints", 0, "hostname"],
                       "msg": "contains the control character U+0000 at position 3; control characters "
                              "(C0 including NUL, DEL, C1) are not allowed",
                       "type": "value_error.control_character"}]


@pytest.mark.parametrize("vlan", [True, "110", 110.0])
def test_vlan_coercible_by_pydantic_gets_one_error(client, vlan):
    """pydantic alone would store true as 1 and "110" as 110: one error, ours."""
    detail = post_upsert(client, request(endpoint(vlan=vlan))).json()["detail"]
    assert len(detail) == 1 and detail[0]["type"] == "type_error.integer", detail
    assert detail[0]["msg"].startswith("must be a JSON integer from 0 to 4094, not ")


def test_unknown_field_error_lists_the_contract_fields(client):
    detail = post_upsert(client, request(endpoint(hostnme="web01"))).json()["detail"]
    assert detail[0]["loc"] == ["body", "endpoints", 0, "hostnme"]
    assert detail[0]["msg"] == ("unknown field (not part of the upsert contract); the fields are: mac, ip, "
                                "additional_ips, hostname, classification, device_name, switch_port, vlan, "
                                "last_seen, first_seen")
