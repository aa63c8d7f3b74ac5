# Copyright The otelcol-mnm Authors
# SPDX-License-Identifier: Apache-2.0
"""Bodies that are not an upsert request: not JSON (400), not JSON by their
Content-Type (415), the wrong shape (422 naming the place). Nothing is stored."""

import json

import pytest

from mnm_test_app import UPSERT, auth_headers, post_upsert
from payloads import INVALID_REQUESTS, endpoint, request

JSON = {"Content-Type": "application/json"}


def post_raw(client, content, headers=JSON):
    return client.post(UPSERT, content=content, headers={**auth_headers(), **headers})


@pytest.mark.parametrize("content, fragment", [
    pytest.param(b"", "the body is empty", id="empty"),
    pytest.param(b"  \n", "the body is empty", id="whitespace"),
    pytest.param(b"{not json", "not valid json: expecting property name", id="broken"),
    pytest.param(b'{"source": "proxmox",}', "not valid json", id="trailing-comma"),
    pytest.param(json.dumps(request()).encode()[:-5], "not valid json", id="cut-short"),
    pytest.param(b"source=proxmox&change_source=proxmox", "not valid json", id="form-encoded"),
    pytest.param(b'{"source": "prox\xffmox"}', "not utf-8 text: invalid byte at offset 16", id="not-utf8"),
    pytest.param(b'{"vlan": NaN}', "nan is not a json value", id="nan"),
    pytest.param(b'{"vlan": Infinity}', "infinity is not a json value", id="infinity"),
    pytest.param(b'{"source": "a", "source": "b"}', "the key 'source' appears twice", id="duplicate-key"),
    pytest.param(json.dumps(request()).replace('"vlan": 110', '"vlan": 110, "vlan": 0').encode(),
                 "the key 'vlan' appears twice", id="duplicate-key-in-endpoint"),
    pytest.param(b"[" * 100000 + b"]" * 100000, "nested too deeply", id="deep-nesting"),
])
def test_not_json_is_400(client, store, content, fragment):
    response = post_raw(client, content)
    assert response.status_code == 400, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str) and fragment in detail.lower(), detail
    assert store.calls == []


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x"])
def test_non_json_content_type_is_415(client, store, content_type):
    response = post_raw(client, json.dumps(request()).encode(), {"Content-Type": content_type})
    assert response.status_code == 415, response.text
    assert "must be application/json" in response.json()["detail"]
    assert store.calls == []


@pytest.mark.parametrize("headers", [
    pytest.param({"Content-Type": "application/json; charset=utf-8"}, id="charset"),
    pytest.param({"Content-Type": "Application/JSON"}, id="upper-case"),
    pytest.param({"Content-Type": "application/merge-patch+json"}, id="json-suffix"),
    pytest.param({}, id="no-content-type"),
])
def test_json_content_types_are_accepted(client, headers):
    response = post_raw(client, json.dumps(request()).encode(), headers)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("body, loc, fragments", INVALID_REQUESTS)
def test_invalid_request_is_422_naming_the_field(client, store, body, loc, fragments):
    response = post_raw(client, json.dumps(body).encode())  # also a JSON null body
    assert response.status_code == 422, response.text
    errors = response.json()["detail"]
    matching = [e for e in errors if tuple(e["loc"]) == loc]
    assert matching, errors
    assert any(f in e["msg"].lower() for e in matching for f in fragments), matching
    assert all(set(e) == {"loc", "msg", "type"} and e["type"] for e in errors), errors
    assert store.calls == []


def test_every_problem_of_the_request_is_reported_at_once(client, store):
    body = request(endpoint(),
                   endpoint(mac="bc:24:11:c3:c7:42", vlan="7"),
                   endpoint(hostname="a\x00b", extra=1),
                   source="")
    response = post_upsert(client, body)
    assert response.status_code == 422
    locs = [e["loc"] for e in response.json()["detail"]]
    assert locs == [["body", "source"],
                    ["body", "endpoints", 1, "mac"], ["body", "endpoints", 1, "vlan"],
                    ["body", "endpoints", 2, "hostname"], ["body", "endpoints", 2, "extra"]]
    assert store.calls == []


def test_one_bad_endpoint_stores_nothing(client, store):
    """The whole request is validated before the first upsert."""
    body = request(*[endpoint(mac=f"BC:24:11:C3:C7:{i:02X}") for i in range(10)])
    body["endpoints"][9]["vlan"] = True
    response = post_upsert(client, body)
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["detail"]] == [["body", "endpoints", 9, "vlan"]]
    assert store.calls == [] and store.rows == {}
