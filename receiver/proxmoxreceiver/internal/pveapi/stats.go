// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pveapi // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/pveapi"

import (
	"maps"
	"sync"
)

// Stats counts requests by path template and failures by template and
// reason, for mnm.proxmox.api.requests and mnm.proxmox.api.errors. Both
// signals share one instance, so the counters cover all traffic.
type Stats struct {
	mu       sync.Mutex
	requests map[string]int64
	errors   map[ErrorKey]int64
}

// ErrorKey names a failure: the path template and a low-cardinality reason.
type ErrorKey struct {
	Path, Reason string
}

// NewStats returns empty counters.
func NewStats() *Stats {
	return &Stats{requests: map[string]int64{}, errors: map[ErrorKey]int64{}}
}

func (s *Stats) sent(path string) {
	s.mu.Lock()
	s.requests[path]++
	s.mu.Unlock()
}

func (s *Stats) failed(path, reason string) {
	s.mu.Lock()
	s.errors[ErrorKey{path, reason}]++
	s.mu.Unlock()
}

// Snapshot returns copies of both counters.
func (s *Stats) Snapshot() (map[string]int64, map[ErrorKey]int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.requests), maps.Clone(s.errors)
}
