// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pvesim

import (
	"maps"
	"sync"
)

// Stats counts requests under /api2/json since New or the last ResetStats.
type Stats struct {
	// Paths counts GET requests per path template (e.g. "/nodes/{node}/status").
	Paths map[string]int64 `json:"paths"`
	// Total counts every GET, including unknown paths.
	Total int64 `json:"total"`
	// Unknown counts GETs of paths no template matches (answered 501).
	Unknown int64 `json:"unknown"`
	// NonGET counts requests with any other method (answered 405).
	NonGET int64 `json:"non_get"`
}

type statsCounter struct {
	mu sync.Mutex
	s  Stats
}

func (c *statsCounter) get(template string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.s.Paths == nil {
		c.s.Paths = map[string]int64{}
	}
	c.s.Total++
	if template == "" {
		c.s.Unknown++
		return
	}
	c.s.Paths[template]++
}

func (c *statsCounter) nonGET() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.s.NonGET++
}

func (c *statsCounter) snapshot() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.s
	out.Paths = maps.Clone(c.s.Paths)
	if out.Paths == nil {
		out.Paths = map[string]int64{}
	}
	return out
}

func (c *statsCounter) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.s = Stats{}
}
