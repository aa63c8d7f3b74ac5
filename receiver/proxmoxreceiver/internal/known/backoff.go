// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package known // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/known"

import (
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/problems"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/pveapi"
)

// The agent back-off: a guest whose agent (or container interface list) did
// not answer is left alone for a few inventory cycles, because a configured
// but silent QEMU agent costs Proxmox about 3 s per call. A guest that
// restarted (its uptime went down) is asked again at once. A token that may
// not read one guest type's addresses pauses that type's requests for as
// long, so that a fixed ACL is noticed afterwards.

// pause is one guest type's paused address requests and the problem why.
type pause struct {
	until int // first cycle to ask again
	key   string
	pr    problems.Problem
}

// AgentNews is what a cycle learnt of a guest's agent (or, for a container,
// of its interface list) that matters for the back-off.
type AgentNews int

const (
	// NoNews: not asked, or a failure that says nothing of the agent.
	NoNews AgentNews = iota
	// Answered ends the guest's back-off.
	Answered
	// Silent backs the guest off: its agent did not answer, or cannot list
	// interfaces.
	Silent
)

// backOff starts or ends e's back-off by what the cycle learnt of g's
// agent; the caller holds mu.
func (k *Guests) backOff(e *guest, g *pveapi.ClusterResource, news AgentNews) {
	switch news {
	case Answered:
		e.silentUntil, e.silentUptime = 0, 0
	case Silent:
		e.silentUntil, e.silentUptime = k.cycle+1+k.backoffCycles, g.Uptime.Value
	}
}

// StartCycle counts one inventory cycle.
func (k *Guests) StartCycle() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.cycle++
}

// ShouldAsk reports whether to ask g for its addresses in this cycle.
func (k *Guests) ShouldAsk(g *pveapi.ClusterResource) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.cycle < k.paused[g.Type].until {
		return false
	}
	e, ok := k.guests[g.ID]
	if !ok || e.silentUntil == 0 {
		return true
	}
	if k.cycle >= e.silentUntil || (g.Uptime.Valid && g.Uptime.Value < e.silentUptime) {
		e.silentUntil, e.silentUptime = 0, 0
		return true
	}
	return false
}

// Unanswered records that Proxmox had no answer for g's interfaces in this
// cycle although g runs, and reports whether it had none in the previous
// cycle either: once may be a container that stopped in between, twice in a
// row is not.
func (k *Guests) Unanswered(g *pveapi.ClusterResource) (again bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	e := k.entry(g.ID)
	again = e.unansweredCycle != 0 && e.unansweredCycle == k.cycle-1
	e.unansweredCycle = k.cycle
	return again
}

// Forbidden pauses the address requests of one guest type for the back-off
// period, for the privilege problem pr (reported under key).
func (k *Guests) Forbidden(guestType, key string, pr problems.Problem) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.paused[guestType] = pause{until: k.cycle + 1 + k.backoffCycles, key: key, pr: pr}
}

// PausedProblems returns the privilege problems that address requests are
// pausing for in this cycle, so that they are not reported as resolved.
func (k *Guests) PausedProblems() problems.Set {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := problems.Set{}
	for _, p := range k.paused {
		if k.cycle < p.until {
			out[p.key] = p.pr
		}
	}
	return out
}
