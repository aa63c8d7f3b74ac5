// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package proxmoxreceiver

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/scraper/scrapererror"
	"go.uber.org/zap/zapcore"

	"github.com/mnm-net/otelcol-mnm/internal/pvesim"
)

// testClock is the scraper's clock in these tests: collections happen when
// the test says, at the minute it says.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

var diskT0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) setMinute(m int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = diskT0.Add(time.Duration(m) * time.Minute)
}

// diskScraper is a metrics scraper collecting every minute and refreshing
// disks every 10 minutes, on a clock the test drives.
func diskScraper(t *testing.T, env *testEnv) (*metricsScraper, func(minute int) (metricIndex, error)) {
	t.Helper()
	env.cfg.CollectionInterval = time.Minute
	env.cfg.DiskRefreshInterval = 10 * time.Minute
	s := env.metricsScraper(t)
	clock := &testClock{}
	s.now = clock.now
	return s, func(minute int) (metricIndex, error) {
		clock.setMinute(minute)
		md, err := s.scrape(context.Background())
		return indexGauges(md), err
	}
}

// assertDisks checks what one collection reports of node's disks: the
// simulator's values while the last answer is fresh; past the bound, health
// unknown with the size and without health or life remaining.
func assertDisks(t *testing.T, got metricIndex, n pvesim.Node, stale bool, when string) {
	t.Helper()
	require.NotEmpty(t, n.Disks)
	for _, d := range n.Disks {
		device := strings.TrimPrefix(d.DevPath, "/dev/")
		at := []string{"node", n.Name, "device", device}
		assert.Equal(t, float64(d.Size), got.value(t, "mnm.proxmox.disk.size", at...), "%s: %s size", when, device)
		if stale {
			assert.False(t, got.has("mnm.proxmox.disk.health", at...), "%s: %s must not re-emit old health", when, device)
			assert.Equal(t, 1.0, got.value(t, "mnm.proxmox.disk.health_unknown", at...), "%s: %s", when, device)
			assert.False(t, got.has("mnm.proxmox.disk.life_remaining", at...), "%s: %s must not re-emit old wearout", when, device)
			continue
		}
		switch d.Health {
		case "PASSED", "OK":
			assert.Equal(t, 1.0, got.value(t, "mnm.proxmox.disk.health", at...), "%s: %s", when, device)
			assert.Equal(t, 0.0, got.value(t, "mnm.proxmox.disk.health_unknown", at...), "%s: %s", when, device)
		case "UNKNOWN":
			assert.False(t, got.has("mnm.proxmox.disk.health", at...), "%s: %s", when, device)
			assert.Equal(t, 1.0, got.value(t, "mnm.proxmox.disk.health_unknown", at...), "%s: %s", when, device)
		default:
			assert.Equal(t, 0.0, got.value(t, "mnm.proxmox.disk.health", at...), "%s: %s %s", when, device, d.Health)
		}
		assert.Equal(t, d.Wearout != nil, got.has("mnm.proxmox.disk.life_remaining", at...), "%s: %s", when, device)
	}
}

func diskProblemLogs(env *testEnv, msg string) int {
	n := 0
	for _, e := range env.logs.FilterMessage(msg).All() {
		if p, _ := e.ContextMap()["problem"].(string); strings.Contains(p, pvesim.PathNodeDisks) {
			n++
		}
	}
	return n
}

func TestDiskListFailureBacksOffThenReportsUnknown(t *testing.T) {
	env := newTestEnv(t, scrapeGoldenCluster)
	_, collect := diskScraper(t, env)
	nodes := env.sim.Cluster().Nodes
	disksAsked := func() int64 { return env.sim.Stats().Paths[pvesim.PathNodeDisks] }

	got, err := collect(0)
	require.NoError(t, err)
	for _, n := range nodes {
		assert.Equal(t, 0.0, got.value(t, "mnm.proxmox.node.disks_age", "node", n.Name))
		assertDisks(t, got, n, false, "minute 0")
	}
	require.Equal(t, int64(len(nodes)), disksAsked())

	// /disks/list fails from minute 1 (the next refresh is due at 10) until
	// minute 40; then the next retry that is due succeeds.
	env.sim.FailPath(pvesim.PathNodeDisks, 500, "command '/usr/sbin/smartctl' failed: got timeout")
	var askedAt []int
	for m := 1; m <= 50; m++ {
		if m == 40 {
			env.sim.ClearFaults()
		}
		before := disksAsked()
		got, err := collect(m)
		asked := disksAsked() - before
		when := "minute " + itoa(m)
		if asked > 0 {
			askedAt = append(askedAt, m)
			require.Equal(t, int64(len(nodes)), asked, "%s: each node once", when)
		}
		if asked > 0 && m < 40 {
			require.Error(t, err, when)
			assert.True(t, scrapererror.IsPartialScrapeError(err), "%s: %v", when, err)
			assert.Contains(t, err.Error(), "/disks/list")
		} else {
			require.NoError(t, err, when)
		}

		lastGood := 0
		if m >= 45 {
			lastGood = 45
		}
		// The bound is twice disk_refresh_interval: minute 20.
		stale := m-lastGood > 20
		for _, n := range nodes {
			assert.Equal(t, float64((m-lastGood)*60), got.value(t, "mnm.proxmox.node.disks_age", "node", n.Name), "%s: age", when)
			assertDisks(t, got, n, stale, when)
		}
		if m == 44 {
			assert.Zero(t, diskProblemLogs(env, "Proxmox problem resolved"), "the problem lasts until a retry succeeds, not while backing off")
		}
	}
	// Retries 1, 2, 4 and 8 minutes apart, then every 10 (the refresh
	// interval caps the back-off); the fault clears at 40, the retry due at
	// 45 succeeds, and the normal 10-minute refresh resumes.
	assert.Equal(t, []int{10, 11, 13, 17, 25, 35, 45}, askedAt)
	assert.Equal(t, len(nodes), diskProblemLogs(env, "Proxmox problem"), "one warning per node, not per retry")
	assert.Equal(t, len(nodes), diskProblemLogs(env, "Proxmox problem resolved"))
	assert.Equal(t, len(nodes), env.logs.FilterMessage("Proxmox problem").FilterLevelExact(zapcore.WarnLevel).Len(), "no other problem")
}

// TestDiskListFailureIsPerNode fails /disks/list of one node only: the other
// keeps its cadence and its health. When the failing node goes offline its
// disks and back-off are forgotten, and it is asked at once when it returns.
func TestDiskListFailureIsPerNode(t *testing.T) {
	env := newTestEnv(t, scrapeGoldenCluster)
	nodes := env.sim.Cluster().Nodes
	require.Len(t, nodes, 2)
	good, bad := nodes[0], nodes[1]

	var failBad atomic.Bool
	var mu sync.Mutex
	asked := map[string][]int{}
	var minute atomic.Int64
	real := env.sim.Handler()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, n := range nodes {
			if r.URL.Path == "/api2/json/nodes/"+n.Name+"/disks/list" {
				mu.Lock()
				asked[n.Name] = append(asked[n.Name], int(minute.Load()))
				mu.Unlock()
				if n.Name == bad.Name && failBad.Load() {
					w.WriteHeader(http.StatusInternalServerError)
					_, _ = w.Write([]byte(`{"data":null,"message":"smartctl timed out\n"}`))
					return
				}
			}
		}
		real.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	env.cfg.ClientConfig.Endpoint = srv.URL
	env.cfg.ClientConfig.TLS.CAFile = ""
	env.cfg.ClientConfig.TLS.InsecureSkipVerify = true
	_, collect := diskScraper(t, env)

	for m := 0; m <= 33; m++ {
		minute.Store(int64(m))
		switch m {
		case 1:
			failBad.Store(true)
		case 31:
			env.sim.SetNodeOffline(bad.Name, true)
		case 32:
			env.sim.SetNodeOffline(bad.Name, false)
			failBad.Store(false)
		}
		got, _ := collect(m)
		when := "minute " + itoa(m)

		goodAge := m % 10
		assert.Equal(t, float64(goodAge*60), got.value(t, "mnm.proxmox.node.disks_age", "node", good.Name), when)
		assertDisks(t, got, good, false, when)

		switch {
		case m == 31:
			assert.False(t, got.has("mnm.proxmox.node.disks_age", "node", bad.Name), "%s: offline node has no age", when)
			assert.False(t, got.has("mnm.proxmox.disk.size", "node", bad.Name), "%s: offline node's disks are forgotten", when)
		case m >= 32:
			assert.Equal(t, float64((m-32)*60), got.value(t, "mnm.proxmox.node.disks_age", "node", bad.Name), when)
			assertDisks(t, got, bad, false, when)
		default:
			assert.Equal(t, float64(m*60), got.value(t, "mnm.proxmox.node.disks_age", "node", bad.Name), when)
			assertDisks(t, got, bad, m > 20, when)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []int{0, 10, 20, 30}, asked[good.Name])
	// Back-off 10, 11, 13, 17, 25 (next due 35), forgotten while offline at
	// 31, asked as soon as the node is back at 32.
	assert.Equal(t, []int{0, 10, 11, 13, 17, 25, 32}, asked[bad.Name])
	assert.False(t, slices.Contains(asked[bad.Name], 31))
}
