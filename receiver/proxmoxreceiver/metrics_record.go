// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package proxmoxreceiver // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver"

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/metadata"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/pveapi"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/recheck"
)

// How one collection's answers become data points.

// diskView is what one collection reports of one node's disks (see
// recheck.Cache): the last good answer, when it was got, and whether it is
// too old for its SMART readings to be reported as current.
type diskView = recheck.View[[]pveapi.Disk]

// nodeData is what one online node answered in one collection.
type nodeData struct {
	name    string
	status  *pveapi.NodeStatus
	storage []pveapi.Storage
	pools   []pveapi.ZFSPool
	disks   diskView
	netstat []pveapi.NetstatEntry
}

// metricsRecorder turns a collection's answers into data points; the
// metrics scraper holds one.
type metricsRecorder struct {
	mb         *metadata.MetricsBuilder
	vms        guestRecorders
	containers guestRecorders
	// latest is where the inventory publishes its NICs and VMs' details.
	latest  *sharedClient
	metrics *metadata.MetricsConfig // which metrics are enabled
}

// recordResources records node and guest metrics from /cluster/resources.
func (rec *metricsRecorder) recordResources(now pcommon.Timestamp, resources []pveapi.ClusterResource) {
	for i := range resources {
		r := &resources[i]
		switch r.Type {
		case "node":
			up := int64(0)
			if r.Status == "online" {
				up = 1
			}
			rec.mb.RecordMnmProxmoxNodeOnlineDataPoint(now, up, r.Node)
		case "qemu":
			recordGuestMetrics(now, r, rec.vms)
		case "lxc":
			recordGuestMetrics(now, r, rec.containers)
		}
	}
}

// guestRunning is 1 while the guest holds its resources: /cluster/resources
// reports a QEMU guest's run state as its status when it is not plain
// "running" (paused, suspended, prelaunch, ...), and its process, memory and
// MACs are there all the same. Only "stopped" and "unknown" (node offline, no
// data yet) are not running.
func guestRunning(r *pveapi.ClusterResource) int64 {
	switch r.Status {
	case "stopped", "unknown", "":
		return 0
	}
	return 1
}

// guestRecorders are the MetricsBuilder methods of one guest kind: VMs and
// containers have the same metrics under different names.
type guestRecorders struct {
	status, memoryUsed, memoryTotal, diskSize, diskRead, diskWrite, netIn, netOut, uptime func(pcommon.Timestamp, int64, string, string, string)
	diskUsed                                                                              func(pcommon.Timestamp, int64, string, string, string) // containers only
	cpuUsage, cpus                                                                        func(pcommon.Timestamp, float64, string, string, string)
	info                                                                                  func(pcommon.Timestamp, int64, string, string, string, string, string, string, string, string)
}

func vmRecorders(mb *metadata.MetricsBuilder) guestRecorders {
	return guestRecorders{
		status: mb.RecordMnmProxmoxVMStatusDataPoint, memoryUsed: mb.RecordMnmProxmoxVMMemoryUsedDataPoint,
		memoryTotal: mb.RecordMnmProxmoxVMMemoryTotalDataPoint, diskSize: mb.RecordMnmProxmoxVMDiskSizeDataPoint,
		diskRead: mb.RecordMnmProxmoxVMDiskReadDataPoint, diskWrite: mb.RecordMnmProxmoxVMDiskWriteDataPoint,
		netIn: mb.RecordMnmProxmoxVMNetinDataPoint, netOut: mb.RecordMnmProxmoxVMNetoutDataPoint,
		uptime: mb.RecordMnmProxmoxVMUptimeDataPoint, cpuUsage: mb.RecordMnmProxmoxVMCPUUsageDataPoint,
		cpus: mb.RecordMnmProxmoxVMCpusDataPoint, info: mb.RecordMnmProxmoxVMInfoDataPoint,
	}
}

func containerRecorders(mb *metadata.MetricsBuilder) guestRecorders {
	return guestRecorders{
		status: mb.RecordMnmProxmoxCtStatusDataPoint, memoryUsed: mb.RecordMnmProxmoxCtMemoryUsedDataPoint,
		memoryTotal: mb.RecordMnmProxmoxCtMemoryTotalDataPoint, diskSize: mb.RecordMnmProxmoxCtDiskSizeDataPoint,
		diskRead: mb.RecordMnmProxmoxCtDiskReadDataPoint, diskWrite: mb.RecordMnmProxmoxCtDiskWriteDataPoint,
		netIn: mb.RecordMnmProxmoxCtNetinDataPoint, netOut: mb.RecordMnmProxmoxCtNetoutDataPoint,
		uptime: mb.RecordMnmProxmoxCtUptimeDataPoint, cpuUsage: mb.RecordMnmProxmoxCtCPUUsageDataPoint,
		cpus: mb.RecordMnmProxmoxCtCpusDataPoint, info: mb.RecordMnmProxmoxCtInfoDataPoint,
		diskUsed: mb.RecordMnmProxmoxCtDiskUsedDataPoint,
	}
}

// recordGuestMetrics records one VM or container from its /cluster/resources entry;
// fields Proxmox did not send (new guests) are left out, and so is the usage
// of a guest that does not run.
func recordGuestMetrics(now pcommon.Timestamp, r *pveapi.ClusterResource, rec guestRecorders) {
	node, vmid, name := r.Node, strconv.FormatInt(r.VMID.Value, 10), guestLabelName(r)
	running := guestRunning(r) == 1
	rec.status(now, guestRunning(r), node, vmid, name)
	if r.MaxCPU.Valid {
		rec.cpus(now, r.MaxCPU.Value, node, vmid, name)
	}
	recordInt(r.MaxMem, func(v int64) { rec.memoryTotal(now, v, node, vmid, name) })
	recordInt(r.MaxDisk, func(v int64) { rec.diskSize(now, v, node, vmid, name) })
	// A stopped guest's usage, I/O counters and uptime are all 0: series that
	// carry nothing but cost memory in every exporter and Prometheus.
	if running {
		if r.CPU.Valid {
			rec.cpuUsage(now, r.CPU.Value, node, vmid, name)
		}
		for _, m := range [...]struct {
			v      pveapi.FlexInt
			record func(pcommon.Timestamp, int64, string, string, string)
		}{
			{r.Mem, rec.memoryUsed}, {r.Disk, rec.diskUsed}, {r.DiskRead, rec.diskRead}, {r.DiskWrite, rec.diskWrite},
			{r.NetIn, rec.netIn}, {r.NetOut, rec.netOut}, {r.Uptime, rec.uptime},
		} {
			if m.v.Valid && m.record != nil {
				m.record(now, m.v.Value, node, vmid, name)
			}
		}
	}
	rec.info(now, 1, node, vmid, name, string(r.Tags), strconv.FormatBool(r.Template.Value), string(r.HAState), string(r.Lock), r.Status)
}

// guestLabelName is the guest's name, or the name Proxmox itself shows for a
// guest without one ("VM 105", "CT105"). Prometheus drops empty labels, so an
// empty name would give those series a different label set.
func guestLabelName(r *pveapi.ClusterResource) string {
	if r.Name != "" {
		return string(r.Name)
	}
	if r.Type == "lxc" {
		return fmt.Sprintf("CT%d", r.VMID.Value)
	}
	return fmt.Sprintf("VM %d", r.VMID.Value)
}

// recordGuestView records what the latest inventory cycle learnt from each
// running VM's agent and balloon driver: its filesystems and their sum, the
// memory the guest counts as used, its OS. Only for VMs /cluster/resources
// still shows running; never a 0 for what was not told.
func (rec *metricsRecorder) recordGuestView(now pcommon.Timestamp, resources []pveapi.ClusterResource) {
	vms := rec.latest.latestVMDetails()
	if len(vms) == 0 {
		return
	}
	for i := range resources {
		r := &resources[i]
		d, ok := vms[r.ID]
		if !ok || r.Type != "qemu" || r.Status != "running" || r.Node != d.node {
			continue
		}
		name := guestLabelName(r)
		if d.hasFilesystems && len(d.filesystems) > 0 {
			var used int64
			for _, fs := range d.filesystems {
				rec.mb.RecordMnmProxmoxVMFilesystemUsedDataPoint(now, int64(fs.UsedBytes), d.node, d.vmid, name, fs.Mountpoint, fs.Type)
				rec.mb.RecordMnmProxmoxVMFilesystemSizeDataPoint(now, int64(fs.TotalBytes), d.node, d.vmid, name, fs.Mountpoint, fs.Type)
				used += int64(fs.UsedBytes)
			}
			rec.mb.RecordMnmProxmoxVMDiskUsedDataPoint(now, used, d.node, d.vmid, name)
		}
		if d.hasMemGuestUsed {
			rec.mb.RecordMnmProxmoxVMMemoryGuestUsedDataPoint(now, d.memGuestUsed, d.node, d.vmid, name)
		}
		if d.os != nil {
			rec.mb.RecordMnmProxmoxVMOsInfoDataPoint(now, 1, d.node, d.vmid, name, d.os.ID, cmp.Or(d.os.PrettyName, d.os.Name), d.os.VersionID, d.os.KernelRelease)
		}
	}
}

func recordInt(v pveapi.FlexInt, record func(int64)) {
	if v.Valid {
		record(v.Value)
	}
}

func (rec *metricsRecorder) recordClusterStatus(now pcommon.Timestamp, entries []pveapi.ClusterStatusEntry) {
	var cluster *pveapi.ClusterStatusEntry
	var nodes, online int64
	standalone := ""
	for i := range entries {
		e := &entries[i]
		switch e.Type {
		case "cluster":
			cluster = e
		case "node":
			nodes++
			standalone = e.Name
			if e.Online.Value {
				online++
			}
		}
	}
	if cluster == nil {
		// A standalone node has no cluster entry and trivially has quorum.
		if nodes == 0 {
			return
		}
		rec.mb.RecordMnmProxmoxClusterQuorateDataPoint(now, 1, standalone)
		rec.mb.RecordMnmProxmoxClusterNodesDataPoint(now, nodes, standalone)
		rec.mb.RecordMnmProxmoxClusterNodesOnlineDataPoint(now, online, standalone)
		return
	}
	quorate := int64(0)
	if cluster.Quorate.Value {
		quorate = 1
	}
	configured := cluster.Nodes.Value
	if !cluster.Nodes.Valid {
		configured = nodes
	}
	rec.mb.RecordMnmProxmoxClusterQuorateDataPoint(now, quorate, cluster.Name)
	rec.mb.RecordMnmProxmoxClusterNodesDataPoint(now, configured, cluster.Name)
	rec.mb.RecordMnmProxmoxClusterNodesOnlineDataPoint(now, online, cluster.Name)
}

func (rec *metricsRecorder) recordNode(now pcommon.Timestamp, nd *nodeData) {
	node := nd.name
	if st := nd.status; st != nil {
		rec.mb.RecordMnmProxmoxNodeInfoDataPoint(now, 1, node, kernelRelease(string(st.KVersion)), pveVersion(string(st.PVEVersion)))
		if st.CPU.Valid {
			rec.mb.RecordMnmProxmoxNodeCPUUsageDataPoint(now, st.CPU.Value, node)
		}
		if st.Wait.Valid {
			rec.mb.RecordMnmProxmoxNodeIowaitDataPoint(now, st.Wait.Value, node)
		}
		recordInt(st.CPUInfo.CPUs, func(v int64) { rec.mb.RecordMnmProxmoxNodeCPUCountDataPoint(now, v, node) })
		recordInt(st.CPUInfo.Cores, func(v int64) { rec.mb.RecordMnmProxmoxNodeCPUCoresDataPoint(now, v, node) })
		recordInt(st.CPUInfo.Sockets, func(v int64) { rec.mb.RecordMnmProxmoxNodeCPUSocketsDataPoint(now, v, node) })
		if st.CPUInfo.MHz.Valid {
			rec.mb.RecordMnmProxmoxNodeCPUMhzDataPoint(now, st.CPUInfo.MHz.Value, node)
		}
		recordInt(st.Memory.Used, func(v int64) { rec.mb.RecordMnmProxmoxNodeMemoryUsedDataPoint(now, v, node) })
		recordInt(st.Memory.Total, func(v int64) { rec.mb.RecordMnmProxmoxNodeMemoryTotalDataPoint(now, v, node) })
		recordInt(st.Memory.Free, func(v int64) { rec.mb.RecordMnmProxmoxNodeMemoryFreeDataPoint(now, v, node) })
		recordInt(st.Swap.Used, func(v int64) { rec.mb.RecordMnmProxmoxNodeSwapUsedDataPoint(now, v, node) })
		recordInt(st.Swap.Total, func(v int64) { rec.mb.RecordMnmProxmoxNodeSwapTotalDataPoint(now, v, node) })
		recordInt(st.RootFS.Used, func(v int64) { rec.mb.RecordMnmProxmoxNodeRootfsUsedDataPoint(now, v, node) })
		recordInt(st.RootFS.Total, func(v int64) { rec.mb.RecordMnmProxmoxNodeRootfsTotalDataPoint(now, v, node) })
		recordInt(st.KSM.Shared, func(v int64) { rec.mb.RecordMnmProxmoxNodeKsmSharedDataPoint(now, v, node) })
		recordInt(st.Uptime, func(v int64) { rec.mb.RecordMnmProxmoxNodeUptimeDataPoint(now, v, node) })
		loads := []func(pcommon.Timestamp, float64, string){
			rec.mb.RecordMnmProxmoxNodeLoadavg1mDataPoint,
			rec.mb.RecordMnmProxmoxNodeLoadavg5mDataPoint,
			rec.mb.RecordMnmProxmoxNodeLoadavg15mDataPoint,
		}
		for i, load := range st.LoadAvg {
			if i < len(loads) && load.Valid {
				loads[i](now, load.Value, node)
			}
		}
	}
	for _, st := range nd.storage {
		recordInt(st.Used, func(v int64) { rec.mb.RecordMnmProxmoxStorageUsedDataPoint(now, v, node, st.Storage, st.Type) })
		recordInt(st.Total, func(v int64) { rec.mb.RecordMnmProxmoxStorageTotalDataPoint(now, v, node, st.Storage, st.Type) })
		recordInt(st.Avail, func(v int64) { rec.mb.RecordMnmProxmoxStorageAvailableDataPoint(now, v, node, st.Storage, st.Type) })
		rec.mb.RecordMnmProxmoxStorageEnabledDataPoint(now, boolInt(st.Enabled), node, st.Storage, st.Type)
		rec.mb.RecordMnmProxmoxStorageActiveDataPoint(now, boolInt(st.Active), node, st.Storage, st.Type)
		rec.mb.RecordMnmProxmoxStorageSharedDataPoint(now, boolInt(st.Shared), node, st.Storage, st.Type)
	}
	for _, p := range nd.pools {
		recordInt(p.Size, func(v int64) { rec.mb.RecordMnmProxmoxZfsPoolSizeDataPoint(now, v, node, p.Name) })
		recordInt(p.Alloc, func(v int64) { rec.mb.RecordMnmProxmoxZfsPoolUsedDataPoint(now, v, node, p.Name) })
		recordInt(p.Free, func(v int64) { rec.mb.RecordMnmProxmoxZfsPoolFreeDataPoint(now, v, node, p.Name) })
		recordInt(p.Frag, func(v int64) { rec.mb.RecordMnmProxmoxZfsPoolFragmentationDataPoint(now, v, node, p.Name) })
		if p.Dedup.Valid {
			rec.mb.RecordMnmProxmoxZfsPoolDedupDataPoint(now, p.Dedup.Value, node, p.Name)
		}
		healthy := int64(0)
		if strings.EqualFold(p.Health, "ONLINE") {
			healthy = 1
		}
		rec.mb.RecordMnmProxmoxZfsPoolHealthDataPoint(now, healthy, node, p.Name)
	}
	rec.recordDisks(now, node, nd.disks)
}

// recordDisks records the node's last good /disks/list answer. Once it is
// stale (older than twice the refresh period) its SMART readings are no longer
// reported as current: every known disk reads health unknown, without health
// or life remaining; its size, a property of the device that smartctl does not
// measure, is still reported.
func (rec *metricsRecorder) recordDisks(now pcommon.Timestamp, node string, dv diskView) {
	if dv.Fetched.IsZero() {
		return
	}
	age := now.AsTime().Sub(dv.Fetched).Round(time.Second) / time.Second
	rec.mb.RecordMnmProxmoxNodeDisksAgeDataPoint(now, int64(max(age, 0)), node)
	for _, d := range dv.Answer {
		device := strings.TrimPrefix(d.DevPath, "/dev/")
		model, typ := string(d.Model), string(d.Type)
		recordInt(d.Size, func(v int64) { rec.mb.RecordMnmProxmoxDiskSizeDataPoint(now, v, node, device, model, typ) })
		health := diskHealth(string(d.Health))
		if dv.Stale {
			health = healthUnknown
		}
		switch health {
		case healthUnknown:
			rec.mb.RecordMnmProxmoxDiskHealthUnknownDataPoint(now, 1, node, device, model, typ)
		default:
			rec.mb.RecordMnmProxmoxDiskHealthUnknownDataPoint(now, 0, node, device, model, typ)
			rec.mb.RecordMnmProxmoxDiskHealthDataPoint(now, int64(health), node, device, model, typ)
		}
		if d.Wearout.Valid && !dv.Stale {
			rec.mb.RecordMnmProxmoxDiskLifeRemainingDataPoint(now, d.Wearout.Value, node, device, model, typ)
		}
	}
}

func boolInt(b pveapi.FlexBool) int64 {
	if b.Value {
		return 1
	}
	return 0
}

const (
	healthFailing = 0
	healthPassed  = 1
	healthUnknown = -1
)

// diskHealth classifies smartctl's free-form health text the way long-lived
// consumers do: PASSED and OK are good, UNKNOWN (or nothing) means no SMART
// data, any other text (FAILED!, SCSI sense text, SMART Disabled) is failing.
func diskHealth(text string) int {
	switch strings.ToUpper(strings.TrimSpace(text)) {
	case "PASSED", "OK":
		return healthPassed
	case "UNKNOWN", "":
		return healthUnknown
	default:
		return healthFailing
	}
}

// kernelRelease turns "Linux 6.8.12-4-pve #1 SMP PREEMPT_DYNAMIC ..." into "6.8.12-4-pve".
func kernelRelease(kversion string) string {
	fields := strings.Fields(kversion)
	if len(fields) >= 2 && fields[0] == "Linux" {
		return fields[1]
	}
	return kversion
}

// pveVersion turns "pve-manager/8.3.2/3e76eec21c4a14a7" into "8.3.2".
func pveVersion(pveversion string) string {
	parts := strings.Split(pveversion, "/")
	if len(parts) >= 2 {
		return parts[1]
	}
	return pveversion
}
