// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package proxmoxreceiver

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/scraper/scrapererror"
	"go.uber.org/zap/zapcore"

	"github.com/mnm-net/otelcol-mnm/internal/pvesim"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/problems"
)

// Proxmox VE 7.4 and 8.0 without libpve-network-perl answer 501 for the
// SDN paths (pve-manager PVE/API2/Cluster.pm registers the sdn subclass
// only when the package loads). That is an absent feature: no problem, no
// warning, and not asked again for featureRecheck.
func TestSDNPackageAbsentIsNoProblem(t *testing.T) {
	env := newTestEnv(t, pvesim.Config{Nodes: 2, Guests: 6, Seed: 2})
	env.sim.FailPath(pvesim.PathSDNVNets, 501, "Method 'GET /cluster/sdn/vnets' not implemented")
	s := env.inventoryScraper(t)
	clk := newClock()
	s.now = clk.now
	s.shared.noteVersion("pve1", "7.4-20") // as the metrics collection learns it

	for cycle := range 3 {
		ld, err := s.scrape(context.Background())
		require.NoError(t, err, "cycle %d: an absent SDN costs no data", cycle)
		assert.Positive(t, ld.LogRecordCount())
		clk.advance(5 * time.Minute)
	}
	assert.Equal(t, int64(1), env.sim.Stats().Paths[pvesim.PathSDNVNets], "learnt once")
	assert.Zero(t, env.sim.Stats().Paths[pvesim.PathSDNZones])
	active, _ := s.shared.problems.Current(clk.now())
	assert.Empty(t, active)
	assert.Empty(t, env.logs.FilterLevelExact(zapcore.WarnLevel).All(), "no warning on a healthy cluster")

	clk.advance(featureRecheck)
	_, err := s.scrape(context.Background())
	require.NoError(t, err)
	assert.Equal(t, int64(2), env.sim.Stats().Paths[pvesim.PathSDNVNets], "asked again after an hour: the package may be installed now")

	// An upgrade of a node makes it due at once.
	s.shared.noteVersion("pve1", "8.4.1")
	_, err = s.scrape(context.Background())
	require.NoError(t, err)
	assert.Equal(t, int64(3), env.sim.Stats().Paths[pvesim.PathSDNVNets])
}

// A 501 that is not pveproxy's "Method ... not implemented" (old
// libpve-http-server-perl answered internal errors with 501) stays a
// problem, and is asked again at the next cycle.
func TestOther501IsStillAProblem(t *testing.T) {
	env := newTestEnv(t, pvesim.Config{Nodes: 2, Guests: 6, Seed: 2})
	env.sim.FailPath(pvesim.PathSDNVNets, 501, "Can't call method \"get\" on an undefined value")
	s := env.inventoryScraper(t)
	clk := newClock()
	s.now = clk.now
	for range 2 {
		_, err := s.scrape(context.Background())
		require.True(t, scrapererror.IsPartialScrapeError(err), "a partial error: the guests are still read: %v", err)
		clk.advance(5 * time.Minute)
	}
	assert.Equal(t, int64(2), env.sim.Stats().Paths[pvesim.PathSDNVNets])
	active, _ := s.shared.problems.Current(clk.now())
	require.Len(t, active, 1)
	assert.Equal(t, problems.KindServerError, active[0].Kind)
}

// Ceph not installed is asked once per featureRecheck, not at every state
// interval; a Ceph that is configured but does not answer is a problem.
func TestCephAbsenceIsLearnt(t *testing.T) {
	cfg := opsCluster()
	cfg.CephAbsent = true
	env := newTestEnv(t, cfg)
	s, clk := opsScraper(t, env)
	for range 4 {
		md, err := s.scrape(context.Background())
		require.NoError(t, err)
		assert.Empty(t, problemsOf(indexGauges(md)))
		clk.advance(s.cfg.SlowTier.StateInterval)
	}
	assert.Equal(t, int64(1), env.sim.Stats().Paths[pvesim.PathCephStatus])
	assert.Positive(t, env.sim.Stats().Paths[pvesim.PathHAStatus], "HA answers: asked at each state interval")

	env.sim.FailPath(pvesim.PathCephStatus, 500, "rados_connect failed - Connection timed out")
	clk.advance(featureRecheck)
	md, err := s.scrape(context.Background())
	require.Error(t, err)
	assert.Equal(t, []string{problems.KindServerError}, problemsOf(indexGauges(md)), "a configured Ceph that does not answer is a problem")
}
