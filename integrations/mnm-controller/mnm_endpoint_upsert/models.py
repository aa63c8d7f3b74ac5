# Copyright The otelcol-mnm Authors
# SPDX-License-Identifier: Apache-2.0
"""Request models of ``POST /api/endpoints/upsert`` (upsert contract v2).

Types, required fields and size limits are declared here, once, as pydantic
``Field`` constraints. The code runs unchanged on pydantic 1.10 (Debian 12's
python3-fastapi 0.92) and pydantic 2 (current FastAPI): plain annotations,
``StrictStr`` (which exists in both), and the ``Field`` keywords that pydantic 2
renamed chosen by version in ``_list_size``. What pydantic cannot express in the
same way in both versions (MAC and IP syntax, control characters, RFC 3339
timestamps, duplicate addresses, a VLAN that must be a JSON integer) is checked
in ``validation.py``, which also turns pydantic's errors into FastAPI's 422 shape.

This module does not import FastAPI.
"""

from typing import Any, Dict, List, Optional, Tuple

import pydantic
from pydantic import BaseModel, Field, StrictStr

PYDANTIC_V2 = int(pydantic.VERSION.split(".", 1)[0]) >= 2

# Most endpoints in one request; more is answered 413 (before validation).
MAX_ENDPOINTS = 1000
# Most entries in one endpoint's additional_ips.
MAX_ADDITIONAL_IPS = 256


def _list_size(min_items: Optional[int] = None, max_items: Optional[int] = None) -> Dict[str, int]:
    """Field keywords for a list's size: min_items/max_items in pydantic 1,
    min_length/max_length in pydantic 2 (which rejects the old names)."""
    low, high = ("min_length", "max_length") if PYDANTIC_V2 else ("min_items", "max_items")
    out: Dict[str, int] = {}
    if min_items is not None:
        out[low] = min_items
    if max_items is not None:
        out[high] = max_items
    return out


class _Closed(BaseModel):
    """Base of the request models: an unknown field is an error, so a typo in a
    field name is refused instead of silently dropped."""

    if PYDANTIC_V2:
        model_config = pydantic.ConfigDict(extra="forbid")
    else:
        class Config:
            extra = "forbid"


class Endpoint(_Closed):
    """One network interface of one endpoint."""

    # Syntax checked in validation.py: ^[0-9A-F]{2}(:[0-9A-F]{2}){5}$.
    mac: StrictStr
    # Required, may be null. Syntax checked in validation.py.
    ip: Optional[StrictStr] = Field(...)
    additional_ips: List[StrictStr] = Field(..., **_list_size(max_items=MAX_ADDITIONAL_IPS))
    hostname: StrictStr = Field(..., max_length=255)
    classification: StrictStr = Field(..., max_length=64)
    device_name: StrictStr = Field(..., max_length=255)
    switch_port: StrictStr = Field(..., max_length=255)
    # pydantic would coerce true, "5" and 5.0 to an int; validation.py refuses
    # every JSON value that is not an integer before this type is trusted.
    vlan: int = Field(..., ge=0, le=4094)
    # RFC 3339 UTC with suffix Z; checked in validation.py.
    last_seen: StrictStr
    # Optional: older exporters do not send it. null is taken as absent.
    first_seen: Optional[StrictStr] = None

    def store_record(self) -> Dict[str, Any]:
        """The ep_dict handed to MNM's endpoint_store.upsert_endpoint: the
        endpoint's fields as received, first_seen only when it was given."""
        record: Dict[str, Any] = {
            "mac": self.mac,
            "ip": self.ip,
            "additional_ips": list(self.additional_ips),
            "hostname": self.hostname,
            "classification": self.classification,
            "device_name": self.device_name,
            "switch_port": self.switch_port,
            "vlan": self.vlan,
            "last_seen": self.last_seen,
        }
        if self.first_seen is not None:
            record["first_seen"] = self.first_seen
        return record


class UpsertRequest(_Closed):
    """Body of POST /api/endpoints/upsert: the endpoints of one source."""

    source: StrictStr = Field(..., min_length=1, max_length=64)
    change_source: StrictStr = Field(..., min_length=1, max_length=64)
    # The upper bound (MAX_ENDPOINTS) is enforced before validation, as a 413.
    endpoints: List[Endpoint] = Field(..., **_list_size(min_items=1))


def parse_model(model: type, data: Any) -> Any:
    """Validate data into model; raises pydantic.ValidationError."""
    if PYDANTIC_V2:
        return model.model_validate(data)
    return model.parse_obj(data)


def field_names(model: type) -> Tuple[str, ...]:
    """The model's field names, in declaration order."""
    fields = model.model_fields if PYDANTIC_V2 else model.__fields__
    return tuple(fields)
