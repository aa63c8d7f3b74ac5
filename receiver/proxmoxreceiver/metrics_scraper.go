package proxmoxreceiver // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver"

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/scraper/scrapererror"

	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/metadata"
)

// Metric counts per source, for partial-scrape error accounting.
const (
	nodeStatusMetricCount = 19
	storageMetricCount    = 6
	zfsMetricCount        = 6
	diskMetricCount       = 4
	clusterMetricCount    = 3
)

// metricsScraper makes one metrics collection: /cluster/resources and
// /cluster/status, then status, storage, ZFS and (on a slower cadence) disks
// of every online node, all nodes in parallel within the per-node bound.
// At most 2 + 4N requests for N online nodes, none per guest.
type metricsScraper struct {
	cfg        *Config
	shared     *sharedClient
	mb         *metadata.MetricsBuilder
	vms        guestRecorders
	containers guestRecorders
	disks      *diskCache
	now        func() time.Time
}

func newMetricsScraper(cfg *Config, set receiver.Settings, shared *sharedClient) *metricsScraper {
	mb := metadata.NewMetricsBuilder(cfg.MetricsBuilderConfig, set)
	return &metricsScraper{
		cfg:        cfg,
		shared:     shared,
		mb:         mb,
		vms:        vmRecorders(mb),
		containers: containerRecorders(mb),
		disks:      newDiskCache(cfg.DiskRefreshInterval),
		now:        time.Now,
	}
}

func (s *metricsScraper) start(ctx context.Context, host component.Host) error {
	return s.shared.start(ctx, host)
}

func (s *metricsScraper) shutdown(context.Context) error {
	s.shared.shutdown()
	return nil
}

// nodeData is what one online node answered in one collection.
type nodeData struct {
	name    string
	status  *nodeStatus
	storage []nodeStorage
	pools   []zfsPool
	disks   []physicalDisk
}

func (s *metricsScraper) scrape(ctx context.Context) (pmetric.Metrics, error) {
	client := s.shared.get()
	if client == nil {
		return pmetric.NewMetrics(), errors.New("proxmox receiver is not started")
	}
	begin := s.now()
	now := pcommon.NewTimestampFromTime(begin)
	errs := &scrapererror.ScrapeErrors{}
	found := problems{}
	defer func() { s.shared.problems.update("metrics", found) }()

	var (
		resources           []clusterResource
		resErr              error
		status              []clusterStatusEntry
		statusErr           error
		clusterRequestsDone sync.WaitGroup
	)
	clusterRequestsDone.Add(2)
	go func() { defer clusterRequestsDone.Done(); resources, resErr = client.clusterResources(ctx) }()
	go func() { defer clusterRequestsDone.Done(); status, statusErr = client.clusterStatus(ctx) }()
	clusterRequestsDone.Wait()

	if resErr != nil && len(resources) == 0 {
		// Without the cluster view there is nothing to report: an error, never an empty success.
		found.add(problemKey(pathClusterResources, "", resErr), resErr)
		return pmetric.NewMetrics(), resErr
	}
	if resErr != nil {
		found.add(problemKey(pathClusterResources, "", resErr), resErr)
		errs.AddPartial(1, resErr)
	}

	online := onlineNodes(resources)
	if len(online) == 0 && !hasNodes(resources) {
		// Nothing is recorded: the builder would carry it into the next collection.
		err := diagnoseEmptyCluster(ctx, client)
		found.add("no-nodes", err)
		return pmetric.NewMetrics(), err
	}
	if statusErr != nil {
		found.add(problemKey(pathClusterStatus, "", statusErr), statusErr)
		errs.AddPartial(clusterMetricCount, statusErr)
	}

	// The node requests wait on Proxmox; record the guests meanwhile (at
	// 10,000 guests that is tens of milliseconds of CPU). From here until
	// the node data arrives, errs and found belong to collectNodes.
	nodesDone := make(chan []*nodeData, 1)
	go func() { nodesDone <- s.collectNodes(ctx, client, online, errs, found) }()
	s.recordResources(now, resources)
	if statusErr == nil {
		s.recordClusterStatus(now, status)
	}
	for _, nd := range <-nodesDone {
		s.recordNode(now, nd)
	}

	requests, failures := s.shared.stats.snapshot()
	for path, n := range requests {
		s.mb.RecordMnmProxmoxAPIRequestsDataPoint(now, n, path)
	}
	for key, n := range failures {
		s.mb.RecordMnmProxmoxAPIErrorsDataPoint(now, n, key.path, key.reason)
	}
	end := s.now()
	s.mb.RecordMnmProxmoxCollectionDurationDataPoint(now, end.Sub(begin).Seconds())
	s.mb.RecordMnmProxmoxLastCollectionTimestampDataPoint(now, float64(end.UnixNano())/1e9)
	rb := s.mb.NewResourceBuilder()
	rb.SetServerAddress(endpointHost(s.cfg.ClientConfig.Endpoint))
	return s.mb.Emit(metadata.WithResource(rb.Emit())), errs.Combine()
}

// collectNodes asks every online node for its status, storage, ZFS pools
// and (when due) disks, all in parallel; the limiter keeps each node within
// its bound.
func (s *metricsScraper) collectNodes(ctx context.Context, client *proxmoxClient, nodes []string, errs *scrapererror.ScrapeErrors, found problems) []*nodeData {
	s.disks.forgetAllBut(nodes)
	results := make([]*nodeData, len(nodes))
	var mu sync.Mutex // guards errs and found
	fail := func(tmpl, node string, count int, err error) {
		mu.Lock()
		defer mu.Unlock()
		errs.AddPartial(count, err)
		found.add(problemKey(tmpl, node, err), err)
	}
	var wg sync.WaitGroup
	for i, node := range nodes {
		nd := &nodeData{name: node}
		results[i] = nd
		wg.Add(3)
		go func() {
			defer wg.Done()
			st, err := client.nodeStatus(ctx, node)
			if err != nil {
				fail(pathNodeStatus, node, nodeStatusMetricCount, err)
				return
			}
			nd.status = &st
		}()
		go func() {
			defer wg.Done()
			var err error
			if nd.storage, err = client.nodeStorage(ctx, node); err != nil {
				fail(pathNodeStorage, node, storageMetricCount, err)
			}
		}()
		go func() {
			defer wg.Done()
			var err error
			if nd.pools, err = client.nodeZFSPools(ctx, node); err != nil {
				fail(pathNodeZFS, node, zfsMetricCount, err)
			}
		}()
		if s.disks.due(node, s.now()) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				disks, err := client.nodeDisks(ctx, node)
				if err != nil {
					fail(pathNodeDisks, node, diskMetricCount, err)
				}
				if err == nil || len(disks) > 0 {
					s.disks.store(node, disks, s.now())
				}
			}()
		}
	}
	wg.Wait()
	for _, nd := range results {
		nd.disks = s.disks.get(nd.name)
	}
	return results
}

// onlineNodes returns the nodes /cluster/resources reports online, sorted.
func onlineNodes(resources []clusterResource) []string {
	var online []string
	for i := range resources {
		if r := &resources[i]; r.Type == "node" && r.Status == "online" {
			online = append(online, r.Node)
		}
	}
	sort.Strings(online)
	return online
}

// recordResources records node and guest metrics from /cluster/resources.
func (s *metricsScraper) recordResources(now pcommon.Timestamp, resources []clusterResource) {
	for i := range resources {
		r := &resources[i]
		switch r.Type {
		case "node":
			up := int64(0)
			if r.Status == "online" {
				up = 1
			}
			s.mb.RecordMnmProxmoxNodeOnlineDataPoint(now, up, r.Node)
		case "qemu":
			recordGuest(now, r, s.vms)
		case "lxc":
			recordGuest(now, r, s.containers)
		}
	}
}

func hasNodes(resources []clusterResource) bool {
	for i := range resources {
		if resources[i].Type == "node" {
			return true
		}
	}
	return false
}

func guestRunning(r *clusterResource) int64 {
	if r.Status == "running" {
		return 1
	}
	return 0
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

// recordGuest records one VM or container from its /cluster/resources entry;
// fields Proxmox did not send (stopped or new guests) are left out.
func recordGuest(now pcommon.Timestamp, r *clusterResource, rec guestRecorders) {
	node, vmid, name := r.Node, strconv.FormatInt(r.VMID.Value, 10), guestLabelName(r)
	rec.status(now, guestRunning(r), node, vmid, name)
	if r.CPU.Valid {
		rec.cpuUsage(now, r.CPU.Value, node, vmid, name)
	}
	if r.MaxCPU.Valid {
		rec.cpus(now, r.MaxCPU.Value, node, vmid, name)
	}
	ints := []struct {
		v      flexInt
		record func(pcommon.Timestamp, int64, string, string, string)
	}{
		{r.Mem, rec.memoryUsed}, {r.MaxMem, rec.memoryTotal}, {r.MaxDisk, rec.diskSize}, {r.Disk, rec.diskUsed},
		{r.DiskRead, rec.diskRead}, {r.DiskWrite, rec.diskWrite}, {r.NetIn, rec.netIn}, {r.NetOut, rec.netOut}, {r.Uptime, rec.uptime},
	}
	for _, m := range ints {
		if m.v.Valid && m.record != nil {
			m.record(now, m.v.Value, node, vmid, name)
		}
	}
	rec.info(now, 1, node, vmid, name, string(r.Tags), strconv.FormatBool(r.Template.Value), string(r.HAState), string(r.Lock), r.Status)
}

// guestLabelName is the guest's name, or the name Proxmox itself shows for a
// guest without one ("VM 105", "CT105"). Prometheus drops empty labels, so an
// empty name would give those series a different label set.
func guestLabelName(r *clusterResource) string {
	if r.Name != "" {
		return string(r.Name)
	}
	if r.Type == "lxc" {
		return fmt.Sprintf("CT%d", r.VMID.Value)
	}
	return fmt.Sprintf("VM %d", r.VMID.Value)
}

func recordInt(v flexInt, record func(int64)) {
	if v.Valid {
		record(v.Value)
	}
}

func (s *metricsScraper) recordClusterStatus(now pcommon.Timestamp, entries []clusterStatusEntry) {
	var cluster *clusterStatusEntry
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
		s.mb.RecordMnmProxmoxClusterQuorateDataPoint(now, 1, standalone)
		s.mb.RecordMnmProxmoxClusterNodesDataPoint(now, nodes, standalone)
		s.mb.RecordMnmProxmoxClusterNodesOnlineDataPoint(now, online, standalone)
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
	s.mb.RecordMnmProxmoxClusterQuorateDataPoint(now, quorate, cluster.Name)
	s.mb.RecordMnmProxmoxClusterNodesDataPoint(now, configured, cluster.Name)
	s.mb.RecordMnmProxmoxClusterNodesOnlineDataPoint(now, online, cluster.Name)
}

func (s *metricsScraper) recordNode(now pcommon.Timestamp, nd *nodeData) {
	node := nd.name
	if st := nd.status; st != nil {
		s.mb.RecordMnmProxmoxNodeInfoDataPoint(now, 1, node, kernelRelease(string(st.KVersion)), pveVersion(string(st.PVEVersion)))
		if st.CPU.Valid {
			s.mb.RecordMnmProxmoxNodeCPUUsageDataPoint(now, st.CPU.Value, node)
		}
		if st.Wait.Valid {
			s.mb.RecordMnmProxmoxNodeIowaitDataPoint(now, st.Wait.Value, node)
		}
		recordInt(st.CPUInfo.CPUs, func(v int64) { s.mb.RecordMnmProxmoxNodeCPUCountDataPoint(now, v, node) })
		recordInt(st.CPUInfo.Cores, func(v int64) { s.mb.RecordMnmProxmoxNodeCPUCoresDataPoint(now, v, node) })
		recordInt(st.CPUInfo.Sockets, func(v int64) { s.mb.RecordMnmProxmoxNodeCPUSocketsDataPoint(now, v, node) })
		if st.CPUInfo.MHz.Valid {
			s.mb.RecordMnmProxmoxNodeCPUMhzDataPoint(now, st.CPUInfo.MHz.Value, node)
		}
		recordInt(st.Memory.Used, func(v int64) { s.mb.RecordMnmProxmoxNodeMemoryUsedDataPoint(now, v, node) })
		recordInt(st.Memory.Total, func(v int64) { s.mb.RecordMnmProxmoxNodeMemoryTotalDataPoint(now, v, node) })
		recordInt(st.Memory.Free, func(v int64) { s.mb.RecordMnmProxmoxNodeMemoryFreeDataPoint(now, v, node) })
		recordInt(st.Swap.Used, func(v int64) { s.mb.RecordMnmProxmoxNodeSwapUsedDataPoint(now, v, node) })
		recordInt(st.Swap.Total, func(v int64) { s.mb.RecordMnmProxmoxNodeSwapTotalDataPoint(now, v, node) })
		recordInt(st.RootFS.Used, func(v int64) { s.mb.RecordMnmProxmoxNodeRootfsUsedDataPoint(now, v, node) })
		recordInt(st.RootFS.Total, func(v int64) { s.mb.RecordMnmProxmoxNodeRootfsTotalDataPoint(now, v, node) })
		recordInt(st.KSM.Shared, func(v int64) { s.mb.RecordMnmProxmoxNodeKsmSharedDataPoint(now, v, node) })
		recordInt(st.Uptime, func(v int64) { s.mb.RecordMnmProxmoxNodeUptimeDataPoint(now, v, node) })
		loads := []func(pcommon.Timestamp, float64, string){
			s.mb.RecordMnmProxmoxNodeLoadavg1mDataPoint,
			s.mb.RecordMnmProxmoxNodeLoadavg5mDataPoint,
			s.mb.RecordMnmProxmoxNodeLoadavg15mDataPoint,
		}
		for i, load := range st.LoadAvg {
			if i < len(loads) && load.Valid {
				loads[i](now, load.Value, node)
			}
		}
	}
	for _, st := range nd.storage {
		recordInt(st.Used, func(v int64) { s.mb.RecordMnmProxmoxStorageUsedDataPoint(now, v, node, st.Storage, st.Type) })
		recordInt(st.Total, func(v int64) { s.mb.RecordMnmProxmoxStorageTotalDataPoint(now, v, node, st.Storage, st.Type) })
		recordInt(st.Avail, func(v int64) { s.mb.RecordMnmProxmoxStorageAvailableDataPoint(now, v, node, st.Storage, st.Type) })
		s.mb.RecordMnmProxmoxStorageEnabledDataPoint(now, boolInt(st.Enabled), node, st.Storage, st.Type)
		s.mb.RecordMnmProxmoxStorageActiveDataPoint(now, boolInt(st.Active), node, st.Storage, st.Type)
		s.mb.RecordMnmProxmoxStorageSharedDataPoint(now, boolInt(st.Shared), node, st.Storage, st.Type)
	}
	for _, p := range nd.pools {
		recordInt(p.Size, func(v int64) { s.mb.RecordMnmProxmoxZfsPoolSizeDataPoint(now, v, node, p.Name) })
		recordInt(p.Alloc, func(v int64) { s.mb.RecordMnmProxmoxZfsPoolUsedDataPoint(now, v, node, p.Name) })
		recordInt(p.Free, func(v int64) { s.mb.RecordMnmProxmoxZfsPoolFreeDataPoint(now, v, node, p.Name) })
		recordInt(p.Frag, func(v int64) { s.mb.RecordMnmProxmoxZfsPoolFragmentationDataPoint(now, v, node, p.Name) })
		if p.Dedup.Valid {
			s.mb.RecordMnmProxmoxZfsPoolDedupDataPoint(now, p.Dedup.Value, node, p.Name)
		}
		healthy := int64(0)
		if strings.EqualFold(p.Health, "ONLINE") {
			healthy = 1
		}
		s.mb.RecordMnmProxmoxZfsPoolHealthDataPoint(now, healthy, node, p.Name)
	}
	for _, d := range nd.disks {
		device := strings.TrimPrefix(d.DevPath, "/dev/")
		model, typ := string(d.Model), string(d.Type)
		recordInt(d.Size, func(v int64) { s.mb.RecordMnmProxmoxDiskSizeDataPoint(now, v, node, device, model, typ) })
		switch health := diskHealth(string(d.Health)); health {
		case healthUnknown:
			s.mb.RecordMnmProxmoxDiskHealthUnknownDataPoint(now, 1, node, device, model, typ)
		default:
			s.mb.RecordMnmProxmoxDiskHealthUnknownDataPoint(now, 0, node, device, model, typ)
			s.mb.RecordMnmProxmoxDiskHealthDataPoint(now, int64(health), node, device, model, typ)
		}
		if d.Wearout.Valid {
			s.mb.RecordMnmProxmoxDiskLifeRemainingDataPoint(now, d.Wearout.Value, node, device, model, typ)
		}
	}
}

func boolInt(b flexBool) int64 {
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

// problemKey names a problem by path template, node and reason, so it is
// logged once however often it repeats.
func problemKey(tmpl, node string, err error) string {
	key := tmpl + " " + errorReason(err)
	if node != "" {
		key = node + " " + key
	}
	return key
}

// diagnoseEmptyCluster explains a /cluster/resources answer without nodes:
// Proxmox filters lists by permission silently, so a token without rights
// sees an empty cluster instead of an error.
func diagnoseEmptyCluster(ctx context.Context, client *proxmoxClient) error {
	fix := fmt.Sprintf("pveum acl modify / --tokens '%s' --roles PVEAuditor", client.tokenID)
	perms, err := client.accessPermissions(ctx)
	if err == nil && len(perms) == 0 {
		user, _, _ := strings.Cut(client.tokenID, "!")
		return fmt.Errorf("the API token %s sees no nodes: it has privilege separation and no ACL of its own (/access/permissions is empty). Either grant the token itself read access: %s, or recreate it without privilege separation so it inherits the rights of %s: pveum user token add %s %s --privsep 0",
			client.tokenID, fix, user, user, tokenName(client.tokenID))
	}
	return fmt.Errorf("the API token %s sees no nodes in /cluster/resources: it lacks Sys.Audit and VM.Audit; grant read-only access with: %s", client.tokenID, fix)
}

// endpointHost is the host part of the endpoint, for server.address.
func endpointHost(endpoint string) string {
	if u, err := url.Parse(endpoint); err == nil && u.Hostname() != "" {
		return u.Hostname()
	}
	return endpoint
}

func tokenName(tokenID string) string {
	_, name, _ := strings.Cut(tokenID, "!")
	return name
}
