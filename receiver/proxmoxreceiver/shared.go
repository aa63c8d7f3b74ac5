package proxmoxreceiver // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver"

import (
	"context"
	"fmt"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/receiver"
)

// sharedClient is the one Proxmox client that the metrics and the logs
// receiver of the same configuration share: one per-node request bound, one
// set of API counters, one problem log.
type sharedClient struct {
	cfg      *Config
	settings receiver.Settings
	stats    *apiStats
	problems *problemLog

	mu      sync.Mutex
	users   int // started receivers
	client  *proxmoxClient
	release func()
}

type sharedClientRegistry struct {
	mu      sync.Mutex
	clients map[*Config]*sharedClient
}

var sharedClients = &sharedClientRegistry{clients: map[*Config]*sharedClient{}}

// acquire returns the shared client of cfg, creating it on first use.
func (r *sharedClientRegistry) acquire(cfg *Config, set receiver.Settings) *sharedClient {
	r.mu.Lock()
	defer r.mu.Unlock()
	if sc, ok := r.clients[cfg]; ok {
		return sc
	}
	sc := &sharedClient{cfg: cfg, settings: set, stats: newAPIStats(), problems: newProblemLog(set.Logger)}
	sc.release = func() {
		r.mu.Lock()
		delete(r.clients, cfg)
		r.mu.Unlock()
	}
	r.clients[cfg] = sc
	return sc
}

// start builds the HTTP client on first start; confighttp wants the host for
// its auth and middleware extensions, so it cannot happen in the factory.
func (sc *sharedClient) start(ctx context.Context, host component.Host) error {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.client == nil {
		httpClient, err := sc.cfg.ClientConfig.ToClient(ctx, host.GetExtensions(), sc.settings.TelemetrySettings)
		if err != nil {
			return fmt.Errorf("proxmox receiver: cannot build the HTTP client from the tls/proxy settings: %w", err)
		}
		sc.client = newProxmoxClient(sc.cfg, httpClient, sc.settings.Logger, sc.stats)
	}
	sc.users++
	return nil
}

// shutdown releases one user; the last one closes idle connections and
// forgets the shared client, so a restarted pipeline starts afresh.
func (sc *sharedClient) shutdown() {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.users == 0 {
		return // never started
	}
	sc.users--
	if sc.users == 0 {
		sc.client.http.CloseIdleConnections()
		sc.client = nil
		sc.release()
	}
}

func (sc *sharedClient) get() *proxmoxClient {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.client
}
