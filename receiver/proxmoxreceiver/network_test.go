// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package proxmoxreceiver

import (
	"context"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/mnm-net/otelcol-mnm/internal/pvesim"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/problems"
)

var sdnCluster = pvesim.Config{Nodes: 3, Guests: 24, Seed: 1, SDN: true}

// recordAttrs returns every inventory record's attributes by MAC.
func recordAttrs(ld plog.Logs) map[string]map[string]any {
	out := map[string]map[string]any{}
	for lr := range logRecords(ld) {
		a := lr.Attributes().AsRaw()
		out[a["mnm.endpoint.mac"].(string)] = a
	}
	return out
}

func TestInventorySDNVLANsMatchGroundTruth(t *testing.T) {
	env := newTestEnv(t, sdnCluster)
	env.cfg.Inventory.IncludeTemplates = true
	s := env.inventoryScraper(t)
	ld, err := s.scrape(context.Background())
	require.NoError(t, err)
	recs := recordAttrs(ld)

	onVNet := 0
	for _, g := range env.sim.Cluster().Guests {
		for _, nic := range g.NICs {
			if nic.MAC == "" {
				continue
			}
			rec, ok := recs[nic.MAC]
			require.True(t, ok, "guest %d %s", g.VMID, nic.Key)
			assert.EqualValues(t, nic.EffectiveVLAN(), rec["mnm.endpoint.vlan"], "guest %d %s on %s", g.VMID, nic.Key, nic.Bridge)
			assert.Equal(t, nic.Bridge, rec["mnm.endpoint.switch_port"], "switch_port stays the bridge the guest is attached to")
			if nic.SDN.VNet == "" {
				assert.NotContains(t, rec, "proxmox.sdn.vnet")
				continue
			}
			onVNet++
			assert.Equal(t, nic.SDN.VNet, rec["proxmox.sdn.vnet"])
			assert.Equal(t, nic.SDN.Zone, rec["proxmox.sdn.zone"])
			assert.Equal(t, nic.SDN.ZoneType, rec["proxmox.sdn.zone_type"])
			if nic.SDN.VNI != 0 {
				assert.EqualValues(t, nic.SDN.VNI, rec["proxmox.sdn.vni"])
			} else {
				assert.NotContains(t, rec, "proxmox.sdn.vni")
			}
			if nic.SDN.ServiceVLAN != 0 {
				assert.EqualValues(t, nic.SDN.ServiceVLAN, rec["proxmox.sdn.service_vlan"])
			} else {
				assert.NotContains(t, rec, "proxmox.sdn.service_vlan")
			}
		}
	}
	assert.GreaterOrEqual(t, onVNet, 5, "the fixture puts NICs on vlan, qinq, vxlan, evpn and simple VNets")
}

func TestInventoryWithoutSDNAuditSaysSoOnce(t *testing.T) {
	env := newTestEnv(t, sdnCluster)
	env.sim.SetPermissions(pvesim.AuditorNoSDN) // the VNet and zone lists come back [], /cluster/sdn 403
	s := env.inventoryScraper(t)
	for range 3 {
		_, err := s.scrape(context.Background())
		require.NoError(t, err, "the inventory goes on; the missing privilege is a problem, reported once")
	}
	assert.EqualValues(t, 1, env.sim.Stats().Paths[pvesim.PathClusterSDN], "asked once, not at every cycle")
	warnings := env.logs.FilterMessage("Proxmox problem").All()
	require.Len(t, warnings, 1, "said once")
	assert.Equal(t, problems.KindForbidden, warnings[0].ContextMap()["kind"])
	assert.Contains(t, warnings[0].ContextMap()["error"], "pveum acl modify /sdn")

	// Granted: the VNets' VLANs arrive and the problem clears.
	env.sim.SetPermissions(pvesim.Full)
	ld, err := s.scrape(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 1, env.logs.FilterMessage("Proxmox problem resolved").Len())
	vlans := 0
	for _, rec := range recordAttrs(ld) {
		if _, ok := rec["proxmox.sdn.vnet"]; ok {
			vlans++
		}
	}
	assert.Positive(t, vlans)
}

func TestNICTrafficMatchesGroundTruth(t *testing.T) {
	env := newTestEnv(t, pvesim.Config{Nodes: 3, Guests: 24, Seed: 1, NICGaps: true})
	s := env.metricsScraper(t)
	md, err := s.scrape(context.Background())
	require.NoError(t, err)
	idx := indexGauges(md)
	truth := env.sim.Cluster()
	types := map[int]string{}
	for _, g := range truth.Guests {
		types[g.VMID] = g.Type
	}

	counted, gaps := 0, false
	for _, d := range truth.NetDevs {
		vmid := strconv.Itoa(d.VMID)
		if d.Leftover {
			assert.False(t, idx.has("mnm.proxmox.ct.nic.netin", "vmid", vmid), "a device of a VMID /cluster/resources does not list is left out")
			assert.False(t, idx.has("mnm.proxmox.vm.nic.netin", "vmid", vmid))
			continue
		}
		prefix := "mnm.proxmox.vm.nic."
		if types[d.VMID] == "lxc" {
			prefix = "mnm.proxmox.ct.nic."
		}
		assert.Equal(t, float64(d.In), idx.value(t, prefix+"netin", "node", d.Node, "vmid", vmid, "nic", d.NIC), "%s", d.Name)
		assert.Equal(t, float64(d.Out), idx.value(t, prefix+"netout", "node", d.Node, "vmid", vmid, "nic", d.NIC), "%s", d.Name)
		counted++
		gaps = gaps || d.NIC == "net2"
	}
	assert.Positive(t, counted)
	assert.True(t, gaps, "the fixture has a NIC index gap (net0, net2)")
	assert.LessOrEqual(t, env.sim.Stats().Paths[pvesim.PathNodeNetstat], int64(len(truth.Nodes)), "one netstat request per node")
}

func TestNICInfoJoinsTheLatestInventory(t *testing.T) {
	env := newTestEnv(t, sdnCluster)
	metrics := env.metricsScraper(t)
	md, err := metrics.scrape(context.Background())
	require.NoError(t, err)
	assert.False(t, indexGauges(md).hasMetric("mnm.proxmox.guest.nic.info"), "absent until the first inventory cycle has run")

	_, err = env.inventoryScraper(t).scrape(context.Background())
	require.NoError(t, err)
	md, err = metrics.scrape(context.Background())
	require.NoError(t, err)
	idx := indexGauges(md)
	n := 0
	for _, g := range env.sim.Cluster().Guests {
		if g.Template {
			continue
		}
		for _, nic := range g.NICs {
			if nic.MAC == "" {
				continue
			}
			n++
			assert.True(t, idx.has("mnm.proxmox.guest.nic.info", "node", g.Node, "vmid", strconv.Itoa(g.VMID), "nic", nic.Key,
				"mac", nic.MAC, "bridge", nic.Bridge, "vlan", strconv.Itoa(nic.EffectiveVLAN())), "guest %d %s", g.VMID, nic.Key)
		}
	}
	assert.Len(t, idx["mnm.proxmox.guest.nic.info"], n, "one series per NIC")
}
