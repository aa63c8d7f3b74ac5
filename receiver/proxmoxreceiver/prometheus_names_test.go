// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package proxmoxreceiver

import (
	"context"
	"net"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/exporter/prometheusexporter"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/scraper/scrapererror"

	"github.com/mnm-net/otelcol-mnm/internal/promcontract"
)

// TestPrometheusExporterNames runs a real collection through the Collector's
// Prometheus exporter and checks every name and label set of the contract.
func TestPrometheusExporterNames(t *testing.T) {
	cluster := goldenCluster
	cluster.GuestAgentDetails = true // the guest agent's filesystems, OS and memory
	env := newTestEnv(t, cluster)
	s := env.metricsScraper(t)
	// mnm_proxmox_guest_nic_info and the guest's own view come from the
	// latest inventory cycle; one guest's agent refuses get-fsinfo (a
	// problem, so a partial error).
	_, err := env.inventoryScraper(t).scrape(context.Background())
	require.True(t, err == nil || scrapererror.IsPartialScrapeError(err), "%v", err)
	md, err := s.scrape(context.Background())
	require.NoError(t, err)

	factory := prometheusexporter.NewFactory()
	cfg := factory.CreateDefaultConfig().(*prometheusexporter.Config)
	cfg.ServerConfig.NetAddr.Endpoint = freeLoopbackAddr(t)
	exp, err := factory.CreateMetrics(context.Background(), exportertest.NewNopSettings(factory.Type()), cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))
	defer func() { require.NoError(t, exp.Shutdown(context.Background())) }()
	require.NoError(t, exp.ConsumeMetrics(context.Background(), md))

	resp, err := http.Get("http://" + cfg.ServerConfig.NetAddr.Endpoint + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	require.NoError(t, err)

	promNames := promcontract.Metrics()
	for name, wantLabels := range promNames {
		family, ok := families[name]
		if !assert.True(t, ok, "missing %s", name) {
			continue
		}
		for _, m := range family.GetMetric() {
			labels := []string{}
			for _, l := range m.GetLabel() {
				if !strings.HasPrefix(l.GetName(), "otel_scope_") {
					labels = append(labels, l.GetName())
				}
			}
			sort.Strings(labels)
			want := slices.Clone(wantLabels)
			sort.Strings(want)
			assert.Equal(t, want, labels, name)
		}
	}
	for name := range families {
		if strings.HasPrefix(name, "mnm_proxmox_") {
			_, known := promNames[name]
			assert.True(t, known || promcontract.MayBeAbsent(name), "unexpected metric %s: add it to the contract", name)
		}
	}
}

func freeLoopbackAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}
