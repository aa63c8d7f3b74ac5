// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package config_test

import (
	"bufio"
	"cmp"
	"encoding/json"
	"go/ast"
	goparser "go/parser"
	"go/token"
	"maps"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
	"github.com/prometheus/prometheus/tsdb/chunks"
	"github.com/prometheus/prometheus/util/annotations"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mnm-net/otelcol-mnm/config"
	"github.com/mnm-net/otelcol-mnm/internal/promcontract"
)

const (
	dashboardPath  = "grafana/dashboards/proxmox-overview.json"
	promConfigPath = "prometheus/prometheus.yml"
	rulesPath      = "prometheus/rules/proxmox.rules.yml"
	rulesTestPath  = "prometheus/rules/proxmox.rules.test.yml"
	metricsPath    = "testdata/metric-names.txt"
	datasourceUID  = "${datasource}"
	readmePath     = "../README.md"
	kindsPath      = "../receiver/proxmoxreceiver/internal/problems/kinds.go"
	// causesPath has the causes of otelcol_exporter_mnmendpoint_delivery_failing.
	causesPath = "../exporter/mnmendpointexporter/condition.go"
	// readmeSectionURL is the README section every problem's fix is in; the
	// dashboard links to it and every problem alert carries it as runbook_url.
	readmeSectionURL = "https://github.com/mnm-net/otelcol-mnm#when-something-is-wrong"
	readmeSection    = "## When something is wrong"
)

// withoutNodeLabel lists the metrics that describe the cluster or the
// Collector itself and therefore cannot be filtered by $node.
var withoutNodeLabel = map[string]bool{
	"mnm_proxmox_api_errors_total":            true,
	"mnm_proxmox_api_requests_total":          true,
	"mnm_proxmox_cluster_nodes":               true,
	"mnm_proxmox_cluster_nodes_online":        true,
	"mnm_proxmox_cluster_quorate":             true,
	"mnm_proxmox_collection_duration_seconds": true,
	"mnm_proxmox_last_collection_timestamp":   true,
	"mnm_proxmox_up":                          true,
	"mnm_proxmox_api_endpoint_info":           true,
	"mnm_proxmox_api_failovers_total":         true,
	// Only some kinds carry a node label, and the Status row shows every
	// problem whatever nodes are selected: a token or TLS problem concerns
	// them all.
	"mnm_proxmox_problem": true,
	// The HA stack's quorum and Ceph are the cluster's.
	"mnm_proxmox_ha_quorate":           true,
	"mnm_proxmox_ceph_health":          true,
	"mnm_proxmox_ceph_health_check":    true,
	"mnm_proxmox_ceph_osds":            true,
	"mnm_proxmox_ceph_pgs":             true,
	"mnm_proxmox_ceph_used_bytes":      true,
	"mnm_proxmox_ceph_available_bytes": true,
}

// collectorMetrics are the Collector's own metrics, scraped by the
// otelcol-mnm job of prometheus.yml (localhost:8888), that the dashboard's
// Status row and the mnm-endpoint-delivery alerts use: the delivery of the
// inventory to the MNM controller. They are not in metric-names.txt (the
// receiver's metrics) and describe the Collector, so they have no node label.
var collectorMetrics = map[string]bool{
	"otelcol_exporter_mnmendpoint_last_success":       true,
	"otelcol_exporter_mnmendpoint_delivery_failing":   true,
	"otelcol_exporter_mnmendpoint_endpoints_rejected": true,
	"otelcol_exporter_queue_size":                     true,
}

// fixedWindows are the panels whose range selectors are a fixed window
// named in their title rather than $__rate_interval.
var fixedWindows = map[string]string{
	"Endpoints refused (1h)": "[1h]",
}

// nodeLabel names the label that $node filters for the metrics whose node is
// not called node: a replication job is shown with the node it copies from.
var nodeLabel = map[string]string{
	"mnm_proxmox_replication_last_sync_timestamp": "source",
	"mnm_proxmox_replication_last_try_timestamp":  "source",
	"mnm_proxmox_replication_duration_seconds":    "source",
	"mnm_proxmox_replication_fail_count":          "source",
}

var promqlParser = parser.NewParser(parser.Options{})

type datasourceRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type grafanaTarget struct {
	RefID      string         `json:"refId"`
	Expr       string         `json:"expr"`
	Datasource *datasourceRef `json:"datasource"`
}

type grafanaLink struct {
	Title string `json:"title"`
	URL   string `json:"url"`
}

// grafanaMapping is a value mapping; Options is decoded by Type.
type grafanaMapping struct {
	Type    string          `json:"type"`
	Options json.RawMessage `json:"options"`
}

type mappingResult struct {
	Text  string `json:"text"`
	Color string `json:"color"`
}

type grafanaOverride struct {
	Matcher struct {
		ID      string `json:"id"`
		Options string `json:"options"`
	} `json:"matcher"`
	Properties []struct {
		ID    string          `json:"id"`
		Value json.RawMessage `json:"value"`
	} `json:"properties"`
}

type grafanaPanel struct {
	ID          int             `json:"id"`
	Type        string          `json:"type"`
	Title       string          `json:"title"`
	Collapsed   bool            `json:"collapsed"`
	Datasource  *datasourceRef  `json:"datasource"`
	Targets     []grafanaTarget `json:"targets"`
	Panels      []grafanaPanel  `json:"panels"`
	Links       []grafanaLink   `json:"links"`
	FieldConfig struct {
		Defaults struct {
			Unit       string           `json:"unit"`
			Mappings   []grafanaMapping `json:"mappings"`
			Thresholds struct {
				Steps []struct {
					Color string   `json:"color"`
					Value *float64 `json:"value"`
				} `json:"steps"`
			} `json:"thresholds"`
		} `json:"defaults"`
		Overrides []grafanaOverride `json:"overrides"`
	} `json:"fieldConfig"`
	Transformations []struct {
		ID string `json:"id"`
	} `json:"transformations"`
	GridPos struct {
		H int `json:"h"`
		W int `json:"w"`
		X int `json:"x"`
		Y int `json:"y"`
	} `json:"gridPos"`
}

type grafanaVariable struct {
	Name       string          `json:"name"`
	Type       string          `json:"type"`
	Query      json.RawMessage `json:"query"`
	Definition string          `json:"definition"`
	Datasource *datasourceRef  `json:"datasource"`
	Multi      bool            `json:"multi"`
	IncludeAll bool            `json:"includeAll"`
	AllValue   string          `json:"allValue"`
}

type grafanaDashboard struct {
	Title         string         `json:"title"`
	Links         []grafanaLink  `json:"links"`
	UID           string         `json:"uid"`
	SchemaVersion int            `json:"schemaVersion"`
	Panels        []grafanaPanel `json:"panels"`
	Templating    struct {
		List []grafanaVariable `json:"list"`
	} `json:"templating"`
}

func loadDashboard(t *testing.T) grafanaDashboard {
	t.Helper()
	raw, err := os.ReadFile(dashboardPath)
	require.NoError(t, err)
	var d grafanaDashboard
	require.NoError(t, json.Unmarshal(raw, &d))
	return d
}

// allPanels flattens collapsed rows.
func allPanels(panels []grafanaPanel) []grafanaPanel {
	var out []grafanaPanel
	for _, p := range panels {
		out = append(out, p)
		out = append(out, allPanels(p.Panels)...)
	}
	return out
}

// loadMetricNames returns the default-on metrics the dashboard and the alert
// rules may use: those of metric-names.txt and the contract's
// (internal/promcontract) that are not opt-in, so that a metric new in the
// contract may be used before the list is refreshed.
func loadMetricNames(t *testing.T) map[string]bool {
	t.Helper()
	f, err := os.Open(metricsPath)
	require.NoError(t, err)
	defer f.Close()
	names := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		names[line] = true
	}
	require.NoError(t, sc.Err())
	require.NotEmpty(t, names)
	for name := range promcontract.Metrics() {
		if !promcontract.OptIn(name) {
			names[name] = true
		}
	}
	return names
}

// selectorNames returns the metric name of every selector in expr and fails
// for selectors without a plain metric name, which the name check could not see.
func selectorNames(t *testing.T, expr parser.Expr) []*parser.VectorSelector {
	t.Helper()
	var selectors []*parser.VectorSelector
	parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
		if vs, ok := node.(*parser.VectorSelector); ok {
			assert.NotEmpty(t, vs.Name, "selector %s must name its metric", vs)
			selectors = append(selectors, vs)
		}
		return nil
	})
	return selectors
}

func TestDashboardModel(t *testing.T) {
	d := loadDashboard(t)
	assert.Equal(t, "MNM - Proxmox Overview", d.Title)
	assert.Equal(t, "mnm-proxmox-overview", d.UID)
	assert.GreaterOrEqual(t, d.SchemaVersion, 39)

	vars := map[string]grafanaVariable{}
	for _, v := range d.Templating.List {
		vars[v.Name] = v
	}
	ds, ok := vars["datasource"]
	require.True(t, ok, "datasource variable missing")
	assert.Equal(t, "datasource", ds.Type)
	assert.JSONEq(t, `"prometheus"`, string(ds.Query))

	node, ok := vars["node"]
	require.True(t, ok, "node variable missing")
	assert.Equal(t, "query", node.Type)
	assert.Equal(t, "label_values(mnm_proxmox_node_online, node)", node.Definition)
	assert.Contains(t, string(node.Query), "label_values(mnm_proxmox_node_online, node)")
	assert.True(t, node.Multi)
	assert.True(t, node.IncludeAll)
	assert.Equal(t, ".*", node.AllValue)
	require.NotNil(t, node.Datasource)
	assert.Equal(t, datasourceUID, node.Datasource.UID)

	ids := map[int]string{}
	var rows []string
	for _, p := range allPanels(d.Panels) {
		if prev, dup := ids[p.ID]; dup {
			t.Errorf("panel id %d used by %q and %q", p.ID, prev, p.Title)
		}
		ids[p.ID] = p.Title
		if p.Type == "row" {
			rows = append(rows, p.Title)
			continue
		}
		t.Run(p.Title, func(t *testing.T) {
			require.NotNil(t, p.Datasource, "panel has no datasource")
			assert.Equal(t, datasourceRef{Type: "prometheus", UID: datasourceUID}, *p.Datasource)
			require.NotEmpty(t, p.Targets, "panel has no target")
			for _, tg := range p.Targets {
				require.NotNil(t, tg.Datasource, "target %s has no datasource", tg.RefID)
				assert.Equal(t, datasourceRef{Type: "prometheus", UID: datasourceUID}, *tg.Datasource)
			}
			if p.Type != "table" {
				assert.NotEmpty(t, p.FieldConfig.Defaults.Unit, "panel needs a unit")
			} else if len(p.Targets) > 1 {
				assert.True(t, slices.ContainsFunc(p.Transformations, func(tr struct {
					ID string `json:"id"`
				},
				) bool {
					return tr.ID == "merge" || tr.ID == "joinByField"
				}), "a table with several queries must merge them into one row per entity")
			}
		})
	}
	assert.Equal(t, []string{"Status", "Cluster", "Nodes", "VMs", "Containers", "Network", "Storage & ZFS", "Disks",
		"Backups", "Replication & HA", "Ceph", "Certificates & subscriptions", "Collection health"}, rows)
}

func TestDashboardRequiredPanels(t *testing.T) {
	d := loadDashboard(t)
	byTitle := map[string]grafanaPanel{}
	for _, p := range allPanels(d.Panels) {
		if p.Type != "row" { // the "Nodes" row and the "Nodes" stat share a title
			byTitle[p.Title] = p
		}
	}
	tests := []struct {
		title    string
		typ      string
		unit     string
		contains string // a fragment one of the panel's expressions must contain
	}{
		{"Proxmox collection", "stat", "none", "mnm_proxmox_up or on () vector(-1)"},
		{"Problems and fixes", "table", "", "(mnm_proxmox_problem == 1)"},
		{"Last upsert to MNM", "stat", "s", "time() - max(otelcol_exporter_mnmendpoint_last_success > 0)"},
		{"Endpoints waiting", "stat", "none", `sum(otelcol_exporter_queue_size{exporter="mnmendpoint"})`},
		{"Delivery failing", "table", "", "(otelcol_exporter_mnmendpoint_delivery_failing == 1)"},
		{"Endpoints refused (1h)", "stat", "none", "increase(otelcol_exporter_mnmendpoint_endpoints_rejected[1h])"},
		{"API endpoint serving", "stat", "", "mnm_proxmox_api_endpoint_info"},
		{"API failovers since start", "stat", "", "mnm_proxmox_api_failovers_total"},
		{"Nodes", "stat", "", "mnm_proxmox_node_online"},
		{"Nodes offline", "stat", "", "or vector(0)"},
		{"Cluster quorum", "stat", "", "mnm_proxmox_cluster_quorate"},
		{"VMs running", "stat", "", "mnm_proxmox_vm_status"},
		{"Containers running", "stat", "", "mnm_proxmox_ct_status"},
		{"ZFS pools", "stat", "", "mnm_proxmox_zfs_pool_health"},
		{"Node CPU", "timeseries", "percentunit", "mnm_proxmox_node_cpu_usage"},
		{"IO wait", "timeseries", "percentunit", "mnm_proxmox_node_iowait"},
		{"Load average", "timeseries", "", "mnm_proxmox_node_cpu_count"},
		{"Memory", "timeseries", "bytes", "mnm_proxmox_node_swap_used_bytes"},
		{"Memory pressure", "gauge", "percentunit", "mnm_proxmox_node_memory_total_bytes"},
		{"Swap used", "gauge", "percentunit", "mnm_proxmox_node_swap_total_bytes"},
		{"Root filesystem", "gauge", "percentunit", "mnm_proxmox_node_rootfs_total_bytes"},
		{"KSM shared", "", "bytes", "mnm_proxmox_node_ksm_shared_bytes"},
		{"Top 10 VMs by disk I/O", "", "Bps", "topk(10,"},
		{"Top 10 VMs by network I/O", "", "Bps", "topk(10,"},
		{"Top 10 VMs by CPU", "", "percentunit", "topk(10,"},
		{"Top 10 VMs by memory", "", "bytes", "topk(10,"},
		{"VM CPU", "timeseries", "percentunit", "mnm_proxmox_vm_status{node=~\"$node\"} == 1"},
		{"VM memory", "timeseries", "bytes", "mnm_proxmox_vm_status{node=~\"$node\"} == 1"},
		{"VM network I/O", "timeseries", "Bps", "mnm_proxmox_vm_status{node=~\"$node\"} == 1"},
		{"VM disk I/O", "timeseries", "Bps", "mnm_proxmox_vm_status{node=~\"$node\"} == 1"},
		{"VM inventory", "table", "", "mnm_proxmox_vm_disk_size_bytes"},
		{"VM inventory", "table", "", `mnm_proxmox_vm_disk_used_bytes{node=~"$node"}`},
		{"VM inventory", "table", "", `mnm_proxmox_vm_memory_guest_used_bytes{node=~"$node"}`},
		{"VM inventory", "table", "", `mnm_proxmox_vm_os_info{node=~"$node"}`},
		{"Guest filesystems", "table", "", `mnm_proxmox_vm_filesystem_used_bytes{node=~"$node"}`},
		{"Guest filesystems", "table", "", `mnm_proxmox_vm_filesystem_size_bytes{node=~"$node"} > 0`},
		{"Top 10 containers by CPU", "", "percentunit", "mnm_proxmox_ct_cpu_usage"},
		{"Top 10 containers by memory", "", "bytes", "mnm_proxmox_ct_memory_used_bytes"},
		{"Container inventory", "table", "", "mnm_proxmox_ct_status"},
		{"Storage usage", "bargauge", "percentunit", "mnm_proxmox_storage_total_bytes"},
		{"Storage pools", "table", "", "mnm_proxmox_storage_shared"},
		{"ZFS pool usage", "", "percentunit", "mnm_proxmox_zfs_pool_size_bytes"},
		{"ZFS pool health", "table", "", "mnm_proxmox_zfs_pool_health"},
		{"ZFS used bytes", "timeseries", "bytes", "mnm_proxmox_zfs_pool_used_bytes"},
		{"ZFS free bytes", "", "bytes", "mnm_proxmox_zfs_pool_free_bytes"},
		{"ZFS fragmentation", "", "percent", "mnm_proxmox_zfs_pool_fragmentation_percent"},
		{"ZFS dedup ratio", "", "", "mnm_proxmox_zfs_pool_dedup_ratio"},
		{"Physical disks", "table", "", "mnm_proxmox_disk_health"},
		{"Disk life remaining", "", "percent", "mnm_proxmox_disk_life_remaining_percent"},
		{"Disks with unknown health", "stat", "", "mnm_proxmox_disk_health_unknown"},
		{"Last collection age", "", "s", "time() - mnm_proxmox_last_collection_timestamp"},
		{"Collection duration", "", "s", "mnm_proxmox_collection_duration_seconds"},
		{"API errors rate", "", "", "sum by (path, reason) (rate(mnm_proxmox_api_errors_total[$__rate_interval]))"},
		{"API requests rate", "", "", "mnm_proxmox_api_requests_total"},
		{"Top 10 NICs by traffic", "table", "Bps", "* on (node, vmid, nic) group_left (mac, bridge, vlan)"},
		{"Traffic by VLAN", "timeseries", "Bps", "sum by (vlan)"},
		{"Traffic by bridge / VNet", "timeseries", "Bps", "sum by (bridge)"},
		{"NICs with link down", "stat", "none", "or vector(0)"},
		{"Guest NICs with link down", "table", "", `mnm_proxmox_guest_nic_info{node=~"$node", link_down="true"}`},
		// Backups
		{"Guests without a backup job", "stat", "none", `mnm_proxmox_guest_backup_excluded{node=~"$node"} == 1)) or vector(0)`},
		{"Covered guests without any backup", "stat", "none", `mnm_proxmox_guest_backup_last_success_timestamp{node=~"$node"} == 0)) or vector(0)`},
		{"Guests with a failed last backup", "stat", "none", "mnm_proxmox_guest_backup_last_failure_timestamp"},
		{"Last successful backup by guest", "table", "", "time() - max by (node, vmid, name) (mnm_proxmox_guest_backup_last_success_timestamp"},
		{"Failed backups by guest", "table", "", "mnm_proxmox_guest_backup_last_failure_timestamp"},
		{"Guests not covered by a backup job", "table", "", "mnm_proxmox_guest_backup_excluded"},
		// Replication & HA
		{"Replication jobs failing", "stat", "none", `mnm_proxmox_replication_fail_count{source=~"$node"} > 0`},
		{"Replication jobs", "table", "", "time() - max by (replication_job, guest, source, target) (mnm_proxmox_replication_last_sync_timestamp"},
		{"HA quorum", "stat", "none", "mnm_proxmox_ha_quorate"},
		{"HA resources in error or fence", "stat", "none", `state=~"error|fence"`},
		{"HA resources not started", "table", "", `mnm_proxmox_ha_resource{node=~"$node", state!="started"}`},
		{"HA local resource managers", "table", "", "mnm_proxmox_ha_master"},
		// Ceph
		{"Ceph health", "stat", "none", "mnm_proxmox_ceph_health) or on () vector(-1)"},
		{"Ceph OSDs", "stat", "none", `mnm_proxmox_ceph_osds{state="up"}`},
		{"Ceph used", "gauge", "percentunit", "mnm_proxmox_ceph_available_bytes"},
		{"Ceph placement groups by state", "table", "", "sum by (state) (mnm_proxmox_ceph_pgs)"},
		{"Ceph health checks", "table", "", "mnm_proxmox_ceph_health_check"},
		// Certificates & subscriptions
		{"Certificates expiring within 14 days", "stat", "none", "- time() < 14 * 86400"},
		{"Certificates by days to expiry", "table", "", "mnm_proxmox_node_certificate_expiry_timestamp"},
		{"Nodes without an active subscription", "stat", "none", `status!="active"`},
		{"Subscriptions by node", "table", "", "mnm_proxmox_node_subscription"},
	}
	for _, tt := range tests {
		t.Run(tt.title, func(t *testing.T) {
			p, ok := byTitle[tt.title]
			require.True(t, ok, "panel %q missing", tt.title)
			if tt.typ != "" {
				assert.Equal(t, tt.typ, p.Type)
			}
			if tt.unit != "" {
				assert.Equal(t, tt.unit, p.FieldConfig.Defaults.Unit)
			}
			assert.True(t, slices.ContainsFunc(p.Targets, func(tg grafanaTarget) bool {
				return strings.Contains(tg.Expr, tt.contains)
			}), "no expression of %q contains %q", tt.title, tt.contains)
		})
	}
}

// variableRE finds a Grafana variable ($node, ${node}, $__interval); $1 in
// label_replace is a capture group and stays.
var variableRE = regexp.MustCompile(`\$(\{|[A-Za-z_])`)

// rangeRE finds range selectors and subqueries.
var rangeRE = regexp.MustCompile(`\[[^\]]*\]`)

func TestDashboardExpressions(t *testing.T) {
	names := loadMetricNames(t)
	d := loadDashboard(t)
	for _, p := range allPanels(d.Panels) {
		for _, tg := range p.Targets {
			t.Run(p.Title+"/"+tg.RefID, func(t *testing.T) {
				for _, r := range rangeRE.FindAllString(tg.Expr, -1) {
					assert.Equal(t, cmp.Or(fixedWindows[p.Title], "[$__rate_interval]"), r, "rates must use $__rate_interval")
				}
				// $node stays in place (it is a valid regex) so the filter can be checked.
				raw := strings.ReplaceAll(tg.Expr, "$__rate_interval", "2m")
				expr, err := promqlParser.ParseExpr(raw)
				require.NoError(t, err, "expr: %s", tg.Expr)
				for _, vs := range selectorNames(t, expr) {
					assert.True(t, names[vs.Name] || collectorMetrics[vs.Name], "metric %q is not a default-on metric", vs.Name)
					if withoutNodeLabel[vs.Name] || collectorMetrics[vs.Name] {
						continue
					}
					label := cmp.Or(nodeLabel[vs.Name], "node")
					assert.True(t, slices.ContainsFunc(vs.LabelMatchers, func(m *labels.Matcher) bool {
						return m.Name == label && m.Type == labels.MatchRegexp && m.Value == "$node"
					}), "selector %s must filter %s=~\"$node\"", vs, label)
				}
			})
		}
	}
}

func TestDashboardQueries(t *testing.T) {
	queries, err := config.DashboardQueries(dashboardPath)
	require.NoError(t, err)

	d := loadDashboard(t)
	want := 0
	for _, p := range allPanels(d.Panels) {
		want += len(p.Targets)
	}
	require.Len(t, queries, want)
	for _, q := range queries {
		assert.NotEmpty(t, q.Title)
		assert.NotEmpty(t, q.RefID)
		assert.NotRegexp(t, variableRE, q.Expr, "panel %q: variables must be substituted", q.Title)
		_, err := promqlParser.ParseExpr(q.Expr)
		assert.NoError(t, err, "panel %q %s: %s", q.Title, q.RefID, q.Expr)
	}

	_, err = config.DashboardQueries(filepath.Join(t.TempDir(), "missing.json"))
	assert.ErrorContains(t, err, "missing.json")
}

func TestExpandVariables(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{`rate(x{node=~"$node"}[$__rate_interval])`, `rate(x{node=~".*"}[2m])`},
		{`rate(x{node=~"${node}"}[${__rate_interval}])`, `rate(x{node=~".*"}[2m])`},
		{`avg_over_time(x[$__interval]) + increase(y[$__range])`, `avg_over_time(x[1m]) + increase(y[5m])`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			assert.Equal(t, tt.want, config.ExpandVariables(tt.in))
		})
	}
}

var wantAlerts = []string{
	"ProxmoxZFSPoolUnhealthy",
	"ProxmoxZFSPoolAlmostFull",
	"ProxmoxZFSPoolFullIn30Days",
	"ProxmoxDiskSMARTFailing",
	"ProxmoxDiskSMARTDataStale",
	"ProxmoxDiskWearoutHigh",
	"ProxmoxNodeOffline",
	"ProxmoxStorageAlmostFull",
	"ProxmoxGuestFilesystemAlmostFull",
	"ProxmoxCollectionStale",
	"ProxmoxCollectionAbsent",
	"ProxmoxCollectionDown",
	"ProxmoxTokenUnauthorized",
	"ProxmoxTokenForbidden",
	"ProxmoxTokenPrivilegeSeparation",
	"ProxmoxTokenAgentPrivilege",
	"ProxmoxTLSUnknownAuthority",
	"ProxmoxTLSHostnameMismatch",
	"ProxmoxTLSCertificateInvalid",
	"ProxmoxAPIUnreachable",
	"ProxmoxAPITimeout",
	"ProxmoxNodeUnreachable",
	"ProxmoxAPIRedirect",
	"ProxmoxAPIServerError",
	"ProxmoxAPIError",
	"ProxmoxAPIMalformedAnswer",
	"ProxmoxGuestNetConfigUnparsable",
	"ProxmoxInventoryDeadline",
	"ProxmoxGuestDuplicateMAC",
	"ProxmoxGuestAgentCommandDisabled",
	"ProxmoxKnownBug",
	"ProxmoxBackupMissing",
	"ProxmoxBackupFailed",
	"ProxmoxReplicationFailing",
	"ProxmoxHAResourceError",
	"ProxmoxCephHealthWarn",
	"ProxmoxCephHealthError",
	"ProxmoxCertificateExpiring",
	"MNMEndpointDeliveryStalled",
	"MNMEndpointsRefused",
}

func TestAlertNames(t *testing.T) {
	names, err := config.AlertNames(rulesPath)
	require.NoError(t, err)
	assert.ElementsMatch(t, wantAlerts, names)

	_, err = config.AlertNames(dashboardPath)
	assert.Error(t, err, "a file that is not a rule file must be rejected")
}

func TestAlertRules(t *testing.T) {
	names := loadMetricNames(t)
	groups, err := config.ParseRules(rulesPath)
	require.NoError(t, err)
	require.Len(t, groups.Groups, 2)
	// The receiver's metrics (proxmox job), and the Collector's own metrics
	// on the delivery to the MNM controller (otelcol-mnm job).
	assert.Equal(t, "mnm-proxmox", groups.Groups[0].Name)
	assert.Equal(t, "mnm-endpoint-delivery", groups.Groups[1].Name)
	metrics := map[string]map[string]bool{"mnm-proxmox": names, "mnm-endpoint-delivery": collectorMetrics}

	// The end-to-end test waits for the first two, and neither state flaps.
	// MNMEndpointsRefused counts over 15 minutes already: each refusal is
	// final, so it fires on the first evaluation that sees one.
	immediate := map[string]bool{"ProxmoxZFSPoolUnhealthy": true, "ProxmoxDiskSMARTFailing": true, "MNMEndpointsRefused": true}
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			t.Run(g.Name+"/"+r.Alert, func(t *testing.T) {
				require.NotEmpty(t, r.Alert, "only alerting rules belong in this group")
				assert.Contains(t, []string{"warning", "critical"}, r.Labels["severity"])
				assert.NotEmpty(t, r.Annotations["summary"])
				assert.NotEmpty(t, r.Annotations["description"])
				if immediate[r.Alert] {
					assert.Zero(t, r.For, "must fire on the first evaluation")
				} else {
					assert.GreaterOrEqual(t, time.Duration(r.For), 5*time.Minute)
					assert.LessOrEqual(t, time.Duration(r.For), time.Hour)
				}
				expr, err := promqlParser.ParseExpr(r.Expr)
				require.NoError(t, err)
				for _, vs := range selectorNames(t, expr) {
					assert.True(t, metrics[g.Name][vs.Name], "metric %q is not a metric of group %s", vs.Name, g.Name)
				}
			})
		}
	}
}

// TestPromtool runs the real promtool checks and rule unit tests when promtool
// is installed (Debian: apt-get install prometheus).
func TestPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed")
	}
	for _, args := range [][]string{
		{"check", "config", filepath.Base(promConfigPath)},
		{"check", "rules", strings.TrimPrefix(rulesPath, "prometheus/")},
		{"test", "rules", strings.TrimPrefix(rulesTestPath, "prometheus/")},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			cmd := exec.CommandContext(t.Context(), promtool, args...)
			cmd.Dir = "prometheus"
			out, err := cmd.CombinedOutput()
			assert.NoError(t, err, "%s", out)
		})
	}
}

// statusRow is the dashboard's first row: what is wrong now and how to fix it.
var statusRow = []string{
	"Proxmox collection",
	"ZFS pools unhealthy",
	"Disks failing SMART",
	"API endpoint serving",
	"API failovers since start",
	"Last upsert to MNM",
	"Endpoints waiting",
	"Delivery failing",
	"Endpoints refused (1h)",
	"Problems and fixes",
}

func panelByTitle(t *testing.T, d grafanaDashboard, title string) grafanaPanel {
	t.Helper()
	for _, p := range allPanels(d.Panels) {
		if p.Type != "row" && p.Title == title {
			return p
		}
	}
	require.FailNow(t, "panel missing", "%q", title)
	return grafanaPanel{}
}

func hasLink(links []grafanaLink, url string) bool {
	return slices.ContainsFunc(links, func(l grafanaLink) bool { return l.URL == url && l.Title != "" })
}

func TestDashboardStatusRow(t *testing.T) {
	d := loadDashboard(t)
	require.NotEmpty(t, d.Panels)
	row := d.Panels[0]
	assert.Equal(t, "row", row.Type)
	assert.Equal(t, "Status", row.Title)
	assert.Zero(t, row.GridPos.Y, "the Status row comes above everything")

	var titles []string
	var bottom int
	for _, p := range d.Panels[1:] {
		if p.Type == "row" {
			assert.GreaterOrEqual(t, p.GridPos.Y, bottom, "row %q must start below the Status row", p.Title)
			break
		}
		titles = append(titles, p.Title)
		bottom = max(bottom, p.GridPos.Y+p.GridPos.H)
		require.NotNil(t, p.Datasource, p.Title)
		assert.Equal(t, datasourceRef{Type: "prometheus", UID: datasourceUID}, *p.Datasource, p.Title)
		for _, tg := range p.Targets {
			require.NotNil(t, tg.Datasource, p.Title)
			assert.Equal(t, datasourceRef{Type: "prometheus", UID: datasourceUID}, *tg.Datasource, p.Title)
		}
	}
	assert.ElementsMatch(t, statusRow, titles)

	// Both the table and its Fix column lead to the README section, and so does
	// the dashboard.
	problems := panelByTitle(t, d, "Problems and fixes")
	assert.True(t, hasLink(problems.Links, readmeSectionURL), "Problems and fixes needs a panel link to %s", readmeSectionURL)
	var fixLinks []grafanaLink
	for _, o := range problems.FieldConfig.Overrides {
		for _, prop := range o.Properties {
			if o.Matcher.Options == "Fix" && prop.ID == "links" {
				require.NoError(t, json.Unmarshal(prop.Value, &fixLinks))
			}
		}
	}
	assert.True(t, hasLink(fixLinks, readmeSectionURL), "the Fix column needs a data link to %s", readmeSectionURL)
	assert.True(t, hasLink(panelByTitle(t, d, "Proxmox collection").Links, readmeSectionURL))
	assert.True(t, hasLink(d.Links, readmeSectionURL), "the dashboard needs a link to %s", readmeSectionURL)

	readme, err := os.ReadFile(readmePath)
	require.NoError(t, err)
	assert.Equal(t, 1, strings.Count(string(readme), "\n"+readmeSection+"\n"), "the README needs one section %q (anchor of %s)", readmeSection, readmeSectionURL)
	assert.True(t, strings.HasSuffix(readmeSectionURL, "#"+strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(readmeSection, "## ")), " ", "-")))

	// The up stat tells "collecting" from "failing" and "no data".
	up := panelByTitle(t, d, "Proxmox collection")
	require.Len(t, up.FieldConfig.Defaults.Mappings, 1)
	var upMapping map[string]mappingResult
	require.NoError(t, json.Unmarshal(up.FieldConfig.Defaults.Mappings[0].Options, &upMapping))
	assert.Equal(t, mappingResult{Text: "collecting", Color: "green"}, upMapping["1"])
	assert.Equal(t, "red", upMapping["0"].Color)
	assert.Equal(t, "red", upMapping["-1"].Color)
}

// TestDashboardLayout checks that no two panels overlap, that every panel
// fits the 24 columns and that panels are listed in reading order, and the
// same of the panels inside each collapsed row, laid out from the line below
// the row as Grafana places them when the row is expanded.
func TestDashboardLayout(t *testing.T) {
	d := loadDashboard(t)
	checkLayout(t, d.Panels, 0)
	for i, p := range d.Panels {
		if p.Type != "row" {
			continue
		}
		if !p.Collapsed {
			assert.Empty(t, p.Panels, "the expanded row %q must not carry panels: they follow it", p.Title)
			continue
		}
		require.NotEmpty(t, p.Panels, "the collapsed row %q has no panels", p.Title)
		assert.Equal(t, 1, p.GridPos.H, "row %q", p.Title)
		if i+1 < len(d.Panels) {
			// A panel listed after a collapsed row would show under it
			// although the row hides its own panels.
			assert.Equal(t, "row", d.Panels[i+1].Type, "the collapsed row %q must be followed by a row", p.Title)
		}
		for _, nested := range p.Panels {
			assert.NotEqual(t, "row", nested.Type, "row %q inside row %q", nested.Title, p.Title)
		}
		checkLayout(t, p.Panels, p.GridPos.Y+1)
	}
}

func checkLayout(t *testing.T, panels []grafanaPanel, top int) {
	t.Helper()
	var placed []grafanaPanel
	for i, p := range panels {
		g := p.GridPos
		assert.True(t, g.W > 0 && g.H > 0 && g.X >= 0 && g.Y >= top && g.X+g.W <= 24, "panel %d %q: gridPos %+v", p.ID, p.Title, g)
		if i > 0 {
			prev := panels[i-1].GridPos
			assert.True(t, g.Y > prev.Y || g.Y == prev.Y && g.X > prev.X, "panel %d %q is listed out of reading order", p.ID, p.Title)
		}
		for _, q := range placed {
			h := q.GridPos
			if g.X < h.X+h.W && h.X < g.X+g.W && g.Y < h.Y+h.H && h.Y < g.Y+g.H {
				t.Errorf("panel %d %q overlaps panel %d %q", p.ID, p.Title, q.ID, q.Title)
			}
		}
		placed = append(placed, p)
	}
}

// problemKinds reads the kinds of mnm_proxmox_problem from the receiver's
// source, so that a new kind without an alert, a dashboard fix or a README row
// fails here.
func problemKinds(t *testing.T) []string {
	t.Helper()
	return stringConstants(t, kindsPath, "Kind")
}

// stringConstants returns the values of the string constants of the Go file
// at path whose names start with prefix, in file order.
func stringConstants(t *testing.T, path, prefix string) []string {
	t.Helper()
	f, err := goparser.ParseFile(token.NewFileSet(), path, nil, 0)
	require.NoError(t, err)
	var values []string
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok {
			return true
		}
		for i, name := range vs.Names {
			if !strings.HasPrefix(name.Name, prefix) || i >= len(vs.Values) {
				continue
			}
			if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				v, err := strconv.Unquote(lit.Value)
				require.NoError(t, err)
				values = append(values, v)
			}
		}
		return true
	})
	require.NotEmpty(t, values, "no string constant %s* in %s", prefix, path)
	return values
}

type problemAlert struct {
	name, description, fix, runbookURL string
}

// problemAlerts maps each kind to the alert on mnm_proxmox_problem{kind="..."}.
func problemAlerts(t *testing.T) map[string][]problemAlert {
	t.Helper()
	groups, err := config.ParseRules(rulesPath)
	require.NoError(t, err)
	alerts := map[string][]problemAlert{}
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			expr, err := promqlParser.ParseExpr(r.Expr)
			require.NoError(t, err)
			for _, vs := range selectorNames(t, expr) {
				if vs.Name != "mnm_proxmox_problem" {
					continue
				}
				for _, m := range vs.LabelMatchers {
					if m.Name == "kind" && m.Type == labels.MatchEqual {
						alerts[m.Value] = append(alerts[m.Value], problemAlert{
							name: r.Alert, description: r.Annotations["description"],
							fix: r.Annotations["fix"], runbookURL: r.Annotations["runbook_url"],
						})
					}
				}
			}
		}
	}
	return alerts
}

// columnMappingList returns every mapping of a table column's override.
func columnMappingList(t *testing.T, p grafanaPanel, column string) []grafanaMapping {
	t.Helper()
	var out []grafanaMapping
	for _, o := range p.FieldConfig.Overrides {
		if o.Matcher.ID != "byName" || o.Matcher.Options != column {
			continue
		}
		for _, prop := range o.Properties {
			if prop.ID != "mappings" {
				continue
			}
			var mappings []grafanaMapping
			require.NoError(t, json.Unmarshal(prop.Value, &mappings))
			out = append(out, mappings...)
		}
	}
	return out
}

// columnMappings returns the value mappings of a table column's override.
func columnMappings(t *testing.T, p grafanaPanel, column string) map[string]mappingResult {
	t.Helper()
	out := map[string]mappingResult{}
	for _, m := range columnMappingList(t, p, column) {
		if m.Type == "value" {
			require.NoError(t, json.Unmarshal(m.Options, &out))
		}
	}
	require.NotEmpty(t, out, "column %q of %q has no value mappings", column, p.Title)
	return out
}

func readmeSectionText(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile(readmePath)
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(raw), "\n"+readmeSection+"\n")
	require.True(t, ok, "README section %q missing", readmeSection)
	section, _, _ = strings.Cut(section, "\n## ")
	return section
}

// TestProblemKinds keeps the four places of a problem kind in step: the
// receiver's kinds, one alert each, the dashboard's Problems and fixes table
// and the README section: the same what and the same fix word for word.
func TestProblemKinds(t *testing.T) {
	kinds := problemKinds(t)
	alerts := problemAlerts(t)
	table := panelByTitle(t, loadDashboard(t), "Problems and fixes")
	kindColumn := columnMappings(t, table, "Kind")
	whatColumn := columnMappings(t, table, "What is wrong")
	fixColumn := columnMappings(t, table, "Fix")
	section := readmeSectionText(t)
	readmeRows := map[string]string{}
	for _, line := range strings.Split(section, "\n") {
		if rest, ok := strings.CutPrefix(line, "| `"); ok {
			kind, _, _ := strings.Cut(rest, "`")
			readmeRows[kind] = line
		}
	}
	assert.Contains(t, section, "`mnm_proxmox_up`")
	assert.Contains(t, section, "`ProxmoxCollectionDown`")

	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			require.Len(t, alerts[kind], 1, "exactly one alert for kind %q", kind)
			a := alerts[kind][0]
			require.NotEmpty(t, a.fix, "%s needs a fix annotation", a.name)
			assert.True(t, strings.HasSuffix(a.description, " Fix: "+a.fix), "the description of %s must end with its fix", a.name)
			assert.Equal(t, readmeSectionURL, a.runbookURL, a.name)

			what, fix := whatColumn[kind], fixColumn[kind]
			assert.NotEmpty(t, what.Text, "the dashboard says nothing for %q", kind)
			assert.Equal(t, "red", what.Color)
			assert.Equal(t, a.fix, fix.Text, "the dashboard's fix for %q must be the alert's", kind)
			assert.Equal(t, "red", fix.Color)

			row, ok := readmeRows[kind]
			require.True(t, ok, "the README section has no row for %q", kind)
			assert.Contains(t, row, "| `"+a.name+"` |")
			assert.Contains(t, row, "| "+what.Text+" |")
			assert.Contains(t, row, "| "+a.fix+" |")
		})
	}
	// Nothing for kinds the receiver does not have.
	for kind := range alerts {
		assert.Contains(t, kinds, kind, "an alert for an unknown kind")
	}
	for kind := range fixColumn {
		if kind != "none" && kind != "no_data" {
			assert.Contains(t, kinds, kind, "a dashboard fix for an unknown kind")
		}
	}
	// The mappings are listed in the receiver's order of the kinds, then none
	// and no_data: index is each one's position.
	for _, column := range []string{"What is wrong", "Fix"} {
		var order []string
		for _, m := range columnMappingList(t, table, column) {
			if m.Type != "value" {
				continue
			}
			var byIndex map[string]struct {
				Index *int `json:"index"`
			}
			require.NoError(t, json.Unmarshal(m.Options, &byIndex))
			order = make([]string, len(byIndex))
			for kind, v := range byIndex {
				require.NotNil(t, v.Index, "%s mapping of %q has no index", column, kind)
				require.True(t, *v.Index >= 0 && *v.Index < len(order) && order[*v.Index] == "", "%s mapping of %q: index %d used twice or out of range", column, kind, *v.Index)
				order[*v.Index] = kind
			}
		}
		assert.Equal(t, append(slices.Clone(kinds), "none", "no_data"), order, "the %s mappings by index", column)
	}
	// No problem: one green line.
	assert.Equal(t, mappingResult{Text: "collecting", Color: "green"}, kindColumn["none"])
	assert.Equal(t, "green", whatColumn["none"].Color)
	assert.Equal(t, "green", fixColumn["none"].Color)
	assert.Equal(t, "red", kindColumn["no_data"].Color)
	assert.Equal(t, "red", fixColumn["no_data"].Color)
}

// memQueryable serves fixed series to the PromQL engine.
type memQueryable []storage.Series

func (m memQueryable) Querier(int64, int64) (storage.Querier, error) {
	return &storage.MockQuerier{SelectMockFunction: func(_ bool, _ *storage.SelectHints, ms ...*labels.Matcher) storage.SeriesSet {
		set := &seriesList{i: -1}
		for _, s := range m {
			if lset := s.Labels(); !slices.ContainsFunc(ms, func(mt *labels.Matcher) bool { return !mt.Matches(lset.Get(mt.Name)) }) {
				set.series = append(set.series, s)
			}
		}
		return set
	}}, nil
}

type seriesList struct {
	series []storage.Series
	i      int
}

func (s *seriesList) Next() bool                      { s.i++; return s.i < len(s.series) }
func (s *seriesList) At() storage.Series              { return s.series[s.i] }
func (*seriesList) Err() error                        { return nil }
func (*seriesList) Warnings() annotations.Annotations { return nil }

// constant is a series with value v every minute for 10 minutes.
func constant(v float64, nameAndLabels ...string) storage.Series {
	var samples []chunks.Sample
	for m := range int64(11) {
		samples = append(samples, floatSample{t: m * 60_000, f: v})
	}
	return storage.NewListSeries(labels.FromStrings(append([]string{"__name__"}, nameAndLabels...)...), samples)
}

type floatSample struct {
	t int64
	f float64
}

func (s floatSample) T() int64                    { return s.t }
func (floatSample) ST() int64                     { return 0 }
func (s floatSample) F() float64                  { return s.f }
func (floatSample) H() *histogram.Histogram       { return nil }
func (floatSample) FH() *histogram.FloatHistogram { return nil }
func (floatSample) Type() chunkenc.ValueType      { return chunkenc.ValFloat }
func (s floatSample) Copy() chunks.Sample         { return s }

func newMemQueryable(series ...storage.Series) memQueryable {
	sort.Slice(series, func(i, j int) bool { return labels.Compare(series[i].Labels(), series[j].Labels()) < 0 })
	return series
}

// TestStatusRowQueries runs the Status row's queries with the PromQL engine:
// each returns data on a healthy cluster (the end-to-end test asks that of
// every query), the table lists exactly the problems, or one "none" line when
// there is none, or "no_data" when Prometheus has nothing from otelcol-mnm.
func TestStatusRowQueries(t *testing.T) {
	pq := newPanelQueries(t, time.Unix(600, 0))
	expr, eval := pq.expr, pq.eval
	cluster := []storage.Series{
		constant(1, "mnm_proxmox_api_endpoint_info", "instance", "a:8889", "endpoint", "pve1:8006"),
		constant(0, "mnm_proxmox_api_failovers_total", "instance", "a:8889"),
		constant(0, "mnm_proxmox_zfs_pool_health", "instance", "a:8889", "node", "pve1", "pool", "tank"),
		constant(1, "mnm_proxmox_zfs_pool_health", "instance", "a:8889", "node", "pve2", "pool", "rpool"),
		constant(0, "mnm_proxmox_disk_health", "instance", "a:8889", "node", "pve1", "device", "/dev/sdb"),
		constant(1, "mnm_proxmox_disk_health", "instance", "a:8889", "node", "pve2", "device", "/dev/sda"),
	}
	unauthorized := constant(1, "mnm_proxmox_problem", "instance", "a:8889", "kind", "unauthorized", "path", "/cluster/resources")
	forbidden := constant(1, "mnm_proxmox_problem", "instance", "a:8889", "kind", "forbidden", "node", "pve2",
		"path", "/nodes/{node}/disks/list", "privilege", "Sys.Audit")
	type problemRow struct{ kind, what, fix, node, path, privilege string }
	rows := func(vec promql.Vector) []problemRow {
		var out []problemRow
		for _, s := range vec {
			l := s.Metric
			out = append(out, problemRow{l.Get("kind"), l.Get("what"), l.Get("fix"), l.Get("node"), l.Get("path"), l.Get("privilege")})
		}
		return out
	}

	tests := []struct {
		name   string
		series []storage.Series
		up     float64
		rows   []problemRow
	}{
		{"healthy", append(slices.Clone(cluster), constant(1, "mnm_proxmox_up", "instance", "a:8889")), 1,
			[]problemRow{{kind: "none", what: "none", fix: "none"}}},
		{"partial", append(slices.Clone(cluster), constant(1, "mnm_proxmox_up", "instance", "a:8889"), forbidden), 1,
			[]problemRow{{"forbidden", "forbidden", "forbidden", "pve2", "/nodes/{node}/disks/list", "Sys.Audit"}}},
		{"failing", append(slices.Clone(cluster), constant(0, "mnm_proxmox_up", "instance", "a:8889"), unauthorized, forbidden), 0,
			[]problemRow{
				{"forbidden", "forbidden", "forbidden", "pve2", "/nodes/{node}/disks/list", "Sys.Audit"},
				{"unauthorized", "unauthorized", "unauthorized", "", "/cluster/resources", ""},
			}},
		{"no data from otelcol-mnm", nil, -1, []problemRow{{kind: "no_data", what: "no_data", fix: "no_data"}}},
		{"a problem that cleared reads 0 and is not listed", append(slices.Clone(cluster), constant(1, "mnm_proxmox_up", "instance", "a:8889"),
			constant(0, "mnm_proxmox_problem", "instance", "a:8889", "kind", "unauthorized", "path", "/cluster/resources"),
			constant(0, "mnm_proxmox_api_endpoint_info", "instance", "a:8889", "endpoint", "pve2:8006")), 1,
			[]problemRow{{kind: "none", what: "none", fix: "none"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := newMemQueryable(tt.series...)
			if tt.series != nil {
				for _, title := range statusRow {
					assert.NotEmpty(t, eval(t, q, expr(title)), "%q returns no data", title)
				}
				for _, title := range []string{"ZFS pools unhealthy", "Disks failing SMART"} {
					vec := eval(t, q, expr(title))
					require.Len(t, vec, 1, title)
					assert.Equal(t, 1.0, vec[0].F, title)
				}
			}
			up := eval(t, q, expr("Proxmox collection"))
			require.Len(t, up, 1)
			assert.Equal(t, tt.up, up[0].F)
			got := rows(eval(t, q, expr("Problems and fixes")))
			sort.Slice(got, func(i, j int) bool { return got[i].kind < got[j].kind })
			assert.Equal(t, tt.rows, got)
		})
	}
}

// deliveryPanels are the Status row's panels on the delivery of the inventory
// to the MNM controller, from the Collector's own metrics (the otelcol-mnm
// scrape job), with exactly the metrics their queries read. last_success
// also tells "the Collector is scraped" from "no data" in the other panels.
var deliveryPanels = []struct {
	title   string
	metrics []string
}{
	{"Last upsert to MNM", []string{"otelcol_exporter_mnmendpoint_last_success"}},
	{"Endpoints waiting", []string{"otelcol_exporter_queue_size"}},
	{"Delivery failing", []string{"otelcol_exporter_mnmendpoint_delivery_failing", "otelcol_exporter_mnmendpoint_last_success"}},
	{"Endpoints refused (1h)", []string{"otelcol_exporter_mnmendpoint_endpoints_rejected", "otelcol_exporter_mnmendpoint_last_success"}},
}

// valueMappings returns a panel's default value mappings.
func valueMappings(t *testing.T, p grafanaPanel) map[string]mappingResult {
	t.Helper()
	out := map[string]mappingResult{}
	for _, m := range p.FieldConfig.Defaults.Mappings {
		if m.Type == "value" {
			require.NoError(t, json.Unmarshal(m.Options, &out))
		}
	}
	return out
}

// TestDashboardDeliveryPanels: the Status row shows the delivery to the MNM
// controller from the metrics the mnm-endpoint-delivery alerts use, which
// Prometheus gets from the otelcol-mnm job; every cause of a failing delivery
// has what it means and its fix, and "delivering" and "no data" read as such.
func TestDashboardDeliveryPanels(t *testing.T) {
	d := loadDashboard(t)
	var status []string
	for _, p := range rowPanels(t, d, "Status") {
		status = append(status, p.Title)
	}

	groups, err := config.ParseRules(rulesPath)
	require.NoError(t, err)
	var deliveryRules []string // the delivery group's expressions and annotations
	for _, g := range groups.Groups {
		if g.Name != "mnm-endpoint-delivery" {
			continue
		}
		for _, r := range g.Rules {
			deliveryRules = append(deliveryRules, r.Expr)
			for _, a := range r.Annotations {
				deliveryRules = append(deliveryRules, a)
			}
		}
	}
	require.NotEmpty(t, deliveryRules, "the rule file has no group mnm-endpoint-delivery")
	promConfig, err := os.ReadFile(promConfigPath)
	require.NoError(t, err)
	assert.Contains(t, string(promConfig), "job_name: otelcol-mnm")
	assert.Contains(t, string(promConfig), `"localhost:8888"`)

	for _, dp := range deliveryPanels {
		t.Run(dp.title, func(t *testing.T) {
			assert.Contains(t, status, dp.title, "the Status row needs %q", dp.title)
			p := panelByTitle(t, d, dp.title)
			used := map[string]bool{}
			for _, tg := range p.Targets {
				expr, err := promqlParser.ParseExpr(tg.Expr)
				require.NoError(t, err, tg.Expr)
				for _, vs := range selectorNames(t, expr) {
					used[vs.Name] = true
					if vs.Name == "otelcol_exporter_queue_size" {
						assert.True(t, slices.ContainsFunc(vs.LabelMatchers, func(m *labels.Matcher) bool {
							return m.Name == "exporter" && m.Type == labels.MatchEqual && m.Value == "mnmendpoint"
						}), "%s: only the mnmendpoint exporter's queue", vs)
					}
				}
			}
			assert.ElementsMatch(t, dp.metrics, slices.Sorted(maps.Keys(used)))
			for _, name := range dp.metrics {
				assert.True(t, collectorMetrics[name], name)
				assert.True(t, slices.ContainsFunc(deliveryRules, func(s string) bool { return strings.Contains(s, name) }),
					"%s is not used by the mnm-endpoint-delivery alerts", name)
			}
		})
	}

	// The age of the last upsert: green within two inventory cycles, red
	// above, and the two states without an age.
	upsert := panelByTitle(t, d, "Last upsert to MNM")
	steps := upsert.FieldConfig.Defaults.Thresholds.Steps
	require.Len(t, steps, 2)
	assert.Equal(t, "green", steps[0].Color)
	assert.Equal(t, "red", steps[1].Color)
	require.NotNil(t, steps[1].Value)
	assert.Equal(t, 600.0, *steps[1].Value)
	m := valueMappings(t, upsert)
	assert.Equal(t, "never since start", m["-1"].Text)
	assert.Equal(t, mappingResult{Text: "no data: Prometheus does not scrape the otelcol-mnm job", Color: "red"}, m["-2"])
	assert.Equal(t, mappingResult{Text: "no data", Color: "red"}, valueMappings(t, panelByTitle(t, d, "Endpoints waiting"))["-1"])
	assert.Equal(t, mappingResult{Text: "no data", Color: "red"}, valueMappings(t, panelByTitle(t, d, "Endpoints refused (1h)"))["-1"])

	// Every cause the exporter reports has a text and a fix in red.
	failing := panelByTitle(t, d, "Delivery failing")
	causeColumn := columnMappings(t, failing, "Cause")
	whatColumn := columnMappings(t, failing, "What is wrong")
	fixColumn := columnMappings(t, failing, "Fix")
	causes := stringConstants(t, causesPath, "cause")
	for _, c := range []string{"unreachable", "unavailable", "server_error", "redirect", "credentials", "no_upsert_route", "not_controller", "refused"} {
		assert.Contains(t, causes, c)
	}
	for _, cause := range causes {
		assert.NotEmpty(t, whatColumn[cause].Text, "the dashboard says nothing for cause %q", cause)
		assert.Equal(t, "red", whatColumn[cause].Color, cause)
		assert.NotEmpty(t, fixColumn[cause].Text, "the dashboard has no fix for cause %q", cause)
		assert.Equal(t, "red", fixColumn[cause].Color, cause)
	}
	for cause := range fixColumn {
		if cause != "none" && cause != "no_data" {
			assert.Contains(t, causes, cause, "a dashboard fix for an unknown cause")
		}
	}
	assert.Equal(t, mappingResult{Text: "delivering", Color: "green"}, causeColumn["none"])
	assert.Equal(t, "green", whatColumn["none"].Color)
	assert.Equal(t, "green", fixColumn["none"].Color)
	assert.Equal(t, "red", causeColumn["no_data"].Color)
	assert.Contains(t, fixColumn["no_data"].Text, "otelcol-mnm job")
}

// otelcolSeries is a series of the Collector's own metrics as the otelcol-mnm
// job scrapes them, with a sample every minute over the 90 minutes up to
// opsNow: value(m) is the sample m minutes before opsNow, if ok.
func otelcolSeries(value func(m int64) (v float64, ok bool), nameAndLabels ...string) storage.Series {
	var samples []chunks.Sample
	end := opsNow.UnixMilli()
	for m := int64(90); m >= 0; m-- {
		if v, ok := value(m); ok {
			samples = append(samples, floatSample{t: end - m*60_000, f: v})
		}
	}
	return storage.NewListSeries(labels.FromStrings(append([]string{"__name__", "otelcol_" + nameAndLabels[0],
		"job", "otelcol-mnm", "instance", "localhost:8888", "collector", "otelcol-mnm"}, nameAndLabels[1:]...)...), samples)
}

// always is the value v at every sample.
func always(v float64) func(int64) (float64, bool) {
	return func(int64) (float64, bool) { return v, true }
}

// TestDeliveryPanelsQueries runs the queries of the Status row's delivery
// panels with the PromQL engine: while the controller accepts the upserts,
// while it is down, before the first upsert since the Collector started, and
// when Prometheus does not scrape the otelcol-mnm job. Each returns a series
// in every case, as the end-to-end test asks.
func TestDeliveryPanelsQueries(t *testing.T) {
	pq := newPanelQueries(t, opsNow)
	expr, eval := pq.expr, pq.eval
	one := func(t *testing.T, q memQueryable, title string) float64 {
		t.Helper()
		vec := eval(t, q, expr(title))
		require.Len(t, vec, 1, title)
		return vec[0].F
	}
	type failingRow struct{ cause, what, fix string }
	failingRows := func(vec promql.Vector) []failingRow {
		var out []failingRow
		for _, s := range vec {
			out = append(out, failingRow{s.Metric.Get("cause"), s.Metric.Get("what"), s.Metric.Get("fix")})
		}
		sort.Slice(out, func(i, j int) bool { return out[i].cause < out[j].cause })
		return out
	}
	refused := func(vec promql.Vector) map[string]float64 {
		out := map[string]float64{}
		for _, s := range vec {
			out[s.Metric.Get("reason")] = math.Round(s.F*10) / 10
		}
		return out
	}
	row := func(cause string) failingRow { return failingRow{cause, cause, cause} }
	now := float64(opsNow.Unix())
	queue := func(v float64) storage.Series {
		return otelcolSeries(always(v), "exporter_queue_size", "exporter", "mnmendpoint", "data_type", "logs")
	}
	rejected := func(reason, status string, value func(int64) (float64, bool)) storage.Series {
		return otelcolSeries(value, "exporter_mnmendpoint_endpoints_rejected", "source", "proxmox", "reason", reason, "http_response_status_code", status)
	}
	proxmox := constant(1, "mnm_proxmox_up", "instance", "a:8889")

	tests := []struct {
		name    string
		series  []storage.Series
		age     float64 // Last upsert to MNM
		waiting float64
		failing []failingRow
		refused map[string]float64
	}{
		{
			"delivering",
			[]storage.Series{
				otelcolSeries(always(now-120), "exporter_mnmendpoint_last_success"),
				// A cause that cleared reads 0 and is not listed.
				otelcolSeries(always(0), "exporter_mnmendpoint_delivery_failing", "cause", "unreachable"),
				queue(0),
				// Another exporter's queue does not count.
				otelcolSeries(always(7), "exporter_queue_size", "exporter", "debug", "data_type", "logs"),
				// Refused more than an hour ago, not since.
				rejected("invalid", "422", always(3)),
			},
			120, 0, []failingRow{row("none")}, map[string]float64{"none": 0},
		},
		{
			"controller down for 30 minutes",
			[]storage.Series{
				otelcolSeries(always(now-1800), "exporter_mnmendpoint_last_success"),
				otelcolSeries(func(m int64) (float64, bool) { return 1, m <= 30 }, "exporter_mnmendpoint_delivery_failing", "cause", "unreachable"),
				otelcolSeries(always(0), "exporter_mnmendpoint_delivery_failing", "cause", "credentials"),
				queue(420),
				// 10 refused long ago, 5 more 20 minutes ago.
				rejected("credentials", "401", func(m int64) (float64, bool) {
					if m > 20 {
						return 10, true
					}
					return 15, true
				}),
				// A reason first refused 20 minutes ago: the counter starts at 3.
				rejected("invalid", "422", func(m int64) (float64, bool) { return 3, m <= 20 }),
			},
			1800, 420, []failingRow{row("unreachable")}, map[string]float64{"credentials": 5.1, "invalid": 3},
		},
		{
			"no upsert since the Collector started",
			[]storage.Series{
				otelcolSeries(always(0), "exporter_mnmendpoint_last_success"),
				queue(12),
			},
			-1, 12, []failingRow{row("none")}, map[string]float64{"none": 0},
		},
		{
			"the otelcol-mnm job is not scraped",
			nil,
			-2, -1, []failingRow{row("no_data")}, map[string]float64{"otelcol-mnm job": -1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := newMemQueryable(append(slices.Clone(tt.series), proxmox)...)
			assert.Equal(t, tt.age, one(t, q, "Last upsert to MNM"))
			assert.Equal(t, tt.waiting, one(t, q, "Endpoints waiting"))
			assert.Equal(t, tt.failing, failingRows(eval(t, q, expr("Delivery failing"))))
			assert.Equal(t, tt.refused, refused(eval(t, q, expr("Endpoints refused (1h)"))))
		})
	}
}

// networkRow is the Network row: per-NIC traffic joined with the NICs'
// inventory (MAC, bridge or VNet, VLAN) and the NICs whose link is down.
var networkRow = []string{
	"Top 10 NICs by traffic",
	"Traffic by VLAN",
	"Traffic by bridge / VNet",
	"NICs with link down",
	"Guest NICs with link down",
}

// rowPanels returns the panels of the row titled title: those listed after it
// up to the next row when it is expanded, those inside it when collapsed.
func rowPanels(t *testing.T, d grafanaDashboard, title string) []grafanaPanel {
	t.Helper()
	at := slices.IndexFunc(d.Panels, func(p grafanaPanel) bool { return p.Type == "row" && p.Title == title })
	require.GreaterOrEqual(t, at, 0, "row %q missing", title)
	if d.Panels[at].Collapsed {
		return d.Panels[at].Panels
	}
	var out []grafanaPanel
	for _, p := range d.Panels[at+1:] {
		if p.Type == "row" {
			break
		}
		out = append(out, p)
	}
	return out
}

func TestDashboardNetworkRow(t *testing.T) {
	d := loadDashboard(t)
	var titles []string
	for _, p := range rowPanels(t, d, "Network") {
		titles = append(titles, p.Title)
	}
	assert.ElementsMatch(t, networkRow, titles)

	// The placeholder line of an empty link-down table reads as such, and
	// VLAN 0 as untagged in both tables.
	linkDown := panelByTitle(t, d, "Guest NICs with link down")
	assert.Equal(t, "green", columnMappings(t, linkDown, "NIC")["none"].Color)
	assert.Equal(t, "no NIC with link down", columnMappings(t, linkDown, "NIC")["none"].Text)
	for _, title := range []string{"Top 10 NICs by traffic", "Guest NICs with link down"} {
		assert.Equal(t, "untagged", columnMappings(t, panelByTitle(t, d, title), "VLAN")["0"].Text, title)
	}
	// Both directions in the time series, out drawn downwards.
	for _, title := range []string{"Traffic by VLAN", "Traffic by bridge / VNet"} {
		p := panelByTitle(t, d, title)
		require.Len(t, p.Targets, 2, title)
		assert.Contains(t, p.Targets[0].Expr, "_nic_netin_bytes", title)
		assert.Contains(t, p.Targets[1].Expr, "_nic_netout_bytes", title)
		assert.True(t, slices.ContainsFunc(p.FieldConfig.Overrides, func(o grafanaOverride) bool {
			return o.Matcher.ID == "byFrameRefID" && o.Matcher.Options == p.Targets[1].RefID && len(o.Properties) > 0 &&
				o.Properties[0].ID == "custom.transform" && string(o.Properties[0].Value) == `"negative-Y"`
		}), "%q draws out (%s) downwards", title, p.Targets[1].RefID)
	}
}

// counter is a series that grows by perSecond every second, sampled every
// minute for 10 minutes.
func counter(perSecond float64, nameAndLabels ...string) storage.Series {
	var samples []chunks.Sample
	for m := range int64(11) {
		samples = append(samples, floatSample{t: m * 60_000, f: 1e6 + perSecond*float64(m*60)})
	}
	return storage.NewListSeries(labels.FromStrings(append([]string{"__name__"}, nameAndLabels...)...), samples)
}

// simNIC is one guest NIC of TestNetworkRowQueries' cluster.
type simNIC struct {
	kind, node, vmid, name, nic, mac, bridge, vlan, model string
	linkDown                                              bool
	in, out                                               float64 // bytes per second received and sent
	noTraffic                                             bool    // no traffic series: a stopped guest
	noInfo                                                bool    // no info series: a NIC added since the last inventory cycle
}

func (n simNIC) series() []storage.Series {
	guest := []string{"instance", "a:8889", "node", n.node, "vmid", n.vmid, "name", n.name, "nic", n.nic}
	var out []storage.Series
	if !n.noTraffic {
		out = append(out,
			counter(n.in, append([]string{"mnm_proxmox_" + n.kind + "_nic_netin_bytes"}, guest...)...),
			counter(n.out, append([]string{"mnm_proxmox_" + n.kind + "_nic_netout_bytes"}, guest...)...))
	}
	if !n.noInfo {
		out = append(out, constant(1, "mnm_proxmox_guest_nic_info", "instance", "a:8889", "node", n.node, "vmid", n.vmid,
			"nic", n.nic, "mac", n.mac, "bridge", n.bridge, "vlan", n.vlan, "model", n.model, "link_down", strconv.FormatBool(n.linkDown)))
	}
	return out
}

// TestNetworkRowQueries runs the Network row's queries with the PromQL engine
// on a small cluster: a VM with two NICs on two VLANs (one of them an SDN
// VNet), another VM, a container with a NIC whose link is down. The per-NIC
// traffic of VMs and containers adds up, each row carries its own NIC's MAC,
// bridge and VLAN, and the sums by VLAN and by bridge add up to the traffic.
func TestNetworkRowQueries(t *testing.T) {
	pq := newPanelQueries(t, time.Unix(600, 0))
	targets, expr, eval := pq.targets, pq.expr, pq.eval
	// round hides the float noise of rate().
	round := func(v float64) float64 { return math.Round(v*1e6) / 1e6 }

	type nicRow struct {
		name, vmid, node, nic, mac, bridge, vlan string
		bps                                      float64
	}
	topRows := func(vec promql.Vector) []nicRow {
		var out []nicRow
		for _, s := range vec {
			l := s.Metric
			out = append(out, nicRow{l.Get("name"), l.Get("vmid"), l.Get("node"), l.Get("nic"), l.Get("mac"), l.Get("bridge"), l.Get("vlan"), round(s.F)})
		}
		sort.Slice(out, func(i, j int) bool { return out[i].bps > out[j].bps })
		return out
	}
	sums := func(vec promql.Vector, label string) map[string]float64 {
		out := map[string]float64{}
		for _, s := range vec {
			_, dup := out[s.Metric.Get(label)]
			assert.False(t, dup, "two series for %s %q", label, s.Metric.Get(label))
			out[s.Metric.Get(label)] = round(s.F)
		}
		return out
	}
	type linkDownRow struct{ name, vmid, node, nic, mac, bridge, vlan, model string }
	linkDownRows := func(vec promql.Vector) []linkDownRow {
		var out []linkDownRow
		for _, s := range vec {
			l := s.Metric
			out = append(out, linkDownRow{l.Get("name"), l.Get("vmid"), l.Get("node"), l.Get("nic"), l.Get("mac"), l.Get("bridge"), l.Get("vlan"), l.Get("model")})
		}
		sort.Slice(out, func(i, j int) bool { return out[i].vmid+out[i].nic < out[j].vmid+out[j].nic })
		return out
	}

	nics := []simNIC{
		{kind: "vm", node: "pve1", vmid: "100", name: "web", nic: "net0", mac: "BC:24:11:00:01:00", bridge: "vmbr0", vlan: "10", model: "virtio", in: 1000, out: 500},
		{kind: "vm", node: "pve1", vmid: "100", name: "web", nic: "net1", mac: "BC:24:11:00:01:01", bridge: "vnet20", vlan: "20", model: "virtio", in: 200, out: 100},
		{kind: "vm", node: "pve1", vmid: "101", name: "db", nic: "net0", mac: "BC:24:11:00:01:10", bridge: "vmbr0", vlan: "10", model: "e1000", in: 4000, out: 2000},
		// A stopped VM: inventory, no traffic.
		{kind: "vm", node: "pve1", vmid: "102", name: "off", nic: "net0", mac: "BC:24:11:00:01:20", bridge: "vmbr0", vlan: "30", model: "virtio", noTraffic: true},
		// The container's net0 has the same labels as the VMs' NICs but another vmid.
		{kind: "ct", node: "pve2", vmid: "200", name: "dns", nic: "net0", mac: "BC:24:11:00:02:00", bridge: "vmbr0", vlan: "0", model: "veth", in: 300, out: 50},
		{kind: "ct", node: "pve2", vmid: "200", name: "dns", nic: "net1", mac: "BC:24:11:00:02:01", bridge: "vmbr1", vlan: "10", model: "veth", linkDown: true},
		// A NIC added since the last inventory cycle: traffic, no info yet.
		{kind: "ct", node: "pve2", vmid: "201", name: "new", nic: "net0", in: 70, out: 7, noInfo: true},
	}
	guests := []storage.Series{
		constant(1, "mnm_proxmox_vm_status", "instance", "a:8889", "node", "pve1", "vmid", "100", "name", "web"),
		constant(1, "mnm_proxmox_vm_status", "instance", "a:8889", "node", "pve1", "vmid", "101", "name", "db"),
		constant(0, "mnm_proxmox_vm_status", "instance", "a:8889", "node", "pve1", "vmid", "102", "name", "off"),
		constant(1, "mnm_proxmox_ct_status", "instance", "a:8889", "node", "pve2", "vmid", "200", "name", "dns"),
		constant(1, "mnm_proxmox_ct_status", "instance", "a:8889", "node", "pve2", "vmid", "201", "name", "new"),
	}
	cluster := func(nics []simNIC, extra ...storage.Series) memQueryable {
		series := slices.Clone(guests)
		for _, n := range nics {
			series = append(series, n.series()...)
		}
		return newMemQueryable(append(series, extra...)...)
	}
	wantTop := []nicRow{
		{"db", "101", "pve1", "net0", "BC:24:11:00:01:10", "vmbr0", "10", 6000},
		{"web", "100", "pve1", "net0", "BC:24:11:00:01:00", "vmbr0", "10", 1500},
		{"dns", "200", "pve2", "net0", "BC:24:11:00:02:00", "vmbr0", "0", 350},
		{"web", "100", "pve1", "net1", "BC:24:11:00:01:01", "vnet20", "20", 300},
		{"dns", "200", "pve2", "net1", "BC:24:11:00:02:01", "vmbr1", "10", 0},
	}
	dnsLinkDown := linkDownRow{"dns", "200", "pve2", "net1", "BC:24:11:00:02:01", "vmbr1", "10", "veth"}

	t.Run("cluster", func(t *testing.T) {
		q := cluster(nics)
		for _, title := range networkRow {
			for ref, e := range targets(title) {
				assert.NotEmpty(t, eval(t, q, e), "%q %s returns no data", title, ref)
			}
		}
		assert.Equal(t, wantTop, topRows(eval(t, q, expr("Top 10 NICs by traffic"))))

		byVLAN, byBridge := targets("Traffic by VLAN"), targets("Traffic by bridge / VNet")
		in, out := sums(eval(t, q, byVLAN["A"]), "vlan"), sums(eval(t, q, byVLAN["B"]), "vlan")
		assert.Equal(t, map[string]float64{"10": 5000, "20": 200, "0": 300}, in)
		assert.Equal(t, map[string]float64{"10": 2500, "20": 100, "0": 50}, out)
		bIn, bOut := sums(eval(t, q, byBridge["A"]), "bridge"), sums(eval(t, q, byBridge["B"]), "bridge")
		assert.Equal(t, map[string]float64{"vmbr0": 5300, "vnet20": 200, "vmbr1": 0}, bIn)
		assert.Equal(t, map[string]float64{"vmbr0": 2550, "vnet20": 100, "vmbr1": 0}, bOut)
		// Every NIC the inventory knows counts once in each breakdown.
		var total, vlanTotal, bridgeTotal float64
		for _, r := range wantTop {
			total += r.bps
		}
		for k := range in {
			vlanTotal += in[k] + out[k]
		}
		for k := range bIn {
			bridgeTotal += bIn[k] + bOut[k]
		}
		assert.Equal(t, total, round(vlanTotal))
		assert.Equal(t, total, round(bridgeTotal))

		stat := eval(t, q, expr("NICs with link down"))
		require.Len(t, stat, 1)
		assert.Equal(t, 1.0, stat[0].F)
		assert.Equal(t, []linkDownRow{dnsLinkDown}, linkDownRows(eval(t, q, expr("Guest NICs with link down"))))
	})

	t.Run("no NIC with link down", func(t *testing.T) {
		up := slices.Clone(nics)
		for i := range up {
			up[i].linkDown = false
		}
		q := cluster(up)
		stat := eval(t, q, expr("NICs with link down"))
		require.Len(t, stat, 1)
		assert.Equal(t, 0.0, stat[0].F)
		assert.Equal(t, []linkDownRow{{nic: "none"}}, linkDownRows(eval(t, q, expr("Guest NICs with link down"))))
	})

	t.Run("at most 10 NICs, the busiest", func(t *testing.T) {
		var many []simNIC
		for i := range 12 {
			vmid := strconv.Itoa(300 + i)
			many = append(many, simNIC{kind: "vm", node: "pve3", vmid: vmid, name: "vm" + vmid, nic: "net0",
				mac: "BC:24:11:00:03:" + strconv.Itoa(10+i), bridge: "vmbr0", vlan: "0", model: "virtio", in: float64(100 * (i + 1))})
		}
		rows := topRows(eval(t, cluster(many), expr("Top 10 NICs by traffic")))
		require.Len(t, rows, 10)
		assert.Equal(t, "vm311", rows[0].name)
		assert.Equal(t, 1200.0, rows[0].bps)
		assert.Equal(t, 300.0, rows[9].bps)
	})

	// The Prometheus exporter keeps a series for metric_expiration (5m) after
	// its last update: a NIC moved to another VLAN and a renamed guest are
	// listed twice for a while. The joins must neither fail nor count twice.
	t.Run("changed NIC and renamed guest still exported", func(t *testing.T) {
		q := cluster(nics,
			constant(1, "mnm_proxmox_guest_nic_info", "instance", "a:8889", "node", "pve1", "vmid", "101", "nic", "net0",
				"mac", "BC:24:11:00:01:10", "bridge", "vmbr0", "vlan", "30", "model", "e1000", "link_down", "false"),
			constant(1, "mnm_proxmox_guest_nic_info", "instance", "a:8889", "node", "pve2", "vmid", "200", "nic", "net1",
				"mac", "BC:24:11:00:02:01", "bridge", "vmbr1", "vlan", "11", "model", "veth", "link_down", "true"),
			constant(1, "mnm_proxmox_ct_status", "instance", "a:8889", "node", "pve2", "vmid", "200", "name", "dns-old"),
		)
		rows := topRows(eval(t, q, expr("Top 10 NICs by traffic")))
		require.Len(t, rows, len(wantTop))
		assert.Equal(t, "db", rows[0].name)
		assert.Contains(t, []string{"10", "30"}, rows[0].vlan)
		byVLAN := targets("Traffic by VLAN")
		var vlanTotal float64
		for _, ref := range []string{"A", "B"} {
			for _, v := range sums(eval(t, q, byVLAN[ref]), "vlan") {
				vlanTotal += v
			}
		}
		assert.Equal(t, 8150.0, round(vlanTotal))

		stat := eval(t, q, expr("NICs with link down"))
		require.Len(t, stat, 1)
		assert.Equal(t, 1.0, stat[0].F)
		got := linkDownRows(eval(t, q, expr("Guest NICs with link down")))
		require.Len(t, got, 1)
		assert.Contains(t, []string{"dns", "dns-old"}, got[0].name)
		assert.Equal(t, "net1", got[0].nic)
	})
}

// TestDashboardQueriesCollapsedRows: DashboardQueries finds the panels of an
// expanded row (listed after it) and of a collapsed one (inside it), and
// names the row of each.
func TestDashboardQueriesCollapsedRows(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dashboard.json")
	require.NoError(t, os.WriteFile(path, []byte(`{"panels": [
	  {"id": 1, "type": "stat", "title": "up", "targets": [{"refId": "A", "expr": "mnm_proxmox_up"}]},
	  {"id": 2, "type": "row", "title": "Open", "collapsed": false, "panels": []},
	  {"id": 3, "type": "stat", "title": "nodes", "targets": [{"refId": "A", "expr": "count(mnm_proxmox_node_online{node=~\"$node\"})"}]},
	  {"id": 4, "type": "row", "title": "Closed", "collapsed": true, "panels": [
	    {"id": 5, "type": "table", "title": "two", "targets": [
	      {"refId": "A", "expr": "max by (node) (mnm_proxmox_ha_lrm{node=~\"$node\"})"},
	      {"refId": "B", "expr": "rate(mnm_proxmox_api_requests_total[$__rate_interval])"}]}]},
	  {"id": 6, "type": "row", "title": "Also closed", "collapsed": true, "panels": [
	    {"id": 7, "type": "stat", "title": "ceph", "targets": [{"refId": "A", "expr": "mnm_proxmox_ceph_health"}]}]}
	]}`), 0o600))
	queries, err := config.DashboardQueries(path)
	require.NoError(t, err)
	assert.Equal(t, []config.Query{
		{PanelID: 1, Title: "up", RefID: "A", Expr: "mnm_proxmox_up"},
		{PanelID: 3, Title: "nodes", Row: "Open", RefID: "A", Expr: `count(mnm_proxmox_node_online{node=~".*"})`},
		{PanelID: 5, Title: "two", Row: "Closed", RefID: "A", Expr: `max by (node) (mnm_proxmox_ha_lrm{node=~".*"})`},
		{PanelID: 5, Title: "two", Row: "Closed", RefID: "B", Expr: "rate(mnm_proxmox_api_requests_total[2m])"},
		{PanelID: 7, Title: "ceph", Row: "Also closed", RefID: "A", Expr: "mnm_proxmox_ceph_health"},
	}, queries)

	require.NoError(t, os.WriteFile(path, []byte(`{"panels": [{"id": 4, "type": "row", "title": "Closed", "collapsed": true, "panels": [
	  {"id": 5, "type": "stat", "title": "empty", "targets": [{"refId": "A", "expr": " "}]}]}]}`), 0o600))
	_, err = config.DashboardQueries(path)
	assert.ErrorContains(t, err, `panel 5 "empty" target "A" has no expr`, "an empty target inside a collapsed row is found too")
}

// dashboardRow is a row's title and its panels' titles, in order.
type dashboardRow struct {
	row    string
	panels []string
}

// operationsRows are the rows of the slow-tier metrics (backups, replication,
// HA, Ceph, certificates and subscriptions). They are collapsed: not every
// cluster has Ceph, replication or HA, and Grafana cannot collapse a row only
// when it has no data. Their queries still return a series on such a cluster
// (a count of 0, "no Ceph", a placeholder line), as the end-to-end test asks.
var operationsRows = []dashboardRow{
	{"Backups", []string{
		"Guests without a backup job",
		"Covered guests without any backup",
		"Guests with a failed last backup",
		"Last successful backup by guest",
		"Failed backups by guest",
		"Guests not covered by a backup job",
	}},
	{"Replication & HA", []string{
		"Replication jobs failing",
		"Replication jobs",
		"HA quorum",
		"HA resources in error or fence",
		"HA resources not started",
		"HA local resource managers",
	}},
	{"Ceph", []string{
		"Ceph health",
		"Ceph OSDs",
		"Ceph used",
		"Ceph placement groups by state",
		"Ceph health checks",
	}},
	{"Certificates & subscriptions", []string{
		"Certificates expiring within 14 days",
		"Certificates by days to expiry",
		"Nodes without an active subscription",
		"Subscriptions by node",
	}},
}

func TestDashboardOperationsRows(t *testing.T) {
	d := loadDashboard(t)
	queries, err := config.DashboardQueries(dashboardPath)
	require.NoError(t, err)
	for _, r := range operationsRows {
		t.Run(r.row, func(t *testing.T) {
			at := slices.IndexFunc(d.Panels, func(p grafanaPanel) bool { return p.Type == "row" && p.Title == r.row })
			require.GreaterOrEqual(t, at, 0)
			assert.True(t, d.Panels[at].Collapsed, "row %q must be collapsed", r.row)
			var titles []string
			for _, p := range rowPanels(t, d, r.row) {
				titles = append(titles, p.Title)
				var found []string
				for _, q := range queries {
					if q.PanelID == p.ID {
						assert.Equal(t, r.row, q.Row, "panel %q", p.Title)
						found = append(found, q.RefID)
					}
				}
				var want []string
				for _, tg := range p.Targets {
					want = append(want, tg.RefID)
				}
				assert.Equal(t, want, found, "DashboardQueries must return every query of %q", p.Title)
			}
			assert.Equal(t, r.panels, titles)
		})
	}
	// The other rows stay expanded, and DashboardQueries names them too.
	for _, p := range d.Panels {
		if p.Type == "row" && !slices.ContainsFunc(operationsRows, func(r dashboardRow) bool { return r.row == p.Title }) {
			assert.False(t, p.Collapsed, "row %q", p.Title)
		}
	}
	for _, q := range queries {
		if q.Title == "Top 10 NICs by traffic" {
			assert.Equal(t, "Network", q.Row)
		}
	}

	// The placeholder lines read as such.
	for _, c := range []struct{ panel, column, value, text, color string }{
		{"Last successful backup by guest", "VMID", "none", "no guest is covered by a backup job", "orange"},
		{"Failed backups by guest", "VMID", "none", "no failed backup", "green"},
		{"Guests not covered by a backup job", "VMID", "none", "every guest is covered by a backup job", "green"},
		{"Replication jobs", "Guest", "none", "no replication job", "text"},
		{"HA resources not started", "Resource", "none", "every HA resource is started", "green"},
		{"HA local resource managers", "LRM state", "none", "no HA local resource manager reported", "text"},
		{"HA local resource managers", "CRM master", "1", "master", "green"},
		{"Ceph placement groups by state", "State", "none", "no Ceph", "text"},
		{"Ceph health checks", "Check", "none", "no active health check", "green"},
		{"Subscriptions by node", "Status", "notfound", "no subscription", "orange"},
		{"Subscriptions by node", "Status", "none", "no subscription status reported", "text"},
		{"Certificates by days to expiry", "File", "none", "no certificate reported", "orange"},
	} {
		got := columnMappings(t, panelByTitle(t, d, c.panel), c.column)[c.value]
		assert.Equal(t, mappingResult{Text: c.text, Color: c.color}, got, "%s: %s %q", c.panel, c.column, c.value)
	}
	health := panelByTitle(t, d, "Ceph health")
	require.Len(t, health.FieldConfig.Defaults.Mappings, 1)
	var healthMapping map[string]mappingResult
	require.NoError(t, json.Unmarshal(health.FieldConfig.Defaults.Mappings[0].Options, &healthMapping))
	assert.Equal(t, map[string]mappingResult{
		"0": {"HEALTH_OK", "green"}, "1": {"HEALTH_WARN", "orange"}, "2": {"HEALTH_ERR", "red"}, "-1": {"no Ceph", "text"},
	}, healthMapping)
	// "never" and "none" read as such: the age of a 0 timestamp is above 1e9 s.
	for _, c := range []struct{ panel, column, text string }{
		{"Last successful backup by guest", "Since last success", "none within the lookback"},
		{"Replication jobs", "Since last sync", "never"},
	} {
		assert.Equal(t, c.text, rangeMappingText(t, panelByTitle(t, d, c.panel), c.column, 1e9), c.panel)
	}
}

// rangeMappingText returns the text of the column's range mapping that holds v.
func rangeMappingText(t *testing.T, p grafanaPanel, column string, v float64) string {
	t.Helper()
	for _, m := range columnMappingList(t, p, column) {
		if m.Type != "range" {
			continue
		}
		var r struct {
			From, To float64
			Result   mappingResult
		}
		require.NoError(t, json.Unmarshal(m.Options, &r))
		if r.From <= v && v <= r.To {
			return r.Result.Text
		}
	}
	return ""
}

// TestBackupMissingThreshold: the threshold of ProxmoxBackupMissing is in one
// place, its expression, which the annotations do not repeat.
func TestBackupMissingThreshold(t *testing.T) {
	groups, err := config.ParseRules(rulesPath)
	require.NoError(t, err)
	raw, err := os.ReadFile(rulesPath)
	require.NoError(t, err)
	for _, r := range groups.Groups[0].Rules {
		if r.Alert != "ProxmoxBackupMissing" {
			continue
		}
		assert.Contains(t, r.Expr, "time() - 36 * 3600")
		var code []string // the rule file without its comments
		for _, line := range strings.Split(string(raw), "\n") {
			if !strings.HasPrefix(strings.TrimSpace(line), "#") {
				code = append(code, line)
			}
		}
		assert.Equal(t, 1, strings.Count(strings.Join(code, "\n"), "36 * 3600"), "the threshold must be written once")
		for name, a := range r.Annotations {
			assert.NotRegexp(t, `36 ?h|129600|36 hours`, a, name)
		}
		return
	}
	t.Fatal("ProxmoxBackupMissing missing")
}

// opsNow is when TestOperationsRowsQueries evaluates: its queries compare
// Unix timestamps with time().
var opsNow = time.Unix(1_750_000_000, 0)

// gaugeAt is a series with value v every minute for the 10 minutes up to opsNow.
func gaugeAt(v float64, nameAndLabels ...string) storage.Series {
	var samples []chunks.Sample
	end := opsNow.UnixMilli()
	for m := int64(10); m >= 0; m-- {
		samples = append(samples, floatSample{t: end - m*60_000, f: v})
	}
	return storage.NewListSeries(labels.FromStrings(append([]string{"__name__", "mnm_proxmox_" + nameAndLabels[0], "instance", "a:8889"}, nameAndLabels[1:]...)...), samples)
}

// ago is the Unix time d before opsNow.
func ago(d time.Duration) float64 { return float64(opsNow.Add(-d).Unix()) }

// TestOperationsRowsQueries runs the queries of the Backups, Replication & HA,
// Ceph and Certificates & subscriptions rows with the PromQL engine: on a
// cluster with all of it and some faults, on a healthy cluster without Ceph,
// HA resources, replication or backup jobs (every query still returns a
// series, as the end-to-end test asks), and while the exporter still exposes
// the old series of a renamed guest (nothing counts twice or fails).
func TestOperationsRowsQueries(t *testing.T) {
	pq := newPanelQueries(t, opsNow)
	targets, expr, eval := pq.targets, pq.expr, pq.eval
	// one is the value of a query that returns a single series.
	one := func(t *testing.T, q memQueryable, expr string) float64 {
		t.Helper()
		vec := eval(t, q, expr)
		require.Len(t, vec, 1, expr)
		return vec[0].F
	}
	// rows renders each series as its labels' values and its value, sorted.
	rows := func(vec promql.Vector, names ...string) []string {
		var out []string
		for _, s := range vec {
			var parts []string
			for _, n := range names {
				parts = append(parts, s.Metric.Get(n))
			}
			out = append(out, strings.Join(parts, " ")+" = "+strconv.FormatFloat(math.Round(s.F*1e6)/1e6, 'f', -1, 64))
		}
		sort.Strings(out)
		return out
	}
	now := float64(opsNow.Unix())
	const day = 24 * time.Hour

	guest := func(node, vmid, name string) []string { return []string{"node", node, "vmid", vmid, "name", name} }
	with := func(metric string, labels []string, extra ...string) []string {
		return append(append([]string{metric}, labels...), extra...)
	}
	repl := func(job, guest, source, target string) []string {
		return []string{"replication_job", job, "guest", guest, "source", source, "target", target}
	}
	web, db, old, flaky := guest("pve1", "100", "web"), guest("pve1", "101", "db"), guest("pve2", "200", "old"), guest("pve2", "201", "flaky")
	scratch, tmpl := guest("pve2", "202", "scratch"), guest("pve3", "300", "tmpl")
	j100, j101, j200 := repl("100-0", "100", "pve1", "pve2"), repl("101-0", "101", "pve1", "pve3"), repl("200-0", "200", "pve2", "pve1")

	// Present in every cluster: certificates, subscriptions, the HA quorum.
	always := []storage.Series{
		gaugeAt(ago(-10*day), "node_certificate_expiry_timestamp", "node", "pve1", "filename", "pve-ssl.pem", "subject", "/CN=pve1.example.com"),
		gaugeAt(ago(-3650*day), "node_certificate_expiry_timestamp", "node", "pve1", "filename", "pve-root-ca.pem", "subject", "/CN=Proxmox Virtual Environment"),
		gaugeAt(ago(-400*day), "node_certificate_expiry_timestamp", "node", "pve2", "filename", "pve-ssl.pem", "subject", "/CN=pve2.example.com"),
		gaugeAt(ago(day), "node_certificate_expiry_timestamp", "node", "pve2", "filename", "pveproxy-ssl.pem", "subject", "/CN=pve.example.com"),
		gaugeAt(1, "node_subscription", "node", "pve1", "status", "active", "level", "c"),
		gaugeAt(1, "node_subscription", "node", "pve2", "status", "notfound"),
		gaugeAt(1, "node_subscription", "node", "pve3", "status", "expired", "level", "b"),
		gaugeAt(1, "ha_quorate"),
	}
	full := append(slices.Clone(always),
		// Backups: web fine (an older failure), db never, old 40h ago, flaky
		// failed after its last success; scratch and tmpl covered by no job.
		gaugeAt(ago(10*time.Hour), with("guest_backup_last_success_timestamp", web)...),
		gaugeAt(ago(2*day), with("guest_backup_last_failure_timestamp", web)...),
		gaugeAt(0, with("guest_backup_last_success_timestamp", db)...),
		gaugeAt(ago(40*time.Hour), with("guest_backup_last_success_timestamp", old)...),
		gaugeAt(ago(30*time.Hour), with("guest_backup_last_success_timestamp", flaky)...),
		gaugeAt(ago(6*time.Hour), with("guest_backup_last_failure_timestamp", flaky)...),
		gaugeAt(1, with("guest_backup_excluded", scratch)...),
		gaugeAt(1, with("guest_backup_excluded", tmpl)...),
		// Replication: 100-0 fine, 101-0 failing for 2h, 200-0 never synced.
		gaugeAt(ago(10*time.Minute), with("replication_last_sync_timestamp", j100)...),
		gaugeAt(12.5, with("replication_duration_seconds", j100)...),
		gaugeAt(0, with("replication_fail_count", j100)...),
		gaugeAt(ago(2*time.Hour), with("replication_last_sync_timestamp", j101)...),
		gaugeAt(30, with("replication_duration_seconds", j101)...),
		gaugeAt(3, with("replication_fail_count", j101)...),
		gaugeAt(0, with("replication_last_sync_timestamp", j200)...),
		gaugeAt(1, with("replication_fail_count", j200)...),
		// HA: one resource in error, one waiting for fencing, one stopped; the
		// LRM of pve3 lost; pve1 is master.
		gaugeAt(1, "ha_resource", "sid", "vm:100", "node", "pve1", "state", "started"),
		gaugeAt(1, "ha_resource", "sid", "vm:101", "node", "pve1", "state", "error"),
		gaugeAt(1, "ha_resource", "sid", "ct:200", "node", "pve2", "state", "stopped"),
		gaugeAt(1, "ha_resource", "sid", "vm:102", "node", "pve3", "state", "fence"),
		gaugeAt(1, "ha_lrm", "node", "pve1", "state", "active"),
		gaugeAt(1, "ha_lrm", "node", "pve2", "state", "active"),
		gaugeAt(1, "ha_lrm", "node", "pve3", "state", "lost"),
		gaugeAt(1, "ha_master", "node", "pve1"),
		// Ceph in HEALTH_WARN: one OSD down and out, degraded PGs.
		gaugeAt(1, "ceph_health"),
		gaugeAt(1, "ceph_health_check", "code", "OSD_DOWN", "severity", "HEALTH_WARN"),
		gaugeAt(1, "ceph_health_check", "code", "PG_DEGRADED", "severity", "HEALTH_WARN"),
		gaugeAt(6, "ceph_osds", "state", "total"),
		gaugeAt(5, "ceph_osds", "state", "up"),
		gaugeAt(5, "ceph_osds", "state", "in"),
		gaugeAt(120, "ceph_pgs", "state", "active+clean"),
		gaugeAt(8, "ceph_pgs", "state", "active+undersized+degraded"),
		gaugeAt(3e12, "ceph_used_bytes"),
		gaugeAt(9e12, "ceph_available_bytes"),
	)

	allQueriesReturnData := func(t *testing.T, q memQueryable) {
		t.Helper()
		for _, r := range operationsRows {
			for _, title := range r.panels {
				for ref, e := range targets(title) {
					assert.NotEmpty(t, eval(t, q, e), "%q %s returns no data", title, ref)
				}
			}
		}
	}

	t.Run("cluster with backups, replication, HA and Ceph", func(t *testing.T) {
		q := newMemQueryable(slices.Clone(full)...)
		allQueriesReturnData(t, q)

		assert.Equal(t, 2.0, one(t, q, expr("Guests without a backup job")))
		assert.Equal(t, 1.0, one(t, q, expr("Covered guests without any backup")))
		assert.Equal(t, 1.0, one(t, q, expr("Guests with a failed last backup")))
		assert.Equal(t, []string{
			"db 101 pve1 = " + strconv.FormatFloat(now, 'f', -1, 64), // 0: "none within the lookback"
			"flaky 201 pve2 = 108000",
			"old 200 pve2 = 144000",
			"web 100 pve1 = 36000",
		}, rows(eval(t, q, expr("Last successful backup by guest")), "name", "vmid", "node"))
		assert.GreaterOrEqual(t, now, 1e9)
		assert.Equal(t, []string{"flaky 201 pve2 = 21600"}, rows(eval(t, q, expr("Failed backups by guest")), "name", "vmid", "node"))
		assert.Equal(t, []string{"scratch 202 pve2 = 1", "tmpl 300 pve3 = 1"},
			rows(eval(t, q, expr("Guests not covered by a backup job")), "name", "vmid", "node"))

		assert.Equal(t, 2.0, one(t, q, expr("Replication jobs failing")))
		jobs := targets("Replication jobs")
		cols := []string{"replication_job", "guest", "source", "target"}
		assert.Equal(t, []string{
			"100-0 100 pve1 pve2 = 600",
			"101-0 101 pve1 pve3 = 7200",
			"200-0 200 pve2 pve1 = " + strconv.FormatFloat(now, 'f', -1, 64), // never
		}, rows(eval(t, q, jobs["A"]), cols...))
		assert.Equal(t, []string{"100-0 100 pve1 pve2 = 12.5", "101-0 101 pve1 pve3 = 30", "200-0 200 pve2 pve1 = NaN"},
			rows(eval(t, q, jobs["B"]), cols...))
		assert.Equal(t, []string{"100-0 100 pve1 pve2 = 0", "101-0 101 pve1 pve3 = 3", "200-0 200 pve2 pve1 = 1"},
			rows(eval(t, q, jobs["C"]), cols...))

		assert.Equal(t, 1.0, one(t, q, expr("HA quorum")))
		assert.Equal(t, 2.0, one(t, q, expr("HA resources in error or fence")))
		assert.Equal(t, []string{"ct:200 pve2 stopped = 1", "vm:101 pve1 error = 1", "vm:102 pve3 fence = 1"},
			rows(eval(t, q, expr("HA resources not started")), "sid", "node", "state"))
		lrm := targets("HA local resource managers")
		assert.Equal(t, []string{"pve1 active = 1", "pve2 active = 1", "pve3 lost = 1"}, rows(eval(t, q, lrm["A"]), "node", "state"))
		assert.Equal(t, []string{"pve1 = 1", "pve2 = 0", "pve3 = 0"}, rows(eval(t, q, lrm["B"]), "node"))

		assert.Equal(t, 1.0, one(t, q, expr("Ceph health")))
		osds := targets("Ceph OSDs")
		assert.Equal(t, 6.0, one(t, q, osds["A"]))
		assert.Equal(t, 5.0, one(t, q, osds["B"]))
		assert.Equal(t, 5.0, one(t, q, osds["C"]))
		assert.Equal(t, 0.25, one(t, q, expr("Ceph used")))
		assert.Equal(t, []string{"active+clean = 120", "active+undersized+degraded = 8"},
			rows(eval(t, q, expr("Ceph placement groups by state")), "state"))
		assert.Equal(t, []string{"OSD_DOWN HEALTH_WARN = 1", "PG_DEGRADED HEALTH_WARN = 1"},
			rows(eval(t, q, expr("Ceph health checks")), "code", "severity"))

		assert.Equal(t, 2.0, one(t, q, expr("Certificates expiring within 14 days")))
		certs := targets("Certificates by days to expiry")
		assert.Equal(t, []string{"pve1 pve-root-ca.pem = 3650", "pve1 pve-ssl.pem = 10", "pve2 pve-ssl.pem = 400", "pve2 pveproxy-ssl.pem = -1"},
			rows(eval(t, q, certs["A"]), "node", "filename"))
		expires := rows(eval(t, q, certs["B"]), "node", "filename")
		require.Len(t, expires, 4)
		assert.Contains(t, expires, "pve1 pve-ssl.pem = "+strconv.FormatFloat((now+10*86400)*1000, 'f', -1, 64), "milliseconds for dateTimeAsIso")
		assert.Equal(t, 2.0, one(t, q, expr("Nodes without an active subscription")))
		assert.Equal(t, []string{"pve1 active c = 1", "pve2 notfound  = 1", "pve3 expired b = 1"},
			rows(eval(t, q, expr("Subscriptions by node")), "node", "status", "level"))
	})

	t.Run("healthy cluster without backup jobs, replication, HA resources or Ceph", func(t *testing.T) {
		q := newMemQueryable(slices.Clone(always)...)
		allQueriesReturnData(t, q)
		for _, title := range []string{"Guests without a backup job", "Covered guests without any backup", "Guests with a failed last backup",
			"Replication jobs failing", "HA resources in error or fence"} {
			assert.Equal(t, 0.0, one(t, q, expr(title)), title)
		}
		for _, c := range []struct{ title, label string }{
			{"Last successful backup by guest", "vmid"},
			{"Failed backups by guest", "vmid"},
			{"Guests not covered by a backup job", "vmid"},
			{"HA resources not started", "sid"},
			{"Ceph placement groups by state", "state"},
			{"Ceph health checks", "code"},
		} {
			vec := eval(t, q, expr(c.title))
			require.Len(t, vec, 1, c.title)
			assert.Equal(t, "none", vec[0].Metric.Get(c.label), "%q shows one placeholder line", c.title)
		}
		// The placeholders of a merged table make one line.
		for _, c := range []struct{ title, label string }{{"Replication jobs", "guest"}, {"HA local resource managers", "state"}} {
			for ref, e := range targets(c.title) {
				vec := eval(t, q, e)
				require.Len(t, vec, 1, "%s %s", c.title, ref)
				assert.Equal(t, labels.FromStrings(c.label, "none"), vec[0].Metric, "%s %s", c.title, ref)
			}
		}
		assert.Equal(t, 1.0, one(t, q, expr("HA quorum")))
		assert.Equal(t, -1.0, one(t, q, expr("Ceph health")), "no Ceph")
		for ref, e := range targets("Ceph OSDs") {
			assert.True(t, math.IsNaN(one(t, q, e)), "Ceph OSDs %s: no Ceph", ref)
		}
		assert.True(t, math.IsNaN(one(t, q, expr("Ceph used"))), "no Ceph")
	})

	// Before the slow groups' first answers (or when they fail) every query
	// still returns a series: a count of 0, "no HA status", "no Ceph" or a
	// placeholder line.
	t.Run("no data from the slow groups", func(t *testing.T) {
		q := newMemQueryable()
		allQueriesReturnData(t, q)
		assert.Equal(t, -1.0, one(t, q, expr("HA quorum")))
		for _, c := range []struct{ title, label string }{{"Certificates by days to expiry", "filename"}, {"Subscriptions by node", "status"}} {
			for ref, e := range targets(c.title) {
				vec := eval(t, q, e)
				require.Len(t, vec, 1, "%s %s", c.title, ref)
				assert.Equal(t, labels.FromStrings(c.label, "none"), vec[0].Metric, "%s %s", c.title, ref)
			}
		}
	})

	t.Run("renamed guest and moved job still exported", func(t *testing.T) {
		// For metric_expiration (5m) after a change the exporter keeps the old
		// series: a guest renamed, a replicated guest migrated to another
		// source node. The counts stay and no join fails.
		q := newMemQueryable(append(slices.Clone(full),
			gaugeAt(1, with("guest_backup_excluded", guest("pve2", "202", "scratch-old"))...),
			gaugeAt(ago(30*time.Hour), with("guest_backup_last_success_timestamp", guest("pve2", "201", "flaky-old"))...),
			gaugeAt(ago(6*time.Hour), with("guest_backup_last_failure_timestamp", guest("pve2", "201", "flaky-old"))...),
			gaugeAt(3, with("replication_fail_count", repl("101-0", "101", "pve2", "pve3"))...),
			gaugeAt(1, "ha_resource", "sid", "vm:101", "node", "pve1", "state", "started"),
		)...)
		allQueriesReturnData(t, q)
		assert.Equal(t, 2.0, one(t, q, expr("Guests without a backup job")))
		assert.Equal(t, 1.0, one(t, q, expr("Guests with a failed last backup")))
		assert.Equal(t, 2.0, one(t, q, expr("Replication jobs failing")))
		assert.Equal(t, 2.0, one(t, q, expr("HA resources in error or fence")))
		assert.Len(t, eval(t, q, expr("Failed backups by guest")), 2, "one line per name")
	})
}

// panelQueries evaluates a dashboard's panel queries with the PromQL engine
// at one instant, on in-memory series.
type panelQueries struct {
	t      *testing.T
	d      grafanaDashboard
	engine *promql.Engine
	at     time.Time
}

func newPanelQueries(t *testing.T, at time.Time) *panelQueries {
	engine := promql.NewEngine(promql.EngineOpts{MaxSamples: 100_000, Timeout: time.Minute, LookbackDelta: 5 * time.Minute})
	t.Cleanup(func() { assert.NoError(t, engine.Close()) })
	return &panelQueries{t: t, d: loadDashboard(t), engine: engine, at: at}
}

// targets returns the expanded queries of the panel titled title, by RefID.
func (p *panelQueries) targets(title string) map[string]string {
	panel := panelByTitle(p.t, p.d, title)
	out := map[string]string{}
	for _, tg := range panel.Targets {
		out[tg.RefID] = config.ExpandVariables(tg.Expr)
	}
	return out
}

// expr returns the one expanded query of the panel titled title.
func (p *panelQueries) expr(title string) string {
	tg := p.targets(title)
	require.Len(p.t, tg, 1, title)
	for _, e := range tg {
		return e
	}
	return ""
}

func (p *panelQueries) eval(t *testing.T, q memQueryable, expr string) promql.Vector {
	t.Helper()
	qry, err := p.engine.NewInstantQuery(t.Context(), q, nil, expr, p.at)
	require.NoError(t, err)
	res := qry.Exec(t.Context())
	require.NoError(t, res.Err, expr)
	vec, err := res.Vector()
	require.NoError(t, err, expr)
	return vec
}
