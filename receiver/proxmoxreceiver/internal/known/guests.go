// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package known // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/known"

import (
	"net/netip"
	"sync"
	"time"

	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/guestnet"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/pveapi"
)

// Guests is what is known of every guest, by /cluster/resources id
// (qemu/100). The inventory's workers call it concurrently; only one of them
// works on a given guest at a time.
type Guests struct {
	// keep is how long a confirmed config or address list stands in for an
	// answer that failed transiently; 0 never.
	keep time.Duration
	// backoffCycles is how many cycles a silent agent is left alone.
	backoffCycles int

	mu     sync.Mutex
	cycle  int
	guests map[string]*guest
	paused map[string]pause // guest type → its address requests are paused
}

// guest is one guest's entry.
type guest struct {
	last  Last
	agent Agent
	// silentUntil is the first cycle its addresses are asked again after its
	// agent stayed silent (0: not backed off); silentUptime its uptime then.
	silentUntil  int
	silentUptime int64
	// unansweredCycle is the last cycle Proxmox had no answer for its
	// container's interfaces (0: never).
	unansweredCycle int
}

// Last is a guest as Proxmox last confirmed it. Only a definite answer
// changes it (the guest is gone or stopped, its config changed, its agent
// answered with other addresses), and only for keep: after that the
// knowledge is too old to stand for the present. Sending it instead of
// dropping the guest, or sending "ip": null, keeps the controller from
// recording a change, and a cycle later another.
type Last struct {
	Name   string
	NICs   []guestnet.NIC
	NICsAt time.Time // when the config was last read
	// Addrs are the addresses the guest last reported, by NIC MAC and
	// in-guest VLAN; nil when it reported none or cannot report any.
	Addrs   map[guestnet.AddrKey][]netip.Addr
	AddrsAt time.Time // zero when Addrs is nil
}

// NewGuests returns an empty memory that keeps confirmed knowledge for keep
// and leaves a silent agent alone for backoffCycles cycles.
func NewGuests(keep time.Duration, backoffCycles int) *Guests {
	return &Guests{keep: keep, backoffCycles: backoffCycles, guests: map[string]*guest{}, paused: map[string]pause{}}
}

// entry returns id's entry, creating it; the caller holds mu.
func (k *Guests) entry(id string) *guest {
	g, ok := k.guests[id]
	if !ok {
		g = &guest{}
		k.guests[id] = g
	}
	return g
}

// Prune forgets, everything about them, the guests that are not in
// resources, a complete /cluster/resources list (a partial one does not say
// which guests are gone).
func (k *Guests) Prune(resources []pveapi.ClusterResource) {
	exists := make(map[string]bool, len(resources))
	for i := range resources {
		if r := &resources[i]; r.Type == "qemu" || r.Type == "lxc" {
			exists[r.ID] = true
		}
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	for id := range k.guests {
		if !exists[id] {
			delete(k.guests, id)
		}
	}
}

// Len is the number of guests known.
func (k *Guests) Len() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.guests)
}

// Fresh reports whether what was confirmed at is recent enough to stand in.
func (k *Guests) Fresh(at, now time.Time) bool {
	return k.keep > 0 && !at.IsZero() && now.Sub(at) <= k.keep
}

// Recall returns the guest as last confirmed, with only what is recent
// enough to stand in for a failed answer: a part older than keep is left
// zero, as if never confirmed.
func (k *Guests) Recall(id string, now time.Time) Last {
	k.mu.Lock()
	defer k.mu.Unlock()
	var last Last
	if g, ok := k.guests[id]; ok {
		last = g.last
	}
	if !k.Fresh(last.NICsAt, now) {
		last.Name, last.NICs, last.NICsAt = "", nil, time.Time{}
	}
	if !k.Fresh(last.AddrsAt, now) {
		last.Addrs, last.AddrsAt = nil, time.Time{}
	}
	return last
}

// Learnt is what one inventory cycle confirmed of a guest whose config it
// read.
type Learnt struct {
	Name string
	NICs []guestnet.NIC
	// AddrsConfirmed says that Addrs are what the guest reports now (nil: it
	// definitely has none, being stopped, without an agent, or unable to
	// tell); otherwise its last addresses stand.
	AddrsConfirmed bool
	Addrs          map[guestnet.AddrKey][]netip.Addr
	Agent          AgentNews
}

// Learn stores what the cycle at now confirmed of g.
func (k *Guests) Learn(g *pveapi.ClusterResource, l Learnt, now time.Time) {
	k.mu.Lock()
	defer k.mu.Unlock()
	e := k.entry(g.ID)
	e.last.Name, e.last.NICs, e.last.NICsAt = l.Name, l.NICs, now
	if l.AddrsConfirmed {
		e.last.Addrs, e.last.AddrsAt = l.Addrs, now
		if l.Addrs == nil {
			e.last.AddrsAt = time.Time{}
		}
	}
	k.backOff(e, g, l.Agent)
}

// Agent returns what id's agent said. Only the worker on that guest uses it.
func (k *Guests) Agent(id string) *Agent {
	k.mu.Lock()
	defer k.mu.Unlock()
	return &k.entry(id).agent
}

// Agents calls f with the agent knowledge of each id that has some, under
// the lock: for gathering the cycle's details once every worker is done.
func (k *Guests) Agents(ids []string, f func(id string, a *Agent)) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, id := range ids {
		if g, ok := k.guests[id]; ok {
			f(id, &g.agent)
		}
	}
}
