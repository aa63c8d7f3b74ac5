// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pvesim

import (
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func sortedKeys(m map[string]any) []string {
	k := make([]string, 0, len(m))
	for key := range m {
		k = append(k, key)
	}
	slices.Sort(k)
	return k
}

// TestPrivSepNoACL checks what a privilege-separated token without ACL of
// its own sees, as pve-manager answers it.
func TestPrivSepNoACL(t *testing.T) {
	e := newEnv(t, Config{OfflineNodes: 1, Permissions: PrivSepNoACL})
	c := e.sim.Cluster()
	offline := c.Nodes[len(c.Nodes)-1]
	require.False(t, offline.Online)

	t.Run("cluster resources lists every node without stats", func(t *testing.T) {
		// pve-manager PVE/API2/Cluster.pm resources: extract_node_stats(...,
		// !$can_audit) (PVE/API2Tools.pm) drops uptime, cpu, mem, disk and
		// max*; cgroup-mode and the HA node state are added regardless.
		// Guests (VM.Audit), storages (Datastore.Audit), pools (Pool.Audit)
		// and SDN zones (SDN.Audit) are filtered out.
		for _, filter := range []string{"", "?type=node"} {
			res := list(t, e.data(t, "/cluster/resources"+filter))
			require.Len(t, res, len(c.Nodes), "filter %q", filter)
			for i, r := range res {
				n := c.Nodes[i]
				assert.Equal(t, "node/"+n.Name, r["id"])
				assert.Equal(t, n.Level, r["level"])
				if n.Online {
					assert.Equal(t, "online", r["status"])
					assert.Equal(t, []string{"cgroup-mode", "hastate", "id", "level", "node", "status", "type"}, sortedKeys(r))
				} else {
					assert.Equal(t, "offline", r["status"])
					assert.Equal(t, []string{"id", "level", "node", "status", "type"}, sortedKeys(r))
				}
			}
		}
		for _, filter := range []string{"vm", "storage", "sdn"} {
			assert.Empty(t, list(t, e.data(t, "/cluster/resources?type="+filter)), filter)
		}
		assert.Equal(t, http.StatusBadRequest, e.get(t, "/cluster/resources?type=bogus").status, "parameters are still checked")
	})

	t.Run("nodes lists every node without stats", func(t *testing.T) {
		// pve-manager PVE/API2/Nodes.pm index: the same extract_node_stats
		// call plus ssl_fingerprint
		nodes := list(t, e.data(t, "/nodes"))
		require.Len(t, nodes, len(c.Nodes))
		for i, n := range nodes {
			assert.Equal(t, []string{"id", "level", "node", "ssl_fingerprint", "status", "type"}, sortedKeys(n))
			assert.Equal(t, c.Nodes[i].SSLFingerprint, n["ssl_fingerprint"])
		}
		assert.Equal(t, "offline", nodes[len(nodes)-1]["status"])
		assert.Equal(t, "online", nodes[0]["status"])
	})

	t.Run("open paths", func(t *testing.T) {
		// pve-access-control src/PVE/RPCEnvironment.pm
		// get_effective_permissions drops paths without privileges
		r := e.get(t, "/access/permissions")
		require.Equal(t, http.StatusOK, r.status)
		assert.JSONEq(t, `{"data":{}}`, string(r.body))
		assert.Equal(t, http.StatusOK, e.get(t, "/version").status)
		// user => 'all', filtered per storage / guest: pve-storage
		// src/PVE/API2/Storage/Status.pm index, qemu-server
		// src/PVE/API2/Qemu.pm and pve-container src/PVE/API2/LXC.pm vmlist
		for _, p := range []string{"/nodes/pve1/storage", "/nodes/pve1/qemu", "/nodes/pve1/lxc"} {
			r := e.get(t, p)
			require.Equal(t, http.StatusOK, r.status, p)
			assert.JSONEq(t, `{"data":[]}`, string(r.body), p)
		}
		// these are proxied to the node after the (passing) check
		assert.Equal(t, 595, e.get(t, "/nodes/"+offline.Name+"/storage").status)
	})

	vm := findGuest(t, c, func(g Guest) bool { return g.Type == "qemu" && g.Status == "running" })
	ct := findGuest(t, c, func(g Guest) bool { return g.Type == "lxc" && g.Status == "running" })
	guest := func(g Guest, rest string) string {
		return fmt.Sprintf("/nodes/%s/%s/%d/%s", g.Node, g.Type, g.VMID, rest)
	}
	vms := func(g Guest) string { return fmt.Sprintf("/vms/%d", g.VMID) }
	forbidden := []struct {
		path, msg string
	}{
		// pve-manager PVE/API2/Cluster.pm status
		{"/cluster/status", "(/, Sys.Audit)"},
		// pve-manager PVE/API2/Nodes.pm status; the check comes before
		// proxying (PVE/HTTPServer.pm rest_handler), so offline and unknown
		// nodes answer 403 too
		{"/nodes/pve1/status", "(/nodes/pve1, Sys.Audit)"},
		{"/nodes/" + offline.Name + "/status", "(/nodes/" + offline.Name + ", Sys.Audit)"},
		{"/nodes/nope/status", "(/nodes/nope, Sys.Audit)"},
		// pve-storage src/PVE/API2/Disks/ZFS.pm index
		{"/nodes/pve1/disks/zfs", "(/, Sys.Audit)"},
		// pve-storage src/PVE/API2/Disks.pm list: an 'or' check that fails
		// raises raise_perm_exc() without details
		// (pve-access-control src/PVE/RPCEnvironment.pm exec_api2_perm_check)
		{"/nodes/pve1/disks/list", ""},
		// qemu-server src/PVE/API2/Qemu.pm vm_config, vm_status
		{guest(vm, "config"), "(" + vms(vm) + ", VM.Audit)"},
		{guest(vm, "status/current"), "(" + vms(vm) + ", VM.Audit)"},
		{"/nodes/pve1/qemu/99999/config", "(/vms/99999, VM.Audit)"},
		// qemu-server src/PVE/API2/Qemu/Agent.pm register_command (PVE 9)
		{guest(vm, "agent/network-get-interfaces"), "(" + vms(vm) + ", VM.GuestAgent.Audit|VM.GuestAgent.Unrestricted)"},
		// pve-container src/PVE/API2/LXC/Config.pm, LXC/Status.pm, LXC.pm ip
		{guest(ct, "config"), "(" + vms(ct) + ", VM.Audit)"},
		{guest(ct, "status/current"), "(" + vms(ct) + ", VM.Audit)"},
		{guest(ct, "interfaces"), "(" + vms(ct) + ", VM.Audit)"},
	}
	for _, tc := range forbidden {
		t.Run("403 "+tc.path, func(t *testing.T) {
			r := e.get(t, tc.path)
			require.Equal(t, http.StatusForbidden, r.status)
			want := "Permission check failed"
			if tc.msg != "" {
				want += " " + tc.msg
			}
			assert.Equal(t, want+"\n", errorMessage(t, r))
		})
	}

	t.Run("agent privilege of PVE 7", func(t *testing.T) {
		require.NoError(t, e.sim.SetVersion(Version7))
		defer e.sim.ClearFaults()
		r := e.get(t, guest(vm, "agent/network-get-interfaces"))
		assert.Equal(t, http.StatusForbidden, r.status)
		// PVE 7 carries the text only in the reason phrase
		assert.Equal(t, "Permission check failed ("+vms(vm)+", VM.Monitor)", r.reason)
		assert.JSONEq(t, `{"data":null}`, string(r.body))
	})

	t.Run("ground truth does not change", func(t *testing.T) {
		full := New(Config{OfflineNodes: 1}).Cluster()
		assert.Equal(t, full, e.sim.Cluster())
	})
}

// TestPrivSepEmptyListsKeepsOldClaim pins the shape the project used to
// claim for such a token, for the tests that still use it.
func TestPrivSepEmptyListsKeepsOldClaim(t *testing.T) {
	e := newEnv(t, Config{Permissions: PrivSepEmptyLists})
	for _, p := range []string{"/cluster/resources", "/cluster/resources?type=node", "/nodes"} {
		assert.Empty(t, list(t, e.data(t, p)), p)
	}
	assert.Empty(t, object(t, e.data(t, "/access/permissions")))
	for path, msg := range map[string]string{
		"/cluster/status":                "Permission check failed (/, Sys.Audit)",
		"/nodes/pve1/status":             "Permission check failed (/nodes/pve1, Sys.Audit)",
		"/nodes/pve2/storage":            "Permission check failed (/nodes/pve2, Sys.Audit)",
		"/nodes/pve1/qemu/100/config":    "Permission check failed (/nodes/pve1, Sys.Audit)",
		"/nodes/pve1/disks/list":         "Permission check failed (/nodes/pve1, Sys.Audit)",
		"/nodes/pve3/lxc/101/interfaces": "Permission check failed (/nodes/pve3, Sys.Audit)",
	} {
		r := e.get(t, path)
		assert.Equal(t, http.StatusForbidden, r.status, path)
		assert.Equal(t, msg+"\n", errorMessage(t, r), path)
	}
	p, err := ParsePermissions("privsep-empty-lists")
	require.NoError(t, err)
	assert.Equal(t, PrivSepEmptyLists, p)
	assert.Equal(t, "privsep-empty-lists", p.String())
}

func TestAuditorPVE8AgentCheckComesBeforeTheGuestLookup(t *testing.T) {
	// rest_handler checks permissions before the handler loads the config
	// (pve-manager PVE/HTTPServer.pm), and PVE 8 guards the agent with
	// VM.Monitor (qemu-server branch stable-bookworm,
	// src/PVE/API2/Qemu/Agent.pm)
	e := newEnv(t, Config{Permissions: AuditorPVE8})
	r := e.get(t, "/nodes/pve1/qemu/99999/agent/network-get-interfaces")
	assert.Equal(t, http.StatusForbidden, r.status)
	assert.Equal(t, "Permission check failed (/vms/99999, VM.Monitor)\n", errorMessage(t, r))
}
