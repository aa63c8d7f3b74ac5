// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package proxmoxreceiver

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/plogtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/scraper/scrapererror"
	"go.uber.org/zap/zapcore"

	"github.com/mnm-net/otelcol-mnm/internal/pvesim"
)

func TestInventoryGolden(t *testing.T) {
	env := newTestEnv(t, goldenCluster)
	s := env.inventoryScraper(t)
	actual, err := s.scrape(context.Background())
	require.NoError(t, err)

	expectedFile := filepath.Join("testdata", "inventory", "expected_logs.yaml")
	if os.Getenv("UPDATE_GOLDEN") != "" {
		require.NoError(t, golden.WriteLogs(t, expectedFile, actual))
	}
	expected, err := golden.ReadLogs(expectedFile)
	require.NoError(t, err)
	require.NoError(t, plogtest.CompareLogs(expected, actual, plogtest.IgnoreTimestamp(), plogtest.IgnoreObservedTimestamp()))
}

// record is one inventory record, read back from its attributes.
type record struct {
	mac, ip, hostname, classification, node, bridge, source, guestType string
	vlan, vmid                                                         int64
	additional                                                         []string
}

func readRecords(t *testing.T, ld plog.Logs) map[string]record {
	t.Helper()
	out := map[string]record{}
	for lr := range logRecords(ld) {
		a := lr.Attributes()
		str := func(key string) string {
			v, _ := a.Get(key)
			return v.Str()
		}
		num := func(key string) int64 {
			v, _ := a.Get(key)
			return v.Int()
		}
		r := record{
			mac: str("mnm.endpoint.mac"), ip: str("mnm.endpoint.ip"), hostname: str("mnm.endpoint.hostname"),
			classification: str("mnm.endpoint.classification"), node: str("mnm.endpoint.device_name"),
			bridge: str("mnm.endpoint.switch_port"), source: str("mnm.endpoint.source"), guestType: str("proxmox.guest.type"),
			vlan: num("mnm.endpoint.vlan"), vmid: num("proxmox.vmid"),
		}
		if v, ok := a.Get("mnm.endpoint.additional_ips"); ok && v.Type() == pcommon.ValueTypeSlice {
			for _, ip := range v.Slice().AsRaw() {
				r.additional = append(r.additional, ip.(string))
			}
		}
		_, dup := out[r.mac]
		require.False(t, dup, "MAC %s emitted twice", r.mac)
		out[r.mac] = r
	}
	return out
}

// TestInventoryMatchesGroundTruth is the definition of done for the
// receiver side: every NIC with a MAC of every non-template guest arrives
// with the right MAC, bridge, VLAN, node, classification and IPs.
func TestInventoryMatchesGroundTruth(t *testing.T) {
	env := newTestEnv(t, pvesim.Config{Nodes: 4, Guests: 80, Seed: 11})
	s := env.inventoryScraper(t)
	ld, err := s.scrape(context.Background())
	require.NoError(t, err)
	got := readRecords(t, ld)
	truth := env.sim.Cluster()
	legacy := map[string]bool{}
	for _, n := range truth.Nodes {
		legacy[n.Name] = n.Legacy
	}

	expected := 0
	for _, g := range truth.Guests {
		for _, nic := range g.NICs {
			if nic.MAC == "" {
				continue
			}
			r, ok := got[nic.MAC]
			if g.Template {
				assert.False(t, ok, "template %d must be skipped by default", g.VMID)
				continue
			}
			expected++
			if !assert.True(t, ok, "guest %d %s %s missing", g.VMID, nic.Key, nic.MAC) {
				continue
			}
			assert.Equal(t, nic.Bridge, r.bridge, "bridge of %s", nic.MAC)
			assert.EqualValues(t, nic.VLAN, r.vlan, "vlan of %s", nic.MAC)
			assert.Equal(t, g.Node, r.node)
			assert.Equal(t, g.Name, r.hostname)
			assert.EqualValues(t, g.VMID, r.vmid)
			assert.Equal(t, "proxmox", r.source)
			want := "virtual_machine"
			if g.Type == "lxc" {
				want = "container"
			}
			assert.Equal(t, want, r.classification)

			// Which IPs the receiver can know: a running guest with a
			// working agent (qemu) or namespace (lxc), and lxc static ip=.
			// Guests without RRD data show status "unknown" and are not asked.
			reports := g.Status == "running" && !g.NoRRD && (g.Type == "lxc" || g.Agent == pvesim.AgentRunning)
			switch {
			case reports && len(nic.IPv4) > 0:
				assert.Equal(t, prefixAddr(nic.IPv4[0]), r.ip, "primary IP of %s", nic.MAC)
				// The pre-8.4 container interface list holds only the last
				// address per family (often the link-local one).
				if !(g.Type == "lxc" && legacy[g.Node]) {
					for _, v6 := range nic.IPv6 {
						assert.Contains(t, r.additional, prefixAddr(v6), "guest %d", g.VMID)
					}
				}
			case reports && len(nic.IPv6) > 0:
				assert.Equal(t, prefixAddr(nic.IPv6[0]), r.ip)
			case g.Type == "qemu" && !reports:
				assert.Empty(t, r.ip, "qemu %d has no agent answer, so no IP", g.VMID)
			}
			for _, ip := range append([]string{r.ip}, r.additional...) {
				if ip == "" {
					continue
				}
				a := netip.MustParseAddr(ip)
				assert.False(t, a.IsLoopback() || a.IsLinkLocalUnicast(), "%s must be dropped", ip)
			}
		}
	}
	assert.Len(t, got, expected)
}

func prefixAddr(cidr string) string {
	return netip.MustParsePrefix(cidr).Addr().String()
}

func TestInventoryBudgetAndAgentBackoff(t *testing.T) {
	env := newTestEnv(t, pvesim.Config{Nodes: 3, Guests: 90, Seed: 5, GuestAgentDetails: true})
	s := env.inventoryScraper(t)
	truth := env.sim.Cluster()

	var guests, answering, silent, agentVMs int64
	vmNodes := map[string]bool{} // nodes running a VM: one /nodes/{node}/qemu?full=1 each
	for _, g := range truth.Guests {
		if g.Template {
			continue
		}
		guests++
		if g.Status != "running" || g.NoRRD {
			continue
		}
		if g.Type == "qemu" {
			vmNodes[g.Node] = true
		}
		if g.Type == "qemu" && g.Agent == pvesim.AgentRunning {
			agentVMs++
		}
		switch {
		case g.Type == "lxc" || g.Agent == pvesim.AgentRunning:
			answering++
		case g.Agent == pvesim.AgentNotRunning || g.Agent == pvesim.AgentUnsupported:
			silent++
		}
	}
	require.Positive(t, silent, "the simulated cluster must have silent agents for this test")

	nodes := int64(len(vmNodes))
	_, err := s.scrape(context.Background())
	require.True(t, err == nil || scrapererror.IsPartialScrapeError(err), "%v", err)
	first := env.sim.Stats()
	// + SDN vnets and zones; each answering VM's agent: filesystems, OS, host name.
	assert.LessOrEqual(t, first.Total, 3+guests+answering+silent+nodes+3*agentVMs, "first cycle: %v", first.Paths)
	assert.Zero(t, first.NonGET)

	// Steady state: silent agents are left alone for a few cycles, the OS
	// and host name until the VM restarts or for an hour.
	env.sim.ResetStats()
	_, err = s.scrape(context.Background())
	require.True(t, err == nil || scrapererror.IsPartialScrapeError(err), "%v", err)
	second := env.sim.Stats()
	assert.LessOrEqual(t, second.Total, 3+guests+answering+nodes+agentVMs, "steady state: %v", second.Paths)
	// The first cycle also asked once whether the token may see SDN (NICs on
	// bridges not named vmbrN, and no VNets).
	assert.Equal(t, first.Total-silent-first.Paths["/cluster/sdn"]-
		first.Paths[pvesim.PathQemuAgentOSInfo]-first.Paths[pvesim.PathQemuAgentHostName], second.Total)
	assert.Zero(t, second.Paths[pvesim.PathQemuAgentOSInfo])
	assert.Equal(t, nodes, second.Paths[pvesim.PathQemuList])
}

func TestInventoryAgentForbiddenOnPVE8(t *testing.T) {
	env := newTestEnv(t, pvesim.Config{Nodes: 2, Guests: 40, Seed: 4, Permissions: pvesim.AuditorPVE8})
	s := env.inventoryScraper(t)
	ld, err := s.scrape(context.Background())
	require.Error(t, err, "a missing privilege is reported")
	assert.Contains(t, err.Error(), "VM.Monitor")
	assert.Equal(t, 1, strings.Count(err.Error(), "guest IPs are left out"), "one error per problem, not per guest")
	assert.NotEmpty(t, readRecords(t, ld), "records are still emitted, without agent IPs")

	// The next cycle pauses agent requests; the problem is not "resolved".
	env.sim.ResetStats()
	_, err = s.scrape(context.Background())
	require.NoError(t, err)
	assert.Zero(t, env.sim.Stats().Paths["/nodes/{node}/qemu/{vmid}/agent/network-get-interfaces"])
	assert.Zero(t, env.logs.FilterMessage("Proxmox problem resolved").Len())
	warnings := env.logs.FilterMessage("Proxmox problem").FilterLevelExact(zapcore.WarnLevel).All()
	var forbidden int
	for _, w := range warnings {
		if strings.Contains(w.ContextMap()["error"].(string), "VM.Monitor") {
			forbidden++
		}
	}
	assert.Equal(t, 1, forbidden, "the missing agent privilege is said once, with the fix")
}

func TestBothSignalsShareOneClientAndMakeNoDuplicateGuestRequests(t *testing.T) {
	env := newTestEnv(t, goldenCluster)
	metrics := env.metricsScraper(t)
	inventory := env.inventoryScraper(t)
	require.Same(t, metrics.shared, inventory.shared)

	_, err := metrics.scrape(context.Background())
	require.NoError(t, err)
	_, err = inventory.scrape(context.Background())
	require.NoError(t, err)

	var guests int64
	for _, g := range env.sim.Cluster().Guests {
		if !g.Template {
			guests++
		}
	}
	stats := env.sim.Stats()
	assert.Equal(t, guests, stats.Paths["/nodes/{node}/qemu/{vmid}/config"]+stats.Paths["/nodes/{node}/lxc/{vmid}/config"],
		"each guest's config is read once per inventory cycle, whatever else runs")
}
