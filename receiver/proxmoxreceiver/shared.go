// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package proxmoxreceiver // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver"

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/receiver"
	"go.uber.org/zap"

	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/problems"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/pveapi"
)

// sharedClient is the one Proxmox client that the metrics and the logs
// receiver of the same configuration share: one per-node request bound, one
// set of API counters, one problem log.
//
// Each receiver holds a lease on it from creation to shutdown; the last lease
// released forgets it, whether or not it was ever started, so that a
// restarted pipeline starts afresh and the registry never keeps a dead entry.
type sharedClient struct {
	cfg      *Config
	settings receiver.Settings
	stats    *pveapi.Stats
	problems *problems.Log
	// newClient builds the API client at first start; tests replace it with a fake.
	newClient func(ctx context.Context, host component.Host) (pveapi.Client, *http.Client, error)

	versions sync.Map // node → its pve-manager version, from the metrics collection
	// features are the features Proxmox said are absent (see featureAbsent).
	features *featureAbsences
	nics     sync.Map // "nics" → []nicInfo: every guest NIC of the latest inventory cycle
	vms      sync.Map // "vms" → map[string]*vmDetails: each running VM's agent and balloon answers

	mu      sync.Mutex
	leases  int // receivers created and not shut down
	started int // of those, receivers started
	client  pveapi.Client
	http    *http.Client // closed with the last started receiver
	forget  func()
}

type sharedClientRegistry struct {
	mu      sync.Mutex
	clients map[*Config]*sharedClient
}

var sharedClients = &sharedClientRegistry{clients: map[*Config]*sharedClient{}}

// lease returns a lease on the shared client of cfg, creating it on first use.
func (r *sharedClientRegistry) lease(cfg *Config, set receiver.Settings) *clientLease {
	r.mu.Lock()
	defer r.mu.Unlock()
	sc, ok := r.clients[cfg]
	if !ok {
		sc = &sharedClient{cfg: cfg, settings: set, stats: pveapi.NewStats(), problems: problems.New(set.Logger), features: newFeatureAbsences()}
		sc.newClient = sc.buildClient
		sc.forget = func() {
			r.mu.Lock()
			defer r.mu.Unlock()
			sc.mu.Lock()
			idle := sc.leases == 0 // a lease may have been taken meanwhile
			sc.mu.Unlock()
			if idle && r.clients[cfg] == sc {
				delete(r.clients, cfg)
			}
		}
		r.clients[cfg] = sc
	}
	sc.mu.Lock()
	sc.leases++
	sc.mu.Unlock()
	return &clientLease{shared: sc}
}

// size is the number of shared clients alive, for tests.
func (r *sharedClientRegistry) size() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.clients)
}

// buildClient builds the HTTP client; confighttp wants the host for its auth
// and middleware extensions, so it cannot happen in the factory.
func (sc *sharedClient) buildClient(ctx context.Context, host component.Host) (pveapi.Client, *http.Client, error) {
	httpClient, err := sc.cfg.ClientConfig.ToClient(ctx, host.GetExtensions(), sc.settings.TelemetrySettings)
	if err != nil {
		return nil, nil, fmt.Errorf("proxmox receiver: cannot build the HTTP client from the tls/proxy settings: %w", err)
	}
	for _, e := range sc.cfg.endpointList() {
		if strings.HasPrefix(strings.ToLower(e), "http://") {
			sc.settings.Logger.Warn("the Proxmox endpoint is plain http://: the API token, secret included, travels in clear text; Proxmox serves its API on https://HOST:8006",
				zap.String("endpoint", redactedURL(e)))
		}
	}
	return pveapi.New(httpClient, pveapi.Settings{
		Endpoints:                    sc.cfg.endpointList(),
		ProbeInterval:                sc.cfg.CollectionInterval,
		TokenID:                      sc.cfg.TokenID,
		TokenSecret:                  string(sc.cfg.TokenSecret),
		MaxConcurrentRequestsPerNode: sc.cfg.MaxConcurrentRequestsPerNode,
		MaxConcurrentRequests:        sc.cfg.MaxConcurrentRequests,
		Stats:                        sc.stats,
		Logger:                       sc.settings.Logger,
	}), httpClient, nil
}

func (sc *sharedClient) get() pveapi.Client {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.client
}

// clientLease is one receiver's hold on a sharedClient. Start and Shutdown
// may each be called any number of times, in any order.
type clientLease struct {
	shared *sharedClient

	mu       sync.Mutex
	started  bool
	released bool
}

func (l *clientLease) start(ctx context.Context, host component.Host) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.started || l.released {
		return nil
	}
	sc := l.shared
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.client == nil {
		client, httpClient, err := sc.newClient(ctx, host)
		if err != nil {
			return err
		}
		sc.client, sc.http = client, httpClient
	}
	sc.started++
	l.started = true
	return nil
}

// shutdown releases the lease: the last started receiver closes idle
// connections, the last lease forgets the shared client.
func (l *clientLease) shutdown(context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.released {
		return nil
	}
	l.released = true
	if l.shared.release(l.started) {
		l.shared.forget() // outside sc.mu: the registry locks in the other order
	}
	return nil
}

// release drops one lease (and one start); it reports whether that was the
// last lease.
func (sc *sharedClient) release(wasStarted bool) (last bool) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if wasStarted {
		sc.started--
		if sc.started == 0 {
			if sc.http != nil {
				sc.http.CloseIdleConnections()
			}
			sc.client, sc.http = nil, nil
		}
	}
	sc.leases--
	return sc.leases == 0
}

// noteVersion remembers node's Proxmox VE version for the other collection.
func (sc *sharedClient) noteVersion(node, version string) {
	sc.versions.Store(node, version)
}

// version is node's Proxmox VE version as last seen, or "".
func (sc *sharedClient) version(node string) string {
	v, _ := sc.versions.Load(node)
	s, _ := v.(string)
	return s
}

// publishNICs replaces the guest NICs the metrics collection joins with.
func (sc *sharedClient) publishNICs(nics []nicInfo) {
	sc.nics.Store("nics", nics)
}

// publishVMDetails replaces what the metrics collection reports of each
// VM's guest.
func (sc *sharedClient) publishVMDetails(vms map[string]*vmDetails) {
	sc.vms.Store("vms", vms)
}

// latestVMDetails returns the VMs' details of the latest inventory cycle,
// by resource ID; nil before the first one.
func (sc *sharedClient) latestVMDetails() map[string]*vmDetails {
	v, _ := sc.vms.Load("vms")
	vms, _ := v.(map[string]*vmDetails)
	return vms
}

// latestNICs returns the NICs of the latest inventory cycle, and false
// before the first one.
func (sc *sharedClient) latestNICs() ([]nicInfo, bool) {
	v, ok := sc.nics.Load("nics")
	nics, _ := v.([]nicInfo)
	return nics, ok
}
