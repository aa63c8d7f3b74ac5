// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package proxmoxreceiver // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver"

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/receiver"
	"go.uber.org/zap"

	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/problems"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/pveapi"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/recheck"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/sharedcomponent"
)

// sharedClient is the one Proxmox client that the metrics and the logs
// receiver of the same configuration share (see package sharedcomponent):
// one per-node request bound, one set of API counters, one problem log, and
// what one collection leaves for the other.
type sharedClient struct {
	cfg      *Config
	settings receiver.Settings
	stats    *pveapi.Stats
	problems *problems.Log
	// newClient builds the API client at start; tests replace it with a fake.
	newClient func(ctx context.Context, host component.Host) (pveapi.Client, *http.Client, error)

	versions sync.Map // node → its pve-manager version, from the metrics collection
	// features are the features Proxmox said are absent (see featureAbsent).
	features *recheck.Absences
	nics     atomic.Pointer[[]nicInfo]             // every guest NIC of the latest inventory cycle
	vms      atomic.Pointer[map[string]*vmDetails] // each running VM's agent and balloon answers

	mu     sync.Mutex
	client pveapi.Client
	http   *http.Client // its idle connections are closed at shutdown
}

// clientHandle is one receiver's hold on its configuration's sharedClient.
type clientHandle = sharedcomponent.Handle[*Config, *sharedClient]

var sharedClients = sharedcomponent.NewMap[*Config, *sharedClient]()

// shareClient returns a handle on the shared client of cfg, made on first use.
func shareClient(cfg *Config, set receiver.Settings) *clientHandle {
	return sharedClients.LoadOrStore(cfg, func() *sharedClient {
		sc := &sharedClient{cfg: cfg, settings: set, stats: pveapi.NewStats(), problems: problems.New(set.Logger), features: recheck.NewAbsences(featureRecheck)}
		sc.newClient = sc.buildClient
		return sc
	})
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

// Start builds the client, when the first receiver starts.
func (sc *sharedClient) Start(ctx context.Context, host component.Host) error {
	client, httpClient, err := sc.newClient(ctx, host)
	if err != nil {
		return err
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.client, sc.http = client, httpClient
	return nil
}

// Shutdown closes the idle connections, when the last receiver stops.
func (sc *sharedClient) Shutdown(context.Context) error {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.http != nil {
		sc.http.CloseIdleConnections()
	}
	sc.client, sc.http = nil, nil
	return nil
}

func (sc *sharedClient) get() pveapi.Client {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.client
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
	sc.nics.Store(&nics)
}

// publishVMDetails replaces what the metrics collection reports of each
// VM's guest.
func (sc *sharedClient) publishVMDetails(vms map[string]*vmDetails) {
	sc.vms.Store(&vms)
}

// latestVMDetails returns the VMs' details of the latest inventory cycle,
// by resource ID; nil before the first one.
func (sc *sharedClient) latestVMDetails() map[string]*vmDetails {
	if vms := sc.vms.Load(); vms != nil {
		return *vms
	}
	return nil
}

// latestNICs returns the NICs of the latest inventory cycle, and false
// before the first one.
func (sc *sharedClient) latestNICs() ([]nicInfo, bool) {
	if nics := sc.nics.Load(); nics != nil {
		return *nics, true
	}
	return nil, false
}

// featureRecheck is how long a feature Proxmox said is absent (SDN, Ceph,
// HA, ...) goes unasked: installing the package later is noticed within it,
// and at once when a node's Proxmox version changes.
const featureRecheck = time.Hour

// Keys of the features whose absence is remembered. Per-node features add
// the node: featureReplication + " " + node.
const (
	featureSDN          = "sdn"
	featureCeph         = "ceph"
	featureHA           = "ha"
	featureBackupInfo   = "backup-info"
	featureReplication  = "replication"
	featureTasks        = "tasks"
	featureCertificates = "certificates"
	featureSubscription = "subscription"
)

// featureDue reports whether the feature key is to be asked now: it is not
// known absent, or its recheck has come, or a node's version changed since.
func (sc *sharedClient) featureDue(key string, now time.Time) bool {
	return sc.features.Due(key, now, sc.version)
}

// featureAbsent records what the answer err says of the feature key and
// reports whether Proxmox said the feature is absent (pveapi.IsAbsent):
// not a problem, only asked again after featureRecheck.
func (sc *sharedClient) featureAbsent(key string, err error, now time.Time) bool {
	if pveapi.IsAbsent(err) {
		sc.features.Absent(key, now, sc.knownVersions())
		return true
	}
	if err == nil {
		sc.features.Present(key)
	}
	return false
}

// knownVersions copies every node's known Proxmox VE version.
func (sc *sharedClient) knownVersions() map[string]string {
	out := map[string]string{}
	sc.versions.Range(func(node, version any) bool {
		out[node.(string)] = version.(string)
		return true
	})
	return out
}
