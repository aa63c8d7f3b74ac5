# Copyright The otelcol-mnm Authors
# SPDX-License-Identifier: Apache-2.0
"""Request bodies and the table of field rules, shared by the HTTP tests
(test_endpoint_fields.py) and the FastAPI-free ones (test_validation_core.py)."""

import copy
from typing import Any, Dict, List, Sequence

import pytest

LAST_SEEN = "2026-11-22T13:00:00Z"
MISSING = object()  # as an override value: remove the field


def endpoint(**overrides: Any) -> Dict[str, Any]:
    """A valid endpoint as the exporter sends it (README example), with overrides."""
    ep: Dict[str, Any] = {
        "mac": "BC:24:11:C3:C7:41",
        "ip": "192.0.2.10",
        "additional_ips": ["2001:db8::10"],
        "hostname": "web01",
        "classification": "virtual_machine",
        "device_name": "pve1",
        "switch_port": "vmbr0",
        "vlan": 110,
        "last_seen": LAST_SEEN,
    }
    return apply(ep, overrides)


def request(*endpoints: Dict[str, Any], **overrides: Any) -> Dict[str, Any]:
    body: Dict[str, Any] = {
        "source": "proxmox",
        "change_source": "proxmox",
        "endpoints": list(endpoints) if endpoints else [endpoint()],
    }
    return apply(body, overrides)


def apply(obj: Dict[str, Any], overrides: Dict[str, Any]) -> Dict[str, Any]:
    obj = copy.deepcopy(obj)
    for key, value in overrides.items():
        if value is MISSING:
            obj.pop(key, None)
        else:
            obj[key] = value
    return obj


def macs(n: int) -> List[str]:
    """n distinct valid MACs."""
    return [f"BC:24:11:{i >> 16 & 255:02X}:{i >> 8 & 255:02X}:{i & 255:02X}" for i in range(n)]


def case(overrides: Dict[str, Any], loc: Sequence[Any], *fragments: str, id: str) -> Any:
    """An invalid endpoint: endpoint(**overrides) must be refused with an error
    at ["body", "endpoints", 0, *loc] whose msg contains one of fragments
    (alternatives: pydantic 1 and 2 word their own messages differently)."""
    return pytest.param(overrides, tuple(loc), fragments, id=id)


STR = ("str type expected", "valid string")
CONTROL = ("control character",)
RFC3339 = ("rfc 3339 utc timestamp",)
INTEGER = ("must be a json integer from 0 to 4094",)
ENDPOINT_FIELDS = ["mac", "ip", "additional_ips", "hostname", "classification",
                   "device_name", "switch_port", "vlan", "last_seen"]
LONG_IPS = [f"10.0.{i >> 8}.{i & 255}" for i in range(257)]

INVALID_ENDPOINTS = [
    # mac: upper case, colon separated, six octets
    case({"mac": "bc:24:11:c3:c7:41"}, ["mac"], "must be upper case: 'bc:24:11:c3:c7:41'", id="mac-lower-case"),
    case({"mac": "Bc:24:11:C3:C7:41"}, ["mac"], "must be upper case", id="mac-mixed-case"),
    case({"mac": "BC-24-11-C3-C7-41"}, ["mac"], "aa:bb:cc:dd:ee:ff", id="mac-dashes"),
    case({"mac": "bc24.11c3.c741"}, ["mac"], "not a mac address", id="mac-cisco"),
    case({"mac": "BC2411C3C741"}, ["mac"], "not a mac address", id="mac-bare-hex"),
    case({"mac": "BC:24:11:C3:C7"}, ["mac"], "not a mac address", id="mac-five-octets"),
    case({"mac": "BC:24:11:C3:C7:41:00"}, ["mac"], "not a mac address", id="mac-seven-octets"),
    case({"mac": "BC:24:11:C3:C7:4G"}, ["mac"], "not a mac address", id="mac-not-hex"),
    case({"mac": "BC:24:11:C3:C7:41\n"}, ["mac"], "not a mac address", id="mac-trailing-newline"),
    case({"mac": " BC:24:11:C3:C7:41"}, ["mac"], "not a mac address", id="mac-leading-space"),
    case({"mac": ""}, ["mac"], "not a mac address", id="mac-empty"),
    case({"mac": 123}, ["mac"], *STR, id="mac-number"),
    case({"mac": None}, ["mac"], "none is not an allowed value", "valid string", id="mac-null"),
    # ip: a bare IPv4/IPv6 address or null
    case({"ip": "192.0.2.10/24"}, ["ip"], "/prefix length", id="ip-v4-prefix"),
    case({"ip": "2001:db8::10/64"}, ["ip"], "/prefix length", id="ip-v6-prefix"),
    case({"ip": "fe80::1%eth0"}, ["ip"], "%zone", id="ip-zone"),
    case({"ip": "192.0.2.256"}, ["ip"], "not an ipv4 or ipv6 address", id="ip-octet-too-big"),
    case({"ip": "192.0.2"}, ["ip"], "not an ipv4 or ipv6 address", id="ip-three-octets"),
    case({"ip": "192.0.02.10"}, ["ip"], "not an ipv4 or ipv6 address", id="ip-leading-zero"),
    case({"ip": " 192.0.2.10"}, ["ip"], "not an ipv4 or ipv6 address", id="ip-space"),
    case({"ip": "web01"}, ["ip"], "not an ipv4 or ipv6 address", id="ip-name"),
    case({"ip": "2001:db8:::1"}, ["ip"], "not an ipv4 or ipv6 address", id="ip-v6-bad"),
    case({"ip": ""}, ["ip"], "not an ipv4 or ipv6 address", id="ip-empty-string"),
    case({"ip": 3221225994}, ["ip"], *STR, id="ip-number"),
    case({"ip": ["192.0.2.10"]}, ["ip"], *STR, id="ip-array"),
    # additional_ips: a list (maybe empty) of distinct addresses, at most 256
    case({"additional_ips": ["192.0.2.11", "192.0.2.11"]}, ["additional_ips", 1], "duplicate", id="extra-ips-duplicate"),
    case({"additional_ips": ["2001:db8::1", "2001:DB8:0::1"]}, ["additional_ips", 1], "same address as additional_ips[0]", id="extra-ips-duplicate-spelling"),
    case({"additional_ips": ["192.0.2.11", "nope"]}, ["additional_ips", 1], "not an ipv4 or ipv6 address", id="extra-ips-invalid"),
    case({"additional_ips": ["10.0.0.1/8"]}, ["additional_ips", 0], "/prefix length", id="extra-ips-prefix"),
    case({"additional_ips": ["fe80::1%2"]}, ["additional_ips", 0], "%zone", id="extra-ips-zone"),
    case({"additional_ips": [1]}, ["additional_ips", 0], *STR, id="extra-ips-number-item"),
    case({"additional_ips": [None]}, ["additional_ips", 0], "none is not an allowed value", "valid string", id="extra-ips-null-item"),
    case({"additional_ips": "192.0.2.11"}, ["additional_ips"], "valid list", id="extra-ips-string"),
    case({"additional_ips": None}, ["additional_ips"], "none is not an allowed value", "valid list", id="extra-ips-null"),
    case({"additional_ips": LONG_IPS}, ["additional_ips"], "at most 256 item", id="extra-ips-257"),
    # hostname: text without control characters, at most 255 characters, may be ""
    case({"hostname": "web\x0001"}, ["hostname"], "u+0000 at position 3", id="hostname-nul"),
    case({"hostname": "web\t01"}, ["hostname"], *CONTROL, id="hostname-tab"),
    case({"hostname": "web01\n"}, ["hostname"], *CONTROL, id="hostname-newline"),
    case({"hostname": "web\r01"}, ["hostname"], *CONTROL, id="hostname-cr"),
    case({"hostname": "\x1b[31mweb"}, ["hostname"], "u+001b", id="hostname-escape"),
    case({"hostname": "web\x7f"}, ["hostname"], "u+007f", id="hostname-del"),
    case({"hostname": "web\x85"}, ["hostname"], "u+0085", id="hostname-c1-nel"),
    case({"hostname": "web\x9b"}, ["hostname"], "u+009b", id="hostname-c1-csi"),
    case({"hostname": "web\ud800"}, ["hostname"], "surrogate", id="hostname-lone-surrogate"),
    case({"hostname": "h" * 256}, ["hostname"], "at most 255 character", id="hostname-256"),
    case({"hostname": None}, ["hostname"], "none is not an allowed value", "valid string", id="hostname-null"),
    case({"hostname": 5}, ["hostname"], *STR, id="hostname-number"),
    # classification: at most 64, no control characters
    case({"classification": "c" * 65}, ["classification"], "at most 64 character", id="classification-65"),
    case({"classification": "virtual\x07machine"}, ["classification"], *CONTROL, id="classification-bell"),
    case({"classification": None}, ["classification"], "none is not an allowed value", "valid string", id="classification-null"),
    # device_name / switch_port: at most 255, no control characters
    case({"device_name": "d" * 256}, ["device_name"], "at most 255 character", id="device-name-256"),
    case({"device_name": "pve1\n"}, ["device_name"], *CONTROL, id="device-name-newline"),
    case({"device_name": True}, ["device_name"], *STR, id="device-name-bool"),
    case({"switch_port": "p" * 256}, ["switch_port"], "at most 255 character", id="switch-port-256"),
    case({"switch_port": "vmbr\x000"}, ["switch_port"], *CONTROL, id="switch-port-nul"),
    case({"switch_port": 0}, ["switch_port"], *STR, id="switch-port-number"),
    # vlan: a JSON integer 0..4094; bool, string and float are not integers
    case({"vlan": True}, ["vlan"], "not a boolean", id="vlan-true"),
    case({"vlan": False}, ["vlan"], "not a boolean", id="vlan-false"),
    case({"vlan": "110"}, ["vlan"], "not a string", id="vlan-string"),
    case({"vlan": "0"}, ["vlan"], "not a string", id="vlan-string-zero"),
    case({"vlan": 110.0}, ["vlan"], "not a number with a fraction", id="vlan-float-integral"),
    case({"vlan": 1.5}, ["vlan"], "not a number with a fraction", id="vlan-float"),
    case({"vlan": 1e2}, ["vlan"], "not a number with a fraction", id="vlan-exponent"),
    case({"vlan": None}, ["vlan"], "not null", id="vlan-null"),
    case({"vlan": [110]}, ["vlan"], "not an array", id="vlan-array"),
    case({"vlan": {"id": 110}}, ["vlan"], "not an object", id="vlan-object"),
    case({"vlan": -1}, ["vlan"], "greater than or equal to 0", id="vlan-negative"),
    case({"vlan": 4095}, ["vlan"], "less than or equal to 4094", id="vlan-4095"),
    case({"vlan": 10 ** 30}, ["vlan"], "less than or equal to 4094", id="vlan-huge"),
    # last_seen: RFC 3339 UTC with suffix Z
    case({"last_seen": "2026-11-22T13:00:00+00:00"}, ["last_seen"], "utc offset", id="last-seen-offset"),
    case({"last_seen": "2026-11-22T14:00:00+01:00"}, ["last_seen"], "send utc with suffix z", id="last-seen-other-offset"),
    case({"last_seen": "2026-11-22T13:00:00"}, ["last_seen"], *RFC3339, id="last-seen-no-zone"),
    case({"last_seen": "2026-11-22 13:00:00Z"}, ["last_seen"], *RFC3339, id="last-seen-space"),
    case({"last_seen": "2026-11-22t13:00:00z"}, ["last_seen"], *RFC3339, id="last-seen-lower-case"),
    case({"last_seen": "2026-11-22"}, ["last_seen"], *RFC3339, id="last-seen-date-only"),
    case({"last_seen": "1795352400"}, ["last_seen"], *RFC3339, id="last-seen-unix-text"),
    case({"last_seen": "2026-11-22T13:00:00.1234567890Z"}, ["last_seen"], *RFC3339, id="last-seen-ten-digit-fraction"),
    case({"last_seen": "2026-11-22T13:00:00.Z"}, ["last_seen"], *RFC3339, id="last-seen-empty-fraction"),
    case({"last_seen": ""}, ["last_seen"], *RFC3339, id="last-seen-empty"),
    case({"last_seen": "2026-02-30T13:00:00Z"}, ["last_seen"], "not a valid date and time", id="last-seen-feb-30"),
    case({"last_seen": "2026-11-22T24:00:00Z"}, ["last_seen"], "not a valid date and time", id="last-seen-hour-24"),
    case({"last_seen": "2026-11-22T13:00:60Z"}, ["last_seen"], "not a valid date and time", id="last-seen-second-60"),
    case({"last_seen": 1795352400}, ["last_seen"], *STR, id="last-seen-number"),
    case({"last_seen": None}, ["last_seen"], "none is not an allowed value", "valid string", id="last-seen-null"),
    # first_seen: optional, same format, not after last_seen
    case({"first_seen": "2026-11-21T13:00:00+00:00"}, ["first_seen"], "utc offset", id="first-seen-offset"),
    case({"first_seen": "yesterday"}, ["first_seen"], *RFC3339, id="first-seen-word"),
    case({"first_seen": "2026-13-01T00:00:00Z"}, ["first_seen"], "not a valid date and time", id="first-seen-month-13"),
    case({"first_seen": 1795266000}, ["first_seen"], *STR, id="first-seen-number"),
    case({"first_seen": "2026-11-22T13:00:01Z"}, ["first_seen"], "later than last_seen", id="first-seen-after-last-seen"),
    case({"first_seen": "2026-11-22T13:00:00.000000002Z", "last_seen": "2026-11-22T13:00:00.000000001Z"},
         ["first_seen"], "later than last_seen", id="first-seen-after-last-seen-by-1ns"),
    case({"first_seen": "2027-01-01T00:00:00Z"}, ["first_seen"], "must not be after last_seen", id="first-seen-next-year"),
    # unknown fields are refused, naming the field
    case({"hostnme": "web01"}, ["hostnme"], "unknown field", id="unknown-field-typo"),
    case({"is_access_port": False}, ["is_access_port"], "unknown field", id="unknown-field-mnm-internal"),
    case({"current_vlan": 110}, ["current_vlan"], "unknown field", id="unknown-field-mnm-alias"),
] + [
    case({name: MISSING}, [name], "field required", id=f"missing-{name}") for name in ENDPOINT_FIELDS
]

# Valid variations: accepted, and handed to the store exactly as sent.
VALID_ENDPOINTS = [
    pytest.param({"ip": None}, id="ip-null"),
    pytest.param({"ip": "2001:db8::10", "additional_ips": []}, id="ip-v6"),
    pytest.param({"ip": "::ffff:192.0.2.10"}, id="ip-v4-mapped-v6"),
    pytest.param({"additional_ips": []}, id="extra-ips-empty"),
    pytest.param({"additional_ips": LONG_IPS[:256]}, id="extra-ips-256"),
    pytest.param({"additional_ips": ["192.0.2.10"]}, id="extra-ips-holds-primary"),
    pytest.param({"hostname": ""}, id="hostname-empty"),
    pytest.param({"hostname": "h" * 255}, id="hostname-255"),
    pytest.param({"hostname": "wéb-ünïcode 01 ☃"}, id="hostname-unicode"),
    pytest.param({"hostname": "\u00a0web\u00a0"}, id="hostname-nbsp-is-not-control"),
    pytest.param({"classification": ""}, id="classification-empty"),
    pytest.param({"classification": "c" * 64}, id="classification-64"),
    pytest.param({"device_name": "", "switch_port": ""}, id="no-device-no-port"),
    pytest.param({"device_name": "d" * 255, "switch_port": "p" * 255}, id="device-port-255"),
    pytest.param({"vlan": 0}, id="vlan-0"),
    pytest.param({"vlan": 4094}, id="vlan-4094"),
    pytest.param({"last_seen": "2026-11-22T13:00:00.5Z"}, id="last-seen-fraction"),
    pytest.param({"last_seen": "2026-11-22T13:00:00.123456789Z"}, id="last-seen-nanoseconds"),
    pytest.param({"last_seen": "2028-02-29T23:59:59Z"}, id="last-seen-leap-day"),
    pytest.param({"first_seen": "2026-11-01T08:00:00Z"}, id="first-seen-earlier"),
    pytest.param({"first_seen": LAST_SEEN}, id="first-seen-equal"),
    pytest.param({"first_seen": "2026-11-22T13:00:00.999999999Z", "last_seen": "2026-11-22T13:00:01Z"},
                 id="first-seen-1ns-earlier"),
]

# Invalid requests beyond single endpoint fields: (body, loc, msg fragments).
INVALID_REQUESTS = [
    pytest.param(request(source=""), ("body", "source"), ("at least 1 character",), id="source-empty"),
    pytest.param(request(source="s" * 65), ("body", "source"), ("at most 64 character",), id="source-65"),
    pytest.param(request(source="prox\x00mox"), ("body", "source"), CONTROL, id="source-nul"),
    pytest.param(request(source="proxmox\n"), ("body", "source"), CONTROL, id="source-newline"),
    pytest.param(request(source=7), ("body", "source"), STR, id="source-number"),
    pytest.param(request(source=None), ("body", "source"), ("none is not an allowed value", "valid string"), id="source-null"),
    pytest.param(request(source=MISSING), ("body", "source"), ("field required",), id="source-missing"),
    pytest.param(request(change_source=""), ("body", "change_source"), ("at least 1 character",), id="change-source-empty"),
    pytest.param(request(change_source="c" * 65), ("body", "change_source"), ("at most 64 character",), id="change-source-65"),
    pytest.param(request(change_source="otel\x1fcol"), ("body", "change_source"), CONTROL, id="change-source-control"),
    pytest.param(request(change_source=["proxmox"]), ("body", "change_source"), STR, id="change-source-array"),
    pytest.param(request(change_source=MISSING), ("body", "change_source"), ("field required",), id="change-source-missing"),
    pytest.param(request(endpoints=[]), ("body", "endpoints"), ("at least 1 item",), id="endpoints-empty"),
    pytest.param(request(endpoints={"mac": "BC:24:11:C3:C7:41"}), ("body", "endpoints"), ("valid list",), id="endpoints-object"),
    pytest.param(request(endpoints=None), ("body", "endpoints"), ("none is not an allowed value", "valid list"), id="endpoints-null"),
    pytest.param(request(endpoints=MISSING), ("body", "endpoints"), ("field required",), id="endpoints-missing"),
    pytest.param(request(endpoints=["BC:24:11:C3:C7:41"]), ("body", "endpoints", 0), ("must be a json object (an endpoint), not a string",), id="endpoint-string"),
    pytest.param(request(endpoints=[[]]), ("body", "endpoints", 0), ("must be a json object (an endpoint), not an array",), id="endpoint-array"),
    pytest.param(request(endpoints=[None]), ("body", "endpoints", 0), ("not null",), id="endpoint-null"),
    pytest.param(request(endpoints=[[["mac", "BC:24:11:C3:C7:41"]]]), ("body", "endpoints", 0), ("not an array",),
                 id="endpoint-array-of-pairs"),
    pytest.param(request(sourc="proxmox"), ("body", "sourc"), ("unknown field",), id="unknown-top-level-field"),
    pytest.param([request()], ("body",), ("must be a json object", "not an array"), id="body-array"),
    pytest.param("proxmox", ("body",), ("must be a json object",), id="body-string"),
    pytest.param(42, ("body",), ("not an integer",), id="body-number"),
    pytest.param(None, ("body",), ("not null",), id="body-null"),
]
