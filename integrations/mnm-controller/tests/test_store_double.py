# Copyright The otelcol-mnm Authors
# SPDX-License-Identifier: Apache-2.0
"""The store double itself: each test names the MNM function (controller/app/
endpoint_store.py, v1.0.1) and the rule of it that the double reproduces, so
that the route's tests run against MNM's behaviour, not an invented one."""

import asyncio
from datetime import datetime, timezone

from conftest import NOW
from mnm_store_double import MemoryStore
from payloads import endpoint

MAC = "BC:24:11:C3:C7:41"


def up(store, source="proxmox", change_source="proxmox", **overrides):
    """One upsert_endpoint call with endpoint(**overrides) as ep_dict."""
    return asyncio.run(store.upsert_endpoint(endpoint(**overrides), source=source,
                                             change_source=change_source))


def row(store, switch="pve1", port="vmbr0", vlan=110):
    return store.rows[(MAC, switch, port, vlan)]


def utc(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_same_record_twice_is_unchanged_without_events(store):
    """upsert_endpoint: no exact row -> new row, "appeared", "new"; the exact row
    seen again with the same values -> "unchanged", no events."""
    assert up(store) == {"action": "new", "events": ["appeared"]}
    assert up(store) == {"action": "unchanged", "events": []}
    assert [e.event_type for e in store.events] == ["appeared"]
    assert store.changes == []


def test_changed_ip_is_one_ip_changed(store):
    """upsert_endpoint, exact row: a new ip that differs from the row's ->
    ip_changed (old, new), "updated"; the row takes the new ip."""
    up(store)
    assert up(store, ip="192.0.2.20") == {"action": "updated", "events": ["ip_changed"]}
    changed = store.events[-1]
    assert (changed.event_type, changed.old_value, changed.new_value) == ("ip_changed", "192.0.2.10", "192.0.2.20")
    assert row(store).ip == "192.0.2.20"
    assert [(c.field_name, c.old_value, c.new_value) for c in store.changes] == [("ip", "192.0.2.10", "192.0.2.20")]


def test_changed_hostname_is_hostname_changed(store):
    """upsert_endpoint, exact row: a non-empty new hostname that differs ->
    hostname_changed, "updated"."""
    up(store)
    assert up(store, hostname="web01-renamed") == {"action": "updated", "events": ["hostname_changed"]}
    assert row(store).hostname == "web01-renamed"


def test_vlan0_row_is_replaced_by_a_tagged_row(store):
    """upsert_endpoint "VLAN upgrade": no exact row, vlan != 0, and a row
    (mac, switch, port, 0) -> that row is deleted; with no other active row the
    tagged row is created as "new"/"appeared"."""
    assert up(store, vlan=0)["action"] == "new"
    assert up(store, vlan=110) == {"action": "new", "events": ["appeared"]}
    assert [r.key for r in store.rows_of(MAC)] == [(MAC, "pve1", "vmbr0", 110)]
    assert row(store).active


def test_vlan0_row_of_another_port_is_not_deleted(store):
    """upsert_endpoint: the VLAN upgrade only deletes the vlan-0 row of the same
    switch and port; other rows are set inactive (a move)."""
    up(store, vlan=0, switch_port="vmbr1")
    assert up(store, vlan=110) == {"action": "updated", "events": ["moved_port"]}
    assert not row(store, port="vmbr1", vlan=0).active


def test_move_to_another_port(store):
    """upsert_endpoint: no exact row and another active row of the mac -> that
    row inactive, new active row; same switch -> moved_port, "updated"."""
    up(store)
    assert up(store, switch_port="vmbr1") == {"action": "updated", "events": ["moved_port"]}
    assert not row(store).active and row(store, port="vmbr1").active
    moved = store.events[-1]
    assert (moved.old_value, moved.new_value) == ("vmbr0", "vmbr1")
    assert [(c.field_name, c.old_value, c.new_value, c.change_source) for c in store.changes] == \
        [("port", "vmbr0", "vmbr1", "proxmox")]


def test_move_to_another_node(store):
    """upsert_endpoint: a move whose prior row is on another switch -> moved_switch."""
    up(store)
    assert up(store, device_name="pve2") == {"action": "updated", "events": ["moved_switch"]}
    assert not row(store).active and row(store, switch="pve2").active


def test_moving_back_reactivates_the_old_row_without_an_event(store):
    """upsert_endpoint: an exact row that is inactive -> active again, "updated",
    and no move event (events come only from the new-row branch)."""
    up(store)
    up(store, switch_port="vmbr1")
    assert up(store) == {"action": "updated", "events": []}
    assert row(store).active and not row(store, port="vmbr1").active


def test_merges_never_clear(store):
    """upsert_endpoint, exact row: ip set only when the new one is not null,
    additional_ips only grow, hostname and classification only set when
    non-empty."""
    up(store, additional_ips=["2001:db8::10", "2001:db8::11"])
    result = up(store, ip=None, hostname="", classification="", additional_ips=[])
    assert result == {"action": "unchanged", "events": []}
    r = row(store)
    assert (r.ip, r.hostname, r.classification) == ("192.0.2.10", "web01", "virtual_machine")
    assert r.additional_ips == ["2001:db8::10", "2001:db8::11"]
    up(store, additional_ips=["2001:db8::10"])  # shorter list
    assert row(store).additional_ips == ["2001:db8::10", "2001:db8::11"]


def test_additional_ips_hold_every_address_but_the_current_one(store):
    """upsert_endpoint, cross-row correlation: additional_ips = the union of the
    mac's addresses minus the row's current ip."""
    up(store, ip="192.0.2.10", additional_ips=["192.0.2.10", "2001:db8::10"])
    assert row(store).additional_ips == ["2001:db8::10"]


def test_first_seen_from_the_payload_on_a_new_row_only(store):
    """upsert_endpoint: first_seen = the parsed payload first_seen, else now;
    used only when a row is created, untouched afterwards."""
    up(store, first_seen="2026-11-01T08:00:00Z")
    assert row(store).first_seen == utc("2026-11-01T08:00:00Z")
    up(store, first_seen="2026-10-01T08:00:00Z")
    assert row(store).first_seen == utc("2026-11-01T08:00:00Z")
    up(store, switch_port="vmbr1")  # new row, no first_seen in the payload
    assert row(store, port="vmbr1").first_seen == NOW


def test_last_seen_follows_the_payload_even_backwards(store):
    """upsert_endpoint, exact row: last_seen = the payload's last_seen, even older."""
    up(store, last_seen="2026-11-22T13:00:00Z")
    up(store, last_seen="2026-11-20T09:30:00.5Z")
    assert row(store).last_seen == utc("2026-11-20T09:30:00.500000Z")


def test_change_source_falls_back_to_source(store):
    """upsert_endpoint: change history rows carry change_source, else source."""
    up(store)
    up(store, switch_port="vmbr1", source="proxmox", change_source=None)
    assert [c.change_source for c in store.changes] == ["proxmox"]


def test_empty_mac_is_skipped():
    """upsert_endpoint: an empty mac -> "skipped", nothing written (the route
    never sends one: it refuses such a request)."""
    store = MemoryStore()
    assert asyncio.run(store.upsert_endpoint({"mac": ""})) == {"action": "skipped", "events": []}
    assert store.rows == {} and store.events == []


def test_anomalies_after_a_move_and_on_a_shared_ip(store):
    """get_anomalies: ip_conflicts = an ip that is the current ip of active rows
    of more than one mac; multi_location = a mac active on more than one switch
    (not "(none)"). A move leaves one active row, so no multi_location."""
    up(store)
    up(store, device_name="pve2")
    assert store.anomalies()["multi_location"] == []
    other = "BC:24:11:C3:C7:42"
    asyncio.run(store.upsert_endpoint(endpoint(mac=other, ip="192.0.2.10"), source="proxmox"))
    assert store.anomalies()["ip_conflicts"] == [{"ip": "192.0.2.10", "macs": [MAC, other]}]


def test_two_records_of_one_nic_that_differ_in_vlan_take_turns(store):
    """upsert_endpoint with two records of one NIC (same mac, switch, port) that
    differ only in vlan, e.g. the proxmox receiver's record of an in-guest VLAN
    sub-interface next to the untagged one: each upsert sets the other row
    inactive. Cycle 1: the tagged record deletes the vlan-0 row ("VLAN upgrade")
    and "appears"; cycle 2: the untagged record is a move (moved_port with old
    port = new port, ip_changed); from then on the two rows take turns being the
    active one, "updated" both, without events. MNM's behaviour, documented
    here; see README.md."""
    untagged = {"vlan": 0, "ip": "192.0.2.10", "additional_ips": []}
    tagged = {"vlan": 10, "ip": "198.51.100.10", "additional_ips": []}
    assert [up(store, **untagged), up(store, **tagged)] == [{"action": "new", "events": ["appeared"]}] * 2
    assert [up(store, **untagged), up(store, **tagged)] == [
        {"action": "updated", "events": ["moved_port", "ip_changed"]}, {"action": "updated", "events": []}]
    moved = [e for e in store.events if e.event_type == "moved_port"]
    assert [(e.old_value, e.new_value) for e in moved] == [("vmbr0", "vmbr0")]
    for _ in range(3):
        assert [up(store, **untagged), up(store, **tagged)] == [{"action": "updated", "events": []}] * 2
    assert [(r.vlan, r.active) for r in store.rows_of(MAC)] == [(10, True), (0, False)]


def test_mnm_connector_and_exporter_keying_one_nic_differently_fight(store):
    """upsert_endpoint fed by two writers that key one NIC differently -- MNM's
    Proxmox connector (connectors/proxmox.py: vlan = the NIC's tag, else one
    guessed from the ip, else 0) and the exporter (vlan of the SDN VNet, 0 for an
    untagged NIC): a move is logged when the second key first appears, then the
    mac's active row flips between the two keys on every cycle of either."""
    connector = {"switch_port": "vnet110", "vlan": 0}
    exporter = {"switch_port": "vnet110", "vlan": 110}
    results = [up(store, **exporter), up(store, **connector)]
    assert results == [{"action": "new", "events": ["appeared"]}, {"action": "updated", "events": ["moved_port"]}]
    for _ in range(3):
        assert up(store, **exporter)["action"] == "updated" and row(store, port="vnet110", vlan=110).active
        assert up(store, **connector)["action"] == "updated" and row(store, port="vnet110", vlan=0).active
