// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package proxmoxreceiver

import (
	"context"
	"encoding/pem"
	"fmt"
	"iter"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/mnm-net/otelcol-mnm/internal/pvesim"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/metadata"
)

// testEnv is a simulated cluster behind a TLS server and a receiver
// configuration that trusts its certificate.
type testEnv struct {
	sim  *pvesim.Simulator
	srv  *httptest.Server
	cfg  *Config
	logs *observer.ObservedLogs
	set  receiver.Settings
}

func newTestEnv(t testing.TB, simCfg pvesim.Config) *testEnv {
	t.Helper()
	sim := pvesim.New(simCfg)
	srv := httptest.NewTLSServer(sim.Handler())
	t.Cleanup(func() {
		sim.Close()
		srv.Close()
	})

	caFile := filepath.Join(t.TempDir(), "pve-root-ca.pem")
	require.NoError(t, os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600))

	cfg := createDefaultConfig().(*Config)
	cfg.ClientConfig.Endpoint = srv.URL
	cfg.ClientConfig.TLS.CAFile = caFile
	cfg.TokenID = sim.Config().TokenID
	cfg.TokenSecret = configopaque.String(sim.Config().TokenSecret)
	cfg.MetricsBuilderConfig.Metrics.MnmProxmoxVMInfo.Enabled = true
	cfg.MetricsBuilderConfig.Metrics.MnmProxmoxCtInfo.Enabled = true

	core, logs := observer.New(zapcore.DebugLevel)
	set := receivertest.NewNopSettings(metadata.Type)
	set.Logger = zap.New(core)
	return &testEnv{sim: sim, srv: srv, cfg: cfg, logs: logs, set: set}
}

// metricsScraper starts a metrics scraper on the environment's config.
func (e *testEnv) metricsScraper(t testing.TB) *metricsScraper {
	t.Helper()
	s := newMetricsScraper(e.cfg, e.set, shareClient(e.cfg, e.set))
	require.NoError(t, s.start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, s.shutdown(context.Background())) })
	return s
}

// inventoryScraper starts an inventory scraper on the environment's config.
func (e *testEnv) inventoryScraper(t testing.TB) *inventoryScraper {
	t.Helper()
	s := newInventoryScraper(e.cfg, e.set, shareClient(e.cfg, e.set))
	require.NoError(t, s.start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, s.shutdown(context.Background())) })
	return s
}

// allLogText is every observed log line with its fields, for secret checks.
func (e *testEnv) allLogText() string {
	var out string
	for _, entry := range e.logs.All() {
		out += entry.Message
		for k, v := range entry.ContextMap() {
			out += " " + k + "=" + fmt.Sprint(v)
		}
		out += "\n"
	}
	return out
}

// numberDataPoints are the points of a gauge or sum; ok is false for the
// other kinds.
func numberDataPoints(m pmetric.Metric) (dps pmetric.NumberDataPointSlice, ok bool) {
	switch m.Type() {
	case pmetric.MetricTypeGauge:
		return m.Gauge().DataPoints(), true
	case pmetric.MetricTypeSum:
		return m.Sum().DataPoints(), true
	}
	return pmetric.NumberDataPointSlice{}, false
}

// logRecords yields every log record of ld.
func logRecords(ld plog.Logs) iter.Seq[plog.LogRecord] {
	return func(yield func(plog.LogRecord) bool) {
		for _, rl := range ld.ResourceLogs().All() {
			for _, sl := range rl.ScopeLogs().All() {
				for _, lr := range sl.LogRecords().All() {
					if !yield(lr) {
						return
					}
				}
			}
		}
	}
}
