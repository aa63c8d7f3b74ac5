// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e && linux

package e2e

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mnm-net/otelcol-mnm/internal/controllersim"
	"github.com/mnm-net/otelcol-mnm/internal/pvesim"
)

func envInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	require.NoError(t, err, name)
	return n
}

// healthyInventory checks that the controller holds every NIC of every
// non-template guest that is not on node skip, as the simulator has it.
func healthyInventory(truth *pvesim.Cluster, stored []controllersim.StoredEndpoint, skip string) error {
	byMAC := map[string]bool{}
	for _, e := range stored {
		byMAC[e.MAC] = true
	}
	for _, g := range truth.Guests {
		if g.Node == skip || g.Template {
			continue
		}
		for _, nic := range g.NICs {
			if nic.MAC != "" && !byMAC[nic.MAC] {
				return fmt.Errorf("guest %d %s (%s) on %s not received", g.VMID, nic.Key, nic.MAC, g.Node)
			}
		}
	}
	return nil
}

// TestFaultInventoryNodeHangingForTheWholeRun is the case of
// docs/reliability.md: one node hangs from the start, with the production
// request timeout's order of magnitude and a one-minute inventory interval.
// Every other node's endpoints must reach the controller within one interval
// plus the cycle deadline. E2E_HANG_NODES / E2E_HANG_GUESTS size the cluster
// (16 / 2000 for the documented figure).
func TestFaultInventoryNodeHangingForTheWholeRun(t *testing.T) {
	t.Parallel()
	cluster := startCluster(t, pvesim.Config{Nodes: envInt(t, "E2E_HANG_NODES", 3), Guests: envInt(t, "E2E_HANG_GUESTS", 24), Seed: 2})
	cluster.sim.HangNode("pve2")
	ctl := startController(t, "fault-controller-secret")
	begin := time.Now()
	collector := startCollector(t, &collectorSetup{cluster: cluster, controller: ctl, logLevel: "debug",
		inventoryEvery: "60s", extraEnv: []string{"MNM_PROXMOX_TIMEOUT=5s"}})

	const interval, deadline = 60 * time.Second, 30 * time.Second
	eventually(t, interval+deadline, "every healthy node's endpoints at the controller", func() error {
		return healthyInventory(cluster.sim.Cluster(), ctl.ctl.Endpoints(), "pve2")
	})
	t.Logf("every healthy node's endpoints reached the controller %.1fs after the collector started (%d endpoints)",
		time.Since(begin).Seconds(), len(ctl.ctl.Endpoints()))
	collector.waitForLog(t, 10*time.Second, "node pve2", "no further requests to it in this inventory cycle")
	assert.False(t, collector.exited())
}

// TestFaultInventoryNodeHangingForOneCycle: a node that hangs for one cycle
// and comes back changes nothing at the controller: its guests keep their
// records and IPs, so nothing is recorded as changed.
func TestFaultInventoryNodeHangingForOneCycle(t *testing.T) {
	t.Parallel()
	cluster := startCluster(t, faultCluster)
	ctl := startController(t, "fault-controller-secret")
	collector := startCollector(t, &collectorSetup{cluster: cluster, controller: ctl, logLevel: "debug",
		inventoryEvery: "4s", extraEnv: []string{"MNM_PROXMOX_TIMEOUT=1s"}})
	eventually(t, 30*time.Second, "the whole inventory at the controller", func() error {
		return checkInventory(cluster.sim.Cluster(), ctl.ctl.Endpoints())
	})
	before := ctl.ctl.Stats()

	cluster.sim.HangNode("pve2")
	collector.waitForLog(t, 30*time.Second, "node pve2", "no further requests to it in this inventory cycle")
	cluster.sim.ClearFaults()
	requests := ctl.ctl.Stats().Requests
	eventually(t, 30*time.Second, "two more upserts after the node came back", func() error {
		if n := ctl.ctl.Stats().Requests; n < requests+2 {
			return fmt.Errorf("%d upserts since, want 2", n-requests)
		}
		return nil
	})

	after := ctl.ctl.Stats()
	assert.Equal(t, before.Updated, after.Updated, "no endpoint was recorded as changed (ip_changed and the like)")
	assert.Equal(t, before.New, after.New)
	assert.Zero(t, after.Skipped)
	require.NoError(t, checkInventory(cluster.sim.Cluster(), ctl.ctl.Endpoints()))
}
