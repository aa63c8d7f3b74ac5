// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package recheck

import (
	"sync"
	"time"
)

// Absences remembers, per node, something Proxmox has said the node does not
// have, so that it is not asked again at every collection: a node without
// ZFS (/disks/zfs answers 500 "zpool ... failed"), or a Proxmox VE 7 node,
// which has no /lxc/{vmid}/interfaces (501). It is asked again after recheck,
// or at once when the node's Proxmox version changes (an upgrade may add
// what was missing).
type Absences struct {
	recheck time.Duration

	mu    sync.Mutex
	nodes map[string]absence
}

type absence struct {
	since   time.Time
	version string // the node's pve-manager version when it was learnt; "" unknown
}

// NewAbsences returns Absences asked again after recheck.
func NewAbsences(recheck time.Duration) *Absences {
	return &Absences{recheck: recheck, nodes: map[string]absence{}}
}

// Due reports whether node should be asked: nothing is known missing, the
// recheck time has come, or its version is no longer the one it was learnt on.
func (a *Absences) Due(node string, now time.Time, version string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	ab, ok := a.nodes[node]
	if !ok {
		return true
	}
	if version != "" && ab.version != "" && version != ab.version {
		delete(a.nodes, node)
		return true
	}
	return now.Sub(ab.since) >= a.recheck
}

// Absent records that Proxmox said node lacks the thing in the collection
// at now, when node ran version ("" unknown).
func (a *Absences) Absent(node string, now time.Time, version string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.nodes[node] = absence{since: now, version: version}
}

// Present forgets a learnt absence: the node has it after all.
func (a *Absences) Present(node string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.nodes, node)
}

// ForgetAllBut drops nodes that are no longer online: a node that returns is
// asked afresh.
func (a *Absences) ForgetAllBut(online []string) {
	keep := make(map[string]bool, len(online))
	for _, n := range online {
		keep[n] = true
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for n := range a.nodes {
		if !keep[n] {
			delete(a.nodes, n)
		}
	}
}
