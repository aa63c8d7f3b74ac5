// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package proxmoxreceiver

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mnm-net/otelcol-mnm/internal/pvesim"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/problems"
)

// problemsOf returns the kinds of the mnm.proxmox.problem points.
func problemsOf(idx metricIndex) []string {
	var kinds []string
	for _, p := range idx["mnm.proxmox.problem"] {
		if p.value == 1 { // a cleared one reads 0 for a while
			v, _ := p.attrs.Get("kind")
			kinds = append(kinds, v.Str())
		}
	}
	return kinds
}

func TestPrivilegeSeparatedTokenAsProxmoxAnswersIt(t *testing.T) {
	env := newTestEnv(t, goldenCluster)
	env.sim.SetPermissions(pvesim.PrivSepNoACL) // nodes without stats, 403s, /access/permissions {}
	s := env.metricsScraper(t)
	clk := newClock()
	s.now = clk.now
	md, err := s.scrape(context.Background())
	require.Error(t, err)
	assert.ErrorContains(t, err, "privilege separation and no ACL of its own")
	assert.ErrorContains(t, err, "--privsep 0")

	idx := indexGauges(md)
	assert.Equal(t, []string{problems.KindPrivilegeSeparation}, problemsOf(idx), "one problem with both remedies, not one 403 per path")
	assert.Equal(t, 0.0, idx.value(t, "mnm.proxmox.up"))
	assert.Equal(t, 1.0, idx.value(t, "mnm.proxmox.node.online", "node", "pve1"), "what the token may see is still reported")

	warnings := env.logs.FilterMessage("Proxmox problem").All()
	require.Len(t, warnings, 1)
	assert.Equal(t, problems.KindPrivilegeSeparation, warnings[0].ContextMap()["kind"])

	// Granting the ACL clears it; the disks, backing off after their 403,
	// follow at their next retry.
	env.sim.SetPermissions(pvesim.Full)
	md, err = s.scrape(context.Background())
	require.NoError(t, err)
	idx = indexGauges(md)
	assert.NotContains(t, problemsOf(idx), problems.KindPrivilegeSeparation)
	assert.Equal(t, 1.0, idx.value(t, "mnm.proxmox.up"))
	clk.advance(2 * time.Minute)
	md, err = s.scrape(context.Background())
	require.NoError(t, err)
	assert.Empty(t, problemsOf(indexGauges(md)))
}

// The shape this project used to assume (empty lists) still gets the diagnosis.
func TestPrivilegeSeparatedTokenSeeingEmptyLists(t *testing.T) {
	env := newTestEnv(t, goldenCluster)
	env.sim.SetPermissions(pvesim.PrivSepEmptyLists)
	s := env.metricsScraper(t)
	md, err := s.scrape(context.Background())
	require.Error(t, err)
	assert.ErrorContains(t, err, "privilege separation")
	assertOnlyWhy(t, md, problems.KindPrivilegeSeparation)
}

func TestProblemsAreMetricsAndClear(t *testing.T) {
	env := newTestEnv(t, goldenCluster)
	env.sim.FailPath(pvesim.PathNodeStorage, 403, "Permission check failed (/storage/local, Datastore.Audit)")
	s := env.metricsScraper(t)
	clk := newClock()
	s.now = clk.now
	md, err := s.scrape(context.Background())
	require.Error(t, err)
	idx := indexGauges(md)
	assert.Equal(t, 1.0, idx.value(t, "mnm.proxmox.problem", "kind", problems.KindForbidden, "node", "pve1",
		"path", "/nodes/{node}/storage", "privilege", "Datastore.Audit"))
	assert.Equal(t, 1.0, idx.value(t, "mnm.proxmox.up"), "a partial problem does not make the collection down")

	env.sim.ClearFaults()
	clk.advance(time.Minute)
	md, err = s.scrape(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 0.0, indexGauges(md).value(t, "mnm.proxmox.problem", "kind", problems.KindForbidden, "node", "pve1"),
		"a cleared problem reads 0 at once, so that a pull exporter does not keep serving its 1")
	clk.advance(problems.ClearedFor + time.Minute)
	md, err = s.scrape(context.Background())
	require.NoError(t, err)
	assert.False(t, indexGauges(md).hasMetric("mnm.proxmox.problem"), "then the series is gone")
}

func TestTLSProblemKinds(t *testing.T) {
	env := newTestEnv(t, goldenCluster)
	env.cfg.ClientConfig.TLS.CAFile = ""
	s := env.metricsScraper(t)
	md, err := s.scrape(context.Background())
	require.Error(t, err)
	assertOnlyWhy(t, md, problems.KindTLSUnknownAuthority)

	other := newTestEnv(t, goldenCluster)
	other.cfg.ClientConfig.TLS.ServerName = "pve.wrong.example"
	md, err = other.metricsScraper(t).scrape(context.Background())
	require.Error(t, err)
	assertOnlyWhy(t, md, problems.KindTLSHostname)
}

func TestPausedVMsCountAsRunning(t *testing.T) {
	env := newTestEnv(t, pvesim.Config{Nodes: 3, Guests: 24, Seed: 1, QMPStates: true})
	s := env.metricsScraper(t)
	md, err := s.scrape(context.Background())
	require.NoError(t, err)
	idx := indexGauges(md)
	seen := 0
	for _, g := range env.sim.Cluster().Guests {
		switch g.QMPStatus {
		case pvesim.QMPPaused, pvesim.QMPSuspended, pvesim.QMPPrelaunch:
			seen++
			vmid := strconv.Itoa(g.VMID)
			assert.Equal(t, 1.0, idx.value(t, "mnm.proxmox.vm.status", "vmid", vmid), "a %s VM holds its resources", g.QMPStatus)
			assert.True(t, idx.has("mnm.proxmox.vm.info", "vmid", vmid, "guest_status", g.QMPStatus), "the exact state is on the info metric")
		}
	}
	assert.Equal(t, 3, seen, "the fixture has a paused, a suspended and a prelaunch VM")
}

func TestProxmoxVE7LXCInterfacesAskedOncePerNode(t *testing.T) {
	env := newTestEnv(t, pvesim.Config{Nodes: 3, Guests: 24, Seed: 1, Version: pvesim.Version7})
	s := env.inventoryScraper(t)
	running := map[string]bool{}
	withStatic := 0
	for _, g := range env.sim.Cluster().Guests {
		if g.Type == "lxc" && g.Status == "running" && !g.Template {
			running[g.Node] = true
		}
	}
	require.NotEmpty(t, running)

	for cycle := range 3 {
		ld, err := s.scrape(context.Background())
		require.NoError(t, err, "a path this version lacks is not a problem")
		if cycle == 0 {
			// The first cycle's requests to a node overlap: at most the
			// per-node bound of them get the 501 before it is learnt.
			assert.LessOrEqual(t, env.sim.Stats().Paths[pvesim.PathLXCInterfaces], int64(len(running)*env.cfg.MaxConcurrentRequestsPerNode))
			env.sim.ResetStats()
			for _, r := range readRecords(t, ld) {
				if r.guestType == "lxc" && r.ip != "" {
					withStatic++
				}
			}
		}
	}
	assert.Zero(t, env.sim.Stats().Paths[pvesim.PathLXCInterfaces], "learnt once per node, not asked at every cycle")
	assert.NotZero(t, withStatic, "static ip= addresses still fill in")
}

func TestNodeWithoutZFSIsAskedOncePerDiskRefresh(t *testing.T) {
	env := newTestEnv(t, goldenCluster) // pve3 has no ZFS
	s := env.metricsScraper(t)
	clk := newClock()
	s.now = clk.now
	for range 5 {
		_, err := s.scrape(context.Background())
		require.NoError(t, err)
		clk.advance(time.Minute)
	}
	nodes := int64(len(env.sim.Cluster().Nodes))
	assert.Equal(t, (nodes-1)*5+1, env.sim.Stats().Paths[pvesim.PathNodeZFS],
		"nodes with ZFS: at every collection; the node without: once in disk_refresh_interval (30m)")
	clk.advance(env.cfg.DiskRefreshInterval)
	_, err := s.scrape(context.Background())
	require.NoError(t, err)
	assert.Equal(t, (nodes-1)*6+2, env.sim.Stats().Paths[pvesim.PathNodeZFS], "and again after it")
}

func TestFailoverBetweenNodeAddresses(t *testing.T) {
	env := newTestEnv(t, goldenCluster)
	multi, err := pvesim.NewMultiServer(env.sim, 2)
	require.NoError(t, err)
	t.Cleanup(multi.Close)
	caFile := filepath.Join(t.TempDir(), "pve-root-ca.pem")
	require.NoError(t, os.WriteFile(caFile, multi.CertPEM(), 0o600))
	env.cfg.ClientConfig.Endpoint = multi.URL(0)
	env.cfg.Endpoints = []string{multi.URL(0), multi.URL(1)}
	env.cfg.ClientConfig.TLS.CAFile = caFile
	env.cfg.ClientConfig.Timeout = 500 * time.Millisecond
	env.cfg.CollectionInterval = 50 * time.Millisecond // the first address is probed at most this often
	s := env.metricsScraper(t)

	_, err = s.scrape(context.Background())
	require.NoError(t, err)
	multi.Down(0) // a rolling upgrade reboots the first node
	md, err := s.scrape(context.Background())
	require.NoError(t, err, "the second address serves the whole collection")
	idx := indexGauges(md)
	assert.True(t, idx.has("mnm.proxmox.api.endpoint_info", "endpoint", multi.Addr(1)))
	assert.Equal(t, 1.0, idx.value(t, "mnm.proxmox.api.failovers"))
	assert.True(t, idx.has("mnm.proxmox.node.memory_total", "node", "pve2"))

	require.NoError(t, multi.Up(0))
	time.Sleep(60 * time.Millisecond)
	md, err = s.scrape(context.Background())
	require.NoError(t, err)
	assert.True(t, indexGauges(md).has("mnm.proxmox.api.endpoint_info", "endpoint", multi.Addr(0)), "back on the first address once it answers")
}
