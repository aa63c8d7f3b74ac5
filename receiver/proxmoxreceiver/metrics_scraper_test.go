// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package proxmoxreceiver

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/pmetrictest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/scraper/scrapererror"
	"go.uber.org/zap/zapcore"

	"github.com/mnm-net/otelcol-mnm/internal/pvesim"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/problems"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/pveapi"
)

var goldenCluster = pvesim.Config{Nodes: 3, Guests: 24, Seed: 1}

// scrapeGoldenCluster is small enough that its golden file can be read in
// review; larger clusters are checked against the simulator's ground truth
// (TestScrapeMatchesGroundTruth).
var scrapeGoldenCluster = pvesim.Config{Nodes: 2, Guests: 4, Seed: 1}

func TestScrapeGolden(t *testing.T) {
	env := newTestEnv(t, scrapeGoldenCluster)
	s := env.metricsScraper(t)
	actual, err := s.scrape(context.Background())
	require.NoError(t, err)

	expectedFile := filepath.Join("testdata", "scraper", "expected_metrics.yaml")
	if os.Getenv("UPDATE_GOLDEN") != "" {
		require.NoError(t, golden.WriteMetrics(t, expectedFile, actual))
	}
	expected, err := golden.ReadMetrics(expectedFile)
	require.NoError(t, err)
	require.NoError(t, pmetrictest.CompareMetrics(expected, actual,
		pmetrictest.IgnoreTimestamp(),
		pmetrictest.IgnoreStartTimestamp(),
		pmetrictest.IgnoreResourceMetricsOrder(),
		pmetrictest.IgnoreMetricsOrder(),
		pmetrictest.IgnoreMetricDataPointsOrder(),
		pmetrictest.IgnoreMetricValues("mnm.proxmox.collection.duration", "mnm.proxmox.last_collection_timestamp"),
		pmetrictest.IgnoreMetricAttributeValue("endpoint", "mnm.proxmox.api.endpoint_info"), // the test server's port
	))
}

// TestScrapeMatchesGroundTruth checks values against the simulator's model
// rather than a recorded file, so a decoding slip cannot hide in the golden.
func TestScrapeMatchesGroundTruth(t *testing.T) {
	env := newTestEnv(t, pvesim.Config{Nodes: 4, Guests: 60, OfflineNodes: 1, Seed: 7})
	s := env.metricsScraper(t)
	md, err := s.scrape(context.Background())
	require.NoError(t, err)
	got := indexGauges(md)
	truth := env.sim.Cluster()

	for _, n := range truth.Nodes {
		online := 0.0
		if n.Online {
			online = 1
		}
		assert.Equal(t, online, got.value(t, "mnm.proxmox.node.online", "node", n.Name), n.Name)
		if !n.Online {
			assert.False(t, got.has("mnm.proxmox.node.memory_total", "node", n.Name), "offline node %s must not report status", n.Name)
			continue
		}
		assert.Equal(t, float64(n.SwapTotal), got.value(t, "mnm.proxmox.node.swap_total", "node", n.Name))
		assert.Equal(t, n.LoadAvg[0], got.value(t, "mnm.proxmox.node.loadavg_1m", "node", n.Name))
		assert.Equal(t, float64(n.Sockets), got.value(t, "mnm.proxmox.node.cpu_sockets", "node", n.Name))
		for _, st := range n.Storages {
			assert.Equal(t, float64(st.Used), got.value(t, "mnm.proxmox.storage.used", "node", n.Name, "storage", st.Name), st.Name)
		}
		for _, p := range n.ZFSPools {
			healthy := 0.0
			if p.Health == "ONLINE" {
				healthy = 1
			}
			assert.Equal(t, healthy, got.value(t, "mnm.proxmox.zfs_pool.health", "node", n.Name, "pool", p.Name))
			assert.Equal(t, float64(p.Alloc), got.value(t, "mnm.proxmox.zfs_pool.used", "node", n.Name, "pool", p.Name))
			assert.Equal(t, p.Dedup, got.value(t, "mnm.proxmox.zfs_pool.dedup", "node", n.Name, "pool", p.Name))
		}
		for _, d := range n.Disks {
			device := strings.TrimPrefix(d.DevPath, "/dev/")
			switch d.Health {
			case "PASSED", "OK":
				assert.Equal(t, 1.0, got.value(t, "mnm.proxmox.disk.health", "node", n.Name, "device", device))
			case "UNKNOWN":
				assert.False(t, got.has("mnm.proxmox.disk.health", "node", n.Name, "device", device), "unknown health must not read as failing")
				assert.Equal(t, 1.0, got.value(t, "mnm.proxmox.disk.health_unknown", "node", n.Name, "device", device))
			default:
				assert.Equal(t, 0.0, got.value(t, "mnm.proxmox.disk.health", "node", n.Name, "device", device), d.Health)
			}
			if d.Wearout == nil {
				assert.False(t, got.has("mnm.proxmox.disk.life_remaining", "node", n.Name, "device", device), "N/A wearout must be absent")
			} else {
				assert.Equal(t, *d.Wearout, got.value(t, "mnm.proxmox.disk.life_remaining", "node", n.Name, "device", device))
			}
		}
	}
	for _, g := range truth.Guests {
		prefix := "mnm.proxmox.vm."
		if g.Type == "lxc" {
			prefix = "mnm.proxmox.ct."
		}
		vmid := itoa(g.VMID)
		running := 0.0
		if g.Status == "running" && !g.NoRRD && nodeOnline(truth, g.Node) {
			running = 1
		}
		assert.Equal(t, running, got.value(t, prefix+"status", "vmid", vmid), "guest %d", g.VMID)
		if g.Status == "running" && !g.NoRRD && nodeOnline(truth, g.Node) {
			assert.Equal(t, float64(g.NetIn), got.value(t, prefix+"netin", "vmid", vmid))
			assert.Equal(t, float64(g.MaxMem), got.value(t, prefix+"memory_total", "vmid", vmid))
		}
	}
}

func nodeOnline(c *pvesim.Cluster, name string) bool {
	for _, n := range c.Nodes {
		if n.Name == name {
			return n.Online
		}
	}
	return false
}

func TestRequestBudget(t *testing.T) {
	env := newTestEnv(t, pvesim.Config{Nodes: 5, Guests: 200, OfflineNodes: 1, Seed: 3})
	s := env.metricsScraper(t)
	online := 4

	_, err := s.scrape(context.Background())
	require.NoError(t, err)
	stats := env.sim.Stats()
	// The first collection also asks the slow tier: HA, Ceph and backup
	// coverage, and per node replication, backup tasks, certificates and
	// subscription.
	assert.LessOrEqual(t, stats.Total, int64(2+5*online+3+4*online), "first collection: %v", stats.Paths)
	assert.Zero(t, stats.NonGET)
	for path := range stats.Paths {
		assert.NotContains(t, path, "{vmid}", "the metrics path must not make per-guest requests")
	}

	// Disks are refreshed on their own, slower cadence.
	env.sim.ResetStats()
	_, err = s.scrape(context.Background())
	require.NoError(t, err)
	stats = env.sim.Stats()
	assert.LessOrEqual(t, stats.Total, int64(2+4*online), "a fast collection: %v", stats.Paths)
	assert.Zero(t, stats.Paths["/nodes/{node}/disks/list"])
}

func TestOfflineNodeGetsNoRequestsAndStaysVisible(t *testing.T) {
	env := newTestEnv(t, pvesim.Config{Nodes: 3, Guests: 30, OfflineNodes: 1, Seed: 2})
	s := env.metricsScraper(t)
	md, err := s.scrape(context.Background())
	require.NoError(t, err, "an offline node is reported, not an error")
	got := indexGauges(md)
	offline := env.sim.Cluster().Nodes[2].Name
	assert.Equal(t, 0.0, got.value(t, "mnm.proxmox.node.online", "node", offline))
	assert.True(t, got.has("mnm.proxmox.node.memory_total", "node", env.sim.Cluster().Nodes[0].Name))
}

func TestOneFailingPathKeepsTheRest(t *testing.T) {
	tests := []struct {
		name  string
		fault func(*pvesim.Simulator)
		inErr []string
		lost  string // a metric that must be missing
		kept  string // a metric that must still be there
	}{
		{
			name:  "storage answers 500",
			fault: func(s *pvesim.Simulator) { s.FailPath("/nodes/{node}/storage", 500, "storage backend timeout") },
			inErr: []string{"/storage", "500", "storage backend timeout"},
			lost:  "mnm.proxmox.storage.used",
			kept:  "mnm.proxmox.node.memory_total",
		},
		{
			name:  "malformed disks answer",
			fault: func(s *pvesim.Simulator) { s.MalformPath("/nodes/{node}/disks/list") },
			inErr: []string{"malformed JSON", "/disks/list"},
			lost:  "mnm.proxmox.disk.size",
			kept:  "mnm.proxmox.zfs_pool.size",
		},
		{
			name:  "node status 595",
			fault: func(s *pvesim.Simulator) { s.FailPath("/nodes/{node}/status", 595, "No route to host") },
			inErr: []string{"/status", "node unreachable"},
			lost:  "mnm.proxmox.node.memory_total",
			kept:  "mnm.proxmox.vm.status",
		},
		{
			name: "cluster status forbidden",
			fault: func(s *pvesim.Simulator) {
				s.FailPath("/cluster/status", 403, "Permission check failed (/, Sys.Audit)")
			},
			inErr: []string{"Sys.Audit", "pveum acl modify / --tokens 'monitor@pve!mnm' --roles PVEAuditor"},
			lost:  "mnm.proxmox.cluster.quorate",
			kept:  "mnm.proxmox.node.memory_total",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv(t, goldenCluster)
			tt.fault(env.sim)
			s := env.metricsScraper(t)
			md, err := s.scrape(context.Background())
			require.Error(t, err)
			assert.True(t, scrapererror.IsPartialScrapeError(err), "must be a partial error: %v", err)
			for _, frag := range tt.inErr {
				assert.Contains(t, err.Error(), frag)
			}
			got := indexGauges(md)
			assert.False(t, got.hasMetric(tt.lost), tt.lost)
			assert.True(t, got.hasMetric(tt.kept), tt.kept)
			assert.NotContains(t, err.Error(), env.sim.Config().TokenSecret)
		})
	}
}

func TestUnauthorized(t *testing.T) {
	env := newTestEnv(t, goldenCluster)
	env.cfg.TokenSecret = "wrong-secret-value"
	s := env.metricsScraper(t)
	md, err := s.scrape(context.Background())
	require.Error(t, err)
	assert.False(t, scrapererror.IsPartialScrapeError(err), "no data at all is not a partial success")
	assertOnlyWhy(t, md, problems.KindUnauthorized)
	assert.Contains(t, err.Error(), `check token_id "monitor@pve!mnm" and token_secret`)
	assert.NotContains(t, err.Error(), "wrong-secret-value")
	assert.NotContains(t, env.allLogText(), "wrong-secret-value")
}

func TestPrivilegeSeparatedTokenWithoutACL(t *testing.T) {
	env := newTestEnv(t, goldenCluster)
	env.sim.SetPermissions(pvesim.PrivSepNoACL)
	s := env.metricsScraper(t)
	_, err := s.scrape(context.Background())
	require.Error(t, err)
	for _, frag := range []string{"privilege separation", "no ACL of its own", "pveum acl modify / --tokens 'monitor@pve!mnm' --roles PVEAuditor", "--privsep 0"} {
		assert.Contains(t, err.Error(), frag)
	}
}

func TestUnreachableEndpointIsAnError(t *testing.T) {
	env := newTestEnv(t, goldenCluster)
	env.cfg.ClientConfig.Endpoint = "https://127.0.0.1:1"
	s := env.metricsScraper(t)
	md, err := s.scrape(context.Background())
	require.Error(t, err, "an unreachable host must never be an empty success")
	assertOnlyWhy(t, md, problems.KindUnreachable)
	assert.Contains(t, err.Error(), "cannot reach Proxmox at https://127.0.0.1:1")
}

func TestTLS(t *testing.T) {
	t.Run("unknown authority names both fixes", func(t *testing.T) {
		env := newTestEnv(t, goldenCluster)
		env.cfg.ClientConfig.TLS.CAFile = ""
		s := env.metricsScraper(t)
		_, err := s.scrape(context.Background())
		require.Error(t, err)
		assert.Contains(t, err.Error(), "tls.ca_file")
		assert.Contains(t, err.Error(), "/etc/pve/pve-root-ca.pem")
		assert.Contains(t, err.Error(), "tls.insecure_skip_verify")
	})
	t.Run("insecure_skip_verify works", func(t *testing.T) {
		env := newTestEnv(t, goldenCluster)
		env.cfg.ClientConfig.TLS.CAFile = ""
		env.cfg.ClientConfig.TLS.InsecureSkipVerify = true
		s := env.metricsScraper(t)
		_, err := s.scrape(context.Background())
		require.NoError(t, err)
	})
	t.Run("wrong host name", func(t *testing.T) {
		env := newTestEnv(t, goldenCluster)
		env.cfg.ClientConfig.TLS.ServerName = "pve.invalid"
		s := env.metricsScraper(t)
		_, err := s.scrape(context.Background())
		require.Error(t, err)
		assert.Contains(t, err.Error(), "not valid for that name")
	})
}

func TestProblemsAreLoggedOnceAndWhenTheyClear(t *testing.T) {
	env := newTestEnv(t, goldenCluster)
	s := env.metricsScraper(t)
	env.sim.FailPath("/nodes/{node}/storage", 500, "storage backend timeout")
	for range 3 {
		_, err := s.scrape(context.Background())
		require.Error(t, err)
	}
	warned := env.logs.FilterMessage("Proxmox problem").FilterLevelExact(zapcore.WarnLevel).Len()
	assert.Equal(t, len(env.sim.Cluster().Nodes), warned, "one warning per node and problem, not per collection")

	env.sim.ClearFaults()
	_, err := s.scrape(context.Background())
	require.NoError(t, err)
	assert.Equal(t, warned, env.logs.FilterMessage("Proxmox problem resolved").Len())
}

type gaugePoint struct {
	attrs pcommon.Map
	value float64
}

// metricIndex finds data points by metric name and attribute values.
type metricIndex map[string][]gaugePoint

func indexGauges(md pmetric.Metrics) metricIndex {
	out := metricIndex{}
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		sms := rms.At(i).ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			ms := sms.At(j).Metrics()
			for k := 0; k < ms.Len(); k++ {
				m := ms.At(k)
				dps, ok := numberDataPoints(m)
				if !ok {
					continue
				}
				for l := 0; l < dps.Len(); l++ {
					dp := dps.At(l)
					v := dp.DoubleValue()
					if dp.ValueType() == pmetric.NumberDataPointValueTypeInt {
						v = float64(dp.IntValue())
					}
					out[m.Name()] = append(out[m.Name()], gaugePoint{attrs: dp.Attributes(), value: v})
				}
			}
		}
	}
	return out
}

func (idx metricIndex) find(name string, kv ...string) (gaugePoint, bool) {
	for _, p := range idx[name] {
		match := true
		for i := 0; i+1 < len(kv); i += 2 {
			v, ok := p.attrs.Get(kv[i])
			if !ok || v.AsString() != kv[i+1] {
				match = false
				break
			}
		}
		if match {
			return p, true
		}
	}
	return gaugePoint{}, false
}

func (idx metricIndex) has(name string, kv ...string) bool {
	_, ok := idx.find(name, kv...)
	return ok
}

func (idx metricIndex) hasMetric(name string) bool { return len(idx[name]) > 0 }

// value returns the value of the one point that matches, failing the test
// when there is none.
func (idx metricIndex) value(t testing.TB, name string, kv ...string) float64 {
	t.Helper()
	p, ok := idx.find(name, kv...)
	if !ok {
		t.Errorf("no %s point with %v", name, kv)
	}
	return p.value
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestGuestWithoutNameGetsProxmoxDefaultName(t *testing.T) {
	// Prometheus drops empty labels: a guest without a name must still carry
	// the name label, with the name Proxmox shows for it.
	tests := []struct {
		r    pveapi.ClusterResource
		want string
	}{
		{pveapi.ClusterResource{Type: "qemu", VMID: pveapi.FlexInt{Value: 105, Valid: true}}, "VM 105"},
		{pveapi.ClusterResource{Type: "lxc", VMID: pveapi.FlexInt{Value: 106, Valid: true}}, "CT106"},
		{pveapi.ClusterResource{Type: "qemu", VMID: pveapi.FlexInt{Value: 107, Valid: true}, Name: "web01"}, "web01"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, guestLabelName(&tt.r))
	}
}

func TestFailedCollectionLeavesNothingForTheNext(t *testing.T) {
	// A collection that ends in an error must not leave data points in the
	// builder, where the next collection would emit them again. The first
	// answer lists a guest but no node (the empty-cluster diagnosis path).
	env := newTestEnv(t, goldenCluster)
	var guestsOnly atomic.Bool
	guestsOnly.Store(true)
	real := env.sim.Handler()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if guestsOnly.Load() && r.URL.Path == "/api2/json/cluster/resources" {
			_, _ = w.Write([]byte(`{"data":[{"id":"qemu/999","type":"qemu","vmid":999,"node":"ghost","status":"running","name":"leftover"}]}`))
			return
		}
		real.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	env.cfg.ClientConfig.Endpoint = srv.URL
	env.cfg.ClientConfig.TLS.CAFile = ""
	env.cfg.ClientConfig.TLS.InsecureSkipVerify = true
	s := env.metricsScraper(t)
	_, err := s.scrape(context.Background())
	require.Error(t, err)

	guestsOnly.Store(false)
	md, err := s.scrape(context.Background())
	require.NoError(t, err)
	assert.False(t, indexGauges(md).has("mnm.proxmox.vm.status", "vmid", "999"), "data of the failed collection came back")
}

// assertOnlyWhy checks a failed collection: no Proxmox data at all, only
// what says why (mnm.proxmox.up 0, the problem of kind) and the receiver's
// own API counters.
func assertOnlyWhy(t *testing.T, md pmetric.Metrics, kind string) {
	t.Helper()
	idx := indexGauges(md)
	for name := range idx {
		assert.Contains(t, []string{"mnm.proxmox.up", "mnm.proxmox.problem", "mnm.proxmox.api.endpoint_info", "mnm.proxmox.api.failovers", "mnm.proxmox.api.requests", "mnm.proxmox.api.errors"}, name, "a failed collection reports no Proxmox data")
	}
	assert.Equal(t, 0.0, idx.value(t, "mnm.proxmox.up"))
	assert.True(t, idx.has("mnm.proxmox.problem", "kind", kind), "problem %s", kind)
}

func TestStoppedGuestsCarryNoUsageSeries(t *testing.T) {
	env := newTestEnv(t, pvesim.Config{Nodes: 3, Guests: 24, Seed: 1})
	md, err := env.metricsScraper(t).scrape(context.Background())
	require.NoError(t, err)
	idx := indexGauges(md)
	stopped := 0
	for _, g := range env.sim.Cluster().Guests {
		if g.Status != "stopped" {
			continue
		}
		stopped++
		prefix, vmid := "mnm.proxmox.vm.", itoa(g.VMID)
		if g.Type == "lxc" {
			prefix = "mnm.proxmox.ct."
		}
		assert.Equal(t, 0.0, idx.value(t, prefix+"status", "vmid", vmid))
		for _, kept := range []string{"memory_total", "cpus", "disk_size"} {
			if !g.NoRRD { // Proxmox sends no sizes for a guest without RRD data
				assert.True(t, idx.has(prefix+kept, "vmid", vmid), "guest %d keeps %s", g.VMID, kept)
			}
		}
		for _, zero := range []string{"cpu_usage", "memory_used", "disk_read", "disk_write", "netin", "netout", "uptime"} {
			assert.False(t, idx.has(prefix+zero, "vmid", vmid), "guest %d: no %s series while stopped", g.VMID, zero)
		}
	}
	require.Positive(t, stopped, "the fixture has stopped guests")
}
