package proxmoxreceiver // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver"

import (
	"maps"
	"sync"
)

// apiStats counts requests by path template and failures by template and
// reason, for mnm.proxmox.api.requests and mnm.proxmox.api.errors. Both
// signals share one instance, so the counters cover all traffic.
type apiStats struct {
	mu       sync.Mutex
	requests map[string]int64
	errors   map[apiErrorKey]int64
}

type apiErrorKey struct {
	path, reason string
}

func newAPIStats() *apiStats {
	return &apiStats{requests: map[string]int64{}, errors: map[apiErrorKey]int64{}}
}

func (s *apiStats) sent(path string) {
	s.mu.Lock()
	s.requests[path]++
	s.mu.Unlock()
}

func (s *apiStats) failed(path, reason string) {
	s.mu.Lock()
	s.errors[apiErrorKey{path, reason}]++
	s.mu.Unlock()
}

// snapshot returns copies of both counters.
func (s *apiStats) snapshot() (map[string]int64, map[apiErrorKey]int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.requests), maps.Clone(s.errors)
}
