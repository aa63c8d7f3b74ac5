// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package proxmoxreceiver // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver"

import (
	"net/netip"
	"sync"
	"time"

	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/guestnet"
)

// lastKnown keeps each guest's last confirmed NICs and addresses, so that a
// transient failure (a node that hangs for a cycle, a 5xx, a guest agent that
// misses one call) costs nothing at the controller: the guest's records are
// sent as they were last confirmed, with that time as their timestamp,
// instead of being dropped or sent with "ip": null, which the controller
// would record as a change and, a cycle later, as another. Only a definite
// answer changes them (the guest is gone or stopped, its config changed, its
// agent answered with other addresses), and only for keep: after that the
// knowledge is too old to stand for the present.
type lastKnown struct {
	keep time.Duration

	mu     sync.Mutex
	guests map[string]knownGuest // by /cluster/resources id (qemu/100)
}

type knownGuest struct {
	name   string
	nics   []guestnet.NIC
	nicsAt time.Time // when the config was last read
	// addrs are the addresses the guest last reported, by NIC MAC and
	// in-guest VLAN; nil when it reported none or cannot report any.
	addrs   map[guestnet.AddrKey][]netip.Addr
	addrsAt time.Time // zero when addrs is nil
}

func newLastKnown(keep time.Duration) *lastKnown {
	return &lastKnown{keep: keep, guests: map[string]knownGuest{}}
}

// fresh reports whether what was confirmed at was recent enough to stand in.
func (k *lastKnown) fresh(at, now time.Time) bool {
	return k.keep > 0 && !at.IsZero() && now.Sub(at) <= k.keep
}

func (k *lastKnown) get(id string) (knownGuest, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	g, ok := k.guests[id]
	return g, ok
}

// confirmConfig stores a guest's config as read at.
func (k *lastKnown) confirmConfig(id, name string, nics []guestnet.NIC, at time.Time) {
	k.mu.Lock()
	defer k.mu.Unlock()
	g := k.guests[id]
	g.name, g.nics, g.nicsAt = name, nics, at
	k.guests[id] = g
}

// confirmAddrs stores a guest's addresses as reported at; nil means it
// definitely has none to report (stopped, no agent, agent unsupported).
func (k *lastKnown) confirmAddrs(id string, addrs map[guestnet.AddrKey][]netip.Addr, at time.Time) {
	k.mu.Lock()
	defer k.mu.Unlock()
	g := k.guests[id]
	g.addrs, g.addrsAt = addrs, at
	if addrs == nil {
		g.addrsAt = time.Time{}
	}
	k.guests[id] = g
}

// prune forgets the guests that no longer exist.
func (k *lastKnown) prune(exists map[string]bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for id := range k.guests {
		if !exists[id] {
			delete(k.guests, id)
		}
	}
}

func (k *lastKnown) size() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.guests)
}
