// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package controllersim // import "github.com/mnm-net/otelcol-mnm/internal/controllersim"

import (
	"cmp"
	"slices"
	"time"
)

// store is the endpoint table; the Controller's mutex guards it.
type store struct {
	byKey map[Key]*StoredEndpoint
}

func newStore() *store {
	return &store{byKey: map[Key]*StoredEndpoint{}}
}

// upsert applies one endpoint, as the controller's upsert_endpoint does, and
// says what it did.
func (s *store) upsert(ep Endpoint, source, changeSource string) Result {
	res := Result{MAC: ep.MAC, Events: []string{}}
	cur, ok := s.byKey[ep.Key()]
	if !ok {
		s.byKey[ep.Key()] = &StoredEndpoint{Endpoint: cloneEndpoint(ep), Source: source, ChangeSource: changeSource}
		res.Action = ActionNew
		res.Events = append(res.Events, "created")
		return res
	}
	// Validation guarantees both timestamps parse.
	seenNew, _ := time.Parse(time.RFC3339, ep.LastSeen)
	seenCur, _ := time.Parse(time.RFC3339, cur.LastSeen)
	if seenNew.Before(seenCur) {
		res.Action = ActionSkipped
		res.Events = append(res.Events, "stale")
		return res
	}
	if !equalIP(cur.IP, ep.IP) {
		res.Events = append(res.Events, "ip_changed")
	}
	if !sameSet(cur.AdditionalIPs, ep.AdditionalIPs) {
		res.Events = append(res.Events, "additional_ips_changed")
	}
	if cur.Hostname != ep.Hostname {
		res.Events = append(res.Events, "hostname_changed")
	}
	if cur.Classification != ep.Classification {
		res.Events = append(res.Events, "classification_changed")
	}
	updates := cur.Updates
	res.Action = ActionUnchanged
	if len(res.Events) > 0 {
		res.Action = ActionUpdated
		updates++
	}
	*cur = StoredEndpoint{Endpoint: cloneEndpoint(ep), Source: source, ChangeSource: changeSource, Updates: updates}
	return res
}

// list returns copies of the stored endpoints, sorted by key.
func (s *store) list() []StoredEndpoint {
	out := make([]StoredEndpoint, 0, len(s.byKey))
	for _, e := range s.byKey {
		c := *e
		c.Endpoint = cloneEndpoint(e.Endpoint)
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b StoredEndpoint) int {
		return cmp.Or(
			cmp.Compare(a.MAC, b.MAC),
			cmp.Compare(a.DeviceName, b.DeviceName),
			cmp.Compare(a.SwitchPort, b.SwitchPort),
			cmp.Compare(a.VLAN, b.VLAN),
		)
	})
	return out
}

func cloneEndpoint(e Endpoint) Endpoint {
	if e.IP != nil {
		ip := *e.IP
		e.IP = &ip
	}
	e.AdditionalIPs = slices.Clone(e.AdditionalIPs)
	if e.AdditionalIPs == nil {
		e.AdditionalIPs = []string{}
	}
	return e
}

func equalIP(a, b *string) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func sameSet(a, b []string) bool {
	as, bs := slices.Clone(a), slices.Clone(b)
	slices.Sort(as)
	slices.Sort(bs)
	return slices.Equal(as, bs)
}
