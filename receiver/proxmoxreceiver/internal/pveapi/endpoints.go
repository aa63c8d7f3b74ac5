// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pveapi // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/pveapi"

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
)

// endpointSet is the API addresses of one cluster's nodes, in order of
// preference. Every node answers for the whole cluster, so when the current
// one cannot answer (it reboots during a rolling upgrade, it hangs, its
// certificate fails), the next one serves; the first one is tried again at
// most once per probe interval and serves again as soon as it answers.
type endpointSet struct {
	list       []endpoint
	probeEvery time.Duration
	stats      *Stats
	logger     *zap.Logger
	now        func() time.Time

	mu        sync.Mutex
	current   int
	lastProbe time.Time
}

type endpoint struct {
	base    string // https://host:8006/api2/json, without a trailing slash
	address string // the configured endpoint, for errors and logs
	label   string // host:port, for the endpoint metric
}

func newEndpointSet(addresses []string, probeEvery time.Duration, stats *Stats, logger *zap.Logger) *endpointSet {
	s := &endpointSet{probeEvery: probeEvery, stats: stats, logger: logger, now: time.Now}
	for _, a := range addresses {
		a = strings.TrimRight(a, "/")
		label := a
		if u, err := url.Parse(a); err == nil && u.Host != "" {
			label = u.Host
		}
		s.list = append(s.list, endpoint{base: strings.TrimSuffix(a, apiPrefix) + apiPrefix, address: a, label: label})
	}
	labels := make([]string, len(s.list))
	for i, e := range s.list {
		labels[i] = e.label
	}
	stats.setEndpoints(labels)
	if len(s.list) > 0 {
		stats.setEndpoint(s.list[0].label)
	}
	return s
}

func (s *endpointSet) at(i int) endpoint { return s.list[i] }

// order is the endpoints to try for one request: the current one, then the
// others in turn; the first listed one first when its probe is due.
func (s *endpointSet) order() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.list)
	out := make([]int, 0, n)
	probe := s.current != 0 && s.now().Sub(s.lastProbe) >= s.probeEvery
	if probe {
		s.lastProbe = s.now()
		out = append(out, 0)
	}
	for k := range n {
		if i := (s.current + k) % n; !(probe && i == 0) {
			out = append(out, i)
		}
	}
	return out
}

// failed moves away from endpoint i when it is the current one.
func (s *endpointSet) failed(i int, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i != s.current || len(s.list) < 2 {
		return
	}
	s.current = (i + 1) % len(s.list)
	s.lastProbe = s.now()
	s.stats.failover(s.list[s.current].label)
	s.logger.Warn("Proxmox endpoint cannot answer; the next one serves",
		zap.String("failed", s.list[i].address), zap.String("now", s.list[s.current].address), zap.Error(err))
}

// served notes that endpoint i answered: a preferred endpoint that answers
// becomes the current one again.
func (s *endpointSet) served(i int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i >= s.current {
		return
	}
	s.logger.Info("Proxmox endpoint answers again and serves", zap.String("endpoint", s.list[i].address),
		zap.String("instead_of", s.list[s.current].address))
	s.current = i
	s.stats.setEndpoint(s.list[i].label)
}

// failsOver reports whether another node's endpoint might answer where this
// one could not: no HTTP answer at all (refused, reset, timed out), a
// certificate the client does not trust, or a 5xx that did not come from
// Proxmox (a proxy or load balancer in front of a node that is down). A
// Proxmox answer, error or not, is the cluster's answer: another node would
// give the same one.
func failsOver(err error) bool {
	if err == nil {
		return false
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Status >= 500 && !ae.fromProxmox
	}
	return errors.Is(err, ErrUnreachable) || errors.Is(err, ErrTLS)
}

// isProxmoxAnswer recognises pveproxy's answers: libpve-http-server-perl
// (src/PVE/APIServer/AnyEvent.pm, response) sets "Server: pve-api-daemon/3.0"
// on every one, including the 5xx it makes up itself (595, 596).
func isProxmoxAnswer(resp *http.Response) bool {
	return strings.HasPrefix(resp.Header.Get("Server"), "pve-api-daemon")
}
