// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package config_test

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/storage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mnm-net/otelcol-mnm/config"
	"github.com/mnm-net/otelcol-mnm/internal/promcontract"
)

// What a running VM's QEMU guest agent and balloon driver tell: the panels
// and columns that show it and the alert on a full guest filesystem.
const (
	guestFilesystemsTitle = "Guest filesystems"
	vmInventoryTitle      = "VM inventory"
	guestFilesystemAlert  = "ProxmoxGuestFilesystemAlmostFull"
	guestFilesystemTopK   = 20
)

// guestFilesystemColumns are the columns of Guest filesystems, in order.
var guestFilesystemColumns = []string{"Guest", "VMID", "Node", "Mountpoint", "Type", "Used %", "Used", "Size"}

// vmInventoryAgentColumns are the columns VM inventory shows from the guest
// agent and the balloon driver, with the metric each comes from.
var vmInventoryAgentColumns = map[string]string{
	"Memory used (guest)": "mnm_proxmox_vm_memory_guest_used_bytes",
	"Disk used (agent)":   "mnm_proxmox_vm_disk_used_bytes",
	"OS":                  "mnm_proxmox_vm_os_info",
}

// organizeOptions is the part of an organize transformation the tests read.
type organizeOptions struct {
	ExcludeByName map[string]bool   `json:"excludeByName"`
	RenameByName  map[string]string `json:"renameByName"`
	IndexByName   map[string]int    `json:"indexByName"`
}

type rawPanel struct {
	Title           string `json:"title"`
	Transformations []struct {
		ID      string          `json:"id"`
		Options json.RawMessage `json:"options"`
	} `json:"transformations"`
	Options struct {
		SortBy []struct {
			DisplayName string `json:"displayName"`
			Desc        bool   `json:"desc"`
		} `json:"sortBy"`
	} `json:"options"`
	Panels []rawPanel `json:"panels"`
}

// rawPanelByTitle decodes the panel titled title with its transformations'
// options and its table options.
func rawPanelByTitle(t *testing.T, title string) rawPanel {
	t.Helper()
	raw, err := os.ReadFile(dashboardPath)
	require.NoError(t, err)
	var d struct {
		Panels []rawPanel `json:"panels"`
	}
	require.NoError(t, json.Unmarshal(raw, &d))
	var find func([]rawPanel) (rawPanel, bool)
	find = func(ps []rawPanel) (rawPanel, bool) {
		for _, p := range ps {
			if p.Title == title {
				return p, true
			}
			if q, ok := find(p.Panels); ok {
				return q, true
			}
		}
		return rawPanel{}, false
	}
	p, ok := find(d.Panels)
	require.True(t, ok, "panel %q missing", title)
	return p
}

// organize returns the panel's organize transformation, after a merge.
func (p rawPanel) organize(t *testing.T) organizeOptions {
	t.Helper()
	ids := []string{}
	var out organizeOptions
	for _, tr := range p.Transformations {
		ids = append(ids, tr.ID)
		if tr.ID == "organize" {
			require.NoError(t, json.Unmarshal(tr.Options, &out))
		}
	}
	require.Equal(t, []string{"merge", "organize"}, ids, "%q merges its queries into one row per entity, then names the columns", p.Title)
	return out
}

// columns returns the shown columns in order: indexByName's names, renamed,
// without the excluded ones.
func (o organizeOptions) columns() []string {
	type col struct {
		name  string
		index int
	}
	var cols []col
	for name, i := range o.IndexByName {
		if o.ExcludeByName[name] {
			continue
		}
		cols = append(cols, col{cmpOr(o.RenameByName[name], name), i})
	}
	sort.Slice(cols, func(i, j int) bool { return cols[i].index < cols[j].index })
	out := make([]string, 0, len(cols))
	for _, c := range cols {
		out = append(out, c.name)
	}
	return out
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func overrideUnit(p grafanaPanel, column string) string {
	for _, o := range p.FieldConfig.Overrides {
		if o.Matcher.ID != "byName" || o.Matcher.Options != column {
			continue
		}
		for _, prop := range o.Properties {
			if prop.ID == "unit" {
				var unit string
				_ = json.Unmarshal(prop.Value, &unit)
				return unit
			}
		}
	}
	return ""
}

// TestDashboardContractLabels checks every dashboard query against the
// Prometheus contract of the receiver's metrics (internal/promcontract): a
// selector filters, and an aggregation or a join groups, only by labels the
// metrics it reads carry. A label name the receiver does not emit would make
// a panel silently empty or lump rows together.
func TestDashboardContractLabels(t *testing.T) {
	contract := promcontract.Metrics()
	for _, p := range allPanels(loadDashboard(t).Panels) {
		for _, tg := range p.Targets {
			t.Run(p.Title+"/"+tg.RefID, func(t *testing.T) {
				expr, err := promqlParser.ParseExpr(config.ExpandVariables(tg.Expr))
				require.NoError(t, err)
				checkContractLabels(t, contract, expr)
			})
		}
	}
}

// exprLabels returns the labels the series of expr may carry when every
// metric it reads is in the contract: the metrics' labels and those
// label_replace adds. ok is false when expr reads another metric.
func exprLabels(contract map[string][]string, expr parser.Node) (set map[string]bool, ok bool) {
	set = map[string]bool{}
	ok = true
	parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
		switch n := node.(type) {
		case *parser.VectorSelector:
			names, known := contract[n.Name]
			if !known {
				ok = false
			}
			for _, l := range names {
				set[l] = true
			}
		case *parser.Call:
			if n.Func.Name == "label_replace" && len(n.Args) > 1 {
				if s, isString := n.Args[1].(*parser.StringLiteral); isString {
					set[s.Val] = true
				}
			}
		}
		return nil
	})
	return set, ok
}

func checkContractLabels(t *testing.T, contract map[string][]string, expr parser.Expr) {
	t.Helper()
	parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
		switch n := node.(type) {
		case *parser.VectorSelector:
			want, known := contract[n.Name]
			if !known {
				return nil
			}
			for _, m := range n.LabelMatchers {
				if m.Name != model.MetricNameLabel {
					assert.Contains(t, want, m.Name, "%s has no label %q", n.Name, m.Name)
				}
			}
		case *parser.AggregateExpr:
			if n.Without || len(n.Grouping) == 0 {
				return nil
			}
			if have, ok := exprLabels(contract, n.Expr); ok {
				for _, l := range n.Grouping {
					assert.True(t, have[l], "%s groups by %q, which %s does not carry", n.Op, l, n.Expr)
				}
			}
		case *parser.BinaryExpr:
			if n.VectorMatching == nil || !n.VectorMatching.On {
				return nil
			}
			lhs, lok := exprLabels(contract, n.LHS)
			rhs, rok := exprLabels(contract, n.RHS)
			for _, l := range n.VectorMatching.MatchingLabels {
				if lok {
					assert.True(t, lhs[l], "on (%s): %s does not carry it", l, n.LHS)
				}
				if rok {
					assert.True(t, rhs[l], "on (%s): %s does not carry it", l, n.RHS)
				}
			}
		}
		return nil
	})
}

// TestDashboardGuestView checks the VMs row's view of what the guest agents
// tell: Guest filesystems right below VM inventory, the fullest first, and
// VM inventory's agent columns, each read from the contract's metric with the
// $node filter.
func TestDashboardGuestView(t *testing.T) {
	d := loadDashboard(t)
	contract := promcontract.Metrics()

	var vmRow []string
	for _, p := range rowPanels(t, d, "VMs") {
		vmRow = append(vmRow, p.Title)
	}
	at := slices.Index(vmRow, vmInventoryTitle)
	require.GreaterOrEqual(t, at, 0, "VM inventory is in the VMs row")
	require.Less(t, at+1, len(vmRow))
	assert.Equal(t, guestFilesystemsTitle, vmRow[at+1], "Guest filesystems follows VM inventory in the VMs row")

	// Every query of both tables reads contract metrics only, each filtered
	// by $node, and the agent's metrics are read.
	readMetrics := func(p grafanaPanel) map[string]string {
		out := map[string]string{}
		for _, tg := range p.Targets {
			expr, err := promqlParser.ParseExpr(tg.Expr)
			require.NoError(t, err, tg.Expr)
			for _, vs := range selectorNames(t, expr) {
				_, inContract := contract[vs.Name]
				assert.True(t, inContract, "%q reads %s, which is not in the contract", p.Title, vs.Name)
				assert.False(t, promcontract.OptIn(vs.Name), "%q reads the opt-in %s", p.Title, vs.Name)
				assert.True(t, slices.ContainsFunc(vs.LabelMatchers, func(m *labels.Matcher) bool {
					return m.Name == "node" && m.Type == labels.MatchRegexp && m.Value == "$node"
				}), "%q: selector %s must filter node=~\"$node\"", p.Title, vs)
				if _, seen := out[vs.Name]; !seen {
					out[vs.Name] = tg.RefID
				}
			}
		}
		return out
	}

	t.Run(guestFilesystemsTitle, func(t *testing.T) {
		p := panelByTitle(t, d, guestFilesystemsTitle)
		assert.Equal(t, "table", p.Type)
		require.Len(t, p.Targets, 3, "used %%, used and size")
		metrics := readMetrics(p)
		assert.Contains(t, metrics, "mnm_proxmox_vm_filesystem_used_bytes")
		assert.Contains(t, metrics, "mnm_proxmox_vm_filesystem_size_bytes")
		for _, tg := range p.Targets {
			assert.Contains(t, tg.Expr, fmt.Sprintf("topk(%d,", guestFilesystemTopK), "%s keeps the %d fullest", tg.RefID, guestFilesystemTopK)
		}

		raw := rawPanelByTitle(t, guestFilesystemsTitle)
		org := raw.organize(t)
		assert.Equal(t, guestFilesystemColumns, org.columns())
		assert.Equal(t, "Used %", org.RenameByName["Value #"+p.Targets[0].RefID])
		assert.Equal(t, "Used", org.RenameByName["Value #"+p.Targets[1].RefID])
		assert.Equal(t, "Size", org.RenameByName["Value #"+p.Targets[2].RefID])
		require.NotEmpty(t, raw.Options.SortBy)
		assert.Equal(t, "Used %", raw.Options.SortBy[0].DisplayName, "fullest first")
		assert.True(t, raw.Options.SortBy[0].Desc, "fullest first")
		assert.Equal(t, "percentunit", overrideUnit(p, "Used %"))
		assert.Equal(t, "bytes", overrideUnit(p, "Used"))
		assert.Equal(t, "bytes", overrideUnit(p, "Size"))
	})

	t.Run(vmInventoryTitle, func(t *testing.T) {
		p := panelByTitle(t, d, vmInventoryTitle)
		metrics := readMetrics(p)
		org := rawPanelByTitle(t, vmInventoryTitle).organize(t)
		columns := org.columns()
		for column, metric := range vmInventoryAgentColumns {
			ref, ok := metrics[metric]
			if !assert.True(t, ok, "VM inventory reads %s for %q", metric, column) {
				continue
			}
			assert.Contains(t, columns, column)
			if metric == "mnm_proxmox_vm_os_info" {
				// The OS is a label: its value column (always 1) is hidden.
				assert.Equal(t, column, org.RenameByName["os_name"])
				assert.True(t, org.ExcludeByName["Value #"+ref], "the value of %s is not shown", metric)
				continue
			}
			assert.Equal(t, column, org.RenameByName["Value #"+ref])
			assert.Equal(t, "bytes", overrideUnit(p, column))
		}
		for _, column := range []string{"vmid", "name", "node", "Status", "vCPUs", "Memory", "Disk size", "Uptime"} {
			assert.Contains(t, columns, column, "the allocation columns stay")
		}
	})
}

// fsSeries is one filesystem of a VM as the receiver reports it.
type fsSeries struct {
	node, vmid, name, mountpoint, typ string
	used, size                        float64
}

func (f fsSeries) series() []storage.Series {
	l := []string{"instance", "a:8889", "job", "proxmox", "node", f.node, "vmid", f.vmid, "name", f.name, "mountpoint", f.mountpoint, "type", f.typ}
	return []storage.Series{
		constant(f.used, append([]string{"mnm_proxmox_vm_filesystem_used_bytes"}, l...)...),
		constant(f.size, append([]string{"mnm_proxmox_vm_filesystem_size_bytes"}, l...)...),
	}
}

func (f fsSeries) key() string {
	return strings.Join([]string{f.node, f.vmid, f.name, f.mountpoint, f.typ}, "|")
}

// labelNames returns the names of l's labels, sorted.
func labelNames(l labels.Labels) []string {
	var out []string
	l.Range(func(lb labels.Label) { out = append(out, lb.Name) })
	sort.Strings(out)
	return out
}

func fsKey(l labels.Labels) string {
	return strings.Join([]string{l.Get("node"), l.Get("vmid"), l.Get("name"), l.Get("mountpoint"), l.Get("type")}, "|")
}

// TestGuestViewQueries runs Guest filesystems' and VM inventory's agent
// queries with the PromQL engine: the fullest 20 filesystems, the same 20 in
// the used and size columns, nothing divided by a zero size, the $node
// filter, and one OS per VM.
func TestGuestViewQueries(t *testing.T) {
	pq := newPanelQueries(t, time.Unix(600, 0))
	targets, eval := pq.targets, pq.eval

	// 26 filesystems on two nodes: 25 with their fill level i %, a Windows
	// C:\ at 99 %, one reported with size 0.
	var fss []fsSeries
	for i := range 25 {
		node := "pve1"
		if i%2 == 1 {
			node = "pve2"
		}
		fss = append(fss, fsSeries{node, fmt.Sprint(100 + i), fmt.Sprintf("vm%d", i), "/", "ext4", float64(4*i) * 1e9, 100e9})
	}
	win := fsSeries{"pve2", "300", "win", `C:\`, "NTFS", 99e9, 100e9}
	zero := fsSeries{"pve1", "301", "odd", "/mnt/odd", "fuse", 5, 0}
	fss = append(fss, win, zero)
	var series []storage.Series
	for _, f := range fss {
		series = append(series, f.series()...)
	}
	byKey := map[string]fsSeries{}
	for _, f := range fss {
		byKey[f.key()] = f
	}
	q := newMemQueryable(series...)

	fsTargets := targets(guestFilesystemsTitle)
	refs := slices.Sorted(func(yield func(string) bool) {
		for r := range fsTargets {
			if !yield(r) {
				return
			}
		}
	})
	require.Equal(t, []string{"A", "B", "C"}, refs)

	check := func(t *testing.T, nodeRe string, wantKeys []string) {
		t.Helper()
		run := func(expr string) promql.Vector {
			// ExpandVariables made $node .*; select some nodes instead.
			return eval(t, q, strings.ReplaceAll(expr, `node=~".*"`, fmt.Sprintf("node=~%q", nodeRe)))
		}
		sort.Strings(wantKeys)
		values := map[string]map[string]float64{}
		for _, ref := range refs {
			values[ref] = map[string]float64{}
			var keys []string
			for _, s := range run(fsTargets[ref]) {
				k := fsKey(s.Metric)
				keys = append(keys, k)
				values[ref][k] = s.F
				assert.Equal(t, []string{"mountpoint", "name", "node", "type", "vmid"}, labelNames(s.Metric),
					"%s: only the table's columns, so that merge joins its rows", ref)
			}
			sort.Strings(keys)
			assert.Equal(t, wantKeys, keys, "query %s lists the same filesystems", ref)
		}
		for _, k := range wantKeys {
			f := byKey[k]
			assert.InDelta(t, f.used/f.size, values["A"][k], 1e-9, k)
			assert.Equal(t, f.used, values["B"][k], k)
			assert.Equal(t, f.size, values["C"][k], k)
		}
	}

	fullest := func(node func(fsSeries) bool) []string {
		var cand []fsSeries
		for _, f := range fss {
			if f.size > 0 && node(f) {
				cand = append(cand, f)
			}
		}
		sort.Slice(cand, func(i, j int) bool { return cand[i].used/cand[i].size > cand[j].used/cand[j].size })
		var keys []string
		for _, f := range cand[:min(guestFilesystemTopK, len(cand))] {
			keys = append(keys, f.key())
		}
		return keys
	}
	t.Run("all nodes: the 20 fullest, Windows included, no zero size", func(t *testing.T) {
		want := fullest(func(fsSeries) bool { return true })
		require.Len(t, want, guestFilesystemTopK)
		assert.Contains(t, want, win.key())
		assert.NotContains(t, want, fss[0].key(), "the emptiest is not listed")
		check(t, ".*", want)
	})
	t.Run("one node", func(t *testing.T) {
		want := fullest(func(f fsSeries) bool { return f.node == "pve1" })
		require.Len(t, want, 13)
		check(t, "pve1", want)
	})

	t.Run("VM inventory's agent columns", func(t *testing.T) {
		vm := func(node, vmid, name string) []string {
			return []string{"instance", "a:8889", "job", "proxmox", "node", node, "vmid", vmid, "name", name}
		}
		osInfo := func(v float64, node, vmid, name, id, osName, version, kernel string) storage.Series {
			return constant(v, append(append([]string{"mnm_proxmox_vm_os_info"}, vm(node, vmid, name)...),
				"os_id", id, "os_name", osName, "os_version", version, "kernel", kernel)...)
		}
		q := newMemQueryable(
			constant(3e9, append([]string{"mnm_proxmox_vm_memory_guest_used_bytes"}, vm("pve1", "100", "web")...)...),
			constant(12e9, append([]string{"mnm_proxmox_vm_disk_used_bytes"}, vm("pve1", "100", "web")...)...),
			osInfo(1, "pve1", "100", "web", "debian", "Debian GNU/Linux 12 (bookworm)", "12", "6.1.0-28-amd64"),
			// Upgraded since: the exporter still exposes the old series
			// for metric_expiration; the table keeps one OS per VM.
			osInfo(1, "pve2", "200", "win", "mswindows", "Microsoft Windows Server 2022 Standard", "2022", "20348"),
			osInfo(1, "pve2", "200", "win", "mswindows", "Microsoft Windows Server 2019 Standard", "2019", "17763"),
		)
		inv := targets(vmInventoryTitle)
		p := panelByTitle(t, loadDashboard(t), vmInventoryTitle)
		refOf := map[string]string{}
		for _, tg := range p.Targets {
			expr, err := promqlParser.ParseExpr(tg.Expr)
			require.NoError(t, err)
			for _, vs := range selectorNames(t, expr) {
				refOf[vs.Name] = tg.RefID
			}
		}
		for metric, want := range map[string]float64{"mnm_proxmox_vm_memory_guest_used_bytes": 3e9, "mnm_proxmox_vm_disk_used_bytes": 12e9} {
			vec := eval(t, q, inv[refOf[metric]])
			require.Len(t, vec, 1, metric)
			assert.Equal(t, want, vec[0].F, metric)
			assert.Equal(t, []string{"name", "node", "vmid"}, labelNames(vec[0].Metric), metric)
		}
		vec := eval(t, q, inv[refOf["mnm_proxmox_vm_os_info"]])
		got := map[string]string{}
		for _, s := range vec {
			assert.Equal(t, []string{"name", "node", "os_name", "vmid"}, labelNames(s.Metric))
			_, dup := got[s.Metric.Get("vmid")]
			assert.False(t, dup, "one OS row per VM")
			got[s.Metric.Get("vmid")] = s.Metric.Get("os_name")
		}
		assert.Equal(t, "Debian GNU/Linux 12 (bookworm)", got["100"])
		assert.Contains(t, []string{"Microsoft Windows Server 2022 Standard", "Microsoft Windows Server 2019 Standard"}, got["200"])
		assert.Len(t, got, 2)
	})
}

// TestGuestFilesystemAlert checks the alert on a full guest filesystem: on
// the contract's metrics, 90 % for 15 minutes, its fix in the description and
// its runbook_url an anchor of the README, whose Prometheus and alerts
// section names it.
func TestGuestFilesystemAlert(t *testing.T) {
	groups, err := config.ParseRules(rulesPath)
	require.NoError(t, err)
	var found bool
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			if r.Alert != guestFilesystemAlert {
				continue
			}
			found = true
			assert.Equal(t, "mnm-proxmox", g.Name)
			assert.Equal(t, 15*time.Minute, time.Duration(r.For))
			assert.Equal(t, "warning", r.Labels["severity"])
			expr, err := promqlParser.ParseExpr(r.Expr)
			require.NoError(t, err)
			var names []string
			for _, vs := range selectorNames(t, expr) {
				names = append(names, vs.Name)
			}
			assert.ElementsMatch(t, []string{"mnm_proxmox_vm_filesystem_used_bytes", "mnm_proxmox_vm_filesystem_size_bytes"}, names)
			assert.Contains(t, r.Expr, "> 0.9")
			for _, l := range []string{"name", "vmid", "mountpoint", "node"} {
				assert.Contains(t, r.Annotations["summary"], "$labels."+l, "the summary names the %s", l)
			}
			assert.Contains(t, r.Annotations["summary"], "humanizePercentage")
			assert.Contains(t, r.Annotations["description"], "qm resize {{ $labels.vmid }} DISK +SIZE")

			url := r.Annotations["runbook_url"]
			base, anchor, ok := strings.Cut(url, "#")
			require.True(t, ok, "runbook_url %q points at a README section", url)
			assert.Equal(t, strings.TrimSuffix(readmeSectionURL, "#when-something-is-wrong"), base)
			readme, err := os.ReadFile(readmePath)
			require.NoError(t, err)
			section := ""
			for _, line := range strings.Split(string(readme), "\n") {
				title := strings.TrimSpace(strings.TrimLeft(line, "#"))
				if strings.HasPrefix(line, "#") && strings.ReplaceAll(strings.ToLower(title), " ", "-") == anchor {
					section = line
				}
			}
			require.NotEmpty(t, section, "the README has no section #%s", anchor)
			_, body, _ := strings.Cut(string(readme), "\n"+section+"\n")
			body, _, _ = strings.Cut(body, "\n#")
			assert.Contains(t, body, "`"+guestFilesystemAlert+"`", "the README section %q names the alert", section)
		}
	}
	assert.True(t, found, "%s missing", guestFilesystemAlert)
}
