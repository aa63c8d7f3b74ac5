// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package proxmoxreceiver // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver"

import (
	"sync"

	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/problems"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/pveapi"
)

// agentBackoff remembers guests whose agent (or container interface list)
// did not answer, and leaves them alone for a few inventory cycles: a
// configured but silent QEMU agent costs Proxmox about 3 s per call. A guest
// that restarted (its uptime went down) is asked again at once.
type agentBackoff struct {
	cycles int

	mu             sync.Mutex
	cycle          int
	guests         map[string]backoffEntry
	forbiddenUntil map[string]int // guest type → no address requests before this cycle: the token lacks the privilege
	forbiddenWhy   map[string]forbiddenProblem
}

type forbiddenProblem struct {
	key string
	pr  problems.Problem
}

type backoffEntry struct {
	until  int   // first cycle to ask again
	uptime int64 // the guest's uptime when it was silent
}

func newAgentBackoff(cycles int) *agentBackoff {
	return &agentBackoff{cycles: cycles, guests: map[string]backoffEntry{}, forbiddenUntil: map[string]int{}, forbiddenWhy: map[string]forbiddenProblem{}}
}

func (b *agentBackoff) startCycle() {
	b.mu.Lock()
	b.cycle++
	b.mu.Unlock()
}

func guestKey(g *pveapi.ClusterResource) string { return g.ID }

// shouldAsk reports whether to ask g for its addresses in this cycle.
func (b *agentBackoff) shouldAsk(g *pveapi.ClusterResource) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cycle < b.forbiddenUntil[g.Type] {
		return false
	}
	e, ok := b.guests[guestKey(g)]
	if !ok {
		return true
	}
	if b.cycle >= e.until || (g.Uptime.Valid && g.Uptime.Value < e.uptime) {
		delete(b.guests, guestKey(g))
		return true
	}
	return false
}

func (b *agentBackoff) silent(g *pveapi.ClusterResource) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.guests[guestKey(g)] = backoffEntry{until: b.cycle + 1 + b.cycles, uptime: g.Uptime.Value}
}

func (b *agentBackoff) answered(g *pveapi.ClusterResource) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.guests, guestKey(g))
}

// forbidden stops address requests of one guest type for the backoff
// period; they are tried again afterwards so that a fixed ACL is noticed.
func (b *agentBackoff) forbidden(guestType, key string, pr problems.Problem) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.forbiddenUntil[guestType] = b.cycle + 1 + b.cycles
	b.forbiddenWhy[guestType] = forbiddenProblem{key: key, pr: pr}
}

// pausedProblems returns the privilege problems that address requests are
// pausing for in this cycle, so they are not reported as resolved.
func (b *agentBackoff) pausedProblems() problems.Set {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := problems.Set{}
	for guestType, until := range b.forbiddenUntil {
		if b.cycle < until {
			p := b.forbiddenWhy[guestType]
			out[p.key] = p.pr
		}
	}
	return out
}

// prune forgets the guests that no longer exist.
func (b *agentBackoff) prune(exists map[string]bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for id := range b.guests {
		if !exists[id] {
			delete(b.guests, id)
		}
	}
}
