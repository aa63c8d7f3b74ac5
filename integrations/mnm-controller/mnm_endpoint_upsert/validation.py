# Copyright The otelcol-mnm Authors
# SPDX-License-Identifier: Apache-2.0
"""Reading and validating an upsert request, without FastAPI.

``read_upsert_request`` takes the raw body and its Content-Type and returns a
validated ``UpsertRequest`` or raises ``RequestRejected`` with the HTTP status
and the ``detail`` to answer:

- 415 for a Content-Type that is not JSON, 400 for a body that is not JSON;
- 413 for more than MAX_ENDPOINTS endpoints (checked before anything else in
  the body, so an oversized batch is never validated item by item);
- 422 with FastAPI's detail list, every problem of the whole request at once:
  ``[{"loc": ["body", "endpoints", 3, "hostname"], "msg": ..., "type": ...}]``.

The checks here complement the Field constraints of models.py and behave the
same on pydantic 1 and 2, because they look at the decoded JSON values
themselves.
"""

import ipaddress
import json
import re
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Tuple

from pydantic import ValidationError

from .models import MAX_ADDITIONAL_IPS, MAX_ENDPOINTS, Endpoint, UpsertRequest, field_names, parse_model

ErrorList = List[Dict[str, Any]]

_MAC_RE = re.compile(r"[0-9A-F]{2}(?::[0-9A-F]{2}){5}")
# RFC 3339 date-time in UTC, upper-case T and Z, up to nanosecond fractions.
_TIMESTAMP_RE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,9}))?Z")
# C0 controls (NUL included), DEL, C1 controls, and UTF-16 surrogates (a JSON
# "\ud800" escape decodes to one; it is not text and no database stores it).
_BAD_CHAR_RE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")

_REQUEST_TEXT_FIELDS = ("source", "change_source")
_ENDPOINT_TEXT_FIELDS = ("hostname", "classification", "device_name", "switch_port")
_REQUEST_FIELDS = field_names(UpsertRequest)
_ENDPOINT_FIELDS = field_names(Endpoint)
# Most errors listed in one 422 answer; the rest are counted.
MAX_ERRORS = 100
_EXAMPLE_MAC = "AA:BB:CC:DD:EE:FF"
_EXAMPLE_TIMESTAMP = "2026-11-22T13:00:00Z"


class RequestRejected(Exception):
    """The request is refused: answer status_code with {"detail": detail}."""

    def __init__(self, status_code: int, detail: Any) -> None:
        super().__init__(status_code, detail)
        self.status_code = status_code
        self.detail = detail


def read_upsert_request(body: bytes, content_type: Optional[str]) -> UpsertRequest:
    """Decode and validate a request body; see the module docstring."""
    _check_content_type(content_type)
    payload = decode_json(body)
    check_size(payload)
    return validate_payload(payload)


def _check_content_type(content_type: Optional[str]) -> None:
    if not content_type:
        return  # no header: the body decides
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type == "application/json" or media_type.endswith("+json"):
        return
    raise RequestRejected(415, f"Content-Type must be application/json, not {content_type!r}")


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _object_without_duplicates(pairs: List[Tuple[str, Any]]) -> Dict[str, Any]:
    obj: Dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise ValueError(f"the key {key!r} appears twice in one JSON object")
        obj[key] = value
    return obj


def decode_json(body: bytes) -> Any:
    """The JSON value of body, or RequestRejected(400) naming the problem."""
    if not body or not body.strip():
        raise RequestRejected(400, "the body is empty: send a JSON object with source, "
                                   "change_source and endpoints")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RequestRejected(400, f"the body is not UTF-8 text: invalid byte at offset {exc.start}") from None
    try:
        return json.loads(text, parse_constant=_refuse_constant,
                          object_pairs_hook=_object_without_duplicates)
    except RecursionError:
        raise RequestRejected(400, "the body is not valid JSON: nested too deeply") from None
    except ValueError as exc:  # json.JSONDecodeError is a ValueError
        raise RequestRejected(400, f"the body is not valid JSON: {exc}") from None


def check_size(payload: Any) -> None:
    """RequestRejected(413) when the request carries more than MAX_ENDPOINTS endpoints."""
    if not isinstance(payload, dict):
        return
    endpoints = payload.get("endpoints")
    if isinstance(endpoints, list) and len(endpoints) > MAX_ENDPOINTS:
        raise RequestRejected(
            413,
            f"the request carries {len(endpoints)} endpoints; this controller accepts at most "
            f"{MAX_ENDPOINTS} endpoints per request: lower max_batch_size in the exporter's "
            f"configuration to {MAX_ENDPOINTS} or less")


def validate_payload(payload: Any) -> UpsertRequest:
    """The validated request, or RequestRejected(422) listing every problem."""
    if not isinstance(payload, dict):
        raise RequestRejected(422, [_error(
            ["body"], "must be a JSON object with the fields source, change_source and "
                      f"endpoints, not {_kind(payload)}", "type_error.dict")])

    errors = _check_values(payload)
    # Where a value has the wrong JSON type, our error replaces pydantic's,
    # which may have coerced it (true -> 1) or guessed at it ([] -> {}).
    replaced = [e["loc"] for e in errors if e.pop("replaces_type_error", False)]
    parsed: Optional[UpsertRequest] = None
    try:
        parsed = parse_model(UpsertRequest, payload)
    except ValidationError as exc:
        errors.extend(e for e in _pydantic_errors(exc)
                      if not any(e["loc"][:len(loc)] == loc for loc in replaced))
    if errors or parsed is None:
        errors.sort(key=_error_order)  # request fields first, then endpoint by endpoint
        if len(errors) > MAX_ERRORS:
            more = len(errors) - MAX_ERRORS
            errors = errors[:MAX_ERRORS] + [_error(["body"], f"{more} more problems not listed",
                                                   "value_error.too_many_errors")]
        raise RequestRejected(422, errors)
    return parsed


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------

def _error(loc: List[Any], msg: str, type_: str) -> Dict[str, Any]:
    return {"loc": loc, "msg": msg, "type": type_}


def _type_error(loc: List[Any], msg: str, type_: str) -> Dict[str, Any]:
    """An error that stands instead of pydantic's errors at loc and below."""
    err = _error(loc, msg, type_)
    err["replaces_type_error"] = True
    return err


def _error_order(error: Dict[str, Any]) -> Tuple[int, int]:
    """(endpoint index or -1, position of the field in its model)."""
    loc = error["loc"]
    if len(loc) > 2 and loc[1] == "endpoints" and isinstance(loc[2], int):
        index, names, name = loc[2], _ENDPOINT_FIELDS, loc[3] if len(loc) > 3 else None
    else:
        index, names, name = -1, _REQUEST_FIELDS, loc[1] if len(loc) > 1 else None
    return index, names.index(name) if name in names else len(names)


def _pydantic_errors(exc: ValidationError) -> ErrorList:
    """pydantic's errors (either version) as FastAPI-style body errors."""
    out: ErrorList = []
    for err in exc.errors():
        loc = list(err["loc"])
        msg = str(err["msg"])
        if err["type"] in ("value_error.extra", "extra_forbidden"):
            names = _ENDPOINT_FIELDS if len(loc) == 3 and loc[0] == "endpoints" else _REQUEST_FIELDS
            msg = "unknown field (not part of the upsert contract); the fields are: " + ", ".join(names)
        out.append(_error(["body"] + loc, msg, str(err["type"])))
    return out


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number with a fraction or exponent"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _show(value: Any, limit: int = 48) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


# ---------------------------------------------------------------------------
# Value checks (on the decoded JSON, so identical on pydantic 1 and 2)
# ---------------------------------------------------------------------------

def _check_values(payload: Dict[str, Any]) -> ErrorList:
    errors: ErrorList = []
    for name in _REQUEST_TEXT_FIELDS:
        _check_text(errors, ["body", name], payload.get(name))
    endpoints = payload.get("endpoints")
    if isinstance(endpoints, list):
        for index, endpoint in enumerate(endpoints):
            loc = ["body", "endpoints", index]
            if isinstance(endpoint, dict):
                _check_endpoint(errors, loc, endpoint)
            else:  # pydantic 1 would read an array of pairs as an object
                errors.append(_type_error(loc, f"must be a JSON object (an endpoint), not {_kind(endpoint)}",
                                          "type_error.dict"))
    return errors


def _check_endpoint(errors: ErrorList, loc: List[Any], ep: Dict[str, Any]) -> None:
    mac = ep.get("mac")
    if isinstance(mac, str) and not _MAC_RE.fullmatch(mac):
        if _MAC_RE.fullmatch(mac.upper()):
            errors.append(_error(loc + ["mac"], f"must be upper case: {mac.upper()!r}, not {mac!r}",
                                 "value_error.mac.case"))
        else:
            errors.append(_error(loc + ["mac"], f"{_show(mac)} is not a MAC address written as "
                                                f"{_EXAMPLE_MAC} (upper-case hex, colon separated)",
                                 "value_error.mac"))

    ip = ep.get("ip")
    if isinstance(ip, str):
        problem = _ip_problem(ip)
        if problem:
            errors.append(_error(loc + ["ip"], problem, "value_error.ip_address"))

    additional = ep.get("additional_ips")
    if isinstance(additional, list) and len(additional) <= MAX_ADDITIONAL_IPS:  # else: one size error
        seen: Dict[Any, int] = {}
        for i, value in enumerate(additional):
            if not isinstance(value, str):
                continue  # pydantic reports the type
            problem = _ip_problem(value)
            if problem:
                errors.append(_error(loc + ["additional_ips", i], problem, "value_error.ip_address"))
                continue
            address = ipaddress.ip_address(value)
            if address in seen:
                errors.append(_error(loc + ["additional_ips", i],
                                     f"duplicate: {value!r} is the same address as "
                                     f"additional_ips[{seen[address]}]", "value_error.duplicate"))
            else:
                seen[address] = i

    for name in _ENDPOINT_TEXT_FIELDS:
        _check_text(errors, loc + [name], ep.get(name))

    if "vlan" in ep:
        vlan = ep["vlan"]
        if type(vlan) is not int:  # bool is a subclass of int: refused too
            errors.append(_type_error(loc + ["vlan"], f"must be a JSON integer from 0 to 4094, not "
                                                      f"{_kind(vlan)} ({_show(vlan)})", "type_error.integer"))

    last_seen = _check_timestamp(errors, loc + ["last_seen"], ep.get("last_seen"))
    first_seen = _check_timestamp(errors, loc + ["first_seen"], ep.get("first_seen"))
    if first_seen is not None and last_seen is not None and first_seen > last_seen:
        errors.append(_error(loc + ["first_seen"],
                             f"{ep['first_seen']!r} is later than last_seen {ep['last_seen']!r}; "
                             "first_seen must not be after last_seen", "value_error.first_seen"))


def _check_text(errors: ErrorList, loc: List[Any], value: Any) -> None:
    if not isinstance(value, str):
        return  # missing or not a string: pydantic reports it
    bad = _BAD_CHAR_RE.search(value)
    if bad is None:
        return
    char = bad.group()
    if "\ud800" <= char <= "\udfff":
        msg = (f"contains an unpaired UTF-16 surrogate U+{ord(char):04X} at position {bad.start()}; "
               "it is not text")
    else:
        msg = (f"contains the control character U+{ord(char):04X} at position {bad.start()}; "
               "control characters (C0 including NUL, DEL, C1) are not allowed")
    errors.append(_error(loc, msg, "value_error.control_character"))


def _ip_problem(value: str) -> Optional[str]:
    """Why value is not a bare IPv4 or IPv6 address, or None when it is one."""
    if "/" in value:
        return f"{_show(value)} has a /prefix length: send the bare address"
    if "%" in value:
        return f"{_show(value)} has a %zone: send the bare address"
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return f"{_show(value)} is not an IPv4 or IPv6 address"
    return None


def _check_timestamp(errors: ErrorList, loc: List[Any], value: Any) -> Optional[Tuple[datetime, int]]:
    """The instant of an RFC 3339 UTC timestamp as (second, nanoseconds), or
    None after recording why it is not one (or when it is absent/not a string)."""
    if not isinstance(value, str):
        return None
    match = _TIMESTAMP_RE.fullmatch(value)
    if match is None:
        if re.search(r"[+-][0-9]{2}:?[0-9]{2}$", value):
            msg = f"{_show(value)} has a UTC offset: send UTC with suffix Z, like {_EXAMPLE_TIMESTAMP}"
        else:
            msg = f"{_show(value)} is not an RFC 3339 UTC timestamp like {_EXAMPLE_TIMESTAMP}"
        errors.append(_error(loc, msg, "value_error.timestamp"))
        return None
    year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
    try:
        instant = datetime(year, month, day, hour, minute, second, tzinfo=timezone.utc)
    except ValueError as exc:
        errors.append(_error(loc, f"{_show(value)} is not a valid date and time: {exc}",
                             "value_error.timestamp"))
        return None
    return instant, int((match.group(7) or "").ljust(9, "0"))
