// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package proxmoxreceiver // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver"

import (
	"sync"
	"time"
)

// absences remembers, per node, something Proxmox has said the node does not
// have, so that it is not asked again at every collection: a node without
// ZFS (/disks/zfs answers 500 "zpool ... failed"), or a Proxmox VE 7 node,
// which has no /lxc/{vmid}/interfaces (501). It is asked again after recheck,
// or at once when the node's Proxmox version changes (an upgrade may add
// what was missing).
type absences struct {
	recheck time.Duration

	mu    sync.Mutex
	nodes map[string]absence
}

type absence struct {
	since   time.Time
	version string // the node's pve-manager version when it was learnt; "" unknown
}

func newAbsences(recheck time.Duration) *absences {
	return &absences{recheck: recheck, nodes: map[string]absence{}}
}

// due reports whether node should be asked: nothing is known missing, the
// recheck time has come, or its version is no longer the one it was learnt on.
func (a *absences) due(node string, now time.Time, version string) bool {
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

func (a *absences) absent(node string, now time.Time, version string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.nodes[node] = absence{since: now, version: version}
}

func (a *absences) present(node string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.nodes, node)
}

// forgetAllBut drops nodes that are no longer online: a node that returns is
// asked afresh.
func (a *absences) forgetAllBut(online []string) {
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
