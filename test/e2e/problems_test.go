// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e && linux

package e2e

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mnm-net/otelcol-mnm/internal/pvesim"
)

// waitForWhy waits until a failed collection's exposition says why: it is
// not empty, mnm_proxmox_up is 0 and the problem with labels is there.
func waitForWhy(t *testing.T, addr string, labels map[string]string) {
	t.Helper()
	waitForMetric(t, addr, "mnm_proxmox_up", nil, equals(0))
	waitForMetric(t, addr, "mnm_proxmox_problem", labels, equals(1))
}

func TestFaultUnreachableEndpointSaysWhy(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := "https://" + l.Addr().String()
	require.NoError(t, l.Close())
	cluster := startCluster(t, faultCluster)
	cluster.url = closed // nothing listens there
	collector, addr := startFaultCollector(t, cluster, startController(t, "fault-controller-secret"))
	waitForWhy(t, addr, map[string]string{"kind": "unreachable"})
	collector.waitForLog(t, 30*time.Second, "cannot reach Proxmox at "+closed)
	assert.False(t, collector.exited())
}

// TestFaultEndpointFailover: endpoints [first, second] of one cluster; the
// first goes down (connection refused) and comes back. Collections go on
// through the second without a gap, and return to the first.
func TestFaultEndpointFailover(t *testing.T) {
	t.Parallel()
	sim := pvesim.New(faultCluster)
	t.Cleanup(sim.Close)
	multi, err := pvesim.NewMultiServer(sim, 2)
	require.NoError(t, err)
	t.Cleanup(multi.Close)
	dir := t.TempDir()
	caFile := filepath.Join(dir, "pve-root-ca.pem")
	require.NoError(t, os.WriteFile(caFile, multi.CertPEM(), 0o600))
	overlay := filepath.Join(dir, "endpoints.yaml")
	require.NoError(t, os.WriteFile(overlay, fmt.Appendf(nil, "receivers:\n  proxmox:\n    endpoints: [%q, %q]\n", multi.URL(0), multi.URL(1)), 0o600))
	cluster := &simulatedCluster{sim: sim, url: multi.URL(0), caFile: caFile}

	const interval = 2 * time.Second // the harness's metrics interval
	setup := &collectorSetup{cluster: cluster, controller: startController(t, "fault-controller-secret"), logLevel: "debug",
		overlays: []string{overlay}, extraEnv: []string{"MNM_PROXMOX_TIMEOUT=1s"}}
	collector := startCollector(t, setup)
	addr := setup.promAddr
	waitForMetric(t, addr, "mnm_proxmox_api_endpoint_info", map[string]string{"endpoint": multi.Addr(0)}, equals(1))

	// Watch the collections' timestamps for the whole failover and back.
	var mu sync.Mutex
	var stamps []float64
	stop := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for {
			if e, err := scrapeCollector(addr); err == nil {
				if v, ok := e.value("mnm_proxmox_last_collection_timestamp", nil); ok {
					mu.Lock()
					if len(stamps) == 0 || v != stamps[len(stamps)-1] {
						stamps = append(stamps, v)
					}
					mu.Unlock()
				}
			}
			select {
			case <-stop:
				return
			case <-time.After(200 * time.Millisecond):
			}
		}
	}()

	multi.Down(0) // a rolling upgrade reboots the first node
	waitForMetric(t, addr, "mnm_proxmox_api_endpoint_info", map[string]string{"endpoint": multi.Addr(1)}, equals(1))
	waitForMetric(t, addr, "mnm_proxmox_api_failovers_total", nil, equals(1))
	waitForCollections(t, addr, 2)
	require.NoError(t, multi.Up(0))
	waitForMetric(t, addr, "mnm_proxmox_api_endpoint_info", map[string]string{"endpoint": multi.Addr(0)}, equals(1))
	waitForCollections(t, addr, 1)
	close(stop)
	<-watched

	mu.Lock()
	defer mu.Unlock()
	require.GreaterOrEqual(t, len(stamps), 4)
	for i := 1; i < len(stamps); i++ {
		gap := time.Duration((stamps[i] - stamps[i-1]) * float64(time.Second))
		assert.Less(t, gap, 2*interval, "no collection was missed: gap of %s between collections %d and %d", gap, i-1, i)
	}
	collector.waitForLog(t, 10*time.Second, "Proxmox endpoint cannot answer; the next one serves")
	collector.waitForLog(t, 10*time.Second, "Proxmox endpoint answers again and serves")
	e, err := scrapeCollector(addr)
	require.NoError(t, err)
	up, _ := e.value("mnm_proxmox_up", nil)
	assert.Equal(t, 1.0, up)
}
