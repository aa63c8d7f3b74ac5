// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package proxmoxreceiver

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/exporter/prometheusexporter"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/mnm-net/otelcol-mnm/internal/pvesim"
)

// BenchmarkPrometheusExporter runs the shipped metrics pipeline's last step:
// one metrics collection (default metrics, with the inventory's NICs) into
// the Collector's Prometheus exporter, then one Prometheus scrape, per
// operation. It reports what the exporter keeps between collections and what
// a scrape costs: at 16 nodes / 2,000 guests for each exporter setting
// docs/performance.md compares, at 32 nodes / 10,000 guests for the first two:
//
//   - held-MiB: live heap the exporter keeps after a GC, the collection
//     handed to it included (it keeps the resource of every series it was
//     given, and with it that whole collection);
//   - collection-MiB: live heap of one collection's pmetric.Metrics alone;
//   - scrape-MB and scrape-ms: allocated bytes and wall time of one scrape.
func BenchmarkPrometheusExporter(b *testing.B) {
	const textFormat = "text/plain;version=0.0.4"
	const openMetrics = "application/openmetrics-text;version=1.0.0"
	settings := []struct {
		name      string
		configure func(*prometheusexporter.Config)
		perGuest  bool   // one resource per guest instead of one for the cluster
		accept    string // the scrape's Accept header
	}{
		{name: "default", configure: func(*prometheusexporter.Config) {}, accept: textFormat},
		{name: "shipped", configure: shippedPrometheus, accept: textFormat},
		{name: "shipped+openmetrics", configure: func(c *prometheusexporter.Config) {
			shippedPrometheus(c)
			c.EnableOpenMetrics = true
		}, accept: openMetrics},
		{name: "shipped+without_suffixes", configure: func(c *prometheusexporter.Config) {
			shippedPrometheus(c)
			c.TranslationStrategy = "UnderscoreEscapingWithoutSuffixes" // add_metric_suffixes: false
		}, accept: textFormat},
		{name: "shipped+resource_constant_labels", configure: func(c *prometheusexporter.Config) {
			shippedPrometheus(c)
			c.ResourceConstantLabels.Included = []string{"*"}
		}, accept: textFormat},
		{name: "shipped+per_guest_resources", configure: func(c *prometheusexporter.Config) {
			shippedPrometheus(c)
			c.ResourceConstantLabels.Included = []string{"*"} // so that the series keep their labels
		}, perGuest: true, accept: textFormat},
	}
	for _, size := range []struct {
		nodes, guests int
		settings      int // how many of the settings are measured at this size
	}{{16, 2000, len(settings)}, {32, 10000, 2}} {
		for _, bc := range settings[:size.settings] {
			b.Run(fmt.Sprintf("guests=%d/%s", size.guests, bc.name), func(b *testing.B) {
				env := newTestEnv(b, pvesim.Config{Nodes: size.nodes, Guests: size.guests, Seed: 1})
				// The shipped metric set: newTestEnv turns the info metrics on.
				env.cfg.MetricsBuilderConfig.Metrics.MnmProxmoxVMInfo.Enabled = false
				env.cfg.MetricsBuilderConfig.Metrics.MnmProxmoxCtInfo.Enabled = false
				_, err := env.inventoryScraper(b).scrape(context.Background())
				require.NoError(b, err)
				s := env.metricsScraper(b)
				collect := func() pmetric.Metrics {
					md, err := s.scrape(context.Background())
					require.NoError(b, err)
					if bc.perGuest {
						md = resourcePerGuest(md)
					}
					return md
				}

				// One collection first, so that the scraper's own state is
				// warm and not counted as the exporter's.
				before := liveHeap()
				md := collect()
				collection := liveHeap() - before
				runtime.KeepAlive(md)
				md = pmetric.Metrics{}

				factory := prometheusexporter.NewFactory()
				cfg := factory.CreateDefaultConfig().(*prometheusexporter.Config)
				cfg.ServerConfig.NetAddr.Endpoint = freeLoopbackAddr(b)
				bc.configure(cfg)
				exp, err := factory.CreateMetrics(context.Background(), exportertest.NewNopSettings(factory.Type()), cfg)
				require.NoError(b, err)
				require.NoError(b, exp.Start(context.Background(), componenttest.NewNopHost()))
				url := "http://" + cfg.ServerConfig.NetAddr.Endpoint + "/metrics"

				var scrapeAlloc uint64
				var scrapeTime time.Duration
				var size, series int
				var body []byte
				b.ResetTimer()
				for range b.N {
					b.StopTimer()
					next := collect()
					b.StartTimer()
					require.NoError(b, exp.ConsumeMetrics(context.Background(), next))
					var ms runtime.MemStats
					runtime.ReadMemStats(&ms)
					allocated := ms.TotalAlloc
					start := time.Now()
					body = scrapeOnce(b, url, bc.accept)
					size, series = len(body), samples(body)
					scrapeTime += time.Since(start)
					runtime.ReadMemStats(&ms)
					scrapeAlloc += ms.TotalAlloc - allocated
				}
				b.StopTimer()
				// Every shape keeps the contract's labels.
				require.Contains(b, string(body), `mnm_proxmox_vm_status{name="`)
				require.Contains(b, string(body), `,vmid="`)
				body = nil
				// What the exporter holds is what its shutdown lets go.
				held := liveHeap()
				require.NoError(b, exp.Shutdown(context.Background()))
				exp = nil
				time.Sleep(100 * time.Millisecond) // the server's connection goroutines end
				held -= liveHeap()
				b.ReportMetric(float64(collection)/(1<<20), "collection-MiB")
				b.ReportMetric(float64(held)/(1<<20), "held-MiB")
				b.ReportMetric(float64(scrapeAlloc)/float64(b.N)/1e6, "scrape-MB")
				b.ReportMetric(float64(scrapeTime.Microseconds())/1e3/float64(b.N), "scrape-ms")
				b.ReportMetric(float64(size), "exposition-bytes")
				b.ReportMetric(float64(series), "series")
			})
		}
	}
}

func shippedPrometheus(c *prometheusexporter.Config) {
	c.WithoutScopeInfo = true // config/otelcol-mnm.yaml
	c.MetricExpiration = 5 * time.Minute
}

// liveHeap is the heap in use after a full collection. Twice: what a
// finalizer still needed (a closed listener's) is freed only by the next one.
func liveHeap() int64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

// scrapeOnce scrapes the exporter as Prometheus does and returns the exposition.
func scrapeOnce(b *testing.B, url, accept string) []byte {
	req, err := http.NewRequest(http.MethodGet, url, http.NoBody)
	require.NoError(b, err)
	req.Header.Set("Accept", accept)
	// A new connection each time: an idle one would keep the exporter's
	// server, and so its data, reachable after its shutdown.
	resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
	require.NoError(b, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(b, err)
	require.Equal(b, http.StatusOK, resp.StatusCode, string(body))
	return body
}

// samples counts the samples of an exposition: its lines other than comments.
func samples(exposition []byte) (n int) {
	for line := range bytes.Lines(exposition) {
		if len(line) > 0 && line[0] != '#' {
			n++
		}
	}
	return n
}

// resourcePerGuest moves every data point of a guest into a resource of its
// own, with the guest's node, vmid and name as resource attributes: the
// other way to shape the same series, compared for its footprint.
func resourcePerGuest(md pmetric.Metrics) pmetric.Metrics {
	out := pmetric.NewMetrics()
	cluster := out.ResourceMetrics().AppendEmpty()
	type guestMetrics struct {
		sm      pmetric.ScopeMetrics
		metrics map[string]pmetric.Metric
	}
	guests := map[[3]string]*guestMetrics{}
	clusterScope := cluster.ScopeMetrics().AppendEmpty()
	for _, rm := range md.ResourceMetrics().All() {
		rm.Resource().Attributes().CopyTo(cluster.Resource().Attributes())
		for _, sm := range rm.ScopeMetrics().All() {
			sm.Scope().CopyTo(clusterScope.Scope())
			for _, m := range sm.Metrics().All() {
				dps, ok := numberDataPoints(m)
				if !ok {
					m.CopyTo(clusterScope.Metrics().AppendEmpty())
					continue
				}
				for _, dp := range dps.All() {
					attrs := dp.Attributes()
					vmid, isGuest := attrs.Get("vmid")
					if !isGuest {
						copyPoint(m, dp, clusterScope.Metrics(), nil)
						continue
					}
					node, _ := attrs.Get("node")
					name, _ := attrs.Get("name")
					key := [3]string{node.Str(), vmid.Str(), name.Str()}
					g, ok := guests[key]
					if !ok {
						rm := out.ResourceMetrics().AppendEmpty()
						rm.Resource().Attributes().PutStr("node", key[0])
						rm.Resource().Attributes().PutStr("vmid", key[1])
						rm.Resource().Attributes().PutStr("name", key[2])
						g = &guestMetrics{sm: rm.ScopeMetrics().AppendEmpty(), metrics: map[string]pmetric.Metric{}}
						sm.Scope().CopyTo(g.sm.Scope())
						guests[key] = g
					}
					target, ok := g.metrics[m.Name()]
					if !ok {
						target = copyPoint(m, dp, g.sm.Metrics(), []string{"node", "vmid", "name"})
						g.metrics[m.Name()] = target
						continue
					}
					appendPoint(target, dp, []string{"node", "vmid", "name"})
				}
			}
		}
	}
	return out
}

// copyPoint appends a metric like m with dp as its only point, without the
// attributes drop, and returns it.
func copyPoint(m pmetric.Metric, dp pmetric.NumberDataPoint, to pmetric.MetricSlice, drop []string) pmetric.Metric {
	c := to.AppendEmpty()
	c.SetName(m.Name())
	c.SetDescription(m.Description())
	c.SetUnit(m.Unit())
	if m.Type() == pmetric.MetricTypeSum {
		sum := c.SetEmptySum()
		sum.SetIsMonotonic(m.Sum().IsMonotonic())
		sum.SetAggregationTemporality(m.Sum().AggregationTemporality())
	} else {
		c.SetEmptyGauge()
	}
	appendPoint(c, dp, drop)
	return c
}

func appendPoint(m pmetric.Metric, dp pmetric.NumberDataPoint, drop []string) {
	var to pmetric.NumberDataPoint
	if m.Type() == pmetric.MetricTypeSum {
		to = m.Sum().DataPoints().AppendEmpty()
	} else {
		to = m.Gauge().DataPoints().AppendEmpty()
	}
	dp.CopyTo(to)
	to.Attributes().RemoveIf(func(k string, _ pcommon.Value) bool { return slices.Contains(drop, k) })
}
