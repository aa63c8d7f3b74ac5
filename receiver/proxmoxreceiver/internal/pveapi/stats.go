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
	mu        sync.Mutex
	requests  map[string]int64
	errors    map[ErrorKey]int64
	endpoints []string // host:port of every configured endpoint
	endpoint  string   // host:port of the endpoint that serves now
	failovers int64
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

func (s *Stats) setEndpoint(label string) {
	s.mu.Lock()
	s.endpoint = label
	s.mu.Unlock()
}

func (s *Stats) failover(to string) {
	s.mu.Lock()
	s.endpoint = to
	s.failovers++
	s.mu.Unlock()
}

func (s *Stats) setEndpoints(labels []string) {
	s.mu.Lock()
	s.endpoints = labels
	s.mu.Unlock()
}

// Endpoint returns the endpoint (host:port) that serves now and how many
// times the client has failed over from one endpoint to the next.
func (s *Stats) Endpoint() (current string, failovers int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.endpoint, s.failovers
}

// Endpoints returns every configured endpoint (host:port), in order.
func (s *Stats) Endpoints() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.endpoints
}
