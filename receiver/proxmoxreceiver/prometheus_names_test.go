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
)

// promNames is the contract with MNM's dashboards and alerts: the exact
// Prometheus name and label names of every metric, as the Collector's
// Prometheus exporter exposes them with its default settings.
var promNames = map[string][]string{
	"mnm_proxmox_node_cpu_usage":                 {"node"},
	"mnm_proxmox_node_iowait":                    {"node"},
	"mnm_proxmox_node_cpu_count":                 {"node"},
	"mnm_proxmox_node_cpu_cores":                 {"node"},
	"mnm_proxmox_node_cpu_sockets":               {"node"},
	"mnm_proxmox_node_cpu_mhz":                   {"node"},
	"mnm_proxmox_node_memory_used_bytes":         {"node"},
	"mnm_proxmox_node_memory_total_bytes":        {"node"},
	"mnm_proxmox_node_memory_free_bytes":         {"node"},
	"mnm_proxmox_node_swap_used_bytes":           {"node"},
	"mnm_proxmox_node_swap_total_bytes":          {"node"},
	"mnm_proxmox_node_rootfs_used_bytes":         {"node"},
	"mnm_proxmox_node_rootfs_total_bytes":        {"node"},
	"mnm_proxmox_node_ksm_shared_bytes":          {"node"},
	"mnm_proxmox_node_loadavg_1m":                {"node"},
	"mnm_proxmox_node_loadavg_5m":                {"node"},
	"mnm_proxmox_node_loadavg_15m":               {"node"},
	"mnm_proxmox_node_uptime_seconds":            {"node"},
	"mnm_proxmox_node_online":                    {"node"},
	"mnm_proxmox_node_info":                      {"node", "kernel_version", "pve_version"},
	"mnm_proxmox_storage_used_bytes":             {"node", "storage", "type"},
	"mnm_proxmox_storage_total_bytes":            {"node", "storage", "type"},
	"mnm_proxmox_storage_available_bytes":        {"node", "storage", "type"},
	"mnm_proxmox_storage_enabled":                {"node", "storage", "type"},
	"mnm_proxmox_storage_active":                 {"node", "storage", "type"},
	"mnm_proxmox_storage_shared":                 {"node", "storage", "type"},
	"mnm_proxmox_zfs_pool_size_bytes":            {"node", "pool"},
	"mnm_proxmox_zfs_pool_used_bytes":            {"node", "pool"},
	"mnm_proxmox_zfs_pool_free_bytes":            {"node", "pool"},
	"mnm_proxmox_zfs_pool_fragmentation_percent": {"node", "pool"},
	"mnm_proxmox_zfs_pool_health":                {"node", "pool"},
	"mnm_proxmox_zfs_pool_dedup_ratio":           {"node", "pool"},
	"mnm_proxmox_disk_size_bytes":                {"node", "device", "model", "type"},
	"mnm_proxmox_disk_health":                    {"node", "device", "model", "type"},
	"mnm_proxmox_disk_health_unknown":            {"node", "device", "model", "type"},
	"mnm_proxmox_disk_life_remaining_percent":    {"node", "device", "model", "type"},
	"mnm_proxmox_cluster_quorate":                {"cluster"},
	"mnm_proxmox_cluster_nodes":                  {"cluster"},
	"mnm_proxmox_cluster_nodes_online":           {"cluster"},
	"mnm_proxmox_last_collection_timestamp":      {},
	"mnm_proxmox_collection_duration_seconds":    {},
	"mnm_proxmox_api_requests_total":             {"path"},
	"mnm_proxmox_vm_info":                        {"node", "vmid", "name", "tags", "template", "hastate", "lock", "guest_status"},
	"mnm_proxmox_ct_info":                        {"node", "vmid", "name", "tags", "template", "hastate", "lock", "guest_status"},
}

func init() {
	for _, kind := range []string{"vm", "ct"} {
		for _, suffix := range []string{"cpu_usage", "cpus", "memory_used_bytes", "memory_total_bytes", "disk_read_bytes",
			"disk_write_bytes", "netin_bytes", "netout_bytes", "status", "uptime_seconds", "disk_size_bytes"} {
			promNames["mnm_proxmox_"+kind+"_"+suffix] = []string{"node", "vmid", "name"}
		}
	}
	promNames["mnm_proxmox_ct_disk_used_bytes"] = []string{"node", "vmid", "name"}
}

// TestPrometheusExporterNames runs a real collection through the Collector's
// Prometheus exporter and checks every name and label set of the contract.
func TestPrometheusExporterNames(t *testing.T) {
	env := newTestEnv(t, goldenCluster)
	s := env.metricsScraper(t)
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
			assert.True(t, known || name == "mnm_proxmox_api_errors_total", "unexpected metric %s: add it to the contract", name)
		}
	}
}

func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}
