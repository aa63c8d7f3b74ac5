// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e && linux

package e2e

import (
	"fmt"
	"path/filepath"
	"sort"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mnm-net/otelcol-mnm/config"
	"github.com/mnm-net/otelcol-mnm/internal/pvesim"
)

// TestOTLPPushToPrometheus3 runs the shipped push variant
// (config/otelcol-mnm-otlp.yaml) into Prometheus 3's own OTLP receiver with
// config/prometheus/prometheus-otlp.yml: the same names and labels arrive as
// through the pull path, every dashboard query returns data and the alerts
// fire as they do there.
func TestOTLPPushToPrometheus3(t *testing.T) {
	server := prometheus3(t)
	cluster := startCluster(t, pvesim.Config{Nodes: 3, Guests: 36, Seed: 1, SDN: true, NICGaps: true, Operations: true,
		GuestAgentDetails: true, FullFilesystem: true})
	ctl := startController(t, "e2e-otlp-secret")
	setup := &collectorSetup{cluster: cluster, controller: ctl, telemetryAddr: freeAddr(t),
		overlays: []string{filepath.Join(repoRoot, "config", "otelcol-mnm-otlp.yaml")}}
	prom := startOTLPPrometheus(t, server, setup.telemetryAddr)
	setup.extraEnv = []string{"MNM_PROMETHEUS_OTLP_URL=" + prom.url + "/api/v1/otlp"}
	collector := startCollector(t, setup)

	eventually(t, 90*time.Second, "two pushed collections", func() error {
		require.False(t, collector.exited(), "otelcol-mnm exited:\n%s", tail(collector.out.String(), 3000))
		res, err := prom.query(t, "count_over_time(mnm_proxmox_last_collection_timestamp[5m])")
		if err != nil {
			return err
		}
		if len(res) == 0 || res[0].float() < 2 {
			return fmt.Errorf("collections so far: %v", res)
		}
		return nil
	})

	t.Run("every contract metric with its exact labels", func(t *testing.T) {
		checkContract(t, prom)
	})

	t.Run("every dashboard query returns data", func(t *testing.T) {
		queries, err := config.DashboardQueries(filepath.Join(repoRoot, "config", "grafana", "dashboards", "proxmox-overview.json"))
		require.NoError(t, err)
		eventually(t, 30*time.Second, "the Collector's own metrics scraped", func() error {
			res, err := prom.query(t, "otelcol_exporter_mnmendpoint_last_success > 0")
			if err == nil && len(res) == 0 {
				err = fmt.Errorf("no successful upsert scraped yet")
			}
			return err
		})
		for _, q := range queries {
			res, err := prom.query(t, q.Expr)
			if assert.NoError(t, err, "panel %q", q.Title) {
				assert.NotEmpty(t, res, "panel %q: %s returned no series", q.Title, q.Expr)
			}
		}
	})

	t.Run("rules loaded and the degraded pool and failing disk alerts fire", func(t *testing.T) {
		waitForAlerts(t, prom, "ProxmoxZFSPoolUnhealthy", "ProxmoxDiskSMARTFailing")
	})

	t.Run("the Collector holds no copy of the series", func(t *testing.T) {
		_, err := scrapeCollector(setup.promAddr)
		assert.Error(t, err, "no Prometheus exporter listens in the push variant")
	})
}

// TestPrometheusVersionsAgree scrapes one Collector with Debian's Prometheus
// 2.42 and Prometheus 3 side by side: every dashboard query returns the same
// series on both, the same alerts fire, and Prometheus 3 takes the
// exposition without complaint (it is strict about Content-Type and
// negotiates scrape protocols).
func TestPrometheusVersionsAgree(t *testing.T) {
	v3 := prometheus3(t)
	cluster := startCluster(t, pvesim.Config{Nodes: 3, Guests: 36, Seed: 1, SDN: true, NICGaps: true, Operations: true,
		GuestAgentDetails: true, FullFilesystem: true})
	ctl := startController(t, "e2e-agree-secret")
	setup := &collectorSetup{cluster: cluster, controller: ctl}
	collector := startCollector(t, setup)
	proms := map[string]*prometheus{
		"2.42": startPrometheusOn(t, debianPrometheus(t), setup.promAddr, setup.telemetryAddr),
		"3.4":  startPrometheusOn(t, v3, setup.promAddr, setup.telemetryAddr),
	}
	for version, prom := range proms {
		eventually(t, 90*time.Second, "two scrapes by Prometheus "+version, func() error {
			require.False(t, collector.exited(), "otelcol-mnm exited:\n%s", tail(collector.out.String(), 3000))
			res, err := prom.query(t, "count_over_time(mnm_proxmox_last_collection_timestamp[5m])")
			if err == nil && (len(res) == 0 || res[0].float() < 2) {
				err = fmt.Errorf("scrapes so far: %v", res)
			}
			return err
		})
	}

	queries, err := config.DashboardQueries(filepath.Join(repoRoot, "config", "grafana", "dashboards", "proxmox-overview.json"))
	require.NoError(t, err)
	for _, q := range queries {
		got := map[string][]string{}
		for version, prom := range proms {
			res, err := prom.query(t, q.Expr)
			require.NoError(t, err, "Prometheus %s, panel %q", version, q.Title)
			got[version] = seriesKeys(res)
		}
		assert.NotEmpty(t, got["3.4"], "panel %q: %s returned no series", q.Title, q.Expr)
		assert.Equal(t, got["2.42"], got["3.4"], "panel %q: %s", q.Title, q.Expr)
	}

	firing := map[string][]string{}
	for version, prom := range proms {
		eventually(t, 30*time.Second, "alerts evaluated by Prometheus "+version, func() error {
			names, err := firingAlerts(prom)
			if err == nil && len(names) == 0 {
				err = fmt.Errorf("nothing firing yet")
			}
			firing[version] = names
			return err
		})
	}
	assert.Equal(t, firing["2.42"], firing["3.4"], "the same alerts fire")

	out := proms["3.4"].out.String()
	assert.NotContains(t, out, "Failed to determine correct type of scrape target", "Prometheus 3 reads the exposition's Content-Type")
	assert.NotContains(t, out, "level=ERROR")
}

// seriesKeys are the label sets of an instant query's series, sorted.
func seriesKeys(res []sample) []string {
	keys := make([]string, 0, len(res))
	for _, s := range res {
		keys = append(keys, fmt.Sprint(s.Metric))
	}
	sort.Strings(keys)
	return keys
}

// TestOTLPPushSurvivesAPrometheusRestart stops Prometheus 3 across a
// collection and starts it again on the same data: the push variant's retry
// and its queue of two deliver the collections made meanwhile, so a restart
// leaves no gap in the series, and nothing is refused or failed for good.
// Collections are 10 s apart here so that, as with the shipped 60 s, a
// restart and the retry's back-off take less than the queue's three
// collections.
func TestOTLPPushSurvivesAPrometheusRestart(t *testing.T) {
	server := prometheus3(t)
	cluster := startCluster(t, pvesim.Config{Nodes: 2, Guests: 8, Seed: 1})
	ctl := startController(t, "e2e-otlp-secret")
	setup := &collectorSetup{cluster: cluster, controller: ctl, telemetryAddr: freeAddr(t), metricsEvery: "10s",
		overlays: []string{filepath.Join(repoRoot, "config", "otelcol-mnm-otlp.yaml")}}
	prom := startOTLPPrometheus(t, server, setup.telemetryAddr)
	setup.extraEnv = []string{"MNM_PROMETHEUS_OTLP_URL=" + prom.url + "/api/v1/otlp"}
	collector := startCollector(t, setup)
	collections := func() ([]float64, error) { return prom.sampleTimes(t, "mnm_proxmox_last_collection_timestamp[10m]") }
	eventually(t, 90*time.Second, "two pushed collections", func() error {
		if ts, err := collections(); err != nil || len(ts) < 2 {
			return fmt.Errorf("collections so far: %v %v", ts, err)
		}
		return nil
	})

	prom.stop(syscall.SIGTERM)
	down := time.Now()
	time.Sleep(12 * time.Second) // one or two collections
	up := time.Now()
	prom.start(t)
	require.False(t, collector.exited(), "otelcol-mnm exited:\n%s", tail(collector.out.String(), 3000))

	// The retries wait up to 5 s, then 10 s, ...: within a minute every
	// queued collection is in, with its own time.
	eventually(t, 60*time.Second, "the collections made while Prometheus was down", func() error {
		ts, err := collections()
		if err != nil {
			return err
		}
		during := 0
		for _, s := range ts {
			if at := time.Unix(int64(s), 0); at.After(down) && at.Before(up) {
				during++
			}
		}
		if during < 1 {
			return fmt.Errorf("%d samples from the %s outage, want 1 or more (all: %v)", during, up.Sub(down).Round(time.Second), ts)
		}
		return nil
	})
	own, err := scrapeCollector(setup.telemetryAddr)
	require.NoError(t, err)
	failed, _ := own.value("otelcol_exporter_send_failed_metric_points", nil)
	assert.Zero(t, failed, "nothing was dropped for good")
	refused, _ := own.value("otelcol_exporter_enqueue_failed_metric_points", nil)
	assert.Zero(t, refused, "no collection was refused by the queue")
}
