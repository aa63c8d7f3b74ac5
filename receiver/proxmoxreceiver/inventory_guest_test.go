// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package proxmoxreceiver

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/plogtest"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/pmetrictest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/scraper/scrapererror"

	"github.com/mnm-net/otelcol-mnm/internal/pvesim"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/guestnet"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/known"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/problems"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/pveapi"
)

// agentFake answers the agent's detail commands of VM 100 as told, and
// counts them.
type agentFake struct {
	*fakeClient
	mu       sync.Mutex
	calls    map[string]int
	fsErr    error
	fs       []guestnet.Filesystem
	os       guestnet.OSInfo
	osErr    error
	hostName string
	balloon  *pveapi.BalloonInfo
}

func (f *agentFake) count(cmd string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[cmd]++
}

func (f *agentFake) AgentFSInfo(context.Context, string, int64) ([]guestnet.Filesystem, error) {
	f.count(cmdFSInfo)
	return f.fs, f.fsErr
}

func (f *agentFake) AgentOSInfo(context.Context, string, int64) (guestnet.OSInfo, error) {
	f.count(cmdOSInfo)
	return f.os, f.osErr
}

func (f *agentFake) AgentHostName(context.Context, string, int64) (string, error) {
	f.count(cmdHostName)
	return f.hostName, nil
}

func (f *agentFake) NodeQemuFull(context.Context, string) ([]pveapi.QemuStatus, error) {
	f.count("qemu?full=1")
	return []pveapi.QemuStatus{{VMID: pveapi.FlexInt{Value: 100, Valid: true}, Status: "running", Balloon: f.balloon}}, nil
}

const agentVMMAC = "BC:24:11:00:00:01"

func newAgentFake(uptime int64) *agentFake {
	return &agentFake{
		calls: map[string]int{},
		fakeClient: &fakeClient{
			resources: []pveapi.ClusterResource{
				{ID: "node/pve1", Type: "node", Node: "pve1", Status: "online"},
				{ID: "qemu/100", Type: "qemu", Node: "pve1", Status: "running", VMID: pveapi.FlexInt{Value: 100, Valid: true},
					Uptime: pveapi.FlexInt{Value: uptime, Valid: true}},
			},
			configs: map[int64]pveapi.GuestConfig{100: {Name: "web", AgentEnabled: true, NICs: []guestnet.NIC{
				{Device: "net0", MAC: agentVMMAC, Bridge: "vmbr0", Model: "virtio"},
			}}},
			ifaces: map[int64][]guestnet.InterfaceAddrs{100: {
				{Name: "ens18", MAC: agentVMMAC, Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.5")}},
			}},
		},
	}
}

func TestCountedFilesystems(t *testing.T) {
	fs := func(name, mount, typ string, used, total uint64) guestnet.Filesystem {
		return guestnet.Filesystem{Name: name, Mountpoint: mount, Type: typ, HasSizes: true, UsedBytes: used, TotalBytes: total}
	}
	got := countedFilesystems([]guestnet.Filesystem{
		fs("sda1", "/var/lib/docker/bind", "ext4", 5, 20), // a bind mount of / listed first (agents list in reverse mount order)
		fs("sda1", "/", "ext4", 5, 20),
		fs("loop3", "/snap/core/1", "squashfs", 10, 10),
		fs("sr0", "/media/cdrom", "iso9660", 600, 600),
		{Name: `\\?\Volume{1}\`, Mountpoint: "System Reserved", Type: "NTFS"},
		fs("sdb1", "/data", "xfs", 90, 100),
		fs("vda2", "/empty", "ext4", 0, 0),
	})
	assert.Equal(t, []guestnet.Filesystem{fs("sda1", "/", "ext4", 5, 20), fs("sdb1", "/data", "xfs", 90, 100)}, got)
}

func TestGuestUsedMemory(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	vm := func(b *pveapi.BalloonInfo) pveapi.QemuStatus { return pveapi.QemuStatus{Status: "running", Balloon: b} }
	flex := func(v int64) pveapi.FlexInt { return pveapi.FlexInt{Value: v, Valid: true} }
	used, ok := guestUsedMemory(vm(&pveapi.BalloonInfo{TotalMem: flex(4000), FreeMem: flex(1000), LastUpdate: flex(now.Unix() - 2)}), now)
	assert.True(t, ok)
	assert.Equal(t, int64(3000), used)
	_, ok = guestUsedMemory(vm(&pveapi.BalloonInfo{Actual: flex(4096), MaxMem: flex(4096)}), now)
	assert.False(t, ok, "a driver that never reported: nothing, not 0")
	_, ok = guestUsedMemory(vm(nil), now)
	assert.False(t, ok, "balloon: 0 in the config")
	_, ok = guestUsedMemory(vm(&pveapi.BalloonInfo{TotalMem: flex(4000), FreeMem: flex(1000), LastUpdate: flex(now.Add(-time.Hour).Unix())}), now)
	assert.False(t, ok, "a guest that stopped reporting an hour ago")
}

// Filesystems at every cycle; OS and host name when the VM starts and then
// hourly, or at once after it restarted.
func TestAgentDetailsCadence(t *testing.T) {
	fake := newAgentFake(1000)
	fake.fs = []guestnet.Filesystem{{Name: "sda1", Mountpoint: "/", Type: "ext4", HasSizes: true, UsedBytes: 5, TotalBytes: 20}}
	fake.os = guestnet.OSInfo{ID: "debian", Name: "Debian GNU/Linux", PrettyName: "Debian GNU/Linux 12 (bookworm)", VersionID: "12", KernelRelease: "6.1.0-18-amd64"}
	fake.hostName = "web01"
	s := startInventoryWithClient(t, fake)
	clk := newClock()
	s.now = clk.now

	for range 3 {
		ld, err := s.scrape(context.Background())
		require.NoError(t, err)
		a := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes().AsRaw()
		assert.Equal(t, "web01", a["host.name"])
		assert.Equal(t, "Debian GNU/Linux", a["os.name"])
		assert.Equal(t, "12", a["os.version"])
		assert.Equal(t, "Debian GNU/Linux 12 (bookworm)", a["os.description"])
		assert.Equal(t, "6.1.0-18-amd64", a["os.build_id"])
		assert.Equal(t, "web", a["mnm.endpoint.hostname"], "the controller's hostname stays the guest name by default")
		clk.advance(5 * time.Minute)
	}
	assert.Equal(t, map[string]int{cmdFSInfo: 3, cmdOSInfo: 1, cmdHostName: 1, "qemu?full=1": 3}, fake.calls)

	clk.advance(known.OSRecheck)
	_, err := s.scrape(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 2, fake.calls[cmdOSInfo], "asked again hourly")

	fake.resources[1].Uptime = pveapi.FlexInt{Value: 30, Valid: true} // restarted
	clk.advance(5 * time.Minute)
	_, err = s.scrape(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 3, fake.calls[cmdOSInfo], "asked again after a restart")

	vms := s.shared.latestVMDetails()
	require.Contains(t, vms, "qemu/100")
	assert.Equal(t, fake.fs, vms["qemu/100"].filesystems)
}

func TestHostnameFromAgent(t *testing.T) {
	fake := newAgentFake(1000)
	fake.hostName = "web01.example.com"
	s := startInventoryWithClient(t, fake)
	s.cfg.Inventory.HostnameFrom = HostnameFromAgent
	ld, err := s.scrape(context.Background())
	require.NoError(t, err)
	a := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes().AsRaw()
	assert.Equal(t, "web01.example.com", a["mnm.endpoint.hostname"])
}

// A command the agent's configuration refuses is a problem with its fix at
// every cycle, never a silent back-off; a command an old agent lacks is
// quietly absent and not asked again.
func TestAgentCommandDisabledIsAProblem(t *testing.T) {
	fake := newAgentFake(1000)
	fake.fsErr = &guestnet.AgentError{Command: cmdFSInfo, Class: "CommandNotFound", Desc: "Command guest-get-fsinfo has been disabled: the command is not allowed"}
	fake.osErr = &guestnet.AgentError{Command: cmdOSInfo, Class: "CommandNotFound", Desc: "The command guest-get-osinfo has not been found"}
	s := startInventoryWithClient(t, fake)
	clk := newClock()
	s.now = clk.now
	for range 2 {
		ld, err := s.scrape(context.Background())
		require.True(t, scrapererror.IsPartialScrapeError(err), "the guest's record is still sent: %v", err)
		assert.Equal(t, 1, ld.LogRecordCount())
		clk.advance(5 * time.Minute)
	}
	assert.Equal(t, 2, fake.calls[cmdFSInfo], "a disabled command is asked at every cycle: the problem stays while it is disabled")
	assert.Equal(t, 1, fake.calls[cmdOSInfo], "a command the agent lacks is not asked again")
	assert.Equal(t, 1, fake.calls[cmdHostName], "the host name is due with the OS: at start and hourly, not at every cycle")

	active, _ := s.shared.problems.Current(clk.now())
	require.Len(t, active, 1)
	assert.Equal(t, problems.KindAgentCommandDisabled, active[0].Kind)
	assert.Equal(t, pveapi.PathAgentFSInfo, active[0].Path)
	assert.Equal(t, "pve1", active[0].Node)
	assert.Contains(t, active[0].Err.Error(), "qemu 100 (web) on pve1")
	assert.Contains(t, active[0].Err.Error(), "allow-rpcs")
	vms := s.shared.latestVMDetails()
	assert.False(t, vms["qemu/100"].hasFilesystems, "no fake filesystems")

	fake.fsErr = nil // enabled again
	_, err := s.scrape(context.Background())
	require.NoError(t, err)
	active, _ = s.shared.problems.Current(clk.now())
	assert.Empty(t, active)
}

// The metrics collection reports the latest cycle's details for VMs still
// running, and nothing for what was not told.
func TestGuestViewMetrics(t *testing.T) {
	fake := newAgentFake(1000)
	flex := func(v int64) pveapi.FlexInt { return pveapi.FlexInt{Value: v, Valid: true} }
	fake.fs = []guestnet.Filesystem{
		{Name: "sda1", Mountpoint: "/", Type: "ext4", HasSizes: true, UsedBytes: 5000, TotalBytes: 20000},
		{Name: "sdb1", Mountpoint: "/data", Type: "xfs", HasSizes: true, UsedBytes: 900, TotalBytes: 1000},
	}
	fake.os = guestnet.OSInfo{ID: "rocky", Name: "Rocky Linux", PrettyName: "Rocky Linux 9.4 (Blue Onyx)", VersionID: "9.4", KernelRelease: "5.14.0-427.el9.x86_64"}
	clk := newClock()
	fake.balloon = &pveapi.BalloonInfo{TotalMem: flex(4000), FreeMem: flex(1500), LastUpdate: flex(clk.now().Unix())}
	cfg, set, handle := shareFakeClient(fake)
	inventory := newInventoryScraper(cfg, set, handle)
	metrics := newMetricsScraper(cfg, set, shareClient(cfg, set))
	for _, sc := range []interface {
		start(context.Context, component.Host) error
		shutdown(context.Context) error
	}{inventory, metrics} {
		require.NoError(t, sc.start(context.Background(), componenttest.NewNopHost()))
		t.Cleanup(func() { require.NoError(t, sc.shutdown(context.Background())) })
	}
	inventory.now, metrics.now = clk.now, clk.now

	_, err := inventory.scrape(context.Background())
	require.NoError(t, err)
	md, err := metrics.scrape(context.Background())
	require.NoError(t, err)
	idx := indexGauges(md)
	assert.Equal(t, 5900.0, idx.value(t, "mnm.proxmox.vm.disk_used", "vmid", "100"))
	assert.Equal(t, 900.0, idx.value(t, "mnm.proxmox.vm.filesystem_used", "mountpoint", "/data", "type", "xfs"))
	assert.Equal(t, 1000.0, idx.value(t, "mnm.proxmox.vm.filesystem_size", "mountpoint", "/data"))
	assert.Equal(t, 2500.0, idx.value(t, "mnm.proxmox.vm.memory_guest_used", "vmid", "100"))
	assert.True(t, idx.has("mnm.proxmox.vm.os_info", "os_id", "rocky", "os_name", "Rocky Linux 9.4 (Blue Onyx)", "os_version", "9.4", "kernel", "5.14.0-427.el9.x86_64"))

	// Stopped: none of it.
	fake.resources[1].Status = "stopped"
	md, err = metrics.scrape(context.Background())
	require.NoError(t, err)
	idx = indexGauges(md)
	for _, m := range []string{"mnm.proxmox.vm.disk_used", "mnm.proxmox.vm.filesystem_used", "mnm.proxmox.vm.memory_guest_used", "mnm.proxmox.vm.os_info"} {
		assert.False(t, idx.hasMetric(m), m)
	}
}

// agentGoldenCluster is the golden cluster with what guest agents know: a
// Linux VM with data disk, bind mount and snaps, a Windows VM, a VM whose
// agent refuses get-fsinfo, an old agent without sizes, one without
// get-osinfo (pvesim Config.GuestAgentDetails).
var agentGoldenCluster = pvesim.Config{Nodes: 3, Guests: 24, Seed: 1, GuestAgentDetails: true, OperationsTime: agentGoldenTime}

// agentGoldenTime is the simulator's clock, so that its balloon reports are
// fresh and the answers the same at every run.
var agentGoldenTime = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

// TestGuestViewGolden keeps the guest view in readable golden files: the
// records with host.name and os.*, and the filesystem, disk, memory and OS
// metrics.
func TestGuestViewGolden(t *testing.T) {
	env := newTestEnv(t, agentGoldenCluster)
	inventory := env.inventoryScraper(t)
	metrics := env.metricsScraper(t)
	clk := &clock{t: agentGoldenTime}
	inventory.now, metrics.now = clk.now, clk.now

	ld, err := inventory.scrape(context.Background())
	require.True(t, scrapererror.IsPartialScrapeError(err), "the refused get-fsinfo is a problem: %v", err)
	md, err := metrics.scrape(context.Background())
	require.NoError(t, err)
	md = onlyMetrics(md, "mnm.proxmox.vm.filesystem", "mnm.proxmox.vm.disk_used", "mnm.proxmox.vm.memory_guest_used", "mnm.proxmox.vm.os_info", "mnm.proxmox.problem")

	logsFile := filepath.Join("testdata", "agent", "expected_logs.yaml")
	metricsFile := filepath.Join("testdata", "agent", "expected_metrics.yaml")
	if os.Getenv("UPDATE_GOLDEN") != "" {
		require.NoError(t, golden.WriteLogs(t, logsFile, ld))
		require.NoError(t, golden.WriteMetrics(t, metricsFile, md))
	}
	expectedLogs, err := golden.ReadLogs(logsFile)
	require.NoError(t, err)
	require.NoError(t, plogtest.CompareLogs(expectedLogs, ld, plogtest.IgnoreTimestamp(), plogtest.IgnoreObservedTimestamp()))
	expectedMetrics, err := golden.ReadMetrics(metricsFile)
	require.NoError(t, err)
	require.NoError(t, pmetrictest.CompareMetrics(expectedMetrics, md, pmetrictest.IgnoreTimestamp(), pmetrictest.IgnoreStartTimestamp(),
		pmetrictest.IgnoreMetricDataPointsOrder(), pmetrictest.IgnoreResourceMetricsOrder()))

	// What the golden files hold, said plainly.
	idx := indexGauges(md)
	assert.Equal(t, []string{problems.KindAgentCommandDisabled}, problemsOf(idx), "only the refused get-fsinfo")
	truth := env.sim.Cluster()
	for _, g := range truth.Guests {
		if g.Type != "qemu" || g.Status != "running" || g.Agent != pvesim.AgentRunning {
			continue
		}
		vmid := strconv.Itoa(g.VMID)
		_, refused := g.AgentErrors[cmdFSInfo]
		sized := 0
		for _, fs := range g.Filesystems {
			if fs.TotalBytes != nil && fs.UsedBytes != nil {
				sized++
			}
		}
		assert.Equal(t, !refused && sized > 0, idx.has("mnm.proxmox.vm.disk_used", "vmid", vmid),
			"guest %d: a disk use only where the agent told sizes", g.VMID)
		assert.Equal(t, g.OS != nil, idx.has("mnm.proxmox.vm.os_info", "vmid", vmid), "guest %d: an OS only where the agent told it", g.VMID)
	}
	for _, g := range truth.Guests {
		if g.Type == "qemu" && g.Status == "running" {
			assert.Equal(t, g.Balloon != nil && g.Balloon.TotalMem > 0, idx.has("mnm.proxmox.vm.memory_guest_used", "vmid", strconv.Itoa(g.VMID)),
				"guest %d: guest memory only from a balloon driver that reports", g.VMID)
		}
	}
}

// An agent whose get-fsinfo hangs costs its node one timeout per cycle, as
// a hung node does: the node's other guests are not asked further in that
// cycle and keep their last known records.
func TestHungAgentDetailsCostTheirNodeOneTimeout(t *testing.T) {
	env := newTestEnv(t, agentGoldenCluster)
	env.cfg.ClientConfig.Timeout = 300 * time.Millisecond
	s := env.inventoryScraper(t)
	clk := &clock{t: agentGoldenTime}
	s.now = clk.now
	first, err := s.scrape(context.Background())
	require.True(t, err == nil || scrapererror.IsPartialScrapeError(err), "%v", err)
	before := readRecords(t, first)

	env.sim.HangPath(pvesim.PathQemuAgentFSInfo)
	env.sim.ResetStats()
	clk.advance(5 * time.Minute)
	start := time.Now()
	second, err := s.scrape(context.Background())
	require.Error(t, err)
	assert.ErrorContains(t, err, "no further requests to it in this inventory cycle")
	nodes := len(env.sim.Cluster().Nodes)
	assert.LessOrEqual(t, env.sim.Stats().Paths[pvesim.PathQemuAgentFSInfo], int64(nodes*env.cfg.MaxConcurrentRequestsPerNode),
		"at most the requests in flight when each node's first one times out")
	assert.Less(t, time.Since(start), 3*time.Second, "one timeout per node, in parallel, not one per guest")
	assert.Equal(t, before, readRecords(t, second), "every record is still there")
}
