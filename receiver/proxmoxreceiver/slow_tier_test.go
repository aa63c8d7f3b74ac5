// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package proxmoxreceiver

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/pmetrictest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/mnm-net/otelcol-mnm/internal/pvesim"
)

var opsTime = time.Date(2025, 12, 22, 12, 0, 0, 0, time.UTC)

func opsCluster() pvesim.Config {
	return pvesim.Config{Nodes: 3, Guests: 24, Seed: 1, Operations: true, OperationsTime: opsTime}
}

// opsScraper is a metrics scraper whose clock stands at the end of the
// simulator's operations history.
func opsScraper(t *testing.T, env *testEnv) (*metricsScraper, *clock) {
	t.Helper()
	s := env.metricsScraper(t)
	clk := &clock{t: opsTime}
	s.now = clk.now
	return s, clk
}

func TestBackupsMatchGroundTruth(t *testing.T) {
	env := newTestEnv(t, opsCluster())
	s, _ := opsScraper(t, env)
	md, err := s.scrape(context.Background())
	require.NoError(t, err)
	idx := indexGauges(md)
	truth := env.sim.Cluster()
	ends := map[string]int64{}
	for _, task := range truth.Operations.Tasks {
		ends[task.UPID] = task.EndTime
	}
	templates := map[int]bool{}
	for _, g := range truth.Guests {
		templates[g.VMID] = g.Template
	}

	for _, b := range truth.Operations.Backups {
		vmid := strconv.Itoa(b.VMID)
		if !b.Covered {
			assert.Equal(t, 1.0, idx.value(t, "mnm.proxmox.guest.backup.excluded", "vmid", vmid), "guest %d is in no job", b.VMID)
			assert.False(t, idx.has("mnm.proxmox.guest.backup.last_success_timestamp", "vmid", vmid))
			continue
		}
		if templates[b.VMID] {
			continue
		}
		success := idx.value(t, "mnm.proxmox.guest.backup.last_success_timestamp", "vmid", vmid)
		if b.LastSuccess == 0 {
			assert.Zero(t, success, "guest %d was never backed up though covered: 0, so the alert fires", b.VMID)
		} else {
			// The job's end: vzdump's log has no time per line for a job of several guests.
			assert.GreaterOrEqual(t, success, float64(b.LastSuccess), "guest %d", b.VMID)
			assert.LessOrEqual(t, success, float64(ends[b.LastSuccessUPID]), "guest %d", b.VMID)
		}
		if b.LastFailure == 0 {
			assert.False(t, idx.has("mnm.proxmox.guest.backup.last_failure_timestamp", "vmid", vmid), "guest %d never failed", b.VMID)
		} else {
			failure := idx.value(t, "mnm.proxmox.guest.backup.last_failure_timestamp", "vmid", vmid)
			assert.GreaterOrEqual(t, failure, float64(b.LastFailure), "guest %d", b.VMID)
			assert.LessOrEqual(t, failure, float64(ends[b.LastFailureUPID]), "guest %d", b.VMID)
		}
	}
}

func TestBackupTasksAreReadIncrementally(t *testing.T) {
	env := newTestEnv(t, opsCluster())
	s, clk := opsScraper(t, env)
	_, err := s.scrape(context.Background())
	require.NoError(t, err)
	firstLogs := env.sim.Stats().Paths[pvesim.PathTaskLog]
	require.Positive(t, firstLogs, "jobs of several guests are read from their logs")

	// Fast collections ask nothing of the slow tier.
	env.sim.ResetStats()
	clk.advance(time.Minute)
	_, err = s.scrape(context.Background())
	require.NoError(t, err)
	stats := env.sim.Stats()
	for _, p := range pvesim.OperationsTemplates() {
		assert.Zero(t, stats.Paths[p], p)
	}

	// The next backup look reads only what is new: no log is read twice.
	clk.advance(10 * time.Minute)
	md, err := s.scrape(context.Background())
	require.NoError(t, err)
	stats = env.sim.Stats()
	assert.Equal(t, int64(len(env.sim.Cluster().Nodes)), stats.Paths[pvesim.PathNodeTasks])
	assert.Zero(t, stats.Paths[pvesim.PathTaskLog], "tasks already counted are not read again")
	assert.True(t, indexGauges(md).hasMetric("mnm.proxmox.guest.backup.last_success_timestamp"), "what was learnt is kept")
}

func TestReplicationHACephCertsMatchGroundTruth(t *testing.T) {
	env := newTestEnv(t, opsCluster())
	s, _ := opsScraper(t, env)
	md, err := s.scrape(context.Background())
	require.NoError(t, err)
	idx := indexGauges(md)
	ops := env.sim.Cluster().Operations

	for _, j := range ops.Replication {
		assert.True(t, idx.has("mnm.proxmox.replication.fail_count", "replication_job", j.ID, "guest", strconv.Itoa(j.Guest), "source", j.Source, "target", j.Target), j.ID)
	}
	assert.Equal(t, 3.0, idx.value(t, "mnm.proxmox.replication.fail_count", "replication_job", "109-0"), "the failing job")
	assert.Equal(t, 0.0, idx.value(t, "mnm.proxmox.replication.fail_count", "replication_job", "102-0"))

	for _, r := range ops.HA.Resources {
		assert.True(t, idx.has("mnm.proxmox.ha.resource", "sid", r.SID, "node", r.Node, "state", r.State), "%s %s", r.SID, r.State)
	}
	assert.True(t, idx.has("mnm.proxmox.ha.resource", "sid", "vm:113", "state", "error"))
	assert.True(t, idx.has("mnm.proxmox.ha.lrm", "node", "pve3", "state", "maintenance"), "the state is read from the status text")
	assert.True(t, idx.has("mnm.proxmox.ha.lrm", "node", "pve1", "state", "active"))
	assert.Equal(t, 1.0, idx.value(t, "mnm.proxmox.ha.master", "node", "pve1"))
	assert.Equal(t, 1.0, idx.value(t, "mnm.proxmox.ha.quorate"))

	assert.Equal(t, 1.0, idx.value(t, "mnm.proxmox.ceph.health"), "HEALTH_WARN")
	for _, c := range ops.Ceph.Checks {
		assert.True(t, idx.has("mnm.proxmox.ceph.health_check", "code", c.Code, "severity", c.Severity), c.Code)
	}
	assert.Equal(t, float64(len(ops.Ceph.OSDs)), idx.value(t, "mnm.proxmox.ceph.osds", "state", "up"))

	for _, c := range ops.Certificates {
		assert.Equal(t, float64(c.NotAfter), idx.value(t, "mnm.proxmox.node.certificate.expiry_timestamp", "node", c.Node, "filename", c.Filename), "%s %s", c.Node, c.Filename)
	}
	for _, sub := range ops.Subscriptions {
		assert.True(t, idx.has("mnm.proxmox.node.subscription", "node", sub.Node, "status", sub.Status), sub.Node)
	}
	assert.Empty(t, problemsOf(idx))
}

func TestCephAndHAAbsentAreNotProblems(t *testing.T) {
	cfg := opsCluster()
	cfg.CephAbsent, cfg.HAAbsent = true, true
	env := newTestEnv(t, cfg)
	s, _ := opsScraper(t, env)
	md, err := s.scrape(context.Background())
	require.NoError(t, err, "a cluster without Ceph or HA is not an error")
	idx := indexGauges(md)
	assert.False(t, idx.hasMetric("mnm.proxmox.ceph.health"))
	assert.False(t, idx.hasMetric("mnm.proxmox.ha.resource"))
	assert.Equal(t, 1.0, idx.value(t, "mnm.proxmox.ha.quorate"))
	assert.Empty(t, problemsOf(idx))
}

func TestSlowGroupsReportTheirLastAnswerForTwiceTheirInterval(t *testing.T) {
	env := newTestEnv(t, opsCluster())
	s, clk := opsScraper(t, env)
	_, err := s.scrape(context.Background())
	require.NoError(t, err)
	env.sim.FailPath(pvesim.PathCephStatus, 500, "got timeout")
	clk.advance(5 * time.Minute)
	md, err := s.scrape(context.Background())
	require.Error(t, err)
	assert.True(t, indexGauges(md).has("mnm.proxmox.ceph.health"), "the last answer stands in")
	clk.advance(6 * time.Minute)
	md, err = s.scrape(context.Background())
	require.Error(t, err)
	assert.False(t, indexGauges(md).hasMetric("mnm.proxmox.ceph.health"), "not past twice the interval")
}

// onlyMetrics keeps the metrics whose names start with one of prefixes.
func onlyMetrics(md pmetric.Metrics, prefixes ...string) pmetric.Metrics {
	out := pmetric.NewMetrics()
	md.CopyTo(out)
	rms := out.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		sms := rms.At(i).ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			sms.At(j).Metrics().RemoveIf(func(m pmetric.Metric) bool {
				for _, p := range prefixes {
					if strings.HasPrefix(m.Name(), p) {
						return false
					}
				}
				return true
			})
		}
	}
	return out
}

// TestSlowTierGolden keeps one readable golden file per group of the slow
// tier, on a small cluster at a fixed time.
func TestSlowTierGolden(t *testing.T) {
	cfg := opsCluster()
	cfg.Nodes, cfg.Guests = 3, 9
	env := newTestEnv(t, cfg)
	s, _ := opsScraper(t, env)
	md, err := s.scrape(context.Background())
	require.NoError(t, err)
	for group, prefixes := range map[string][]string{
		"backups":      {"mnm.proxmox.guest.backup."},
		"replication":  {"mnm.proxmox.replication."},
		"ha":           {"mnm.proxmox.ha."},
		"ceph":         {"mnm.proxmox.ceph."},
		"certificates": {"mnm.proxmox.node.certificate.", "mnm.proxmox.node.subscription"},
	} {
		t.Run(group, func(t *testing.T) {
			actual := onlyMetrics(md, prefixes...)
			require.Positive(t, actual.MetricCount(), "the small cluster has %s", group)
			file := filepath.Join("testdata", "slow_tier", group+".yaml")
			if os.Getenv("UPDATE_GOLDEN") != "" {
				require.NoError(t, golden.WriteMetrics(t, file, actual))
			}
			expected, err := golden.ReadMetrics(file)
			require.NoError(t, err)
			require.NoError(t, pmetrictest.CompareMetrics(expected, actual,
				pmetrictest.IgnoreTimestamp(), pmetrictest.IgnoreStartTimestamp(),
				pmetrictest.IgnoreResourceMetricsOrder(), pmetrictest.IgnoreMetricsOrder(), pmetrictest.IgnoreMetricDataPointsOrder()))
		})
	}
}

func TestBackupJobLogFailingOnceIsReadAgain(t *testing.T) {
	env := newTestEnv(t, opsCluster())
	s, clk := opsScraper(t, env)
	env.sim.FailPath(pvesim.PathTaskLog, 500, "unable to open file")
	_, err := s.scrape(context.Background())
	require.Error(t, err, "the logs failed")
	env.sim.ClearFaults()
	env.sim.ResetStats()
	clk.advance(10 * time.Minute)
	md, err := s.scrape(context.Background())
	require.NoError(t, err)
	assert.Positive(t, env.sim.Stats().Paths[pvesim.PathTaskLog], "the jobs whose log could not be read are read now")

	// Then the results match what a clean first look gives.
	clean := newTestEnv(t, opsCluster())
	cs, _ := opsScraper(t, clean)
	want, err := cs.scrape(context.Background())
	require.NoError(t, err)
	got, wantIdx := indexGauges(md), indexGauges(want)
	for _, name := range []string{"mnm.proxmox.guest.backup.last_success_timestamp", "mnm.proxmox.guest.backup.last_failure_timestamp"} {
		assert.Len(t, got[name], len(wantIdx[name]), name)
		for _, p := range wantIdx[name] {
			vmid, _ := p.attrs.Get("vmid")
			assert.Equal(t, p.value, got.value(t, name, "vmid", vmid.Str()), "%s guest %s", name, vmid.Str())
		}
	}
}
