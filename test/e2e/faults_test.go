// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e && linux

package e2e

import (
	"crypto/tls"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mnm-net/otelcol-mnm/internal/controllersim"
	"github.com/mnm-net/otelcol-mnm/internal/pvesim"
)

// The fault matrix of docs/reliability.md: each case runs the built
// otelcol-mnm at debug log level against the simulator's fault switches, and
// every collector's output is checked for secrets when the test ends.

var faultCluster = pvesim.Config{Nodes: 3, Guests: 24, Seed: 2}

func startFaultCollector(t *testing.T, cluster *simulatedCluster, ctl *controller, extraEnv ...string) (*process, string) {
	t.Helper()
	setup := &collectorSetup{cluster: cluster, controller: ctl, logLevel: "debug", extraEnv: extraEnv}
	p := startCollector(t, setup)
	return p, setup.promAddr
}

func node(name string) map[string]string { return map[string]string{"node": name} }

func TestFaultNodeOffline(t *testing.T) {
	t.Parallel()
	cluster := startCluster(t, faultCluster)
	collector, addr := startFaultCollector(t, cluster, startController(t, "fault-controller-secret"))
	waitForMetric(t, addr, "mnm_proxmox_node_memory_total_bytes", node("pve3"), present)

	cluster.sim.SetNodeOffline("pve3", true)
	waitForMetric(t, addr, "mnm_proxmox_node_online", node("pve3"), equals(0))
	waitForMetric(t, addr, "mnm_proxmox_node_online", node("pve1"), equals(1))
	before := lastCollection(t, addr)
	waitForMetric(t, addr, "mnm_proxmox_last_collection_timestamp", nil, func(v float64) error {
		if v <= before {
			return fmt.Errorf("no new collection yet")
		}
		return nil
	})
	assert.False(t, collector.exited())
	assert.NotContains(t, collector.out.String(), "panic")
}

func lastCollection(t *testing.T, addr string) float64 {
	t.Helper()
	e, err := scrapeCollector(addr)
	require.NoError(t, err)
	v, _ := e.value("mnm_proxmox_last_collection_timestamp", nil)
	return v
}

func TestFaultNodeHanging(t *testing.T) {
	t.Parallel()
	cluster := startCluster(t, faultCluster)
	cluster.sim.HangNode("pve2")
	collector, addr := startFaultCollector(t, cluster, startController(t, "fault-controller-secret"), "MNM_PROXMOX_TIMEOUT=3s")

	// The other nodes report; the hanging one costs one timeout, not the collection.
	waitForMetric(t, addr, "mnm_proxmox_node_memory_total_bytes", node("pve1"), present)
	waitForMetric(t, addr, "mnm_proxmox_node_memory_total_bytes", node("pve3"), present)
	waitForMetric(t, addr, "mnm_proxmox_collection_duration_seconds", nil, func(v float64) error {
		if v > 5 {
			return fmt.Errorf("collection took %.1fs with a 3s timeout", v)
		}
		return nil
	})
	e, err := scrapeCollector(addr)
	require.NoError(t, err)
	_, hungReported := e.value("mnm_proxmox_node_memory_total_bytes", node("pve2"))
	assert.False(t, hungReported, "the hanging node has no status")
	collector.waitForLog(t, 30*time.Second, "Proxmox problem", "/nodes/pve2/")
	assert.False(t, collector.exited())
}

func TestFaultPathAnswers500(t *testing.T) {
	t.Parallel()
	cluster := startCluster(t, faultCluster)
	cluster.sim.FailPath(pvesim.PathNodeStorage, 500, "storage backend unavailable")
	collector, addr := startFaultCollector(t, cluster, startController(t, "fault-controller-secret"))

	waitForMetric(t, addr, "mnm_proxmox_node_memory_total_bytes", node("pve1"), present)
	waitForMetric(t, addr, "mnm_proxmox_zfs_pool_health", nil, present)
	// Let several collections pass: each node's problem is logged once.
	waitForCollections(t, addr, 3)
	e, err := scrapeCollector(addr)
	require.NoError(t, err)
	_, ok := e.value("mnm_proxmox_storage_used_bytes", nil)
	assert.False(t, ok, "no storage data while the path fails")
	assert.Equal(t, 3, strings.Count(collector.out.String(), `"problem": "pve`), "one problem line per node, not per collection:\n%s", grepLines(collector.out.String(), "Proxmox problem"))
	assert.Contains(t, collector.out.String(), "storage backend unavailable")
	assert.NotContains(t, collector.out.String(), "Error scraping metrics")

	cluster.sim.ClearFaults()
	waitForMetric(t, addr, "mnm_proxmox_storage_used_bytes", nil, present)
	collector.waitForLog(t, 30*time.Second, "Proxmox problem resolved")
}

func TestFaultMalformedJSON(t *testing.T) {
	t.Parallel()
	cluster := startCluster(t, faultCluster)
	cluster.sim.MalformPath(pvesim.PathNodeDisks)
	collector, addr := startFaultCollector(t, cluster, startController(t, "fault-controller-secret"))
	waitForMetric(t, addr, "mnm_proxmox_node_memory_total_bytes", node("pve1"), present)
	collector.waitForLog(t, 30*time.Second, "malformed JSON", "/disks/list")
	e, err := scrapeCollector(addr)
	require.NoError(t, err)
	_, ok := e.value("mnm_proxmox_disk_size_bytes", nil)
	assert.False(t, ok)
	assert.NotContains(t, collector.out.String(), "panic")
}

func TestFaultNumbersAndNullsWhereObjectsBelong(t *testing.T) {
	t.Parallel()
	cluster := startCluster(t, faultCluster)
	cluster.sim.OddValuesPath(pvesim.PathClusterResources)
	cluster.sim.OddValuesPath(pvesim.PathNodeStatus)
	collector, addr := startFaultCollector(t, cluster, startController(t, "fault-controller-secret"))
	// The well-formed entries of /cluster/resources still count.
	waitForMetric(t, addr, "mnm_proxmox_node_online", node("pve1"), equals(1))
	waitForMetric(t, addr, "mnm_proxmox_vm_status", nil, present)
	waitForMetric(t, addr, "mnm_proxmox_storage_used_bytes", nil, present)
	collector.waitForLog(t, 30*time.Second, "entries skipped", "/nodes/pve1/status")
	assert.NotContains(t, collector.out.String(), "panic")
}

func TestFaultUnauthorizedRecovers(t *testing.T) {
	t.Parallel()
	cluster := startCluster(t, faultCluster)
	const wrongSecret = "11111111-dead-beef-0000-222222222222"
	setup := &collectorSetup{cluster: cluster, controller: startController(t, "fault-controller-secret"), logLevel: "debug", tokenSecret: wrongSecret}
	collector := startCollector(t, setup)
	collector.waitForLog(t, 30*time.Second, "Proxmox rejected the API token", `check token_id \"monitor@pve!mnm\" and token_secret`)
	assert.False(t, collector.exited(), "a bad token must not stop the collector")
	waitForWhy(t, setup.promAddr, map[string]string{"kind": "unauthorized"})

	// The cause is fixed on the Proxmox side: the token now has that secret.
	cluster.sim.SetToken(cluster.sim.Config().TokenID, wrongSecret)
	waitForMetric(t, setup.promAddr, "mnm_proxmox_node_online", node("pve1"), equals(1))
	collector.waitForLog(t, 30*time.Second, "Proxmox problem resolved")
}

func TestFaultForbiddenRecovers(t *testing.T) {
	t.Parallel()
	cluster := startCluster(t, faultCluster)
	cluster.sim.FailPath(pvesim.PathClusterStatus, 403, "Permission check failed (/, Sys.Audit)")
	collector, addr := startFaultCollector(t, cluster, startController(t, "fault-controller-secret"))
	collector.waitForLog(t, 30*time.Second, "lacks privilege Sys.Audit on /", "pveum acl modify / --tokens 'monitor@pve!mnm' --roles PVEAuditor")
	waitForMetric(t, addr, "mnm_proxmox_node_online", node("pve1"), equals(1))

	cluster.sim.ClearFaults()
	waitForMetric(t, addr, "mnm_proxmox_cluster_quorate", nil, equals(1))
	collector.waitForLog(t, 30*time.Second, "Proxmox problem resolved")
}

func TestFaultPrivilegeSeparatedTokenRecovers(t *testing.T) {
	t.Parallel()
	cluster := startCluster(t, faultCluster)
	cluster.sim.SetPermissions(pvesim.PrivSepNoACL)
	collector, addr := startFaultCollector(t, cluster, startController(t, "fault-controller-secret"))
	collector.waitForLog(t, 30*time.Second, "privilege separation and no ACL of its own", "--privsep 0")
	waitForWhy(t, addr, map[string]string{"kind": "privilege_separation"})
	e, err := scrapeCollector(addr)
	require.NoError(t, err)
	assert.Len(t, e["mnm_proxmox_problem"].GetMetric(), 1, "one problem with both remedies, not one 403 per path")

	cluster.sim.SetPermissions(pvesim.Full)
	waitForMetric(t, addr, "mnm_proxmox_node_online", node("pve1"), equals(1))
	collector.waitForLog(t, 30*time.Second, "Proxmox problem resolved")
}

func TestFaultTLSRecovers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		bad  func(*switchableTLSCluster) *tls.Certificate
		says []string
		kind string
	}{
		{"unknown authority", func(c *switchableTLSCluster) *tls.Certificate { return &c.unknown }, []string{"tls.ca_file", "/etc/pve/pve-root-ca.pem", "tls.insecure_skip_verify"}, "tls_unknown_authority"},
		{"wrong host name", func(c *switchableTLSCluster) *tls.Certificate { return &c.badName }, []string{"not valid for that name", "tls.server_name_override"}, "tls_hostname"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cluster := startSwitchableTLSCluster(t, faultCluster)
			cluster.serve(tc.bad(cluster))
			collector, addr := startFaultCollector(t, cluster.simulatedCluster, startController(t, "fault-controller-secret"))
			collector.waitForLog(t, 30*time.Second, tc.says...)
			assert.False(t, collector.exited())
			waitForWhy(t, addr, map[string]string{"kind": tc.kind})

			cluster.serve(&cluster.good) // e.g. the node got a proper certificate
			waitForMetric(t, addr, "mnm_proxmox_node_online", node("pve1"), equals(1))
			collector.waitForLog(t, 30*time.Second, "Proxmox problem resolved")
		})
	}
}

// TestFaultControllerOutageWithKill: the controller is down for a while; the
// collector queues the inventory on disk, is killed with SIGKILL during the
// outage and restarted on the same queue (with a token Proxmox now refuses,
// so only the queue can deliver); when the controller returns every endpoint
// arrives.
func TestFaultControllerOutageWithKill(t *testing.T) {
	t.Parallel()
	outage := 20 * time.Second
	if v := os.Getenv("E2E_OUTAGE"); v != "" {
		d, err := time.ParseDuration(v)
		require.NoError(t, err)
		outage = d
	}
	cluster := startCluster(t, faultCluster)
	ctl := startController(t, "fault-controller-secret")
	ctl.down()
	queueDir := t.TempDir()
	start := time.Now()

	first := startCollector(t, &collectorSetup{cluster: cluster, controller: ctl, logLevel: "debug", queueDir: queueDir})
	// Wait for at least one complete inventory cycle to be queued.
	configs := int64(0)
	for _, g := range cluster.sim.Cluster().Guests {
		if !g.Template {
			configs++
		}
	}
	eventually(t, 60*time.Second, "one inventory cycle", func() error {
		s := cluster.sim.Stats()
		if got := s.Paths[pvesim.PathQemuConfig] + s.Paths[pvesim.PathLXCConfig]; got < configs {
			return fmt.Errorf("%d of %d configs read", got, configs)
		}
		return nil
	})
	first.waitForLog(t, 30*time.Second, "Exporting failed. Will retry the request after interval.") // queued, retrying
	time.Sleep(time.Until(start.Add(outage / 2)))
	first.stop(syscall.SIGKILL)

	// Restarted with a token Proxmox refuses: nothing new is collected.
	second := startCollector(t, &collectorSetup{cluster: cluster, controller: ctl, logLevel: "debug", queueDir: queueDir,
		tokenSecret: "99999999-0000-0000-0000-000000000000"})
	time.Sleep(time.Until(start.Add(outage)))
	ctl.up(t)

	eventually(t, 90*time.Second, "queued inventory delivered", func() error {
		return checkInventory(cluster.sim.Cluster(), ctl.ctl.Endpoints())
	})
	assert.False(t, second.exited())
}

// TestFaultControllerRejects: permanent answers are not retried, say what is
// wrong, and do not hold back other batches.
func TestFaultControllerRejects(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status int
		says   string
	}{
		{401, "rejected the credentials"},
		{422, "422"},
		{413, "413"},
	} {
		t.Run(strconv.Itoa(tc.status), func(t *testing.T) {
			t.Parallel()
			cluster := startCluster(t, faultCluster)
			ctl := startController(t, "fault-controller-secret")
			// Only the first request fails; batches of 10 make several requests per cycle.
			ctl.ctl.SetFault(controllersim.Fault{Status: tc.status, Times: 1})
			collector := startCollector(t, &collectorSetup{cluster: cluster, controller: ctl, logLevel: "debug",
				inventoryEvery: "4s", extraEnv: []string{"MNM_MAX_BATCH_SIZE=10"}})
			collector.waitForLog(t, 30*time.Second, tc.says)
			eventually(t, 60*time.Second, "inventory delivered", func() error {
				return checkInventory(cluster.sim.Cluster(), ctl.ctl.Endpoints())
			})
			// No retry storm: the rejected batch was not sent again.
			time.Sleep(5 * time.Second)
			stats := ctl.ctl.Stats()
			assert.EqualValues(t, 1, stats.Faulted, "the rejected request is not retried")
			assert.False(t, collector.exited())
		})
	}
}

func waitForCollections(t *testing.T, addr string, n int) {
	t.Helper()
	first := lastCollection(t, addr)
	seen := 0
	last := first
	eventually(t, 60*time.Second, fmt.Sprintf("%d collections", n), func() error {
		v := lastCollection(t, addr)
		if v > last {
			seen++
			last = v
		}
		if seen < n {
			return fmt.Errorf("%d collections so far", seen)
		}
		return nil
	})
}

func grepLines(s, needle string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, needle) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
