package proxmoxreceiver

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"runtime/metrics"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mnm-net/otelcol-mnm/internal/pvesim"
)

// Benchmark sizes and the simulated Proxmox behaviour of docs/performance.md:
// each request takes the latency while holding one of the node's 3 pveproxy
// workers.
var benchSizes = []struct{ nodes, guests int }{{3, 50}, {16, 2000}, {32, 10000}}

const (
	benchLatency = 5 * time.Millisecond
	benchWorkers = 3
)

// BenchmarkScrape measures one metrics collection.
func BenchmarkScrape(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(fmt.Sprintf("nodes=%d/guests=%d", size.nodes, size.guests), func(b *testing.B) {
			env := newTestEnv(b, pvesim.Config{Nodes: size.nodes, Guests: size.guests, Seed: 1, Latency: benchLatency, WorkersPerNode: benchWorkers})
			env.cfg.DiskRefreshInterval = 0 // every collection pays the full 2 + 4N requests
			s := env.metricsScraper(b)
			counter := countBytes(s.shared)
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
			env := newTestEnv(b, pvesim.Config{Nodes: size.nodes, Guests: size.guests, Seed: 1, Latency: benchLatency, WorkersPerNode: benchWorkers})
			env.cfg.Inventory.AgentBackoffCycles = 1 << 20 // keep silent agents backed off for the whole run
			s := env.inventoryScraper(b)
			_, err := s.scrape(context.Background()) // first cycle: learns which agents are silent
			require.NoError(b, err)
			counter := countBytes(s.shared)
			runBenchmark(b, env, counter, func() error {
				_, err := s.scrape(context.Background())
				return err
			})
		})
	}
}

func runBenchmark(b *testing.B, env *testEnv, counter *byteCounter, op func() error) {
	env.sim.ResetStats()
	counter.n.Store(0)
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
	b.ReportMetric(float64(counter.n.Load())/float64(b.N), "bytes-read/op")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
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

// byteCounter counts response body bytes read by the receiver's client.
type byteCounter struct{ n atomic.Int64 }

func countBytes(shared *sharedClient) *byteCounter {
	c := &byteCounter{}
	client := shared.get()
	client.http.Transport = countingTransport{next: client.http.Transport, counter: c}
	return c
}

type countingTransport struct {
	next    http.RoundTripper
	counter *byteCounter
}

func (t countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
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
