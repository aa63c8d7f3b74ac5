// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package mnmendpointexporter

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"go.opentelemetry.io/collector/component/componenttest"

	"github.com/mnm-net/otelcol-mnm/internal/controllersim"
)

// TestNewestRecordWinsWithinExport: records with the same key are merged
// by their timestamps, whatever their order in the export (e.g. two
// snapshots merged upstream), at the position of the first.
func TestNewestRecordWinsWithinExport(t *testing.T) {
	ctrl, srv := newController(t, controllersim.Config{})
	exp := startExporter(t, testConfig(srv.URL), nopSettings())
	require.NoError(t, exp.pushLogs(context.Background(), logsOf(
		rec{mac: "BC:24:11:00:00:01", hostname: "newest", ip: "192.0.2.3", device: "pve1", port: "vmbr0", ts: seenAt.Add(2 * time.Minute)},
		rec{mac: "BC:24:11:00:00:02", hostname: "other", device: "pve1", port: "vmbr0", ts: seenAt},
		rec{mac: "BC:24:11:00:00:01", hostname: "oldest", ip: "192.0.2.1", device: "pve1", port: "vmbr0", ts: seenAt},
		rec{mac: "BC:24:11:00:00:01", hostname: "older", ip: "192.0.2.2", device: "pve1", port: "vmbr0", ts: seenAt.Add(time.Minute)},
		// Within the same second: the sub-second timestamp still decides.
		rec{mac: "BC:24:11:00:00:03", hostname: "later", device: "pve1", port: "vmbr0", ts: seenAt.Add(900 * time.Millisecond)},
		rec{mac: "BC:24:11:00:00:03", hostname: "earlier", device: "pve1", port: "vmbr0", ts: seenAt.Add(100 * time.Millisecond)},
	)))
	reqs := ctrl.Requests()
	require.Len(t, reqs, 1)
	require.Len(t, reqs[0].Endpoints, 3)
	first := reqs[0].Endpoints[0]
	assert.Equal(t, "BC:24:11:00:00:01", first.MAC)
	assert.Equal(t, "newest", first.Hostname)
	require.NotNil(t, first.IP)
	assert.Equal(t, "192.0.2.3", *first.IP)
	assert.Equal(t, "2026-11-22T13:02:00Z", first.LastSeen)
	assert.Equal(t, "BC:24:11:00:00:02", reqs[0].Endpoints[1].MAC)
	assert.Equal(t, "later", reqs[0].Endpoints[2].Hostname)
}

// applyOrder passes upsert requests to next, holding the first one back for
// hold, so that a second consumer, if there were one, would overtake it.
type applyOrder struct {
	next http.Handler
	hold time.Duration
	mu   sync.Mutex
	seen int
}

func (a *applyOrder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == controllersim.UpsertPath {
		a.mu.Lock()
		a.seen++
		first := a.seen == 1
		a.mu.Unlock()
		if first {
			time.Sleep(a.hold)
		}
	}
	a.next.ServeHTTP(w, r)
}

// TestSnapshotsAppliedInOrderAcrossExports goes through exporterhelper as
// shipped: an older snapshot queued before a newer one is applied first,
// even when the controller is slow to answer the older one.
func TestSnapshotsAppliedInOrderAcrossExports(t *testing.T) {
	ctrl := controllersim.New(controllersim.Config{Secret: testSecret})
	slow := httptest.NewServer(&applyOrder{next: schemaChecked(t, ctrl), hold: 300 * time.Millisecond})
	defer slow.Close()

	cfg := createDefaultConfig().(*Config)
	cfg.ClientConfig.Endpoint = slow.URL
	cfg.Secret = testSecret
	require.NoError(t, cfg.Validate())

	exp, err := NewFactory().CreateLogs(context.Background(), nopSettings(), cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))
	snapshot := func(hostname string, ts time.Time) rec {
		return rec{mac: "BC:24:11:00:00:01", hostname: hostname, device: "pve1", port: "vmbr0", ts: ts}
	}
	for i, name := range []string{"v1", "v2", "v3"} {
		require.NoError(t, exp.ConsumeLogs(context.Background(), logsOf(snapshot(name, seenAt.Add(time.Duration(i)*time.Minute)))))
	}
	require.NoError(t, exp.Shutdown(context.Background())) // drains the queue

	var applied []string
	for _, req := range ctrl.Requests() {
		applied = append(applied, req.Endpoints[0].Hostname)
	}
	assert.Equal(t, []string{"v1", "v2", "v3"}, applied, "applied in the order taken")
	eps := ctrl.Endpoints()
	require.Len(t, eps, 1)
	assert.Equal(t, "v3", eps[0].Hostname)
	// MNM's upsert_endpoint applies every record, older or not: each later
	// snapshot is one hostname_changed update of the row.
	assert.Equal(t, 2, eps[0].Updates, "every step applied once")
}
