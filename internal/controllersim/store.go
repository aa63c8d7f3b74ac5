// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package controllersim // import "github.com/mnm-net/otelcol-mnm/internal/controllersim"

import (
	"cmp"
	"slices"
	"strconv"
	"time"
)

// row is one row of the endpoints table (db.py Endpoint).
type row struct {
	key Key
	// seq is the creation order, the order in which the store walks the
	// rows of a MAC (MNM's queries have no ORDER BY; the first and the last
	// row of such a walk matter below).
	seq    uint64
	active bool
	// ip is current_ip, "" for NULL.
	ip             string
	additional     []string
	hostname       string
	classification string
	firstSeen      time.Time
	lastSeen       time.Time
	dataSource     string
	updates        int
}

// fieldDiff is a change-history entry before it is stamped.
type fieldDiff struct {
	field    string
	old, new *string
}

// store is the endpoint table with its event log and change history, held as
// MNM's endpoint_store.py keeps them. The Controller's mutex guards it.
type store struct {
	rows    map[Key]*row
	byMAC   map[string][]*row // in creation order
	seq     uint64
	events  []Event
	changes []Change
}

func newStore() *store {
	return &store{rows: map[Key]*row{}, byMAC: map[string][]*row{}}
}

// upsert applies one endpoint and says what it did, following
// endpoint_store.py upsert_endpoint rule by rule. now stamps events and
// change history and stands in for a missing timestamp.
func (s *store) upsert(ep Endpoint, source, changeSource string, now time.Time) Result {
	// upsert_endpoint: the key (mac upper-cased, "(none)" for an empty
	// device_name or switch_port, vlan with 0 for untagged or unknown).
	key := ep.Key()
	mac := key.MAC
	// upsert_endpoint: an empty MAC is skipped with nothing written.
	if mac == "" {
		return Result{MAC: ep.MAC, Action: ActionSkipped, Events: []string{}}
	}
	// upsert_endpoint: ip is None when empty; the offered list is
	// additional_ips plus ip when not in it.
	newIP := ""
	if ep.IP != nil {
		newIP = *ep.IP
	}
	offered := make([]string, 0, len(ep.AdditionalIPs)+1)
	offered = append(offered, ep.AdditionalIPs...)
	if newIP != "" && !slices.Contains(offered, newIP) {
		offered = append(offered, newIP)
	}
	// upsert_endpoint: the payload's timestamps, else now.
	lastSeen := parseTimestamp(ep.LastSeen, now)
	firstSeen := parseTimestamp(ep.FirstSeen, now)

	exact := s.rows[key]

	// upsert_endpoint "VLAN upgrade": a tagged key with no row of its own
	// deletes the untagged (vlan 0) row of the same mac, switch and port,
	// active or not.
	if exact == nil && key.VLAN != 0 {
		untagged := key
		untagged.VLAN = 0
		if r := s.rows[untagged]; r != nil {
			s.remove(r)
		}
	}

	// upsert_endpoint: every other active row of the MAC goes inactive (all
	// of them when there is no exact row); the last one walked is the prior
	// location.
	var prior *row
	for _, r := range s.byMAC[mac] {
		if r.active && r != exact {
			r.active = false
			prior = r
		}
	}

	var events []Event
	var diffs []fieldDiff
	action := ActionUnchanged
	if exact != nil {
		// upsert_endpoint, exact row: an inactive row comes back.
		if !exact.active {
			exact.active = true
			action = ActionUpdated
		}
		// upsert_endpoint, exact row: ip_changed only when both IPs are known.
		if newIP != "" && exact.ip != "" && newIP != exact.ip {
			events = append(events, newEvent(EventIPChanged, strPtr(exact.ip), strPtr(newIP), map[string]any{}))
			diffs = append(diffs, fieldDiff{"ip", strPtr(exact.ip), strPtr(newIP)})
			action = ActionUpdated
		}
		// upsert_endpoint, exact row: hostname_changed only when both are known.
		if ep.Hostname != "" && exact.hostname != "" && ep.Hostname != exact.hostname {
			events = append(events, newEvent(EventHostnameChanged, strPtr(exact.hostname), strPtr(ep.Hostname), map[string]any{}))
			diffs = append(diffs, fieldDiff{"hostname", strPtr(exact.hostname), strPtr(ep.Hostname)})
			action = ActionUpdated
		}
		// upsert_endpoint, exact row: a new classification is history, not
		// an event, and does not make the action "updated".
		if ep.Classification != "" && ep.Classification != exact.classification {
			diffs = append(diffs, fieldDiff{"classification", nullIfEmpty(exact.classification), strPtr(ep.Classification)})
		}
		// upsert_endpoint, exact row: merges never clear. A null ip, an empty
		// hostname or classification keep what the row has; additional
		// addresses are only added.
		if newIP != "" {
			exact.ip = newIP
		}
		exact.additional = appendMissing(exact.additional, offered)
		if ep.Hostname != "" {
			exact.hostname = ep.Hostname
		}
		if ep.Classification != "" {
			exact.classification = ep.Classification
		}
		// upsert_endpoint, exact row: last_seen is overwritten, even by an
		// older one; first_seen stays.
		exact.lastSeen = lastSeen
		// upsert_endpoint, exact row: data_source becomes "both" when
		// another source updates the row.
		if exact.dataSource == "" {
			exact.dataSource = source
		} else if exact.dataSource != source {
			exact.dataSource = "both"
		}
		if action == ActionUpdated {
			exact.updates++
		}
	} else {
		// upsert_endpoint, no exact row: a new active row; first_seen from
		// the payload, else now.
		s.add(&row{
			key:            key,
			active:         true,
			ip:             newIP,
			additional:     offered,
			hostname:       ep.Hostname,
			classification: ep.Classification,
			firstSeen:      firstSeen,
			lastSeen:       lastSeen,
			dataSource:     source,
		})
		if prior == nil {
			// upsert_endpoint: no prior location, the MAC appeared.
			events = append(events, newEvent(EventAppeared, nil, strPtr(mac),
				map[string]any{"ip": nullIfEmpty(newIP), "switch": key.DeviceName, "port": key.SwitchPort}))
			action = ActionNew
		} else {
			// upsert_endpoint: a move, across switches or ports (a VLAN
			// change on the same port counts as moved_port).
			if prior.key.DeviceName != key.DeviceName {
				events = append(events, newEvent(EventMovedSwitch, strPtr(prior.key.DeviceName), strPtr(key.DeviceName),
					map[string]any{"old_port": prior.key.SwitchPort, "new_port": key.SwitchPort}))
				diffs = append(diffs, fieldDiff{"switch", strPtr(prior.key.DeviceName), strPtr(key.DeviceName)})
			} else {
				events = append(events, newEvent(EventMovedPort, strPtr(prior.key.SwitchPort), strPtr(key.SwitchPort),
					map[string]any{"switch": key.DeviceName}))
				diffs = append(diffs, fieldDiff{"port", strPtr(prior.key.SwitchPort), strPtr(key.SwitchPort)})
			}
			if prior.key.VLAN != key.VLAN {
				diffs = append(diffs, fieldDiff{"vlan", strPtr(strconv.Itoa(prior.key.VLAN)), strPtr(strconv.Itoa(key.VLAN))})
			}
			if newIP != "" && prior.ip != "" && newIP != prior.ip {
				events = append(events, newEvent(EventIPChanged, strPtr(prior.ip), strPtr(newIP), map[string]any{}))
				diffs = append(diffs, fieldDiff{"ip", strPtr(prior.ip), strPtr(newIP)})
			}
			if ep.Hostname != "" && prior.hostname != "" && ep.Hostname != prior.hostname {
				events = append(events, newEvent(EventHostnameChanged, strPtr(prior.hostname), strPtr(ep.Hostname), map[string]any{}))
				diffs = append(diffs, fieldDiff{"hostname", strPtr(prior.hostname), strPtr(ep.Hostname)})
			}
			action = ActionUpdated
		}
	}

	// upsert_endpoint: events stamped now; one change-history entry per
	// field diff with change_source (else source, else "unknown").
	names := make([]string, 0, len(events))
	for _, e := range events {
		e.MAC = mac
		e.Timestamp = now
		s.events = append(s.events, e)
		names = append(names, e.Type)
	}
	effective := cmp.Or(changeSource, source, "unknown")
	for _, d := range diffs {
		s.changes = append(s.changes, Change{MAC: mac, Field: d.field, OldValue: d.old, NewValue: d.new, ChangeSource: effective, ChangedAt: now})
	}

	s.correlate(mac, newIP, offered)
	return Result{MAC: mac, Action: action, Events: names}
}

// correlate is upsert_endpoint's cross-row IP pass over the active rows of
// mac: the canonical IP is the new one, else the first row's known one; rows
// without an IP take it; each row's additional addresses become the union of
// every active row's addresses and the offered list, less its own IP.
func (s *store) correlate(mac, newIP string, offered []string) {
	var siblings []*row
	for _, r := range s.byMAC[mac] {
		if r.active {
			siblings = append(siblings, r)
		}
	}
	canonical := newIP
	if canonical == "" {
		for _, r := range siblings {
			if r.ip != "" {
				canonical = r.ip
				break
			}
		}
	}
	var union []string
	for _, r := range siblings {
		if r.ip != "" {
			union = appendMissing(union, []string{r.ip})
		}
		union = appendMissing(union, r.additional)
	}
	union = appendMissing(union, offered)
	for _, r := range siblings {
		if canonical != "" && r.ip == "" {
			r.ip = canonical
		}
		if len(union) > 0 {
			others := make([]string, 0, len(union))
			for _, ip := range union {
				if ip != r.ip {
					others = append(others, ip)
				}
			}
			r.additional = others
		}
	}
}

func (s *store) add(r *row) {
	s.seq++
	r.seq = s.seq
	s.rows[r.key] = r
	s.byMAC[r.key.MAC] = append(s.byMAC[r.key.MAC], r)
}

func (s *store) remove(r *row) {
	delete(s.rows, r.key)
	rows := slices.DeleteFunc(s.byMAC[r.key.MAC], func(x *row) bool { return x == r })
	if len(rows) == 0 {
		delete(s.byMAC, r.key.MAC)
	} else {
		s.byMAC[r.key.MAC] = rows
	}
}

// list returns copies of every row, active or not, sorted by key.
func (s *store) list() []StoredEndpoint {
	out := make([]StoredEndpoint, 0, len(s.rows))
	for _, r := range s.rows {
		out = append(out, r.stored())
	}
	sortByKey(out)
	return out
}

// anomalies computes the ip_conflicts and multi_location categories of
// endpoint_store.py get_anomalies, over active rows only.
func (s *store) anomalies() Anomalies {
	out := Anomalies{IPConflicts: []IPConflict{}, MultiLocation: []MultiLocation{}}

	// get_anomalies ip_conflicts: an IP that is the current IP of active
	// rows of more than one distinct MAC.
	holders := map[string][]*row{}
	for _, r := range s.rows {
		if r.active && r.ip != "" {
			holders[r.ip] = append(holders[r.ip], r)
		}
	}
	for ip, rows := range holders {
		macs := map[string]bool{}
		for _, r := range rows {
			macs[r.key.MAC] = true
		}
		if len(macs) > 1 {
			out.IPConflicts = append(out.IPConflicts, IPConflict{IP: ip, MACCount: len(macs), MACs: storedAll(rows)})
		}
	}
	slices.SortFunc(out.IPConflicts, func(a, b IPConflict) int { return cmp.Compare(a.IP, b.IP) })

	// get_anomalies multi_location: a MAC with active rows on more than one
	// distinct switch, "(none)" not counted; all its active rows listed.
	for mac, rows := range s.byMAC {
		switches := map[string]bool{}
		var active []*row
		for _, r := range rows {
			if !r.active {
				continue
			}
			active = append(active, r)
			if r.key.DeviceName != NoneLocation {
				switches[r.key.DeviceName] = true
			}
		}
		if len(switches) > 1 {
			out.MultiLocation = append(out.MultiLocation, MultiLocation{MAC: mac, LocationCount: len(switches), Locations: storedAll(active)})
		}
	}
	slices.SortFunc(out.MultiLocation, func(a, b MultiLocation) int { return cmp.Compare(a.MAC, b.MAC) })
	return out
}

func (r *row) stored() StoredEndpoint {
	e := StoredEndpoint{
		MAC:            r.key.MAC,
		DeviceName:     r.key.DeviceName,
		SwitchPort:     r.key.SwitchPort,
		VLAN:           r.key.VLAN,
		Active:         r.active,
		IP:             nullIfEmpty(r.ip),
		AdditionalIPs:  append([]string{}, r.additional...),
		Hostname:       r.hostname,
		Classification: r.classification,
		FirstSeen:      r.firstSeen,
		LastSeen:       r.lastSeen,
		Source:         r.dataSource,
		Updates:        r.updates,
	}
	return e
}

func storedAll(rows []*row) []StoredEndpoint {
	out := make([]StoredEndpoint, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.stored())
	}
	sortByKey(out)
	return out
}

func sortByKey(eps []StoredEndpoint) {
	slices.SortFunc(eps, func(a, b StoredEndpoint) int {
		return cmp.Or(
			cmp.Compare(a.MAC, b.MAC),
			cmp.Compare(a.DeviceName, b.DeviceName),
			cmp.Compare(a.SwitchPort, b.SwitchPort),
			cmp.Compare(a.VLAN, b.VLAN),
		)
	})
}

func newEvent(typ string, old, new *string, details map[string]any) Event {
	return Event{Type: typ, OldValue: old, NewValue: new, Details: details}
}

// appendMissing appends the items of add that list lacks, in order.
func appendMissing(list, add []string) []string {
	for _, ip := range add {
		if ip != "" && !slices.Contains(list, ip) {
			list = append(list, ip)
		}
	}
	return list
}

// parseTimestamp parses a validated RFC 3339 timestamp; empty gives def.
func parseTimestamp(s string, def time.Time) time.Time {
	if s == "" {
		return def
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return def
	}
	return t.UTC()
}

func strPtr(s string) *string { return &s }

func nullIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
