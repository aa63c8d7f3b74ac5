// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package proxmoxreceiver

import (
	"context"
	"fmt"
	"github.com/mnm-net/otelcol-mnm/internal/pvesim"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
	"net/http"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.opentelemetry.io/collector/scraper/scrapererror"

	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/guestnet"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/metadata"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/problems"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/pveapi"
)

// fakeClient answers from fixed values; a method a test did not expect
// panics through the nil embedded interface, which fails the test.
type fakeClient struct {
	pveapi.Client
	resources  []pveapi.ClusterResource
	storage    map[string][]pveapi.Storage
	storageErr map[string]error
	configs    map[int64]pveapi.GuestConfig
	ifaces     map[int64][]guestnet.InterfaceAddrs
	// filesystems answers get-fsinfo by vmid; other VMs' agents lack it.
	filesystems map[int64][]guestnet.Filesystem
}

func (f *fakeClient) NodeNetstat(context.Context, string) ([]pveapi.NetstatEntry, error) {
	return nil, nil
}

func (f *fakeClient) SDNVNets(context.Context) ([]pveapi.SDNVNet, error) { return nil, nil }

func (f *fakeClient) SDNZones(context.Context) ([]pveapi.SDNZone, error) { return nil, nil }

func (f *fakeClient) SDNIndex(context.Context) error { return nil }

func (f *fakeClient) AgentFSInfo(_ context.Context, _ string, vmid int64) ([]guestnet.Filesystem, error) {
	if fs, ok := f.filesystems[vmid]; ok {
		return fs, nil
	}
	return nil, pveapi.NotImplemented("/nodes/pve1/qemu/100/agent/get-fsinfo")
}

func (f *fakeClient) AgentOSInfo(context.Context, string, int64) (guestnet.OSInfo, error) {
	return guestnet.OSInfo{}, pveapi.NotImplemented("/nodes/pve1/qemu/100/agent/get-osinfo")
}

func (f *fakeClient) AgentHostName(context.Context, string, int64) (string, error) {
	return "", pveapi.NotImplemented("/nodes/pve1/qemu/100/agent/get-host-name")
}

func (f *fakeClient) NodeQemuFull(context.Context, string) ([]pveapi.QemuStatus, error) {
	return nil, nil
}

// The slow tier's paths answer 501, as pveproxy does on a Proxmox without
// them (pveapi.IsAbsent).
var notImplemented = pveapi.NotImplemented("/cluster/slow-tier-path")

func (f *fakeClient) NotBackedUp(context.Context) ([]pveapi.NotBackedUp, error) {
	return nil, notImplemented
}

func (f *fakeClient) NodeBackupTasks(context.Context, string, int64, int) ([]pveapi.Task, error) {
	return nil, notImplemented
}

func (f *fakeClient) NodeReplication(context.Context, string) ([]pveapi.ReplicationJob, error) {
	return nil, notImplemented
}

func (f *fakeClient) HAStatus(context.Context) ([]pveapi.HAStatusEntry, error) {
	return nil, notImplemented
}

func (f *fakeClient) CephStatus(context.Context) (pveapi.CephStatus, error) {
	return pveapi.CephStatus{}, notImplemented
}

func (f *fakeClient) NodeCertificates(context.Context, string) ([]pveapi.Certificate, error) {
	return nil, notImplemented
}

func (f *fakeClient) NodeSubscription(context.Context, string) (pveapi.Subscription, error) {
	return pveapi.Subscription{}, notImplemented
}

func (f *fakeClient) GuestConfig(_ context.Context, _, _ string, vmid int64) (pveapi.GuestConfig, error) {
	return f.configs[vmid], nil
}

func (f *fakeClient) AgentInterfaces(_ context.Context, _ string, vmid int64) ([]guestnet.InterfaceAddrs, error) {
	return f.ifaces[vmid], nil
}

func (f *fakeClient) ClusterResources(context.Context) ([]pveapi.ClusterResource, error) {
	return f.resources, nil
}

func (f *fakeClient) ClusterStatus(context.Context) ([]pveapi.ClusterStatusEntry, error) {
	return nil, nil
}

func (f *fakeClient) NodeStatus(context.Context, string) (pveapi.NodeStatus, error) {
	return pveapi.NodeStatus{Uptime: pveapi.FlexInt{Value: 100, Valid: true}}, nil
}

func (f *fakeClient) NodeStorage(_ context.Context, node string) ([]pveapi.Storage, error) {
	return f.storage[node], f.storageErr[node]
}

func (f *fakeClient) NodeZFSPools(context.Context, string) ([]pveapi.ZFSPool, error) { return nil, nil }

func (f *fakeClient) NodeDisks(context.Context, string) ([]pveapi.Disk, error) { return nil, nil }

// shareFakeClient is a handle on a shared client that is client.
func shareFakeClient(client pveapi.Client) (*Config, receiver.Settings, *clientHandle) {
	cfg := testConfig()
	set := receivertest.NewNopSettings(metadata.Type)
	handle := shareClient(cfg, set)
	handle.Unwrap().newClient = func(context.Context, component.Host) (pveapi.Client, *http.Client, error) {
		return client, nil, nil
	}
	return cfg, set, handle
}

// startWithClient starts a metrics scraper whose shared client is client.
func startWithClient(t *testing.T, client pveapi.Client) *metricsScraper {
	t.Helper()
	cfg, set, handle := shareFakeClient(client)
	s := newMetricsScraper(cfg, set, handle)
	require.NoError(t, s.start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, s.shutdown(context.Background())) })
	return s
}

// startInventoryWithClient starts an inventory scraper whose shared client is client.
func startInventoryWithClient(t *testing.T, client pveapi.Client) *inventoryScraper {
	t.Helper()
	cfg, set, handle := shareFakeClient(client)
	s := newInventoryScraper(cfg, set, handle)
	require.NoError(t, s.start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, s.shutdown(context.Background())) })
	return s
}

func TestMetricsScraperWithFakeClientKeepsHealthyNodes(t *testing.T) {
	fake := &fakeClient{
		resources: []pveapi.ClusterResource{
			{ID: "node/pve1", Type: "node", Node: "pve1", Status: "online"},
			{ID: "node/pve2", Type: "node", Node: "pve2", Status: "online"},
			{ID: "qemu/100", Type: "qemu", Node: "pve1", Status: "running", VMID: pveapi.FlexInt{Value: 100, Valid: true}, Name: "web"},
		},
		storage: map[string][]pveapi.Storage{
			"pve1": {{Storage: "local", Type: "dir", Used: pveapi.FlexInt{Value: 5, Valid: true}}},
		},
		storageErr: map[string]error{
			"pve2": &pveapi.APIError{Path: "/nodes/pve2/storage", Status: http.StatusInternalServerError, Message: "storage backend unavailable"},
		},
	}
	s := startWithClient(t, fake)

	md, err := s.scrape(context.Background())
	require.Error(t, err)
	assert.True(t, scrapererror.IsPartialScrapeError(err))
	assert.ErrorContains(t, err, "storage backend unavailable")
	idx := indexGauges(md)
	assert.True(t, idx.has("mnm.proxmox.storage.used", "node", "pve1", "storage", "local"))
	assert.True(t, idx.has("mnm.proxmox.vm.status", "vmid", "100", "name", "web"))
	assert.True(t, idx.has("mnm.proxmox.node.uptime", "node", "pve2"), "the failing path costs only that path")

	// What scraperhelper sees: the partial error with its count, for the
	// Collector's own telemetry.
	_, err = forController(&s.scraperBase, s.scrape, pmetric.Metrics.DataPointCount)(context.Background())
	assert.True(t, scrapererror.IsPartialScrapeError(err))
}

// The Collector counts what failed at every collection
// (otelcol_scraper_errored_metric_points) while the log says each problem
// once: the scraper controller's own "Error scraping metrics" lines are
// dropped.
func TestFailedCollectionsCountedAndLoggedOnce(t *testing.T) {
	env := newTestEnv(t, goldenCluster)
	env.sim.FailPath(pvesim.PathNodeStorage, 500, "storage backend unavailable")
	env.cfg.CollectionInterval = 50 * time.Millisecond
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	core, logs := observer.New(zapcore.InfoLevel)
	set := env.set
	set.TelemetrySettings = tel.NewTelemetrySettings()
	set.Logger = zap.New(core)

	sink := new(consumertest.MetricsSink)
	r, err := NewFactory().CreateMetrics(context.Background(), set, env.cfg, sink)
	require.NoError(t, err)
	require.NoError(t, r.Start(context.Background(), componenttest.NewNopHost()))
	require.Eventually(t, func() bool { return len(sink.AllMetrics()) >= 3 }, 10*time.Second, 10*time.Millisecond)
	require.NoError(t, r.Shutdown(context.Background()))

	errored, err := tel.GetMetric("otelcol_scraper_errored_metric_points")
	require.NoError(t, err)
	sum, ok := errored.Data.(metricdata.Sum[int64])
	require.True(t, ok, "%T", errored.Data)
	require.Len(t, sum.DataPoints, 1)
	assert.GreaterOrEqual(t, sum.DataPoints[0].Value, int64(3), "counted at every collection")
	assert.Zero(t, logs.FilterMessage("Error scraping metrics").Len(), "the controller's line per collection is dropped")
	assert.Equal(t, len(env.sim.Cluster().Nodes), logs.FilterMessage("Proxmox problem").Len(),
		"each node's problem is said once, however many collections")
}

// MNM's store keeps one active location per MAC (endpoint_store.py,
// upsert_endpoint): a second record of the same MAC at (node, bridge, VLAN
// 10) would deactivate the untagged one and log moved_port and ip_changed at
// every cycle. The sub-interfaces' addresses join their NIC's one record.
func TestInventoryVLANSubInterfacesJoinTheirNICRecord(t *testing.T) {
	const mac = "BC:24:11:00:00:01"
	fake := &fakeClient{
		resources: []pveapi.ClusterResource{
			{ID: "node/pve1", Type: "node", Node: "pve1", Status: "online"},
			{ID: "qemu/100", Type: "qemu", Node: "pve1", Status: "running", VMID: pveapi.FlexInt{Value: 100, Valid: true}},
		},
		configs: map[int64]pveapi.GuestConfig{100: {Name: "router", AgentEnabled: true, NICs: []guestnet.NIC{
			{Device: "net0", MAC: mac, Bridge: "vmbr0", Model: "virtio", Trunks: "10;20"},
		}}},
		ifaces: map[int64][]guestnet.InterfaceAddrs{100: {
			{Name: "ens18.20", MAC: "bc:24:11:00:00:01", Addrs: []netip.Addr{netip.MustParseAddr("10.20.0.5")}},
			{Name: "ens18", MAC: "bc:24:11:00:00:01", Addrs: []netip.Addr{netip.MustParseAddr("2001:db8::5"), netip.MustParseAddr("192.0.2.5")}},
			{Name: "ens18.10", MAC: "bc:24:11:00:00:01", Addrs: []netip.Addr{netip.MustParseAddr("10.10.0.5"), netip.MustParseAddr("fe80::1")}},
			{Name: "ens18.30", MAC: "bc:24:11:00:00:01"}, // no address: not a guest VLAN worth naming
		}},
	}
	s := startInventoryWithClient(t, fake)
	ld, err := s.scrape(context.Background())
	require.NoError(t, err)

	require.Equal(t, 1, ld.LogRecordCount(), "one record per MAC")
	a := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes()
	assert.Equal(t, map[string]any{
		"mnm.endpoint.mac":            mac,
		"mnm.endpoint.switch_port":    "vmbr0",
		"mnm.endpoint.vlan":           int64(0),
		"mnm.endpoint.ip":             "192.0.2.5",
		"mnm.endpoint.additional_ips": []any{"2001:db8::5", "10.10.0.5", "10.20.0.5"},
		"proxmox.nic.guest_vlans":     []any{int64(10), int64(20)},
	}, pick(a.AsRaw(), "mnm.endpoint.mac", "mnm.endpoint.switch_port", "mnm.endpoint.vlan", "mnm.endpoint.ip",
		"mnm.endpoint.additional_ips", "proxmox.nic.guest_vlans"))
}

// A guest whose untagged interface has no address keeps one record: its
// primary address comes from a sub-interface.
func TestInventorySubInterfaceAddressIsPrimaryWhenTheNICHasNone(t *testing.T) {
	const mac = "BC:24:11:00:00:01"
	fake := &fakeClient{
		resources: []pveapi.ClusterResource{
			{ID: "node/pve1", Type: "node", Node: "pve1", Status: "online"},
			{ID: "qemu/100", Type: "qemu", Node: "pve1", Status: "running", VMID: pveapi.FlexInt{Value: 100, Valid: true}},
		},
		configs: map[int64]pveapi.GuestConfig{100: {Name: "fw", AgentEnabled: true, NICs: []guestnet.NIC{
			{Device: "net0", MAC: mac, Bridge: "vmbr1", Model: "virtio"},
		}}},
		ifaces: map[int64][]guestnet.InterfaceAddrs{100: {
			{Name: "eth0", MAC: mac},
			{Name: "eth0.50", MAC: mac, Addrs: []netip.Addr{netip.MustParseAddr("10.50.0.1")}},
		}},
	}
	s := startInventoryWithClient(t, fake)
	ld, err := s.scrape(context.Background())
	require.NoError(t, err)
	require.Equal(t, 1, ld.LogRecordCount())
	a := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes().AsRaw()
	assert.Equal(t, "10.50.0.1", a["mnm.endpoint.ip"])
	assert.Equal(t, int64(0), a["mnm.endpoint.vlan"])
	assert.Equal(t, []any{int64(50)}, a["proxmox.nic.guest_vlans"])
}

// Two guests with one MAC (a clone whose MAC was not regenerated): the
// controller gets one record, the running guest's, and the problem names
// both guests.
func TestInventoryDuplicateMACSendsOneAndReportsBoth(t *testing.T) {
	const mac = "BC:24:11:00:00:07"
	nic := func(dev, bridge string) guestnet.NIC {
		return guestnet.NIC{Device: dev, MAC: mac, Bridge: bridge, Model: "virtio"}
	}
	fake := &fakeClient{
		resources: []pveapi.ClusterResource{
			{ID: "node/pve1", Type: "node", Node: "pve1", Status: "online"},
			{ID: "node/pve2", Type: "node", Node: "pve2", Status: "online"},
			{ID: "qemu/100", Type: "qemu", Node: "pve1", Status: "stopped", VMID: pveapi.FlexInt{Value: 100, Valid: true}},
			{ID: "qemu/205", Type: "qemu", Node: "pve2", Status: "running", VMID: pveapi.FlexInt{Value: 205, Valid: true}},
			{ID: "qemu/101", Type: "qemu", Node: "pve1", Status: "running", VMID: pveapi.FlexInt{Value: 101, Valid: true}},
		},
		configs: map[int64]pveapi.GuestConfig{
			100: {Name: "template-web", NICs: []guestnet.NIC{nic("net0", "vmbr0")}},
			205: {Name: "web-clone", NICs: []guestnet.NIC{nic("net0", "vmbr1")}},
			101: {Name: "other", NICs: []guestnet.NIC{{Device: "net0", MAC: "BC:24:11:00:00:08", Bridge: "vmbr0"}}},
		},
	}
	s := startInventoryWithClient(t, fake)
	s.cfg.Inventory.IncludeStopped = true
	for range 2 { // the same choice at every cycle
		ld, err := s.scrape(context.Background())
		require.NoError(t, err, "a duplicate MAC costs no data: not a failed collection")
		var got []string
		for lr := range logRecords(ld) {
			a := lr.Attributes().AsRaw()
			got = append(got, fmt.Sprintf("%v %v %v", a["mnm.endpoint.mac"], a["proxmox.vmid"], a["mnm.endpoint.switch_port"]))
		}
		assert.ElementsMatch(t, []string{mac + " 205 vmbr1", "BC:24:11:00:00:08 101 vmbr0"}, got,
			"the running guest's NIC is sent, the stopped one's is left out")
	}
	active, _ := s.shared.problems.Current(time.Now())
	var dup []problems.Problem
	for _, pr := range active {
		if pr.Kind == problems.KindDuplicateMAC {
			dup = append(dup, pr)
		}
	}
	require.Len(t, dup, 1)
	assert.Equal(t, "pve1", dup[0].Node, "the node of the guest left out")
	assert.Contains(t, dup[0].Err.Error(), "qemu 205 (web-clone, pve2) net0")
	assert.Contains(t, dup[0].Err.Error(), "qemu 100 (template-web, pve1) net0")
	assert.Contains(t, dup[0].Err.Error(), "give each guest NIC its own MAC")

	// The metrics' NIC join still sees both guests' NICs.
	nics, ok := s.shared.latestNICs()
	require.True(t, ok)
	assert.Len(t, nics, 3)
}

// pick returns the entries of m with the given keys that m has.
func pick(m map[string]any, keys ...string) map[string]any {
	out := map[string]any{}
	for _, k := range keys {
		if v, ok := m[k]; ok {
			out[k] = v
		}
	}
	return out
}

func TestInventoryForgetsDeletedGuests(t *testing.T) {
	nic := func(mac string) pveapi.GuestConfig {
		return pveapi.GuestConfig{NICs: []guestnet.NIC{{Device: "net0", MAC: mac, Bridge: "vmbr0"}}}
	}
	fake := &fakeClient{
		resources: []pveapi.ClusterResource{
			{ID: "node/pve1", Type: "node", Node: "pve1", Status: "online"},
			{ID: "qemu/100", Type: "qemu", Node: "pve1", Status: "stopped", VMID: pveapi.FlexInt{Value: 100, Valid: true}},
			{ID: "qemu/101", Type: "qemu", Node: "pve1", Status: "stopped", VMID: pveapi.FlexInt{Value: 101, Valid: true}},
		},
		configs: map[int64]pveapi.GuestConfig{100: nic("BC:24:11:00:00:01"), 101: nic("BC:24:11:00:00:02")},
	}
	s := startInventoryWithClient(t, fake)
	_, err := s.scrape(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 2, s.known.Len())

	fake.resources = fake.resources[:2] // qemu/101 deleted
	ld, err := s.scrape(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 1, ld.LogRecordCount())
	assert.Equal(t, 1, s.known.Len(), "state is kept for existing guests only")
}

// gatedClient counts the config requests in flight per node; a node's
// requests wait on its gate, if it has one, until the gate is closed.
type gatedClient struct {
	*fakeClient
	mu          sync.Mutex
	inFlight    map[string]int
	maxInFlight map[string]int
	done        map[string]int
	gates       map[string]chan struct{}
}

func (c *gatedClient) GuestConfig(ctx context.Context, node, kind string, vmid int64) (pveapi.GuestConfig, error) {
	c.mu.Lock()
	c.inFlight[node]++
	c.maxInFlight[node] = max(c.maxInFlight[node], c.inFlight[node])
	gate := c.gates[node]
	c.mu.Unlock()
	if gate != nil {
		<-gate
	} else {
		time.Sleep(time.Millisecond) // long enough for requests to overlap
	}
	c.mu.Lock()
	c.inFlight[node]--
	c.done[node]++
	c.mu.Unlock()
	return c.fakeClient.GuestConfig(ctx, node, kind, vmid)
}

func (c *gatedClient) doneOn(node string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.done[node]
}

// newGatedClient is a cluster of nodes with perNode stopped guests each.
func newGatedClient(nodes []string, perNode int) *gatedClient {
	fake := &fakeClient{configs: map[int64]pveapi.GuestConfig{}}
	vmid := int64(100)
	for _, node := range nodes {
		fake.resources = append(fake.resources, pveapi.ClusterResource{ID: "node/" + node, Type: "node", Node: node, Status: "online"})
		for range perNode {
			fake.resources = append(fake.resources, pveapi.ClusterResource{
				ID: fmt.Sprintf("qemu/%d", vmid), Type: "qemu", Node: node, Status: "stopped",
				VMID: pveapi.FlexInt{Value: vmid, Valid: true},
			})
			fake.configs[vmid] = pveapi.GuestConfig{NICs: []guestnet.NIC{{Device: "net0", MAC: fmt.Sprintf("BC:24:11:00:%02X:%02X", vmid>>8, vmid&0xff), Bridge: "vmbr0"}}}
			vmid++
		}
	}
	return &gatedClient{fakeClient: fake, inFlight: map[string]int{}, maxInFlight: map[string]int{}, done: map[string]int{}, gates: map[string]chan struct{}{}}
}

func TestInventoryBoundsItsWorkersPerNode(t *testing.T) {
	client := newGatedClient([]string{"pve1", "pve2"}, 30)
	s := startInventoryWithClient(t, client)
	s.cfg.Inventory.IncludeStopped = true
	ld, err := s.scrape(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 60, ld.LogRecordCount(), "every guest is read")
	limit := s.cfg.MaxConcurrentRequestsPerNode + 1
	for _, node := range []string{"pve1", "pve2"} {
		assert.Equal(t, 30, client.doneOn(node))
		assert.LessOrEqual(t, client.maxInFlight[node], limit,
			"%s: at most max_concurrent_requests_per_node + 1 guests of a node are worked on at once, not one goroutine per guest", node)
	}
}

func TestInventoryNodeThatHangsHoldsOnlyItsOwnWorkers(t *testing.T) {
	client := newGatedClient([]string{"pve1", "pve2"}, 20)
	hung := make(chan struct{})
	client.gates["pve1"] = hung
	s := startInventoryWithClient(t, client)
	s.cfg.Inventory.IncludeStopped = true
	scraped := make(chan int)
	go func() {
		ld, _ := s.scrape(context.Background())
		scraped <- ld.LogRecordCount()
	}()
	require.Eventually(t, func() bool { return client.doneOn("pve2") == 20 }, 10*time.Second, time.Millisecond,
		"pve2's guests are read while pve1 hangs")
	assert.Zero(t, client.doneOn("pve1"))
	close(hung)
	assert.Equal(t, 40, <-scraped)
}
