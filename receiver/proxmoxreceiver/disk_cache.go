// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package proxmoxreceiver // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver"

import (
	"sync"
	"time"

	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/pveapi"
)

// diskCache keeps the last /disks/list answer of each node. Proxmox runs
// smartctl on every disk for that call, so it is asked only every
// disk_refresh_interval and its last values are re-emitted in between.
type diskCache struct {
	refresh time.Duration
	mu      sync.Mutex
	nodes   map[string]diskSnapshot
}

type diskSnapshot struct {
	disks   []pveapi.Disk
	fetched time.Time
}

func newDiskCache(refresh time.Duration) *diskCache {
	return &diskCache{refresh: refresh, nodes: map[string]diskSnapshot{}}
}

// due reports whether node's disks should be asked for now.
func (c *diskCache) due(node string, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	snap, ok := c.nodes[node]
	return !ok || now.Sub(snap.fetched) >= c.refresh
}

func (c *diskCache) store(node string, disks []pveapi.Disk, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.nodes[node] = diskSnapshot{disks: disks, fetched: now}
}

func (c *diskCache) get(node string) []pveapi.Disk {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nodes[node].disks
}

// forgetAllBut drops nodes that are no longer online, so their disks are not
// re-emitted and are asked for afresh when the node returns.
func (c *diskCache) forgetAllBut(online []string) {
	keep := make(map[string]bool, len(online))
	for _, n := range online {
		keep[n] = true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for n := range c.nodes {
		if !keep[n] {
			delete(c.nodes, n)
		}
	}
}
