// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package proxmoxreceiver

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/scraper/scrapererror"

	"github.com/mnm-net/otelcol-mnm/internal/pvesim"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/guestnet"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/problems"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/pveapi"
)

// pve-container 5.0.6 to 5.1.x answers {"data":null} for the interfaces of
// every container on another node than the one the request reaches (bug
// #5674, see pvesim Config.LXCInterfacesUnproxied). That is no answer: the
// containers are not recorded as having no addresses, and the bug is
// reported once per node, from the second cycle on, with its fix.
func TestContainerInterfacesAnsweredNullAreNoAnswer(t *testing.T) {
	env := newTestEnv(t, pvesim.Config{Nodes: 3, Guests: 30, Seed: 5, LXCInterfacesUnproxied: true})
	s := env.inventoryScraper(t)
	clk := newClock()
	s.now = clk.now
	endpointNode := env.sim.Cluster().Nodes[0].Name

	first, err := s.scrape(context.Background())
	require.NoError(t, err, "once may be a container that just stopped")
	active, _ := s.shared.problems.Current(clk.now())
	assert.Empty(t, active)

	clk.advance(5 * time.Minute)
	second, err := s.scrape(context.Background())
	require.True(t, scrapererror.IsPartialScrapeError(err), "%v", err)
	assert.Equal(t, readRecords(t, first), readRecords(t, second), "nothing changes at the controller")

	active, _ = s.shared.problems.Current(clk.now())
	bugNodes := map[string]bool{}
	for _, pr := range active {
		require.Equal(t, problems.KindProxmoxBug, pr.Kind, "%v", pr.Err)
		assert.Equal(t, pveapi.PathLXCInterfaces, pr.Path)
		assert.Contains(t, pr.Err.Error(), "bug #5674")
		assert.Contains(t, pr.Err.Error(), "apt update && apt full-upgrade")
		bugNodes[pr.Node] = true
	}
	want := map[string]bool{}
	withIPs := 0
	recs := readRecords(t, second)
	for _, g := range env.sim.Cluster().Guests {
		if g.Type != "lxc" || g.Status != "running" || g.Template {
			continue
		}
		if g.Node != endpointNode {
			want[g.Node] = true
			continue
		}
		for _, nic := range g.NICs {
			if r, ok := recs[nic.MAC]; ok && r.ip != "" {
				withIPs++
			}
		}
	}
	require.NotEmpty(t, want, "the cluster has running containers on other nodes than the endpoint's")
	assert.Equal(t, want, bugNodes, "one problem per node whose containers answer null")
	assert.Positive(t, withIPs, "the endpoint node's containers answer as usual")
}

// nullInterfacesFake is a running container whose interfaces answer as
// told: its addresses, or Proxmox's null.
type nullInterfacesFake struct {
	*fakeClient
	null bool
}

func (f *nullInterfacesFake) LXCInterfaces(context.Context, string, int64) ([]guestnet.InterfaceAddrs, error) {
	if f.null {
		return nil, guestnet.ErrNoContainerProcess
	}
	return []guestnet.InterfaceAddrs{{Name: "eth0", MAC: "BC:24:11:00:02:00", Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.20")}}}, nil
}

// A container that answered with addresses and then answers null (it moved
// to another node than the endpoint's, or stopped in between) keeps its
// last addresses for keep_last_known, as after any failed answer.
func TestContainerAnsweringNullKeepsItsLastAddresses(t *testing.T) {
	fake := &nullInterfacesFake{fakeClient: &fakeClient{
		resources: []pveapi.ClusterResource{
			{ID: "node/pve1", Type: "node", Node: "pve1", Status: "online"},
			{ID: "lxc/200", Type: "lxc", Node: "pve1", Status: "running", VMID: pveapi.FlexInt{Value: 200, Valid: true}},
		},
		configs: map[int64]pveapi.GuestConfig{200: {Name: "ct", NICs: []guestnet.NIC{{Device: "net0", MAC: "BC:24:11:00:02:00", Bridge: "vmbr0"}}}},
	}}
	s := startInventoryWithClient(t, fake)
	clk := newClock()
	s.now = clk.now
	ld, err := s.scrape(context.Background())
	require.NoError(t, err)
	require.Equal(t, "192.0.2.20", readRecords(t, ld)["BC:24:11:00:02:00"].ip)

	fake.null = true
	clk.advance(5 * time.Minute)
	ld, err = s.scrape(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "192.0.2.20", readRecords(t, ld)["BC:24:11:00:02:00"].ip, "the last addresses stand")

	clk.advance(s.cfg.Inventory.KeepLastKnown)
	ld, err = s.scrape(context.Background())
	require.True(t, scrapererror.IsPartialScrapeError(err), "the second null in a row is reported: %v", err)
	assert.Empty(t, readRecords(t, ld)["BC:24:11:00:02:00"].ip, "not beyond keep_last_known")
}
