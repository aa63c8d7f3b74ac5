# Copyright The otelcol-mnm Authors
# SPDX-License-Identifier: Apache-2.0
"""In-memory, async stand-in for MNM's endpoint store.

``MemoryStore.upsert_endpoint`` follows the rules of MNM controller/app/
endpoint_store.py ``upsert_endpoint`` (v1.0.1) as the upsert contract lists them
(written from those rules, not copied); ``get_endpoint`` follows
endpoint_store.py ``get_endpoint`` and ``anomalies`` the ip_conflicts and
multi_location parts of endpoint_store.py ``get_anomalies``.

Knobs: ``fail_on`` (MACs whose upsert raises, before writing anything, like a
database error that rolls the session back) and ``clock`` (the "now" used when a
record has no first_seen/last_seen, and for event timestamps).
"""

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

NONE = "(none)"  # MNM's placeholder for an empty switch or port
Key = Tuple[str, str, str, int]


class OperationalError(Exception):
    """Stands in for a database driver error (its message carries a secret the
    route must never echo)."""


@dataclass
class Row:
    """One row of MNM's endpoints table, keyed (mac, switch, port, vlan)."""
    mac: str
    switch: str
    port: str
    vlan: int
    active: bool
    ip: Optional[str]
    additional_ips: List[str]
    hostname: str
    classification: str
    first_seen: datetime
    last_seen: datetime
    data_source: str
    classification_override: bool = False

    @property
    def key(self) -> Key:
        return (self.mac, self.switch, self.port, self.vlan)


@dataclass
class Event:
    mac: str
    event_type: str
    old_value: Optional[str]
    new_value: Optional[str]
    timestamp: datetime


@dataclass
class Change:
    mac: str
    field_name: str
    old_value: Optional[str]
    new_value: Optional[str]
    change_source: str


def _parse_time(value: Any) -> Optional[datetime]:
    """Like endpoint_store.py _parse_dt: ISO text with "Z" read as +00:00, None
    when absent or unreadable."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


@dataclass
class MemoryStore:
    clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)
    fail_on: Set[str] = field(default_factory=set)
    rows: Dict[Key, Row] = field(default_factory=dict)
    events: List[Event] = field(default_factory=list)
    changes: List[Change] = field(default_factory=list)
    calls: List[Dict[str, Any]] = field(default_factory=list)

    # -- endpoint_store.py upsert_endpoint ---------------------------------
    async def upsert_endpoint(self, ep_dict: Dict[str, Any], source: str = "infrastructure",
                              change_source: Optional[str] = None) -> Dict[str, Any]:
        self.calls.append({"ep_dict": dict(ep_dict), "source": source, "change_source": change_source})
        mac = (ep_dict.get("mac") or "").upper()
        if not mac:
            return {"action": "skipped", "events": []}
        if mac in self.fail_on:
            raise OperationalError("connection to db:5432 failed: password=s3cr3t-db-password")

        ip = ep_dict.get("ip") or None
        ips = list(ep_dict.get("additional_ips") or [])
        if ip and ip not in ips:
            ips.append(ip)
        switch = ep_dict.get("device_name") or NONE
        port = ep_dict.get("switch_port") or NONE
        vlan = int(ep_dict.get("vlan") or 0)
        hostname = ep_dict.get("hostname") or None
        classification = ep_dict.get("classification") or ""
        now = self.clock()
        last_seen = _parse_time(ep_dict.get("last_seen")) or now
        first_seen = _parse_time(ep_dict.get("first_seen")) or now
        key: Key = (mac, switch, port, vlan)

        exact = self.rows.get(key)  # active or not
        if exact is None and vlan != 0:
            # "VLAN upgrade": the untagged/unknown row of this location goes away.
            self.rows.pop((mac, switch, port, 0), None)

        prior: Optional[Row] = None
        for row in self._active(mac):
            if exact is None or row.key != key:
                row.active = False
                prior = row  # the last one iterated

        events: List[Tuple[str, Optional[str], Optional[str]]] = []
        diffs: List[Tuple[str, Optional[str], Optional[str]]] = []
        action = "unchanged"
        if exact is not None:
            if not exact.active:
                exact.active = True
                action = "updated"
            if ip and exact.ip and ip != exact.ip:
                events.append(("ip_changed", exact.ip, ip))
                diffs.append(("ip", exact.ip, ip))
                action = "updated"
            if hostname and exact.hostname and hostname != exact.hostname:
                events.append(("hostname_changed", exact.hostname, hostname))
                diffs.append(("hostname", exact.hostname, hostname))
                action = "updated"
            if classification and exact.classification != classification:
                diffs.append(("classification", exact.classification or None, classification))
            if ip:
                exact.ip = ip
            if ips:
                exact.additional_ips = exact.additional_ips + [a for a in ips if a and a not in exact.additional_ips]
            if hostname:
                exact.hostname = hostname
            if classification and not exact.classification_override:
                exact.classification = classification
            exact.last_seen = last_seen  # even when older
            if exact.data_source and exact.data_source != source:
                exact.data_source = "both"
            elif not exact.data_source:
                exact.data_source = source
        else:
            self.rows[key] = Row(mac=mac, switch=switch, port=port, vlan=vlan, active=True, ip=ip,
                                 additional_ips=list(ips), hostname=hostname or "",
                                 classification=classification, first_seen=first_seen,
                                 last_seen=last_seen, data_source=source)
            if prior is None:
                events.append(("appeared", None, mac))
                action = "new"
            else:
                if prior.switch != switch:
                    events.append(("moved_switch", prior.switch, switch))
                    diffs.append(("switch", prior.switch, switch))
                else:
                    events.append(("moved_port", prior.port, port))
                    diffs.append(("port", prior.port, port))
                if prior.vlan != vlan:
                    diffs.append(("vlan", str(prior.vlan), str(vlan)))
                if ip and prior.ip and ip != prior.ip:
                    events.append(("ip_changed", prior.ip, ip))
                    diffs.append(("ip", prior.ip, ip))
                if hostname and prior.hostname and hostname != prior.hostname:
                    events.append(("hostname_changed", prior.hostname, hostname))
                    diffs.append(("hostname", prior.hostname, hostname))
                action = "updated"

        for event_type, old, new in events:
            self.events.append(Event(mac, event_type, old, new, now))
        recorded_as = change_source or source or "unknown"
        for name, old, new in diffs:
            self.changes.append(Change(mac, name, old, new, recorded_as))

        # The addresses belong to the MAC: share them across its active rows.
        siblings = self._active(mac)
        canonical = ip or next((s.ip for s in siblings if s.ip), None)
        union: List[str] = []
        for address in [a for s in siblings for a in [s.ip] + s.additional_ips] + ips:
            if address and address not in union:
                union.append(address)
        for s in siblings:
            if canonical and not s.ip:
                s.ip = canonical
            if union:
                s.additional_ips = [a for a in union if a != s.ip]

        return {"action": action, "events": [e[0] for e in events]}

    # -- reads ----------------------------------------------------------------
    def _active(self, mac: str) -> List[Row]:
        return [r for r in self.rows.values() if r.mac == mac and r.active]

    def rows_of(self, mac: str) -> List[Row]:
        return [r for r in self.rows.values() if r.mac == mac.upper()]

    def get_endpoint(self, mac: str) -> Optional[Dict[str, Any]]:
        """endpoint_store.py get_endpoint: the active row seen last, else the
        row seen last."""
        rows = self.rows_of(mac)
        pick = sorted((r for r in rows if r.active), key=lambda r: r.last_seen) or \
            sorted(rows, key=lambda r: r.last_seen)
        if not pick:
            return None
        row = pick[-1]
        return {"mac": row.mac, "ip": row.ip, "additional_ips": list(row.additional_ips),
                "hostname": row.hostname, "classification": row.classification,
                "device_name": row.switch, "switch_port": row.port, "vlan": row.vlan,
                "active": row.active, "first_seen": row.first_seen.isoformat(),
                "last_seen": row.last_seen.isoformat(), "source": row.data_source}

    def anomalies(self) -> Dict[str, List[Dict[str, Any]]]:
        """endpoint_store.py get_anomalies, ip_conflicts and multi_location only."""
        active = [r for r in self.rows.values() if r.active]
        macs_by_ip: Dict[str, Set[str]] = {}
        switches_by_mac: Dict[str, Set[str]] = {}
        for r in active:
            if r.ip:
                macs_by_ip.setdefault(r.ip, set()).add(r.mac)
            if r.switch != NONE:
                switches_by_mac.setdefault(r.mac, set()).add(r.switch)
        return {
            "ip_conflicts": [{"ip": ip, "macs": sorted(m)} for ip, m in sorted(macs_by_ip.items()) if len(m) > 1],
            "multi_location": [{"mac": mac, "switches": sorted(s)}
                               for mac, s in sorted(switches_by_mac.items()) if len(s) > 1],
        }
