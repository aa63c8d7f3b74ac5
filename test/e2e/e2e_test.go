// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e && linux

// Package e2e runs the built otelcol-mnm against the Proxmox simulator, the
// controller stand-in and real Prometheus servers, and checks what an
// operator sees: metric names and values, dashboard queries, alerts, the
// endpoint inventory and the remote-write path.
package e2e

import (
	"cmp"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mnm-net/otelcol-mnm/config"
	"github.com/mnm-net/otelcol-mnm/internal/controllersim"
	"github.com/mnm-net/otelcol-mnm/internal/promcontract"
	"github.com/mnm-net/otelcol-mnm/internal/pvesim"
)

// labels Prometheus or the scrape job add on top of the contract.
var addedLabels = map[string]bool{"job": true, "instance": true, "collector": true}

// TestEndToEnd runs the pull path on every Prometheus version: Debian's 2.42
// and Prometheus 3 as MNM ships it.
func TestEndToEnd(t *testing.T) {
	for _, server := range prometheusServers(t) {
		t.Run(server.name, func(t *testing.T) { endToEnd(t, server) })
	}
}

func endToEnd(t *testing.T, server prometheusServer) {
	cluster := startCluster(t, pvesim.Config{Nodes: 3, Guests: 36, Seed: 1, SDN: true, NICGaps: true, Operations: true,
		GuestAgentDetails: true, FullFilesystem: true})
	ctl := startController(t, "e2e-controller-secret")
	remote := startRemoteWritePrometheus(t)

	overlay := filepath.Join(t.TempDir(), "remote-write.yaml")
	require.NoError(t, os.WriteFile(overlay, []byte(fmt.Sprintf(`
exporters:
  prometheusremotewrite:
    endpoint: %s/api/v1/write
service:
  pipelines:
    metrics:
      exporters: [prometheus, prometheusremotewrite]
`, remote.url)), 0o600))

	setup := &collectorSetup{cluster: cluster, controller: ctl, overlays: []string{overlay}}
	collector := startCollector(t, setup)
	prom := startPrometheusOn(t, server, setup.promAddr, setup.telemetryAddr)

	// Two scrapes of a collection, and the rules evaluated after them.
	eventually(t, 90*time.Second, "two scrapes", func() error {
		require.False(t, collector.exited(), "otelcol-mnm exited:\n%s", tail(collector.out.String(), 3000))
		res, err := prom.query(t, "count_over_time(mnm_proxmox_last_collection_timestamp[5m])")
		if err != nil {
			return err
		}
		if len(res) == 0 || res[0].float() < 2 {
			return fmt.Errorf("scrapes so far: %v", res)
		}
		return nil
	})
	truth := cluster.sim.Cluster()

	t.Run("every contract metric with its exact labels", func(t *testing.T) {
		checkContract(t, prom)
	})

	t.Run("values match the simulator", func(t *testing.T) {
		for _, n := range truth.Nodes {
			got := instantValue(t, prom, fmt.Sprintf(`mnm_proxmox_node_memory_total_bytes{node=%q}`, n.Name))
			assert.Equal(t, float64(n.MaxMem), got, n.Name)
			assert.Equal(t, 1.0, instantValue(t, prom, fmt.Sprintf(`mnm_proxmox_node_online{node=%q}`, n.Name)))
			assert.Equal(t, float64(n.Sockets), instantValue(t, prom, fmt.Sprintf(`mnm_proxmox_node_cpu_sockets{node=%q}`, n.Name)))
			for _, p := range n.ZFSPools {
				healthy := 0.0
				if p.Health == "ONLINE" {
					healthy = 1
				}
				assert.Equal(t, healthy, instantValue(t, prom, fmt.Sprintf(`mnm_proxmox_zfs_pool_health{node=%q,pool=%q}`, n.Name, p.Name)))
				assert.Equal(t, float64(p.Alloc), instantValue(t, prom, fmt.Sprintf(`mnm_proxmox_zfs_pool_used_bytes{node=%q,pool=%q}`, n.Name, p.Name)))
			}
		}
		for _, g := range truth.Guests {
			if g.Status != "running" || g.NoRRD {
				continue
			}
			kind := "vm"
			if g.Type == "lxc" {
				kind = "ct"
			}
			sel := fmt.Sprintf(`{vmid="%d"}`, g.VMID)
			assert.Equal(t, float64(g.NetIn), instantValue(t, prom, "mnm_proxmox_"+kind+"_netin_bytes"+sel), "guest %d", g.VMID)
			assert.Equal(t, 1.0, instantValue(t, prom, "mnm_proxmox_"+kind+"_status"+sel), "guest %d", g.VMID)
		}
	})

	t.Run("every dashboard query returns data", func(t *testing.T) {
		queries, err := config.DashboardQueries(filepath.Join(repoRoot, "config", "grafana", "dashboards", "proxmox-overview.json"))
		require.NoError(t, err)
		require.NotEmpty(t, queries)
		for _, q := range queries {
			res, err := prom.query(t, q.Expr)
			if assert.NoError(t, err, "panel %q", q.Title) {
				assert.NotEmpty(t, res, "panel %q: %s returned no series", q.Title, q.Expr)
			}
		}
	})

	t.Run("rules loaded and the degraded pool and failing disk alerts fire", func(t *testing.T) {
		var rules struct {
			Data struct {
				Groups []struct {
					Name  string `json:"name"`
					Rules []struct {
						Name string `json:"name"`
					} `json:"rules"`
				} `json:"groups"`
			} `json:"data"`
		}
		require.NoError(t, prom.getJSON("/api/v1/rules", &rules))
		var loaded []string
		for _, g := range rules.Data.Groups {
			for _, r := range g.Rules {
				loaded = append(loaded, r.Name)
			}
		}
		shipped, err := config.AlertNames(filepath.Join(repoRoot, "config", "prometheus", "rules", "proxmox.rules.yml"))
		require.NoError(t, err)
		assert.ElementsMatch(t, shipped, loaded)

		waitForAlerts(t, prom, "ProxmoxZFSPoolUnhealthy", "ProxmoxDiskSMARTFailing")
	})

	t.Run("what the guest agents know: filesystems, disk use, guest memory, OS", func(t *testing.T) {
		eventually(t, 30*time.Second, "guest view scraped", func() error {
			for _, name := range []string{"mnm_proxmox_vm_filesystem_used_bytes", "mnm_proxmox_vm_disk_used_bytes",
				"mnm_proxmox_vm_memory_guest_used_bytes", "mnm_proxmox_vm_os_info"} {
				res, err := prom.query(t, "count("+name+")")
				if err != nil {
					return err
				}
				if len(res) == 0 {
					return fmt.Errorf("%s not scraped yet", name)
				}
			}
			return nil
		})
		// The alert's expression finds the simulator's full filesystem (its
		// 15 minutes are checked by promtool's unit tests).
		expr, err := config.AlertExpr(filepath.Join(repoRoot, "config", "prometheus", "rules", "proxmox.rules.yml"), "ProxmoxGuestFilesystemAlmostFull")
		require.NoError(t, err)
		res, err := prom.query(t, expr)
		require.NoError(t, err)
		var full []string
		for _, r := range res {
			full = append(full, r.Metric["vmid"]+" "+r.Metric["mountpoint"])
		}
		var want []string
		for _, g := range truth.Guests {
			seen := map[string]bool{} // a bind mount of a device is reported once, at its first mountpoint
			for _, fs := range g.Filesystems {
				if fs.UsedBytes == nil || fs.TotalBytes == nil || *fs.TotalBytes == 0 || fs.Type == "squashfs" || seen[fs.Name] {
					continue
				}
				seen[fs.Name] = true
				if float64(*fs.UsedBytes)/float64(*fs.TotalBytes) > 0.9 {
					want = append(want, fmt.Sprintf("%d %s", g.VMID, fs.Mountpoint))
				}
			}
		}
		require.NotEmpty(t, want, "the simulator has a full filesystem (FullFilesystem)")
		assert.ElementsMatch(t, want, full)
	})

	t.Run("the controller received every NIC of every non-template guest", func(t *testing.T) {
		eventually(t, 30*time.Second, "inventory delivered", func() error {
			return checkInventory(truth, ctl.ctl.Endpoints())
		})
	})

	t.Run("the same metrics arrive through remote write", func(t *testing.T) {
		eventually(t, 30*time.Second, "remote-written series", func() error {
			for name := range promcontract.Metrics() {
				if promcontract.OptIn(name) {
					continue
				}
				res, err := remote.query(t, "count("+name+")")
				if err != nil {
					return err
				}
				if len(res) == 0 {
					return fmt.Errorf("%s not remote-written yet", name)
				}
			}
			return nil
		})
	})

	t.Run("the network view: per-NIC traffic, the join, VNet VLANs at the controller", func(t *testing.T) {
		types := map[int]string{}
		for _, g := range truth.Guests {
			types[g.VMID] = g.Type
		}
		checked := 0
		for _, d := range truth.NetDevs {
			if d.Leftover {
				continue
			}
			kind := "vm"
			if types[d.VMID] == "lxc" {
				kind = "ct"
			}
			sel := fmt.Sprintf(`{node=%q,vmid="%d",nic=%q}`, d.Node, d.VMID, d.NIC)
			assert.Equal(t, float64(d.In), instantValue(t, prom, "mnm_proxmox_"+kind+"_nic_netin_bytes"+sel), d.Name)
			assert.Equal(t, float64(d.Out), instantValue(t, prom, "mnm_proxmox_"+kind+"_nic_netout_bytes"+sel), d.Name)
			checked++
		}
		assert.Positive(t, checked)

		byMAC := map[string]controllersim.StoredEndpoint{}
		for _, e := range ctl.ctl.Endpoints() {
			byMAC[e.MAC] = e
		}
		vnetVLANs := 0
		for _, g := range truth.Guests {
			for _, nic := range g.NICs {
				if nic.MAC == "" || g.Template {
					continue
				}
				joined := fmt.Sprintf(`mnm_proxmox_guest_nic_info{node=%q,vmid="%d",nic=%q,mac=%q,vlan="%d"}`, g.Node, g.VMID, nic.Key, nic.MAC, nic.EffectiveVLAN())
				assert.Equal(t, 1.0, instantValue(t, prom, joined), "guest %d %s", g.VMID, nic.Key)
				if nic.SDN.ZoneType == "vlan" || nic.SDN.ZoneType == "qinq" {
					if e, ok := byMAC[nic.MAC]; assert.True(t, ok, nic.MAC) {
						assert.EqualValues(t, nic.SDN.VLAN, e.VLAN, "the controller got the VNet's VLAN for guest %d %s", g.VMID, nic.Key)
						vnetVLANs++
					}
				}
			}
		}
		assert.Positive(t, vnetVLANs, "at least one upsert carries a VNet's VLAN")
	})

	t.Run("operations: backups, replication, HA, Ceph, certificates through a real Prometheus", func(t *testing.T) {
		ops := truth.Operations
		for _, b := range ops.Backups {
			if !b.Covered {
				assert.Equal(t, 1.0, instantValue(t, prom, fmt.Sprintf(`mnm_proxmox_guest_backup_excluded{vmid="%d"}`, b.VMID)), "guest %d", b.VMID)
			}
		}
		for _, j := range ops.Replication {
			assert.Equal(t, float64(j.FailCount), instantValue(t, prom, fmt.Sprintf(`mnm_proxmox_replication_fail_count{replication_job=%q}`, j.ID)), j.ID)
		}
		for _, r := range ops.HA.Resources {
			assert.Equal(t, 1.0, instantValue(t, prom, fmt.Sprintf(`mnm_proxmox_ha_resource{sid=%q,state=%q}`, r.SID, r.State)), r.SID)
		}
		assert.Equal(t, 1.0, instantValue(t, prom, `mnm_proxmox_ceph_health`), "HEALTH_WARN")
		for _, c := range ops.Certificates {
			assert.Equal(t, float64(c.NotAfter), instantValue(t, prom, fmt.Sprintf(`mnm_proxmox_node_certificate_expiry_timestamp{node=%q,filename=%q}`, c.Node, c.Filename)))
		}
	})

	t.Run("the simulator saw only GET", func(t *testing.T) {
		assert.Zero(t, cluster.sim.Stats().NonGET)
	})
}

// checkContract asserts every default-on contract metric is in Prometheus
// with exactly its label names.
func checkContract(t *testing.T, prom *prometheus) {
	t.Helper()
	var series struct {
		Data []map[string]string `json:"data"`
	}
	require.NoError(t, prom.getJSON(`/api/v1/series?match[]={__name__=~"mnm_proxmox_.*"}`, &series))
	byName := map[string][][]string{}
	for _, s := range series.Data {
		var labels []string
		for k := range s {
			if k != "__name__" && !addedLabels[k] {
				labels = append(labels, k)
			}
		}
		sort.Strings(labels)
		byName[s["__name__"]] = append(byName[s["__name__"]], labels)
	}
	for name, want := range promcontract.Metrics() {
		if promcontract.OptIn(name) {
			continue
		}
		got, ok := byName[name]
		if !assert.True(t, ok, "metric %s missing", name) {
			continue
		}
		want = slices.Clone(want)
		sort.Strings(want)
		for _, labels := range got {
			expected := want
			if !slices.Contains(labels, "bridge") {
				expected = slices.DeleteFunc(slices.Clone(want), func(l string) bool { return promcontract.MayBeEmpty(name, l) })
			}
			assert.Equal(t, expected, orEmpty(labels), name)
		}
	}
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func instantValue(t *testing.T, prom *prometheus, expr string) float64 {
	t.Helper()
	res, err := prom.query(t, expr)
	require.NoError(t, err)
	if !assert.Len(t, res, 1, expr) {
		return -1
	}
	return res[0].float()
}

// checkInventory compares what the controller holds with the simulator's
// NICs: one endpoint per NIC with a MAC of every non-template guest.
func checkInventory(truth *pvesim.Cluster, rows []controllersim.StoredEndpoint) error {
	// The MAC's current location; the store keeps its earlier ones as history.
	byMAC := map[string]controllersim.StoredEndpoint{}
	var stored []controllersim.StoredEndpoint
	for _, e := range rows {
		if e.Active {
			byMAC[e.MAC] = e
			stored = append(stored, e)
		}
	}
	want := 0
	for _, g := range truth.Guests {
		for _, nic := range g.NICs {
			if nic.MAC == "" || g.Template {
				continue
			}
			want++
			e, ok := byMAC[nic.MAC]
			if !ok {
				return fmt.Errorf("guest %d %s (%s) not received", g.VMID, nic.Key, nic.MAC)
			}
			class := "virtual_machine"
			if g.Type == "lxc" {
				class = "container"
			}
			port := cmp.Or(nic.Bridge, controllersim.NoneLocation) // MNM's store keys a NIC on no bridge (user networking) so
			if e.DeviceName != g.Node || e.SwitchPort != port || e.VLAN != nic.EffectiveVLAN() || e.Classification != class || e.Hostname != g.Name || e.Source != "proxmox" {
				return fmt.Errorf("guest %d %s: got %+v", g.VMID, nic.Key, e)
			}
			reports := g.Status == "running" && !g.NoRRD && (g.Type == "lxc" || g.Agent == pvesim.AgentRunning)
			if reports && len(nic.IPv4) > 0 {
				wantIP := netip.MustParsePrefix(nic.IPv4[0]).Addr().String()
				if e.IP == nil || *e.IP != wantIP {
					return fmt.Errorf("guest %d %s: ip %v, want %s", g.VMID, nic.Key, e.IP, wantIP)
				}
			}
		}
	}
	if len(stored) != want {
		return fmt.Errorf("controller holds %d endpoints, want %d", len(stored), want)
	}
	return nil
}
