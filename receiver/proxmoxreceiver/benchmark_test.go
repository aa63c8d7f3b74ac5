// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package proxmoxreceiver

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/scraper/scrapererror"

	"github.com/mnm-net/otelcol-mnm/internal/pvesim"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/pveapi"
)

// Benchmark sizes and the simulated Proxmox behaviour of docs/performance.md:
// each request takes the latency while holding one of the node's 3 pveproxy
// workers.
var benchSizes = []struct{ nodes, guests int }{{3, 50}, {16, 2000}, {32, 10000}}

const (
	// defaultBenchLatency is the simulated time per request; override it with
	// PVESIM_BENCH_LATENCY (a Go duration, e.g. 10ms).
	defaultBenchLatency = 5 * time.Millisecond
	benchWorkers        = 3
)

// benchPerNode applies PVESIM_BENCH_PER_NODE, an override of
// max_concurrent_requests_per_node (default 2), to see what the bound costs.
func benchPerNode(b *testing.B, cfg *Config) {
	v := os.Getenv("PVESIM_BENCH_PER_NODE")
	if v == "" {
		return
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		b.Fatalf("PVESIM_BENCH_PER_NODE=%q: want a positive integer", v)
	}
	cfg.MaxConcurrentRequestsPerNode = n
}

// benchNICTraffic applies PVESIM_BENCH_NIC_TRAFFIC=off, which turns the
// per-NIC traffic metrics (and so the /netstat requests) off, to see what
// they cost.
func benchNICTraffic(b *testing.B, cfg *Config) {
	switch v := os.Getenv("PVESIM_BENCH_NIC_TRAFFIC"); v {
	case "", "on":
	case "off":
		m := &cfg.MetricsBuilderConfig.Metrics
		m.MnmProxmoxVMNicNetin.Enabled, m.MnmProxmoxVMNicNetout.Enabled = false, false
		m.MnmProxmoxCtNicNetin.Enabled, m.MnmProxmoxCtNicNetout.Enabled = false, false
	default:
		b.Fatalf("PVESIM_BENCH_NIC_TRAFFIC=%q: want on or off", v)
	}
}

// benchAgentDetails reads PVESIM_BENCH_AGENT_DETAILS (on by default): off
// makes the simulated agents lack get-fsinfo, get-osinfo and get-host-name
// (501), as on a cluster whose VMs run no agent that has them.
func benchAgentDetails(b *testing.B) bool {
	switch v := os.Getenv("PVESIM_BENCH_AGENT_DETAILS"); v {
	case "", "on":
		return true
	case "off":
		return false
	default:
		b.Fatalf("PVESIM_BENCH_AGENT_DETAILS=%q: want on or off", v)
		return false
	}
}

// benchLatency reads PVESIM_BENCH_LATENCY, so that runs at other latencies
// are reproducible from the command line.
func benchLatency(b *testing.B) time.Duration {
	v := os.Getenv("PVESIM_BENCH_LATENCY")
	if v == "" {
		return defaultBenchLatency
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		b.Fatalf("PVESIM_BENCH_LATENCY=%q: want a non-negative Go duration such as 10ms", v)
	}
	return d
}

// BenchmarkScrape measures one metrics collection.
func BenchmarkScrape(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(fmt.Sprintf("nodes=%d/guests=%d", size.nodes, size.guests), func(b *testing.B) {
			env := newTestEnv(b, pvesim.Config{Nodes: size.nodes, Guests: size.guests, Seed: 1, Latency: benchLatency(b), WorkersPerNode: benchWorkers})
			benchPerNode(b, env.cfg)
			benchNICTraffic(b, env.cfg)
			env.cfg.DiskRefreshInterval = 0 // every collection pays the full 2 + 5N requests
			s := env.metricsScraper(b)
			counter := countBytes(s.shared)
			_, err := s.scrape(context.Background()) // steady state: connections are open
			require.NoError(b, err)
			runBenchmark(b, env, counter, func() error {
				_, err := s.scrape(context.Background())
				return err
			})
		})
	}
}

// BenchmarkInventory measures one steady-state inventory collection (silent
// agents already backed off).
func BenchmarkInventory(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(fmt.Sprintf("nodes=%d/guests=%d", size.nodes, size.guests), func(b *testing.B) {
			env := newTestEnv(b, pvesim.Config{Nodes: size.nodes, Guests: size.guests, Seed: 1, Latency: benchLatency(b), WorkersPerNode: benchWorkers,
				GuestAgentDetails: benchAgentDetails(b)})
			benchPerNode(b, env.cfg)
			env.cfg.Inventory.AgentBackoffCycles = 1 << 20 // keep silent agents backed off for the whole run
			s := env.inventoryScraper(b)
			// A guest agent that refuses get-fsinfo is a problem: a partial
			// error, not a failed cycle.
			cycle := func() error {
				if _, err := s.scrape(context.Background()); err != nil && !scrapererror.IsPartialScrapeError(err) {
					return err
				}
				return nil
			}
			require.NoError(b, cycle()) // first cycle: learns which agents are silent
			counter := countBytes(s.shared)
			runBenchmark(b, env, counter, cycle)
		})
	}
}

// BenchmarkScrapeDuringInventory measures one metrics collection at 16 nodes
// / 2,000 guests while an inventory cycle runs against the same nodes, with
// and without the metrics' precedence at each node's bound, against idle.
func BenchmarkScrapeDuringInventory(b *testing.B) {
	for _, mode := range []string{"idle", "during-inventory", "during-inventory-without-precedence"} {
		b.Run(mode, func(b *testing.B) {
			env := newTestEnv(b, pvesim.Config{Nodes: 16, Guests: 2000, Seed: 1, Latency: benchLatency(b), WorkersPerNode: benchWorkers,
				GuestAgentDetails: benchAgentDetails(b)})
			benchPerNode(b, env.cfg)
			env.cfg.DiskRefreshInterval = 0
			metrics := env.metricsScraper(b)
			inventory := env.inventoryScraper(b)
			ctx := context.Background()
			if mode == "during-inventory-without-precedence" {
				ctx = pveapi.WithPriority(ctx, pveapi.Background)
			}
			_, err := metrics.scrape(ctx)
			require.NoError(b, err)
			if mode != "idle" {
				// Inventory cycles back to back for the whole benchmark.
				invCtx, stop := context.WithCancel(context.Background())
				done := make(chan struct{})
				go func() {
					defer close(done)
					for invCtx.Err() == nil {
						_, _ = inventory.scrape(invCtx)
					}
				}()
				b.Cleanup(func() { stop(); <-done })
				time.Sleep(50 * time.Millisecond) // the per-guest requests are queued at every node
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				_, err := metrics.scrape(ctx)
				require.NoError(b, err)
			}
		})
	}
}

// BenchmarkSlowTierHour runs one simulated hour of metrics collections at
// 16 nodes / 2,000 guests with backups, replication, HA, Ceph, certificates
// and subscriptions, on a clock the benchmark moves, and reports the
// requests of a fast collection and what the slow tier costs per hour.
func BenchmarkSlowTierHour(b *testing.B) {
	start := time.Date(2025, 12, 22, 12, 0, 0, 0, time.UTC)
	env := newTestEnv(b, pvesim.Config{Nodes: 16, Guests: 2000, Seed: 1, WorkersPerNode: benchWorkers, Operations: true, OperationsTime: start})
	s := env.metricsScraper(b)
	slowPaths := pvesim.OperationsTemplates()
	var fast, slow int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		env.sim.ResetStats()
		for c := range 60 { // 60 s collection interval
			s.now = func() time.Time { return start.Add(time.Duration(i*60+c) * time.Minute) }
			if _, err := s.scrape(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
		stats := env.sim.Stats()
		all := stats.Total
		for _, p := range slowPaths {
			slow += stats.Paths[p]
			all -= stats.Paths[p]
		}
		fast += all
	}
	b.ReportMetric(float64(fast)/float64(b.N)/60, "fast-requests/collection")
	b.ReportMetric(float64(slow)/float64(b.N), "slow-tier-requests/hour")
}

func runBenchmark(b *testing.B, env *testEnv, counter *byteCounter, op func() error) {
	env.sim.ResetStats()
	counter.reset()
	var peak uint64
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		runtime.GC()
		stop := samplePeakHeap(&peak)
		require.NoError(b, op())
		stop()
	}
	b.StopTimer()
	stats := env.sim.Stats()
	b.ReportMetric(float64(stats.Total)/float64(b.N), "requests/op")
	var configs, addresses, agent, vmStatus int64
	for tmpl, n := range stats.Paths {
		switch {
		case strings.HasSuffix(tmpl, "/config"):
			configs += n
		case strings.HasSuffix(tmpl, "interfaces"):
			addresses += n
		case strings.Contains(tmpl, "/agent/get-"):
			agent += n
		case tmpl == pvesim.PathQemuList:
			vmStatus += n
		}
	}
	if configs+addresses > 0 { // inventory: the 1 + M + answering guests budget, + N + V for the guest view
		b.ReportMetric(float64(configs)/float64(b.N), "config-requests/op")
		b.ReportMetric(float64(addresses)/float64(b.N), "address-requests/op")
		b.ReportMetric(float64(agent)/float64(b.N), "agent-detail-requests/op")
		b.ReportMetric(float64(vmStatus)/float64(b.N), "vm-status-requests/op")
	}
	b.ReportMetric(float64(counter.n.Load())/float64(b.N), "bytes-read/op")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	floor := counter.floor(b.N, benchLatency(b), min(env.cfg.MaxConcurrentRequestsPerNode, benchWorkers))
	b.ReportMetric(float64(floor)/1e6, "floor-ms")
	if floor > 0 {
		b.ReportMetric(float64(b.Elapsed())/float64(b.N)/float64(floor), "x-floor")
	}
}

// floor is the least wall time one operation can take given its requests,
// the latency and the per-node concurrency: the cluster-wide requests (served
// by the endpoint node) come first, as every node or guest request depends on
// /cluster/resources; then each node works through its own requests
// `concurrency` at a time, and the slowest node decides:
//
//	latency × (ceil(cluster / concurrency) + max over nodes ceil(requests(node) / concurrency))
func (c *byteCounter) floor(ops int, latency time.Duration, concurrency int) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	rounds := func(requests int) int64 {
		perOp := (requests + ops - 1) / ops
		return int64((perOp + concurrency - 1) / concurrency)
	}
	var slowest int64
	for node, n := range c.perNode {
		if node != "" {
			slowest = max(slowest, rounds(n))
		}
	}
	return latency * time.Duration(rounds(c.perNode[""])+slowest)
}

// samplePeakHeap records the largest live heap seen until stop is called.
func samplePeakHeap(peak *uint64) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	go func() {
		defer close(finished)
		ticker := time.NewTicker(time.Millisecond)
		defer ticker.Stop()
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > *peak {
				*peak = v
			}
			select {
			case <-done:
				return
			case <-ticker.C:
			}
		}
	}()
	return func() { close(done); <-finished }
}

// byteCounter counts response body bytes read by the receiver's client, and
// requests per Proxmox node ("" for cluster-wide paths) for the floor.
type byteCounter struct {
	n atomic.Int64

	mu      sync.Mutex
	perNode map[string]int
}

func (c *byteCounter) reset() {
	c.n.Store(0)
	c.mu.Lock()
	c.perNode = map[string]int{}
	c.mu.Unlock()
}

func (c *byteCounter) request(path string) {
	node := ""
	if rest, ok := strings.CutPrefix(path, "/api2/json/nodes/"); ok {
		node, _, _ = strings.Cut(rest, "/")
	}
	c.mu.Lock()
	c.perNode[node]++
	c.mu.Unlock()
}

func countBytes(shared *sharedClient) *byteCounter {
	c := &byteCounter{perNode: map[string]int{}}
	shared.mu.Lock()
	defer shared.mu.Unlock()
	shared.http.Transport = countingTransport{next: shared.http.Transport, counter: c}
	return c
}

type countingTransport struct {
	next    http.RoundTripper
	counter *byteCounter
}

func (t countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.counter.request(req.URL.Path)
	resp, err := t.next.RoundTrip(req)
	if err == nil {
		resp.Body = countingBody{ReadCloser: resp.Body, counter: t.counter}
	}
	return resp, err
}

type countingBody struct {
	io.ReadCloser
	counter *byteCounter
}

func (b countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.counter.n.Add(int64(n))
	return n, err
}
