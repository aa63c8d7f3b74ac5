// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package proxmoxreceiver

import (
	"context"
	"maps"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zapcore"

	"github.com/mnm-net/otelcol-mnm/internal/pvesim"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/problems"
)

// matrixRounds is how many metrics collections and inventory cycles each
// shape runs: the first learns what is absent, the others are the steady
// state.
const matrixRounds = 3

// TestVersionMatrixHealthyClusters runs both collections against every
// Proxmox VE version and shape in the field (pvesim.Shapes: 7.4 with and
// without the SDN package, 8.0, 8.4, 9, a standalone 9 node), each a
// healthy cluster: no problem series, no warning, no failed collection, and
// an absent feature costs no request once it is learnt.
func TestVersionMatrixHealthyClusters(t *testing.T) {
	for _, shape := range pvesim.Shapes() {
		t.Run(shape.Name, func(t *testing.T) {
			env := newTestEnv(t, shape.Config)
			metrics, inventory, clk := matrixScrapers(t, env)

			var steady, steadyMetrics, steadyInventory map[string]int64
			for round := range matrixRounds {
				before := env.sim.Stats().Paths
				md, err := metrics.scrape(context.Background())
				require.NoError(t, err, "round %d: metrics collection", round)
				assert.Empty(t, problemsOf(indexGauges(md)), "round %d: problem series on a healthy %s", round, shape.Name)
				between := env.sim.Stats().Paths
				ld, err := inventory.scrape(context.Background())
				require.NoError(t, err, "round %d: inventory cycle", round)
				assert.Positive(t, ld.LogRecordCount())
				after := env.sim.Stats().Paths
				steady, steadyMetrics, steadyInventory = delta(before, after), delta(before, between), delta(between, after)
				clk.advance(env.cfg.SlowTier.StateInterval)
			}
			warnings := env.logs.FilterLevelExact(zapcore.WarnLevel).All()
			for _, w := range warnings {
				t.Errorf("warning on a healthy %s: %s %v", shape.Name, w.Message, w.ContextMap())
			}

			// Absent features, learnt in the first round, are not asked again.
			cfg := shape.Config
			if cfg.SDNAbsent {
				assert.Zero(t, steady[pvesim.PathSDNVNets], "SDN without its package is not asked every cycle")
			}
			if cfg.CephAbsent || cfg.CephNotInitialized {
				assert.Zero(t, steady[pvesim.PathCephStatus], "Ceph that is not there is not asked every state interval")
			}
			if cfg.Version == pvesim.Version7 || cfg.Version == pvesim.Version80 {
				assert.Zero(t, steady[pvesim.PathLXCInterfaces], "a version without container interfaces is not asked")
			}
			t.Logf("%s: %d nodes, %d guests: steady-state requests: metrics collection (with the slow groups due) %d, inventory cycle %d: %v",
				shape.Name, len(env.sim.Cluster().Nodes), len(env.sim.Cluster().Guests), sum(steadyMetrics), sum(steadyInventory), steady)
		})
	}
}

// TestVersionMatrixFaultsOnOldestAndNewest: the faults an operator hits are
// still problems on the oldest and the newest version, whatever the
// absences learnt.
func TestVersionMatrixFaultsOnOldestAndNewest(t *testing.T) {
	faults := []struct {
		name   string
		inject func(sim *pvesim.Simulator, node string)
		want   string
	}{
		{"wrong token", func(sim *pvesim.Simulator, _ string) { sim.SetToken(pvesim.DefaultTokenID, "wrong") }, problems.KindUnauthorized},
		{"node status 500", func(sim *pvesim.Simulator, _ string) {
			sim.FailPath(pvesim.PathNodeStatus, 500, "unable to read /proc/meminfo")
		}, problems.KindServerError},
		{"node unreachable (595)", func(sim *pvesim.Simulator, _ string) {
			sim.FailPath(pvesim.PathNodeStatus, 595, "Connection timed out")
		}, problems.KindNodeUnreachable},
		{"malformed answer", func(sim *pvesim.Simulator, _ string) { sim.MalformPath(pvesim.PathNodeStorage) }, problems.KindMalformed},
		{"forbidden", func(sim *pvesim.Simulator, _ string) {
			sim.FailPath(pvesim.PathNodeStorage, 403, "Permission check failed (/nodes/pve1, Sys.Audit)")
		}, problems.KindForbidden},
	}
	for _, name := range []string{"pve7.4", "pve9"} {
		shape, err := pvesim.ShapeNamed(name)
		require.NoError(t, err)
		for _, f := range faults {
			t.Run(shape.Name+"/"+f.name, func(t *testing.T) {
				env := newTestEnv(t, shape.Config)
				metrics, _, clk := matrixScrapers(t, env)
				_, err := metrics.scrape(context.Background())
				require.NoError(t, err)
				f.inject(env.sim, "pve1")
				clk.advance(env.cfg.CollectionInterval)
				md, _ := metrics.scrape(context.Background())
				assert.Contains(t, problemsOf(indexGauges(md)), f.want)
			})
		}
	}
}

// matrixScrapers starts both collections on one clock, at the shape's
// operations time.
func matrixScrapers(t *testing.T, env *testEnv) (*metricsScraper, *inventoryScraper, *clock) {
	t.Helper()
	metrics := env.metricsScraper(t)
	inventory := env.inventoryScraper(t)
	clk := &clock{t: env.sim.Config().OperationsTime}
	metrics.now, inventory.now = clk.now, clk.now
	return metrics, inventory, clk
}

// delta is the requests per path template between two counts.
func delta(before, after map[string]int64) map[string]int64 {
	out := map[string]int64{}
	for path, n := range after {
		if d := n - before[path]; d > 0 {
			out[path] = d
		}
	}
	return out
}

func sum(m map[string]int64) int64 {
	var n int64
	for _, k := range slices.Sorted(maps.Keys(m)) {
		n += m[k]
	}
	return n
}
