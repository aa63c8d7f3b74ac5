// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package controllersim

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every test here follows one rule of MNM's controller/app/endpoint_store.py
// upsert_endpoint (v1.0.1) unless it names another function.

func result(action string, events ...string) Result {
	if events == nil {
		events = []string{}
	}
	return Result{MAC: guest().MAC, Action: action, Events: events}
}

// eventTypes lists the event log as "type old->new".
func eventTypes(c *Controller) []string {
	var out []string
	for _, e := range c.Events() {
		out = append(out, e.Type+" "+deref(e.OldValue)+"->"+deref(e.NewValue))
	}
	return out
}

func deref(s *string) string {
	if s == nil {
		return "nil"
	}
	return *s
}

// rowsOf lists the store as "switch/port/vlan active|inactive".
func rowsOf(c *Controller) []string {
	var out []string
	for _, e := range c.Endpoints() {
		state := "inactive"
		if e.Active {
			state = "active"
		}
		out = append(out, e.DeviceName+"/"+e.SwitchPort+"/"+strconv.Itoa(e.VLAN)+" "+state)
	}
	return out
}

// upsert_endpoint: the same values again give action "unchanged" and no
// event, so the exporter may resend.
func TestUpsertSameRecordTwiceIsUnchanged(t *testing.T) {
	c, send := sim(t)
	assert.Equal(t, []Result{result(ActionNew, EventAppeared)}, send(guest()))
	assert.Equal(t, []Result{result(ActionUnchanged)}, send(guest()))
	assert.Equal(t, []string{"appeared nil->BC:24:11:C3:C7:41"}, eventTypes(c))
	assert.Empty(t, c.Changes())
	eps := c.Endpoints()
	require.Len(t, eps, 1)
	assert.Zero(t, eps[0].Updates)
}

// upsert_endpoint, appeared: event details {ip, switch, port}, stamped with
// the controller's now.
func TestUpsertAppeared(t *testing.T) {
	c, send := sim(t)
	send(guest())
	events := c.Events()
	require.Len(t, events, 1)
	assert.Equal(t, Event{
		MAC: guest().MAC, Type: EventAppeared, OldValue: nil, NewValue: strPtr(guest().MAC),
		Details: map[string]any{"ip": strPtr("192.0.2.10"), "switch": "pve1", "port": "vmbr0"}, Timestamp: testNow,
	}, events[0])
}

// upsert_endpoint, exact row: a changed ip gives exactly one ip_changed with
// old and new values, and a change-history entry with change_source.
func TestUpsertChangedIPGivesOneIPChanged(t *testing.T) {
	c, send := sim(t)
	send(guest())
	changed := guest()
	changed.IP = strPtr("192.0.2.99")
	assert.Equal(t, []Result{result(ActionUpdated, EventIPChanged)}, send(changed))
	events := c.Events()
	require.Len(t, events, 2)
	assert.Equal(t, Event{MAC: guest().MAC, Type: EventIPChanged, OldValue: strPtr("192.0.2.10"), NewValue: strPtr("192.0.2.99"),
		Details: map[string]any{}, Timestamp: testNow}, events[1])
	assert.Equal(t, []Change{{MAC: guest().MAC, Field: "ip", OldValue: strPtr("192.0.2.10"), NewValue: strPtr("192.0.2.99"),
		ChangeSource: "proxmox", ChangedAt: testNow}}, c.Changes())
	eps := c.Endpoints()
	require.Len(t, eps, 1)
	assert.Equal(t, "192.0.2.99", *eps[0].IP)
	assert.Equal(t, 1, eps[0].Updates)
}

// upsert_endpoint, exact row: hostname_changed only when both the row and
// the record have a hostname; filling an empty one is no event and leaves
// the action "unchanged".
func TestUpsertHostname(t *testing.T) {
	c, send := sim(t)
	nameless := guest()
	nameless.Hostname = ""
	send(nameless)
	assert.Equal(t, []Result{result(ActionUnchanged)}, send(guest()), "filling an empty hostname")
	renamed := guest()
	renamed.Hostname = "web02"
	assert.Equal(t, []Result{result(ActionUpdated, EventHostnameChanged)}, send(renamed))
	assert.Equal(t, []string{"appeared nil->BC:24:11:C3:C7:41", "hostname_changed web01->web02"}, eventTypes(c))
	assert.Equal(t, "web02", c.Endpoints()[0].Hostname)
}

// upsert_endpoint, exact row: a new classification is recorded in the change
// history and stored, but is no event and leaves the action "unchanged".
func TestUpsertClassificationIsHistoryOnly(t *testing.T) {
	c, send := sim(t)
	send(guest())
	ct := guest()
	ct.Classification = "container"
	assert.Equal(t, []Result{result(ActionUnchanged)}, send(ct))
	assert.Equal(t, "container", c.Endpoints()[0].Classification)
	assert.Equal(t, []Change{{MAC: guest().MAC, Field: "classification", OldValue: strPtr("virtual_machine"), NewValue: strPtr("container"),
		ChangeSource: "proxmox", ChangedAt: testNow}}, c.Changes())
	assert.Len(t, c.Events(), 1)
}

// upsert_endpoint, exact row: merges never clear. A null ip, an empty
// hostname or classification, a shorter additional_ips keep what is stored.
func TestUpsertMergesNeverClear(t *testing.T) {
	c, send := sim(t)
	full := guest()
	full.AdditionalIPs = []string{"2001:db8::10", "198.51.100.7"}
	send(full)
	empty := guest()
	empty.IP = nil
	empty.Hostname = ""
	empty.Classification = ""
	empty.AdditionalIPs = []string{}
	shorter := guest()
	shorter.AdditionalIPs = []string{"198.51.100.7"}
	for _, ep := range []Endpoint{empty, shorter} {
		assert.Equal(t, []Result{result(ActionUnchanged)}, send(ep))
		eps := c.Endpoints()
		require.Len(t, eps, 1)
		require.NotNil(t, eps[0].IP)
		assert.Equal(t, "192.0.2.10", *eps[0].IP)
		assert.Equal(t, "web01", eps[0].Hostname)
		assert.Equal(t, "virtual_machine", eps[0].Classification)
		assert.Equal(t, []string{"2001:db8::10", "198.51.100.7"}, eps[0].AdditionalIPs)
	}
	assert.Len(t, c.Events(), 1)
}

// upsert_endpoint, exact row then the cross-row IP pass: additional_ips
// only grow, and never hold the row's current IP; an IP that stopped being
// current is not kept (the pass drops the current IP from the list before
// it changes).
func TestUpsertAdditionalIPs(t *testing.T) {
	c, send := sim(t)
	first := guest()
	first.AdditionalIPs = []string{"2001:db8::10"}
	send(first)
	assert.Equal(t, []string{"2001:db8::10"}, c.Endpoints()[0].AdditionalIPs, "the current IP is not listed")

	more := guest()
	more.AdditionalIPs = []string{"198.51.100.7", "192.0.2.10"}
	assert.Equal(t, []Result{result(ActionUnchanged)}, send(more), "a new additional IP alone is no change")
	assert.Equal(t, []string{"2001:db8::10", "198.51.100.7"}, c.Endpoints()[0].AdditionalIPs)

	moved := guest()
	moved.IP = strPtr("192.0.2.11")
	send(moved)
	eps := c.Endpoints()
	assert.Equal(t, "192.0.2.11", *eps[0].IP)
	assert.Equal(t, []string{"2001:db8::10", "198.51.100.7"}, eps[0].AdditionalIPs, "192.0.2.10 is gone")
}

// upsert_endpoint: last_seen is overwritten on the exact row even by an
// older one; there is no stale-record skipping.
func TestUpsertOlderLastSeenOverwrites(t *testing.T) {
	c, send := sim(t)
	send(guest())
	older := guest()
	older.LastSeen = "2026-11-21T08:00:00.5Z"
	older.Hostname = "older"
	assert.Equal(t, []Result{result(ActionUpdated, EventHostnameChanged)}, send(older), "applied, not skipped")
	eps := c.Endpoints()
	assert.Equal(t, time.Date(2026, 11, 21, 8, 0, 0, 5e8, time.UTC), eps[0].LastSeen)
	assert.Equal(t, "older", eps[0].Hostname)
}

// upsert_endpoint: first_seen comes from the payload when a row is
// created, else it is now; an existing row keeps its first_seen.
func TestUpsertFirstSeen(t *testing.T) {
	c, send := sim(t)
	with := guest()
	with.FirstSeen = "2026-11-01T00:00:00Z"
	without := guestN(2)
	send(with, without)
	eps := c.Endpoints()
	require.Len(t, eps, 2)
	assert.Equal(t, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), eps[1].FirstSeen, "from the payload")
	assert.Equal(t, testNow, eps[0].FirstSeen, "now, later than last_seen: what MNM does without first_seen")
	assert.Equal(t, time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC), eps[0].LastSeen)

	again := with
	again.FirstSeen = "2026-10-01T00:00:00Z"
	send(again)
	assert.Equal(t, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), c.Endpoints()[1].FirstSeen, "kept")
}

// upsert_endpoint "VLAN upgrade": the same MAC on the untagged key, then on
// a tagged key of the same node and bridge: the vlan-0 row is deleted and
// the tagged one appears; there is no move.
func TestUpsertVLANUpgradeDeletesUntaggedRow(t *testing.T) {
	c, send := sim(t)
	send(guest())
	tagged := guest()
	tagged.VLAN = 110
	assert.Equal(t, []Result{result(ActionNew, EventAppeared)}, send(tagged))
	assert.Equal(t, []string{"pve1/vmbr0/110 active"}, rowsOf(c))
	assert.Equal(t, []string{"appeared nil->BC:24:11:C3:C7:41", "appeared nil->BC:24:11:C3:C7:41"}, eventTypes(c))
	assert.Empty(t, c.Changes())
}

// upsert_endpoint "VLAN upgrade": the untagged row is deleted even when it is
// inactive; the move is then from the MAC's active row elsewhere.
func TestUpsertVLANUpgradeDeletesInactiveUntaggedRow(t *testing.T) {
	c, send := sim(t)
	send(guest())
	elsewhere := guest()
	elsewhere.DeviceName = "pve2"
	send(elsewhere)
	back := guest()
	back.VLAN = 110
	assert.Equal(t, []Result{result(ActionUpdated, EventMovedSwitch)}, send(back))
	assert.Equal(t, []string{"pve1/vmbr0/110 active", "pve2/vmbr0/0 inactive"}, rowsOf(c))
}

// upsert_endpoint: a tagged key after another tagged key is a move
// (moved_port on the same port), not an upgrade: both rows stay.
func TestUpsertVLANChangeBetweenTags(t *testing.T) {
	c, send := sim(t)
	a := guest()
	a.VLAN = 10
	send(a)
	b := guest()
	b.VLAN = 20
	assert.Equal(t, []Result{result(ActionUpdated, EventMovedPort)}, send(b))
	assert.Equal(t, []string{"pve1/vmbr0/10 inactive", "pve1/vmbr0/20 active"}, rowsOf(c))
	var fields []string
	for _, ch := range c.Changes() {
		fields = append(fields, ch.Field+" "+deref(ch.OldValue)+"->"+deref(ch.NewValue))
	}
	assert.Equal(t, []string{"port vmbr0->vmbr0", "vlan 10->20"}, fields)
}

// upsert_endpoint: a new key deactivates the MAC's other active rows; a move
// to another port is moved_port, to another switch moved_switch, with
// ip_changed and hostname_changed when both sides know the value, and
// change history for each field.
func TestUpsertMoves(t *testing.T) {
	c, send := sim(t)
	send(guest())

	port := guest()
	port.SwitchPort = "vmbr1"
	port.IP = strPtr("192.0.2.11")
	assert.Equal(t, []Result{result(ActionUpdated, EventMovedPort, EventIPChanged)}, send(port))

	sw := port
	sw.DeviceName = "pve2"
	sw.Hostname = "web01-migrated"
	sw.IP = nil
	assert.Equal(t, []Result{result(ActionUpdated, EventMovedSwitch, EventHostnameChanged)}, send(sw))

	assert.Equal(t, []string{"pve1/vmbr0/0 inactive", "pve1/vmbr1/0 inactive", "pve2/vmbr1/0 active"}, rowsOf(c))
	events := c.Events()
	require.Len(t, events, 5)
	assert.Equal(t, map[string]any{"switch": "pve1"}, events[1].Details)
	assert.Equal(t, Event{MAC: guest().MAC, Type: EventMovedSwitch, OldValue: strPtr("pve1"), NewValue: strPtr("pve2"),
		Details: map[string]any{"old_port": "vmbr1", "new_port": "vmbr1"}, Timestamp: testNow}, events[3])

	var fields []string
	for _, ch := range c.Changes() {
		fields = append(fields, ch.Field+" "+deref(ch.OldValue)+"->"+deref(ch.NewValue))
	}
	assert.Equal(t, []string{"port vmbr0->vmbr1", "ip 192.0.2.10->192.0.2.11", "switch pve1->pve2", "hostname web01->web01-migrated"}, fields)

	// A new row does not inherit the IP of an inactive one (the IP pass
	// only looks at active rows).
	assert.Nil(t, c.Endpoints()[2].IP)
}

// upsert_endpoint, exact row: coming back to a known location reactivates
// its row ("updated") with no move event; the row left goes inactive.
func TestUpsertReturnReactivatesRow(t *testing.T) {
	c, send := sim(t)
	send(guest())
	away := guest()
	away.SwitchPort = "vmbr1"
	send(away)
	assert.Equal(t, []Result{result(ActionUpdated)}, send(guest()))
	assert.Equal(t, []string{"pve1/vmbr0/0 active", "pve1/vmbr1/0 inactive"}, rowsOf(c))
	assert.Equal(t, []string{"appeared nil->BC:24:11:C3:C7:41", "moved_port vmbr0->vmbr1"}, eventTypes(c))
	assert.Equal(t, 1, c.Endpoints()[0].Updates)
}

// TestUpsertDualVLANGuestFlaps reproduces what the exporter caused before
// the receiver's fix: a VM with ens18 (untagged, 192.0.2.10) and ens18.50
// (VLAN 50, 198.51.100.10) on the same bridge was sent as two records of one
// MAC, vmbr1 vlan 0 and vmbr1 vlan 50, every cycle. With upsert_endpoint:
//   - cycle 1: the untagged row appears, then the tagged record deletes it
//     ("VLAN upgrade") and appears itself: two "new";
//   - cycle 2: the untagged record finds no row (deleted), so it is a move
//     from the tagged row: moved_port vmbr1 -> vmbr1 and ip_changed
//     198.51.100.10 -> 192.0.2.10; the tagged record reactivates its row;
//   - every later cycle: each record reactivates its own row and
//     deactivates the other: "updated" for both, never "unchanged", with no
//     event (the exact-row path emits no move), and the MAC's active row
//     flips twice per cycle, so readers of active rows see it alternate.
func TestUpsertDualVLANGuestFlaps(t *testing.T) {
	c, send := sim(t)
	untagged := guest()
	untagged.SwitchPort = "vmbr1"
	tagged := untagged
	tagged.VLAN = 50
	tagged.IP = strPtr("198.51.100.10")

	assert.Equal(t, []Result{result(ActionNew, EventAppeared), result(ActionNew, EventAppeared)}, send(untagged, tagged))
	assert.Equal(t, []string{"pve1/vmbr1/50 active"}, rowsOf(c))

	assert.Equal(t, []Result{result(ActionUpdated, EventMovedPort, EventIPChanged), result(ActionUpdated)}, send(untagged, tagged))
	assert.Equal(t, []string{"pve1/vmbr1/0 inactive", "pve1/vmbr1/50 active"}, rowsOf(c))

	for range 3 {
		assert.Equal(t, []Result{result(ActionUpdated)}, send(untagged))
		assert.Equal(t, []string{"pve1/vmbr1/0 active", "pve1/vmbr1/50 inactive"}, rowsOf(c))
		assert.Equal(t, []Result{result(ActionUpdated)}, send(tagged))
		assert.Equal(t, []string{"pve1/vmbr1/0 inactive", "pve1/vmbr1/50 active"}, rowsOf(c))
	}
	assert.Equal(t, []string{
		"appeared nil->BC:24:11:C3:C7:41",
		"appeared nil->BC:24:11:C3:C7:41",
		"moved_port vmbr1->vmbr1",
		"ip_changed 198.51.100.10->192.0.2.10",
	}, eventTypes(c))
	assert.Equal(t, int64(8), c.Stats().Updated)
}

// upsert_endpoint: an empty device_name or switch_port is stored as
// "(none)", part of the key.
func TestUpsertNoneLocation(t *testing.T) {
	c, send := sim(t)
	sweep := guest()
	sweep.DeviceName = ""
	sweep.SwitchPort = ""
	send(sweep)
	assert.Equal(t, []string{"(none)/(none)/0 active"}, rowsOf(c))
	assert.Equal(t, map[string]any{"ip": strPtr("192.0.2.10"), "switch": "(none)", "port": "(none)"}, c.Events()[0].Details)
	assert.Equal(t, []Result{result(ActionUnchanged)}, send(sweep))
}

// upsert_endpoint: data_source becomes "both" when a request of another
// source updates the row.
func TestUpsertDataSource(t *testing.T) {
	c, srv := newTestServer(t, Config{})
	for _, source := range []string{"proxmox", "proxmox", "sweep"} {
		status, _, body := post(t, srv, "", bodyOf(t, source, guest()))
		require.Equal(t, 200, status, string(body))
		if source == "proxmox" {
			assert.Equal(t, "proxmox", c.Endpoints()[0].Source)
		}
	}
	assert.Equal(t, "both", c.Endpoints()[0].Source)
}

// upsert_endpoint: the MAC is upper-cased for the key, and an empty MAC is
// skipped with nothing written. The route's validation makes both
// unreachable, so the store is called directly.
func TestStoreMACRules(t *testing.T) {
	s := newStore()
	assert.Equal(t, ActionNew, s.upsert(guest(), "proxmox", "proxmox", testNow).Action)
	lower := guest()
	lower.MAC = "bc:24:11:c3:c7:41"
	assert.Equal(t, Result{MAC: guest().MAC, Action: ActionUnchanged, Events: []string{}}, s.upsert(lower, "proxmox", "proxmox", testNow))
	empty := guest()
	empty.MAC = ""
	assert.Equal(t, Result{MAC: "", Action: ActionSkipped, Events: []string{}}, s.upsert(empty, "proxmox", "proxmox", testNow))
	assert.Len(t, s.list(), 1)
	assert.Len(t, s.events, 1)
}

// upsert_endpoint's cross-row IP pass, on a MAC with several active rows
// (which the route alone never leaves, so the rows are set up directly): a
// row without an IP takes the canonical one (the new IP, else the first
// active row's), and every active row lists the union of the MAC's
// addresses less its own.
func TestStoreIPCorrelation(t *testing.T) {
	s := newStore()
	mac := guest().MAC
	s.add(&row{key: Key{mac, "sw1", "ge-0/0/1", 0}, active: true, ip: "192.0.2.10", additional: []string{"10.0.0.1"}, dataSource: "infrastructure"})
	s.add(&row{key: Key{mac, "sw2", "ge-0/0/2", 0}, active: true, additional: []string{"10.0.0.2"}, dataSource: "infrastructure"})
	s.add(&row{key: Key{mac, "sw3", "ge-0/0/3", 0}, active: false, ip: "10.9.9.9", dataSource: "infrastructure"})

	s.correlate(mac, "", []string{"10.0.0.3"})
	eps := s.list()
	require.Len(t, eps, 3)
	assert.Equal(t, "192.0.2.10", *eps[0].IP)
	assert.Equal(t, []string{"10.0.0.1", "10.0.0.2", "10.0.0.3"}, eps[0].AdditionalIPs)
	assert.Equal(t, "192.0.2.10", *eps[1].IP, "inherits the first active row's IP")
	assert.Equal(t, []string{"10.0.0.1", "10.0.0.2", "10.0.0.3"}, eps[1].AdditionalIPs)
	assert.Equal(t, "10.9.9.9", *eps[2].IP, "inactive rows are left alone")
	assert.Empty(t, eps[2].AdditionalIPs)
}

// get_anomalies ip_conflicts: an IP that is the current IP of active rows
// of more than one MAC; inactive rows do not count.
func TestAnomaliesIPConflicts(t *testing.T) {
	c, send := sim(t)
	a, b := guestN(1), guestN(2)
	a.IP, b.IP = strPtr("192.0.2.50"), strPtr("192.0.2.50")
	send(a)
	assert.Empty(t, c.Anomalies().IPConflicts)
	send(b)
	an := c.Anomalies()
	require.Len(t, an.IPConflicts, 1)
	assert.Equal(t, "192.0.2.50", an.IPConflicts[0].IP)
	assert.Equal(t, 2, an.IPConflicts[0].MACCount)
	require.Len(t, an.IPConflicts[0].MACs, 2)
	assert.Equal(t, macN(1), an.IPConflicts[0].MACs[0].MAC)

	// b moves and takes another IP: its old row, still holding
	// 192.0.2.50, is inactive.
	b.SwitchPort = "vmbr9"
	b.IP = strPtr("192.0.2.51")
	send(b)
	assert.Empty(t, c.Anomalies().IPConflicts)
}

// get_anomalies multi_location: a MAC with active rows on more than one
// switch, "(none)" not counted. The route leaves one active row per MAC
// (each upsert deactivates the others), so a move never shows; the rule
// itself is checked on rows set up directly.
func TestAnomaliesMultiLocation(t *testing.T) {
	c, send := sim(t)
	send(guest())
	other := guest()
	other.DeviceName = "pve2"
	send(other)
	assert.Empty(t, c.Anomalies().MultiLocation, "after a move the old row is inactive")

	s := newStore()
	mac := guest().MAC
	s.add(&row{key: Key{mac, "sw1", "p1", 0}, active: true})
	s.add(&row{key: Key{mac, NoneLocation, NoneLocation, 0}, active: true})
	s.add(&row{key: Key{mac, "sw1", "p2", 0}, active: true})
	assert.Empty(t, s.anomalies().MultiLocation, "one switch besides (none)")
	s.add(&row{key: Key{mac, "sw2", "p1", 0}, active: false})
	assert.Empty(t, s.anomalies().MultiLocation, "inactive rows do not count")
	s.add(&row{key: Key{mac, "sw3", "p1", 0}, active: true})
	ml := s.anomalies().MultiLocation
	require.Len(t, ml, 1)
	assert.Equal(t, mac, ml[0].MAC)
	assert.Equal(t, 2, ml[0].LocationCount)
	assert.Len(t, ml[0].Locations, 4, "every active row, (none) included")
}
