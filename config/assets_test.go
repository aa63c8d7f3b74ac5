// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package config_test

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mnm-net/otelcol-mnm/config"
)

const (
	dashboardPath  = "grafana/dashboards/proxmox-overview.json"
	promConfigPath = "prometheus/prometheus.yml"
	rulesPath      = "prometheus/rules/proxmox.rules.yml"
	rulesTestPath  = "prometheus/rules/proxmox.rules.test.yml"
	metricsPath    = "testdata/metric-names.txt"
	datasourceUID  = "${datasource}"
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

type grafanaPanel struct {
	ID          int             `json:"id"`
	Type        string          `json:"type"`
	Title       string          `json:"title"`
	Datasource  *datasourceRef  `json:"datasource"`
	Targets     []grafanaTarget `json:"targets"`
	Panels      []grafanaPanel  `json:"panels"`
	FieldConfig struct {
		Defaults struct {
			Unit string `json:"unit"`
		} `json:"defaults"`
	} `json:"fieldConfig"`
	Transformations []struct {
		ID string `json:"id"`
	} `json:"transformations"`
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
	assert.Equal(t, []string{"Cluster", "Nodes", "VMs", "Containers", "Storage & ZFS", "Disks", "Collection health"}, rows)
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

// rangeRE finds range selectors and subqueries.
var rangeRE = regexp.MustCompile(`\[[^\]]*\]`)

func TestDashboardExpressions(t *testing.T) {
	names := loadMetricNames(t)
	d := loadDashboard(t)
	for _, p := range allPanels(d.Panels) {
		for _, tg := range p.Targets {
			t.Run(p.Title+"/"+tg.RefID, func(t *testing.T) {
				for _, r := range rangeRE.FindAllString(tg.Expr, -1) {
					assert.Equal(t, "[$__rate_interval]", r, "rates must use $__rate_interval")
				}
				// $node stays in place (it is a valid regex) so the filter can be checked.
				raw := strings.ReplaceAll(tg.Expr, "$__rate_interval", "2m")
				expr, err := promqlParser.ParseExpr(raw)
				require.NoError(t, err, "expr: %s", tg.Expr)
				for _, vs := range selectorNames(t, expr) {
					assert.True(t, names[vs.Name], "metric %q is not a default-on metric", vs.Name)
					if withoutNodeLabel[vs.Name] {
						continue
					}
					assert.True(t, slices.ContainsFunc(vs.LabelMatchers, func(m *labels.Matcher) bool {
						return m.Name == "node" && m.Type == labels.MatchRegexp && m.Value == "$node"
					}), "selector %s must filter node=~\"$node\"", vs)
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
		assert.NotContains(t, q.Expr, "$", "panel %q: variables must be substituted", q.Title)
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
	"ProxmoxCollectionStale",
	"ProxmoxCollectionAbsent",
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
	require.Len(t, groups.Groups, 1)
	assert.Equal(t, "mnm-proxmox", groups.Groups[0].Name)

	// The end-to-end test waits for these two, and neither state flaps.
	immediate := map[string]bool{"ProxmoxZFSPoolUnhealthy": true, "ProxmoxDiskSMARTFailing": true}
	for _, r := range groups.Groups[0].Rules {
		t.Run(r.Alert, func(t *testing.T) {
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
				assert.True(t, names[vs.Name], "metric %q is not a default-on metric", vs.Name)
			}
		})
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
