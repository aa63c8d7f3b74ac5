// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package proxmoxreceiver

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/scraper/scrapererror"

	"github.com/mnm-net/otelcol-mnm/internal/pvesim"
)

var faultInventoryCluster = pvesim.Config{Nodes: 4, Guests: 48, Seed: 3}

// timestamps returns each record's timestamp by MAC.
func timestamps(ld plog.Logs) map[string]time.Time {
	out := map[string]time.Time{}
	for lr := range logRecords(ld) {
		mac, _ := lr.Attributes().Get("mnm.endpoint.mac")
		out[mac.Str()] = lr.Timestamp().AsTime()
	}
	return out
}

// clock is a scraper clock the test moves by hand.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *clock                   { return &clock{t: time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)} }
func byNode(recs map[string]record) map[string]int {
	out := map[string]int{}
	for _, r := range recs {
		out[r.node]++
	}
	return out
}

func TestInventoryHungNodeCostsOneTimeoutAndKeepsItsGuests(t *testing.T) {
	env := newTestEnv(t, faultInventoryCluster)
	env.cfg.ClientConfig.Timeout = 300 * time.Millisecond
	s := env.inventoryScraper(t)
	clk := newClock()
	s.now = clk.now

	first, err := s.scrape(context.Background())
	require.NoError(t, err)
	before := readRecords(t, first)
	require.NotZero(t, byNode(before)["pve2"], "the fixture has guests on pve2")

	env.sim.HangNode("pve2")
	counter := countBytes(s.shared)
	clk.advance(5 * time.Minute)
	second, err := s.scrape(context.Background())
	require.Error(t, err)
	assert.True(t, scrapererror.IsPartialScrapeError(err))
	assert.ErrorContains(t, err, "node pve2")
	// The requests in flight when the first one times out, plus at most one
	// each that took a freed slot in the instant before the node was given up.
	assert.LessOrEqual(t, counter.perNode["pve2"], 2*env.cfg.MaxConcurrentRequestsPerNode,
		"the first timeout stops further requests to the hung node (sent: %d)", counter.perNode["pve2"])
	assert.Less(t, counter.perNode["pve2"], byNode(before)["pve2"], "not one request per guest")

	after := readRecords(t, second)
	assert.Equal(t, before, after, "every record is there, the hung node's guests as last known, with their IPs")
	ts := timestamps(second)
	for mac, r := range after {
		if r.node == "pve2" {
			assert.Equal(t, clk.t.Add(-5*time.Minute), ts[mac], "a kept record is dated by when it was confirmed")
		} else {
			assert.Equal(t, clk.t, ts[mac], "a healthy node's records are fresh")
		}
	}

	// A node that stays hung for longer than keep_last_known loses its records.
	clk.advance(env.cfg.Inventory.KeepLastKnown)
	third, err := s.scrape(context.Background())
	require.Error(t, err)
	assert.Zero(t, byNode(readRecords(t, third))["pve2"])

	// When it answers again, everything is fresh.
	env.sim.ClearFaults()
	clk.advance(5 * time.Minute)
	fourth, err := s.scrape(context.Background())
	require.NoError(t, err)
	assert.Equal(t, before, readRecords(t, fourth))
}

func TestInventoryNodeHungForOneCycleChangesNothing(t *testing.T) {
	env := newTestEnv(t, faultInventoryCluster)
	env.cfg.ClientConfig.Timeout = 300 * time.Millisecond
	s := env.inventoryScraper(t)

	first, err := s.scrape(context.Background())
	require.NoError(t, err)
	env.sim.HangNode("pve3")
	second, err := s.scrape(context.Background())
	require.Error(t, err)
	env.sim.ClearFaults()
	third, err := s.scrape(context.Background())
	require.NoError(t, err)

	want := readRecords(t, first)
	assert.Equal(t, want, readRecords(t, second))
	assert.Equal(t, want, readRecords(t, third), "no IP went missing and came back: nothing for the controller to record")
}

func TestInventoryAgentFailingOnceKeepsIPsAndAsksAgain(t *testing.T) {
	env := newTestEnv(t, faultInventoryCluster)
	s := env.inventoryScraper(t)

	first, err := s.scrape(context.Background())
	require.NoError(t, err)
	want := readRecords(t, first)
	withIP := 0
	for _, r := range want {
		if r.ip != "" {
			withIP++
		}
	}
	require.NotZero(t, withIP)

	// What real Proxmox answers when the agent does not answer in time
	// (qemu-server: "VM 100 qmp command 'guest-network-get-interfaces' failed - got timeout").
	env.sim.FailPath(pvesim.PathQemuAgentNet, 500, "VM qmp command 'guest-network-get-interfaces' failed - got timeout")
	second, err := s.scrape(context.Background())
	require.NoError(t, err, "an agent that does not answer is not a problem")
	assert.Equal(t, want, readRecords(t, second), "no ip: null for a one-cycle agent blip")

	env.sim.ClearFaults()
	env.sim.ResetStats()
	third, err := s.scrape(context.Background())
	require.NoError(t, err)
	assert.Equal(t, want, readRecords(t, third))
	asked := env.sim.Stats().Paths[pvesim.PathQemuAgentNet]
	agentGuests := 0
	for _, g := range env.sim.Cluster().Guests {
		if g.Type == "qemu" && g.Status == "running" && !g.Template && g.Agent == pvesim.AgentRunning {
			agentGuests++
		}
	}
	assert.GreaterOrEqual(t, asked, int64(agentGuests), "agents that answered recently are asked again at once, not backed off")
}

func TestInventoryWithoutKeepLastKnownDropsAddressesAtOnce(t *testing.T) {
	env := newTestEnv(t, faultInventoryCluster)
	env.cfg.Inventory.KeepLastKnown = 0
	s := env.inventoryScraper(t)
	_, err := s.scrape(context.Background())
	require.NoError(t, err)
	env.sim.FailPath(pvesim.PathQemuAgentNet, 500, "got timeout")
	second, err := s.scrape(context.Background())
	require.NoError(t, err)
	for _, r := range readRecords(t, second) {
		if r.guestType == "qemu" {
			assert.Empty(t, r.ip, "keep_last_known: 0 keeps nothing")
		}
	}
}

func TestInventoryShutdownCancelsACycleWaitingOnAHungNode(t *testing.T) {
	env := newTestEnv(t, faultInventoryCluster)
	env.cfg.ClientConfig.Timeout = time.Minute          // without cancellation, shutdown would wait this long
	env.cfg.CollectionInterval = 200 * time.Millisecond // the inventory starts half of it after the initial delay
	env.sim.HangNode("pve1")
	sink := new(consumertest.LogsSink)
	r, err := NewFactory().CreateLogs(context.Background(), env.set, env.cfg, sink)
	require.NoError(t, err)
	require.NoError(t, r.Start(context.Background(), newMdatagenNopHost()))
	require.Eventually(t, func() bool {
		return env.sim.Stats().Paths[pvesim.PathQemuConfig]+env.sim.Stats().Paths[pvesim.PathLXCConfig] > 0
	},
		10*time.Second, 10*time.Millisecond, "the cycle is running")

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, r.Shutdown(ctx))
	assert.NoError(t, ctx.Err(), "shutdown returned within its deadline")
}
