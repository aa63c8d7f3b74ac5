// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e && linux

package e2e

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mnm-net/otelcol-mnm/internal/controllersim"
	"github.com/mnm-net/otelcol-mnm/internal/pvesim"
)

// TestInventoryAsMNMStoresIt runs the inventory into the stand-in that
// follows MNM's store (one active location per MAC, merges that never
// clear, events per change: endpoint_store.py upsert_endpoint) over several
// cycles, on a cluster with SDN VNets, guests that tag VLANs themselves
// (ens18.10), two guests sharing a MAC, and one guest re-addressed mid-run.
// After the first cycle the only event is that one ip_changed.
func TestInventoryAsMNMStoresIt(t *testing.T) {
	cluster := startCluster(t, pvesim.Config{Nodes: 3, Guests: 36, Seed: 1, SDN: true, NICGaps: true,
		GuestVLANs: true, DuplicateMAC: true})
	ctl := startController(t, "e2e-store-secret")
	setup := &collectorSetup{cluster: cluster, controller: ctl, inventoryEvery: "2s"}
	collector := startCollector(t, setup)
	prom := startPrometheus(t, setup.promAddr, setup.telemetryAddr)

	truth := cluster.sim.Cluster()
	require.Len(t, truth.DuplicateMACs, 1, "the simulator shares one MAC between two guests")
	dup := truth.DuplicateMACs[0]
	owner := dupOwner(t, truth, dup)

	// Cycle 1 delivers every NIC; remember the events it caused.
	eventually(t, 90*time.Second, "the first complete inventory", func() error {
		require.False(t, collector.exited(), "otelcol-mnm exited:\n%s", tail(collector.out.String(), 3000))
		return checkStoredAsMNM(truth, owner, ctl.ctl.Endpoints())
	})
	firstEvents := len(ctl.ctl.Events())
	for _, ev := range ctl.ctl.Events() {
		assert.Equal(t, controllersim.EventAppeared, ev.Type, "the first cycle only adds endpoints: %+v", ev)
	}
	waitCycles(t, ctl, 2)

	// An operator re-addresses one VM: exactly one ip_changed follows.
	guest, nic := readdressable(t, truth, dup.MAC)
	oldIP := netip.MustParsePrefix(nic.IPv4[0]).Addr().String()
	const newIP = "192.0.2.250"
	require.NoError(t, cluster.sim.SetGuestIPs(guest.VMID, nic.Key, []string{newIP + "/24"}, nil))
	eventually(t, 60*time.Second, "the new address stored", func() error {
		row, ok := activeRow(ctl.ctl.Endpoints(), nic.MAC)
		if !ok || row.IP == nil || *row.IP != newIP {
			return fmt.Errorf("row of %s: %+v", nic.MAC, row)
		}
		return nil
	})
	waitCycles(t, ctl, 3)

	later := ctl.ctl.Events()[firstEvents:]
	require.Len(t, later, 1, "after the first cycle, only the re-addressing is an event: %+v", later)
	assert.Equal(t, controllersim.EventIPChanged, later[0].Type)
	assert.Equal(t, nic.MAC, later[0].MAC)
	assert.Equal(t, oldIP, deref(later[0].OldValue))
	assert.Equal(t, newIP, deref(later[0].NewValue))

	rows := ctl.ctl.Endpoints()
	truth = cluster.sim.Cluster()
	require.NoError(t, checkStoredAsMNM(truth, owner, rows))
	for _, row := range rows {
		assert.True(t, row.Active, "no MAC ever left a location: %+v", row)
		assert.False(t, row.FirstSeen.After(row.LastSeen), "first seen after last seen: %+v", row)
	}
	anomalies := ctl.ctl.Anomalies()
	assert.Empty(t, anomalies.IPConflicts, "no IP claimed by two MACs")
	assert.Empty(t, anomalies.MultiLocation, "no MAC in two places")

	t.Run("the shared MAC is a problem naming both guests", func(t *testing.T) {
		waitForMetric(t, setup.promAddr, "mnm_proxmox_problem",
			map[string]string{"kind": "duplicate_mac", "node": dupOther(t, truth, dup, owner).Node}, equals(1))
		out := collector.out.String()
		assert.Contains(t, out, "MAC "+dup.MAC+" is on")
		for _, vmid := range dup.VMIDs {
			assert.Contains(t, out, fmt.Sprintf("qemu %d (", vmid))
		}
		assert.Equal(t, 1, strings.Count(out, `"problem": "duplicate-mac `+dup.MAC), "said once, not at every cycle")
	})

	t.Run("delivery is visible in Prometheus", func(t *testing.T) {
		eventually(t, 60*time.Second, "last success scraped", func() error {
			res, err := prom.query(t, `time() - otelcol_exporter_mnmendpoint_last_success < 60`)
			if err != nil {
				return err
			}
			if len(res) == 0 {
				return fmt.Errorf("no recent success")
			}
			return nil
		})
		res, err := prom.query(t, `otelcol_exporter_queue_size{exporter="mnmendpoint"}`)
		require.NoError(t, err)
		assert.NotEmpty(t, res)
		res, err = prom.query(t, `ALERTS{alertname=~"MNMEndpoint.*"}`)
		require.NoError(t, err)
		assert.Empty(t, res, "no delivery alert on a healthy controller")
	})
}

// TestInventoryToStockMNMSaysTheRouteIsMissing: MNM v1.0.1 answers the
// upsert with 405. The exporter says once where the route comes from,
// counts the refused endpoints, and the dashboard's gauge names the cause.
func TestInventoryToStockMNMSaysTheRouteIsMissing(t *testing.T) {
	cluster := startCluster(t, pvesim.Config{Nodes: 2, Guests: 8, Seed: 3})
	ctl := startControllerWith(t, controllersim.Config{Secret: "e2e-stock-secret", NoUpsertRoute: true})
	setup := &collectorSetup{cluster: cluster, controller: ctl, inventoryEvery: "1s"}
	collector := startCollector(t, setup)

	waitForMetric(t, setup.telemetryAddr, "otelcol_exporter_mnmendpoint_delivery_failing",
		map[string]string{"cause": "no_upsert_route"}, equals(1))
	eventually(t, 60*time.Second, "three refused exports", func() error {
		if n := ctl.ctl.Stats().Requests; n < 3 {
			return fmt.Errorf("%d upsert requests so far", n)
		}
		return nil
	})
	waitForMetric(t, setup.telemetryAddr, "otelcol_exporter_mnmendpoint_endpoints_rejected",
		map[string]string{"reason": "no_upsert_route"}, func(v float64) error {
			if v < 1 {
				return fmt.Errorf("%v rejected", v)
			}
			return nil
		})
	out := collector.out.String()
	assert.Equal(t, 1, strings.Count(out, "controller cannot take the endpoints"), "one warning, however many exports")
	assert.Contains(t, out, "integrations/mnm-controller")
	assert.Empty(t, ctl.ctl.Endpoints())
}

// checkStoredAsMNM checks the store against the simulator: one active row
// per MAC at (node, bridge or VNet, VLAN), the guest name, and the
// addresses of in-guest VLAN sub-interfaces among the NIC's additional IPs.
// The shared MAC is stored once, at owner's NIC.
func checkStoredAsMNM(truth *pvesim.Cluster, owner guestNIC, rows []controllersim.StoredEndpoint) error {
	active := map[string]controllersim.StoredEndpoint{}
	for _, r := range rows {
		if !r.Active {
			continue
		}
		if _, twice := active[r.MAC]; twice {
			return fmt.Errorf("MAC %s is active at two locations", r.MAC)
		}
		active[r.MAC] = r
	}
	want := 0
	for _, g := range truth.Guests {
		for _, nic := range g.NICs {
			if nic.MAC == "" || g.Template {
				continue
			}
			if len(truth.DuplicateMACs) > 0 && nic.MAC == truth.DuplicateMACs[0].MAC && (g.VMID != owner.guest.VMID || nic.Key != owner.nic.Key) {
				continue
			}
			want++
			row, ok := active[nic.MAC]
			if !ok {
				return fmt.Errorf("guest %d %s (%s) not stored", g.VMID, nic.Key, nic.MAC)
			}
			port := cmp.Or(nic.Bridge, controllersim.NoneLocation) // a NIC on no bridge (user networking)
			if row.DeviceName != g.Node || row.SwitchPort != port || row.VLAN != nic.EffectiveVLAN() || row.Hostname != g.Name {
				return fmt.Errorf("guest %d %s: stored %+v", g.VMID, nic.Key, row)
			}
			for _, sub := range nic.SubInterfaces {
				for _, cidr := range sub.IPv4 {
					ip := netip.MustParsePrefix(cidr).Addr().String()
					if !slices.Contains(row.AdditionalIPs, ip) {
						return fmt.Errorf("guest %d %s: %s of %s missing from additional_ips %v", g.VMID, nic.Key, ip, sub.Name, row.AdditionalIPs)
					}
				}
			}
		}
	}
	if len(active) != want {
		return fmt.Errorf("%d active endpoints, want %d", len(active), want)
	}
	return nil
}

type guestNIC struct {
	guest pvesim.Guest
	nic   pvesim.NIC
}

// dupOwner is the NIC whose record carries the shared MAC: a running guest
// before a stopped one, then the lower VMID.
func dupOwner(t *testing.T, truth *pvesim.Cluster, dup pvesim.DuplicateMAC) guestNIC {
	t.Helper()
	var all []guestNIC
	for i, vmid := range dup.VMIDs {
		for _, g := range truth.Guests {
			if g.VMID != vmid {
				continue
			}
			for _, nic := range g.NICs {
				if nic.Key == dup.NICs[i] {
					all = append(all, guestNIC{guest: g, nic: nic})
				}
			}
		}
	}
	require.Len(t, all, 2)
	slices.SortStableFunc(all, func(a, b guestNIC) int {
		ar, br := a.guest.Status == "running", b.guest.Status == "running"
		if ar != br {
			if ar {
				return -1
			}
			return 1
		}
		return a.guest.VMID - b.guest.VMID
	})
	return all[0]
}

func dupOther(t *testing.T, truth *pvesim.Cluster, dup pvesim.DuplicateMAC, owner guestNIC) pvesim.Guest {
	t.Helper()
	for _, g := range truth.Guests {
		if slices.Contains(dup.VMIDs, g.VMID) && g.VMID != owner.guest.VMID {
			return g
		}
	}
	t.Fatalf("no second guest with %s", dup.MAC)
	return pvesim.Guest{}
}

// readdressable picks a running VM whose agent reports net0's IPv4 address
// and whose MAC is not the shared one.
func readdressable(t *testing.T, truth *pvesim.Cluster, sharedMAC string) (pvesim.Guest, pvesim.NIC) {
	t.Helper()
	for _, g := range truth.Guests {
		if g.Type != "qemu" || g.Status != "running" || g.Agent != pvesim.AgentRunning || g.NoRRD || len(g.NICs) == 0 {
			continue
		}
		if nic := g.NICs[0]; nic.MAC != "" && nic.MAC != sharedMAC && len(nic.IPv4) > 0 && len(nic.SubInterfaces) == 0 {
			return g, nic
		}
	}
	t.Fatal("no VM to re-address")
	return pvesim.Guest{}, pvesim.NIC{}
}

// waitCycles waits until the controller has accepted n more upsert requests
// (one per inventory cycle at this cluster size).
func waitCycles(t *testing.T, ctl *controller, n int64) {
	t.Helper()
	start := ctl.ctl.Stats().Accepted
	eventually(t, 60*time.Second, fmt.Sprintf("%d more inventory cycles", n), func() error {
		if got := ctl.ctl.Stats().Accepted - start; got < n {
			return fmt.Errorf("%d so far", got)
		}
		return nil
	})
}

func activeRow(rows []controllersim.StoredEndpoint, mac string) (controllersim.StoredEndpoint, bool) {
	for _, r := range rows {
		if r.MAC == mac && r.Active {
			return r, true
		}
	}
	return controllersim.StoredEndpoint{}, false
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}
