// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package proxmoxreceiver // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver"

import (
	"context"
	"errors"
	"sort"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/scraper/scrapererror"

	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/metadata"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/problems"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/pveapi"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/recheck"
)

// Metric counts per source, for partial-scrape error accounting.
const (
	nodeStatusMetricCount = 19
	storageMetricCount    = 6
	zfsMetricCount        = 6
	netstatMetricCount    = 4
	diskMetricCount       = 4
	clusterMetricCount    = 3
)

// metricsScraper makes one metrics collection: /cluster/resources and
// /cluster/status, then status, storage, ZFS and (on a slower cadence) disks
// of every online node, all nodes in parallel within the per-node bound.
// At most 2 + 5N requests for N online nodes (2 + 4N without the per-NIC
// traffic metrics), none per guest.
type metricsScraper struct {
	scraperBase
	metricsRecorder
	// disks keeps each node's last /disks/list answer: Proxmox runs smartctl
	// on every disk for it, so it is asked every disk_refresh_interval, with
	// back-off after failures, and re-emitted in between.
	disks *recheck.Cache[[]pveapi.Disk]
	zfs   *recheck.Absences // nodes without ZFS
	slow  slowTier          // HA, replication, Ceph, certificates, backups
	now   func() time.Time
}

func newMetricsScraper(cfg *Config, set receiver.Settings, handle *clientHandle) *metricsScraper {
	mb := metadata.NewMetricsBuilder(cfg.MetricsBuilderConfig, set)
	s := &metricsScraper{
		scraperBase: newScraperBase(cfg, handle),
		metricsRecorder: metricsRecorder{mb: mb, vms: vmRecorders(mb), containers: containerRecorders(mb),
			latest: handle.Unwrap(), metrics: &cfg.MetricsBuilderConfig.Metrics},
		disks: recheck.NewCache[[]pveapi.Disk](cfg.DiskRefreshInterval, cfg.CollectionInterval),
		zfs:   recheck.NewAbsences(cfg.DiskRefreshInterval),
		now:   time.Now,
	}
	s.slow = newSlowTier(cfg, s.shared, &s.metricsRecorder)
	return s
}

func (s *metricsScraper) scrape(ctx context.Context) (pmetric.Metrics, error) {
	client := s.shared.get()
	if client == nil {
		return pmetric.NewMetrics(), errors.New("proxmox receiver is not started")
	}
	begin := s.now()
	now := pcommon.NewTimestampFromTime(begin)
	errs := &scrapererror.ScrapeErrors{}
	found := problems.Set{}

	var (
		resources           []pveapi.ClusterResource
		resErr              error
		status              []pveapi.ClusterStatusEntry
		statusErr           error
		clusterRequestsDone sync.WaitGroup
	)
	clusterRequestsDone.Add(2)
	go func() { defer clusterRequestsDone.Done(); resources, resErr = client.ClusterResources(ctx) }()
	go func() { defer clusterRequestsDone.Done(); status, statusErr = client.ClusterStatus(ctx) }()
	clusterRequestsDone.Wait()

	if resErr != nil && len(resources) == 0 {
		// Without the cluster view there is nothing to report but why: an
		// error, never an empty success.
		found.Add(problems.FromAPI(pveapi.PathClusterResources, "", resErr))
		return s.emit(now, found, false), resErr
	}
	if resErr != nil {
		found.Add(problems.FromAPI(pveapi.PathClusterResources, "", resErr))
		errs.AddPartial(1, resErr)
	}

	online := onlineNodes(resources)
	if len(online) == 0 && !problems.HasNodes(resources) {
		// Nothing else is recorded: the builder would carry it into the next collection.
		pr := problems.DiagnoseEmptyCluster(ctx, client, s.cfg.TokenID)
		found.Add("no-nodes", pr)
		return s.emit(now, found, false), pr.Err
	}
	if statusErr != nil {
		found.Add(problems.FromAPI(pveapi.PathClusterStatus, "", statusErr))
		errs.AddPartial(clusterMetricCount, statusErr)
	}

	// The node requests wait on Proxmox; record the guests meanwhile (at
	// 10,000 guests that is tens of milliseconds of CPU). From here until
	// the node data arrives, errs and found belong to collectNodes.
	nodesDone := make(chan []*nodeData, 1)
	go func() { nodesDone <- s.collectNodes(ctx, client, begin, online, errs, found) }()
	slowDone := make(chan *slowCollection, 1)
	go func() { slowDone <- s.slow.collect(ctx, client, begin, online, resources) }()
	s.recordResources(now, resources)
	if statusErr == nil {
		s.recordClusterStatus(now, status)
	}
	nodeData := <-nodesDone
	for _, nd := range nodeData {
		s.recordNode(now, nd)
	}
	s.recordNICTraffic(now, resources, nodeData)
	s.recordNICInfo(now)
	s.recordGuestView(now, resources)
	slow := <-slowDone
	for key, pr := range slow.found {
		found.Add(key, pr)
	}
	if err := slow.errs.Combine(); err != nil {
		errs.AddPartial(0, err)
	}
	s.slow.record(now, begin, resources)

	up := true
	if pr, ok := problems.PrivilegeSeparation(ctx, client, s.cfg.TokenID, resources, found); ok {
		// One problem with both remedies instead of one 403 per path.
		for key, other := range found {
			if other.Kind == problems.KindForbidden {
				delete(found, key)
			}
		}
		found.Add("privilege-separation", pr)
		errs.AddPartial(0, pr.Err)
		up = false
	}
	end := s.now()
	s.mb.RecordMnmProxmoxCollectionDurationDataPoint(now, end.Sub(begin).Seconds())
	s.mb.RecordMnmProxmoxLastCollectionTimestampDataPoint(now, float64(end.UnixNano())/1e9)
	return s.emit(now, found, up), errs.Combine()
}

// emit settles the collection's problems and records what every
// collection reports, a failed one too, so that the dashboard shows why
// rather than "no data": mnm.proxmox.up, one mnm.proxmox.problem per
// active problem (of both collections), the API counters and endpoint.
func (s *metricsScraper) emit(now pcommon.Timestamp, found problems.Set, up bool) pmetric.Metrics {
	s.shared.problems.Update("metrics", found, s.now())
	s.mb.RecordMnmProxmoxUpDataPoint(now, boolToInt(up))
	active, cleared := s.shared.problems.Current(s.now())
	for _, pr := range active {
		s.mb.RecordMnmProxmoxProblemDataPoint(now, 1, pr.Kind, pr.Node, pr.Path, pr.Privilege)
	}
	for _, pr := range cleared {
		s.mb.RecordMnmProxmoxProblemDataPoint(now, 0, pr.Kind, pr.Node, pr.Path, pr.Privilege)
	}
	requests, failures := s.shared.stats.Snapshot()
	for path, n := range requests {
		s.mb.RecordMnmProxmoxAPIRequestsDataPoint(now, n, path)
	}
	for key, n := range failures {
		s.mb.RecordMnmProxmoxAPIErrorsDataPoint(now, n, key.Path, key.Reason)
	}
	// Every configured endpoint, 1 for the one serving: the one that served
	// before reads 0 at once instead of lingering as 1 in the exporter.
	current, failovers := s.shared.stats.Endpoint()
	for _, endpoint := range s.shared.stats.Endpoints() {
		s.mb.RecordMnmProxmoxAPIEndpointInfoDataPoint(now, boolToInt(endpoint == current), endpoint)
	}
	s.mb.RecordMnmProxmoxAPIFailoversDataPoint(now, failovers)
	rb := s.mb.NewResourceBuilder()
	rb.SetServerAddress(endpointHost(s.cfg.endpointList()[0]))
	return s.mb.Emit(metadata.WithResource(rb.Emit()))
}

func boolToInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// collectNodes asks every online node for its status, storage, ZFS pools
// and (when due, see recheck.Cache) disks, all in parallel; the limiter keeps
// each node within its bound. begin is the start of the collection.
func (s *metricsScraper) collectNodes(ctx context.Context, client pveapi.Client, begin time.Time, nodes []string, errs *scrapererror.ScrapeErrors, found problems.Set) []*nodeData {
	s.disks.ForgetAllBut(nodes)
	s.zfs.ForgetAllBut(nodes)
	results := make([]*nodeData, len(nodes))
	var mu sync.Mutex // guards errs and found
	fail := func(tmpl, node string, count int, err error) {
		mu.Lock()
		defer mu.Unlock()
		errs.AddPartial(count, err)
		found.Add(problems.FromAPI(tmpl, node, err))
	}
	var wg sync.WaitGroup
	for i, node := range nodes {
		nd := &nodeData{name: node}
		results[i] = nd
		wg.Add(3)
		go func() {
			defer wg.Done()
			st, err := client.NodeStatus(ctx, node)
			if err != nil {
				fail(pveapi.PathNodeStatus, node, nodeStatusMetricCount, err)
				return
			}
			nd.status = &st
			s.shared.noteVersion(node, pveVersion(string(st.PVEVersion)))
		}()
		go func() {
			defer wg.Done()
			var err error
			if nd.storage, err = client.NodeStorage(ctx, node); err != nil {
				fail(pveapi.PathNodeStorage, node, storageMetricCount, err)
			}
		}()
		if s.nicTrafficEnabled() {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var err error
				if nd.netstat, err = client.NodeNetstat(ctx, node); err != nil {
					fail(pveapi.PathNodeNetstat, node, netstatMetricCount, err)
				}
			}()
		}
		if !s.zfs.Due(node, begin, nil) {
			wg.Done() // a node without ZFS is asked again only every disk_refresh_interval
		} else {
			go func() {
				defer wg.Done()
				pools, err := client.NodeZFSPools(ctx, node)
				switch {
				case errors.Is(err, pveapi.ErrNoZFS):
					s.zfs.Absent(node, begin, nil)
				case err != nil:
					fail(pveapi.PathNodeZFS, node, zfsMetricCount, err)
				default:
					nd.pools = pools
					s.zfs.Present(node)
				}
			}()
		}
		if !s.disks.Due(node, begin) {
			// Backing off after a failure: the problem stays reported (not
			// logged as resolved) until a retry succeeds.
			if err := s.disks.Pending(node); err != nil {
				mu.Lock()
				found.Add(problems.FromAPI(pveapi.PathNodeDisks, node, err))
				mu.Unlock()
			}
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			disks, err := client.NodeDisks(ctx, node)
			if err != nil {
				fail(pveapi.PathNodeDisks, node, diskMetricCount, err)
			}
			// Entries that decoded are a good answer even when others were
			// skipped (the error names them); retrying sooner would not help.
			if err == nil || len(disks) > 0 {
				s.disks.Succeeded(node, disks, begin)
			} else {
				s.disks.Failed(node, err, begin)
			}
		}()
	}
	wg.Wait()
	for _, nd := range results {
		nd.disks = s.disks.View(nd.name, begin)
	}
	return results
}

// onlineNodes returns the nodes /cluster/resources reports online, sorted.
func onlineNodes(resources []pveapi.ClusterResource) []string {
	var online []string
	for i := range resources {
		if r := &resources[i]; r.Type == "node" && r.Status == "online" {
			online = append(online, r.Node)
		}
	}
	sort.Strings(online)
	return online
}
