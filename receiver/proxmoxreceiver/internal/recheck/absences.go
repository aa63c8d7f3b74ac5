// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package recheck

import (
	"maps"
	"slices"
	"sync"
	"time"
)

// Absences remembers what Proxmox said is absent, by key, so that it is not
// asked again at every collection: a feature of the cluster (SDN, Ceph, HA,
// ...: Proxmox's 501 or "not installed", see pveapi.IsAbsent), or of one node
// (a node without ZFS, a Proxmox VE 7 node without /lxc/{vmid}/interfaces).
// It is asked again after recheck, or at once when a node's Proxmox version
// changes from the one it ran when the absence was learnt: an upgrade may
// add what was missing.
type Absences struct {
	recheck time.Duration

	mu     sync.Mutex
	absent map[string]absence
}

type absence struct {
	since time.Time
	// versions are the pve-manager versions of the nodes the absence
	// depends on, when it was learnt ("" unknown).
	versions map[string]string
}

// NewAbsences returns Absences asked again after recheck.
func NewAbsences(recheck time.Duration) *Absences {
	return &Absences{recheck: recheck, absent: map[string]absence{}}
}

// Due reports whether key should be asked: nothing is known absent, the
// recheck time has come, or a node runs another version now (current, nil
// when no version matters) than when the absence was learnt. An unknown
// version, then or now, is no change.
func (a *Absences) Due(key string, now time.Time, current func(node string) string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	ab, ok := a.absent[key]
	if !ok {
		return true
	}
	if current != nil {
		for node, was := range ab.versions {
			if v := current(node); was != "" && v != "" && v != was {
				delete(a.absent, key)
				return true
			}
		}
	}
	if now.Sub(ab.since) >= a.recheck {
		delete(a.absent, key)
		return true
	}
	return false
}

// Absent records that Proxmox said key is absent, in the collection at now,
// when the nodes it depends on ran versions (nil: none matters).
func (a *Absences) Absent(key string, now time.Time, versions map[string]string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.absent[key] = absence{since: now, versions: versions}
}

// Present forgets a learnt absence: it is there after all.
func (a *Absences) Present(key string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.absent, key)
}

// ForgetAllBut drops every key not in keep (nodes no longer online: a node
// that returns is asked afresh).
func (a *Absences) ForgetAllBut(keep []string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	maps.DeleteFunc(a.absent, func(key string, _ absence) bool { return !slices.Contains(keep, key) })
}
