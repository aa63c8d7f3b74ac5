# Copyright The otelcol-mnm Authors
# SPDX-License-Identifier: Apache-2.0
"""The same field rules as test_endpoint_fields.py, straight against
mnm_endpoint_upsert.validation, which needs pydantic but not FastAPI: this file
(with test_store_double.py) also runs on an interpreter that has pydantic 2 and
no FastAPI, see README.md."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mnm_endpoint_upsert.models import MAX_ENDPOINTS, PYDANTIC_V2
from mnm_endpoint_upsert.validation import RequestRejected, read_upsert_request
from payloads import INVALID_ENDPOINTS, INVALID_REQUESTS, VALID_ENDPOINTS, endpoint, macs, request

JSON = "application/json"
PACKAGE_ROOT = Path(__file__).resolve().parent.parent


def read(body):
    return read_upsert_request(json.dumps(body).encode(), JSON)


def rejection(body):
    with pytest.raises(RequestRejected) as info:
        read(body)
    return info.value


def test_models_and_validation_do_not_import_fastapi():
    code = ("import sys, mnm_endpoint_upsert, mnm_endpoint_upsert.validation; "
            "assert 'fastapi' not in sys.modules, 'fastapi was imported'")
    env = {**os.environ, "PYTHONPATH": str(PACKAGE_ROOT), "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("overrides, loc, fragments", INVALID_ENDPOINTS)
def test_invalid_endpoint(overrides, loc, fragments):
    refused = rejection(request(endpoint(**overrides)))
    assert refused.status_code == 422
    matching = [e for e in refused.detail if e["loc"] == ["body", "endpoints", 0, *loc]]
    assert matching, refused.detail
    assert any(f.lower() in e["msg"].lower() for e in matching for f in fragments), matching
    json.dumps(refused.detail)  # the detail is JSON as it stands


@pytest.mark.parametrize("body, loc, fragments", INVALID_REQUESTS)
def test_invalid_request(body, loc, fragments):
    refused = rejection(body)
    assert refused.status_code == 422
    matching = [e for e in refused.detail if tuple(e["loc"]) == loc]
    assert matching, refused.detail
    assert any(f in e["msg"].lower() for e in matching for f in fragments), matching


@pytest.mark.parametrize("overrides", VALID_ENDPOINTS)
def test_valid_endpoint_is_kept_as_sent(overrides):
    sent = endpoint(**overrides)
    parsed = read(request(sent))
    assert [ep.store_record() for ep in parsed.endpoints] == [sent]
    assert (parsed.source, parsed.change_source) == ("proxmox", "proxmox")


def test_size_is_checked_before_the_items():
    refused = rejection(request(endpoints=[{"not": "an endpoint"}] * (MAX_ENDPOINTS + 1)))
    assert refused.status_code == 413
    assert "at most 1000" in refused.detail and "lower max_batch_size" in refused.detail


def test_exactly_max_endpoints_is_fine():
    parsed = read(request(*[endpoint(mac=m) for m in macs(MAX_ENDPOINTS)]))
    assert len(parsed.endpoints) == MAX_ENDPOINTS


def test_pydantic_version_flag_matches_the_installed_pydantic():
    import pydantic
    assert PYDANTIC_V2 == pydantic.VERSION.startswith("2.")


def test_errors_are_capped_and_the_rest_counted():
    refused = rejection(request(*[endpoint(mac=m, vlan="1") for m in macs(150)]))
    assert len(refused.detail) == 101
    assert refused.detail[99]["loc"] == ["body", "endpoints", 99, "vlan"]
    assert refused.detail[100] == {"loc": ["body"], "msg": "50 more problems not listed",
                                   "type": "value_error.too_many_errors"}


def test_oversized_additional_ips_get_one_error_not_one_per_item():
    refused = rejection(request(endpoint(additional_ips=["192.0.2.1"] * 300)))
    assert [e["loc"] for e in refused.detail] == [["body", "endpoints", 0, "additional_ips"]]


def test_errors_come_in_field_order():
    refused = rejection(request(endpoint(last_seen="x", vlan=True, mac="x", zzz=1), source=""))
    assert [e["loc"][-1] for e in refused.detail] == ["source", "mac", "vlan", "last_seen", "zzz"]
