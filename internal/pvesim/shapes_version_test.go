// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pvesim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// wantError checks an error answer in the format of the version: PVE 7.4
// and 8.0 (libpve-http-server-perl < 5.2.0) carry the text only in the
// reason phrase with the body {"data":null}; 8.4 and 9 put it into the
// body's message too.
func wantError(t *testing.T, r result, status int, inBody bool, msg string) {
	t.Helper()
	require.Equal(t, status, r.status, "%s %s", r.reason, r.body)
	assert.Equal(t, "pve-api-daemon/3.0", r.header.Get("Server"))
	if inBody {
		assert.Equal(t, msg+"\n", errorMessage(t, r))
		return
	}
	assert.Equal(t, msg, r.reason)
	assert.Equal(t, `{"data":null}`, string(r.body))
}

func TestShapesAreSmallHealthyAndReproducible(t *testing.T) {
	assert.Equal(t, []string{"pve7.4", "pve7.4-sdn", "pve8.0", "pve8.4", "pve9", "pve9-standalone"}, ShapeNames())
	for _, sh := range Shapes() {
		cfg := sh.Config
		assert.NotEmpty(t, sh.About, sh.Name)
		v, err := ParseVersion(cfg.Version)
		require.NoError(t, err, sh.Name)
		assert.Equal(t, v, cfg.Version, "%s names its version by constant", sh.Name)
		assert.True(t, cfg.Operations, "%s serves the slow tier", sh.Name)
		assert.False(t, cfg.OperationsTime.IsZero(), sh.Name)
		assert.NotZero(t, cfg.Seed, sh.Name)
		assert.Zero(t, cfg.OfflineNodes, sh.Name)
		assert.Zero(t, cfg.Latency, sh.Name)
		assert.Equal(t, Full, cfg.Permissions, sh.Name)
		assert.False(t, cfg.DuplicateMAC, "%s: a duplicate MAC is a problem", sh.Name)
		assert.False(t, cfg.SDN && cfg.SDNAbsent, sh.Name)
		if cfg.Standalone {
			assert.Equal(t, 1, cfg.Nodes, sh.Name)
		} else {
			assert.GreaterOrEqual(t, cfg.Nodes, 2, sh.Name)
			assert.LessOrEqual(t, cfg.Nodes, 3, sh.Name)
		}
		assert.GreaterOrEqual(t, cfg.Guests, 10, sh.Name)
		assert.LessOrEqual(t, cfg.Guests, 16, sh.Name)

		got, err := ShapeNamed(sh.Name)
		require.NoError(t, err)
		assert.Equal(t, sh, got)

		// every node online, every answer the same in a second simulator
		a, b := newEnv(t, cfg), newEnv(t, cfg)
		for _, n := range list(t, a.data(t, "/cluster/status")) {
			if n["type"] == "node" {
				assert.Equal(t, float64(1), n["online"], "%s %s", sh.Name, n["name"])
			}
		}
		for _, p := range []string{"/version", "/cluster/resources", "/cluster/ha/status/current", "/cluster/ceph/status",
			"/nodes/pve1/status", "/nodes/pve1/tasks", "/nodes/pve1/replication", "/nodes/pve1/certificates/info",
			"/nodes/pve1/subscription", "/cluster/backup-info/not-backed-up", "/cluster/sdn/vnets"} {
			ra, rb := a.get(t, p), b.get(t, p)
			assert.Equal(t, ra.status, rb.status, "%s %s", sh.Name, p)
			assert.Equal(t, string(ra.body), string(rb.body), "%s %s", sh.Name, p)
		}
	}
	_, err := ShapeNamed("pve8")
	assert.ErrorContains(t, err, "pve7.4, pve7.4-sdn, pve8.0, pve8.4, pve9, pve9-standalone")
}

// TestShapeAnswers pins the answers that tell the shapes apart.
func TestShapeAnswers(t *testing.T) {
	const (
		notInstalled = "binary not installed: /usr/bin/ceph-mon"
		ok           = ""
	)
	for _, tc := range []struct {
		shape      string
		version    string // /version
		pveversion *regexp.Regexp
		bodyErrors bool // error text in the body too
		sdnAbsent  bool
		lxcIfaces  int
		ceph       string // the 500's text, ok for 200
		haMaster   bool
		standalone bool
		noZFS      []string
	}{
		{"pve7.4", "7.4-20", regexp.MustCompile(`^pve-manager/7\.4-20/[0-9a-f]{8}$`), false, true, 501, notInstalled, false, false, []string{"pve2"}},
		{"pve7.4-sdn", "7.4-20", regexp.MustCompile(`^pve-manager/7\.4-20/[0-9a-f]{8}$`), false, false, 501, notInstalled, false, false, []string{"pve3"}},
		{"pve8.0", "8.0.4", regexp.MustCompile(`^pve-manager/8\.0\.4/[0-9a-f]{16}$`), false, true, 501, "pveceph configuration not initialized", true, false, []string{"pve3"}},
		{"pve8.4", "8.4.1", regexp.MustCompile(`^pve-manager/8\.4\.1/[0-9a-f]{16}$`), true, false, 200, notInstalled, true, false, []string{"pve3"}},
		{"pve9", "9.1.4", regexp.MustCompile(`^pve-manager/9\.1\.4/[0-9a-f]{16}$`), true, false, 200, ok, true, false, []string{"pve3"}},
		{"pve9-standalone", "9.1.4", regexp.MustCompile(`^pve-manager/9\.1\.4/[0-9a-f]{16}$`), true, false, 200, notInstalled, false, true, []string{"pve1"}},
	} {
		t.Run(tc.shape, func(t *testing.T) {
			sh, err := ShapeNamed(tc.shape)
			require.NoError(t, err)
			e := newEnv(t, sh.Config)
			c := e.sim.Cluster()

			assert.Equal(t, tc.version, object(t, e.data(t, "/version"))["version"])
			assert.Regexp(t, tc.pveversion, object(t, e.data(t, "/nodes/pve1/status"))["pveversion"])

			// an unknown node: the error format of the version
			wantError(t, e.get(t, "/nodes/nope/status"), http.StatusInternalServerError, tc.bodyErrors,
				"hostname lookup 'nope' failed - failed to get address info for: nope: Name or service not known")

			// SDN: the package absent, or present (configured or not)
			for _, p := range []string{"/cluster/sdn", "/cluster/sdn/vnets", "/cluster/sdn/zones"} {
				r := e.get(t, p)
				if tc.sdnAbsent {
					wantError(t, r, http.StatusNotImplemented, tc.bodyErrors, "Method 'GET "+p+"' not implemented")
				} else {
					assert.Equal(t, http.StatusOK, r.status, p)
				}
			}
			sdnRes := list(t, e.data(t, "/cluster/resources?type=sdn"))
			if tc.sdnAbsent {
				assert.Empty(t, sdnRes, "no sdn entries without the package")
			} else {
				assert.NotEmpty(t, sdnRes)
			}
			if sh.Config.SDN {
				assert.NotEmpty(t, list(t, e.data(t, "/cluster/sdn/vnets")))
			}

			// lxc interfaces
			ct := runningCT(t, c)
			p := fmt.Sprintf("/nodes/%s/lxc/%d/interfaces", ct.Node, ct.VMID)
			r := e.get(t, p)
			if tc.lxcIfaces == http.StatusNotImplemented {
				wantError(t, r, http.StatusNotImplemented, false, "Method 'GET "+p+"' not implemented")
			} else {
				assert.Equal(t, http.StatusOK, r.status)
			}

			// Ceph
			r = e.get(t, "/cluster/ceph/status")
			if tc.ceph == ok {
				assert.Equal(t, http.StatusOK, r.status)
			} else {
				wantError(t, r, http.StatusInternalServerError, tc.bodyErrors, tc.ceph)
			}

			// HA: without HA only the quorum entry
			ha := list(t, e.data(t, "/cluster/ha/status/current"))
			assert.Equal(t, "quorum", ha[0]["id"])
			assert.Equal(t, float64(1), ha[0]["quorate"])
			if tc.haMaster {
				assert.Equal(t, "master", ha[1]["id"])
			} else {
				assert.Len(t, ha, 1)
			}

			// a node without the zfs module
			for _, n := range c.Nodes {
				r := e.get(t, "/nodes/"+n.Name+"/disks/zfs")
				if contains(tc.noZFS, n.Name) {
					wantError(t, r, http.StatusInternalServerError, tc.bodyErrors, noZFSMessage)
				} else {
					assert.Equal(t, http.StatusOK, r.status, n.Name)
				}
			}

			// the cluster, or a standalone node
			st := e.get(t, "/cluster/status")
			require.Equal(t, http.StatusOK, st.status)
			if tc.standalone {
				n := c.Nodes[0]
				assert.JSONEq(t, fmt.Sprintf(`{"data":[{"type":"node","id":"node/pve1","name":"pve1","ip":%q,"local":1,"nodeid":0,"online":1,"level":""}]}`, n.IP), string(st.body))
				assert.Equal(t, `{"data":[]}`, string(e.get(t, "/nodes/pve1/replication").body))
				sub := object(t, e.data(t, "/nodes/pve1/subscription"))
				assert.Equal(t, "notfound", sub["status"])
				assert.Equal(t, "There is no subscription key", sub["message"])
				assert.NotContains(t, sub, "level")
			} else {
				entries := list(t, e.data(t, "/cluster/status"))
				assert.Equal(t, "cluster", entries[0]["type"])
				assert.Equal(t, float64(1), entries[0]["quorate"])
				assert.Len(t, entries, len(c.Nodes)+1)
			}
		})
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// TestSDNAbsent: without libpve-network-perl pve-manager registers no sdn
// subclass (PVE/API2/Cluster.pm $have_sdn), so rest_handler answers its
// 501 for every path below /cluster/sdn (PVE/HTTPServer.pm), before any
// permission check, after authentication.
func TestSDNAbsent(t *testing.T) {
	e := newEnv(t, Config{Seed: 1, SDNAbsent: true, SDN: true})
	assert.False(t, e.sim.Config().SDN, "there is no SDN to configure without the package")
	assert.Empty(t, e.sim.Cluster().SDN.VNets)
	for _, perms := range []Permissions{Full, AuditorNoSDN, PrivSepNoACL, PrivSepEmptyLists} {
		e.sim.SetPermissions(perms)
		for path, requested := range map[string]string{
			"/cluster/sdn":                 "/cluster/sdn",
			"/cluster/sdn/vnets":           "/cluster/sdn/vnets",
			"/cluster/sdn/zones?type=evpn": "/cluster/sdn/zones", // no query string in the text
		} {
			r := e.get(t, path)
			wantError(t, r, http.StatusNotImplemented, true, "Method 'GET "+requested+"' not implemented")
		}
	}
	e.sim.ClearFaults()
	assert.Equal(t, `{"data":[]}`, string(e.get(t, "/cluster/resources?type=sdn").body))
	for _, res := range list(t, e.data(t, "/cluster/resources")) {
		assert.NotEqual(t, "sdn", res["type"])
	}
	r, err := e.do(t, t.Context(), http.MethodGet, "/api2/json/cluster/sdn/vnets", "")
	require.NoError(t, err)
	assert.Equal(t, http.StatusUnauthorized, r.status, "authentication comes first")

	// PVE 7 style on 7.4
	require.NoError(t, e.sim.SetVersion("7.4"))
	wantError(t, e.get(t, "/cluster/sdn/vnets"), http.StatusNotImplemented, false, "Method 'GET /cluster/sdn/vnets' not implemented")

	// off by default
	d := newEnv(t, Config{Seed: 1})
	assert.Equal(t, `{"data":[]}`, string(d.get(t, "/cluster/sdn/vnets").body))
}

// TestCephNotInitialized: check_ceph_inited (pve-manager PVE/Ceph/Tools.pm)
// dies with the plain text up to 8.1 and names the missing paths since 8.2
// (commit a51a28e3).
func TestCephNotInitialized(t *testing.T) {
	cfg := opsConfig(1)
	cfg.CephNotInitialized = true
	e := newEnv(t, cfg)
	c := e.sim.Cluster()
	assert.True(t, c.Operations.Ceph.Installed)
	assert.True(t, c.Operations.Ceph.NotInitialized)
	assert.Empty(t, c.Operations.Ceph.OSDs)
	for _, n := range c.Nodes {
		for _, d := range n.Disks {
			assert.Equal(t, -1, d.OSDID, "no OSD before pveceph init")
		}
	}
	const plain = "pveceph configuration not initialized"
	for v, want := range map[string]string{
		"7.4": plain,
		"8.0": plain,
		"8.4": plain + " - missing '/etc/pve/ceph.conf', missing '/etc/pve/ceph'",
		"9":   plain + " - missing '/etc/pve/ceph.conf', missing '/etc/pve/ceph'",
	} {
		require.NoError(t, e.sim.SetVersion(v))
		wantError(t, e.get(t, "/cluster/ceph/status"), http.StatusInternalServerError, !versionBefore(e.sim.Version(), Version84), want)
	}
	e.sim.ClearFaults()
	e.sim.SetPermissions(PrivSepNoACL)
	wantError(t, e.get(t, "/cluster/ceph/status"), http.StatusForbidden, true, "Permission check failed (/, Sys.Audit|Datastore.Audit)")

	// not installed wins: check_ceph_installed runs first
	cfg.CephAbsent = true
	a := newEnv(t, cfg)
	wantError(t, a.get(t, "/cluster/ceph/status"), http.StatusInternalServerError, true, "binary not installed: /usr/bin/ceph-mon")
	assert.False(t, a.sim.Cluster().Operations.Ceph.Installed)
}

// TestVersions80And84 checks what 8.0.4 and 8.4.1 answer differently from 9.
func TestVersions80And84(t *testing.T) {
	for _, tc := range []struct {
		version, full string
		kernelRe      string
		newStatus     bool // current-kernel and boot-info (pve-manager 8.1+)
		bodyErrors    bool
		ifaces        int
		sdnPath       string // of the SDN.Audit 403
		ceph          string
	}{
		{Version80, "8.0.4", `^Linux 6\.2\.`, false, false, http.StatusNotImplemented, "/", "quincy"},
		{Version84, "8.4.1", `^Linux 6\.8\.`, true, true, http.StatusOK, "/sdn", "squid"},
	} {
		t.Run(tc.version, func(t *testing.T) {
			cfg := opsConfig(1)
			cfg.Version, cfg.SDN = tc.full, true
			e := newEnv(t, cfg)
			assert.Equal(t, tc.version, e.sim.Version())
			c := e.sim.Cluster()

			r := e.get(t, "/version")
			require.Equal(t, http.StatusOK, r.status)
			assert.Regexp(t, `^\{"data":\{"repoid":"[0-9a-f]{16}","release":"`+regexp.QuoteMeta(tc.version)+`","version":"`+regexp.QuoteMeta(tc.full)+`"\}\}$`, string(r.body))

			for _, n := range c.Nodes {
				assert.Equal(t, tc.full, n.Version, n.Name)
				assert.True(t, n.Legacy, n.Name)
				st := object(t, e.data(t, "/nodes/"+n.Name+"/status"))
				assert.Equal(t, "pve-manager/"+tc.full+"/"+n.RepoID, st["pveversion"])
				assert.Regexp(t, tc.kernelRe, st["kversion"])
				assert.NotContains(t, object(t, st["memory"]), "available", "a PVE 9 field")
				if tc.newStatus {
					assert.Contains(t, st, "current-kernel")
					assert.Contains(t, st, "boot-info")
				} else {
					assert.NotContains(t, st, "current-kernel")
					assert.NotContains(t, st, "boot-info")
				}
				for _, ct := range list(t, e.data(t, "/nodes/"+n.Name+"/lxc")) {
					assert.IsType(t, "", ct["vmid"], "lxc vmids are strings before 9")
				}
			}
			for _, res := range list(t, e.data(t, "/cluster/resources?type=vm")) {
				assert.NotContains(t, res, "memhost", "a PVE 9 field")
			}

			ct := runningCT(t, c)
			assert.Equal(t, tc.ifaces, e.get(t, fmt.Sprintf("/nodes/%s/lxc/%d/interfaces", ct.Node, ct.VMID)).status)
			wantError(t, e.get(t, "/nodes/nope/netstat"), http.StatusInternalServerError, tc.bodyErrors,
				"hostname lookup 'nope' failed - failed to get address info for: nope: Name or service not known")

			// SDN: no fabrics before 9
			assert.Equal(t, `{"data":[{"id":"vnets"},{"id":"zones"},{"id":"controllers"},{"id":"ipams"},{"id":"dns"}]}`, string(e.get(t, "/cluster/sdn").body))
			for _, ha := range list(t, e.data(t, "/cluster/ha/status/current")) {
				assert.NotContains(t, ha, "failback", "pve-ha-manager 5.0.3 (PVE 9)")
			}
			monmap := object(t, object(t, e.data(t, "/cluster/ceph/status"))["monmap"])
			assert.Equal(t, tc.ceph, monmap["min_mon_release_name"])

			// privileges
			vm := findGuest(t, c, func(g Guest) bool { return g.Type == "qemu" })
			e.sim.SetPermissions(PrivSepNoACL)
			wantError(t, e.get(t, fmt.Sprintf("/nodes/%s/qemu/%d/agent/network-get-interfaces", vm.Node, vm.VMID)),
				http.StatusForbidden, tc.bodyErrors, fmt.Sprintf("Permission check failed (/vms/%d, VM.Monitor)", vm.VMID))
			e.sim.SetPermissions(AuditorNoSDN)
			wantError(t, e.get(t, "/cluster/sdn"), http.StatusForbidden, tc.bodyErrors, "Permission check failed ("+tc.sdnPath+", SDN.Audit)")
		})
	}
}

// TestVersion7Nodes: a cluster generated as 7.4 runs 7.4-20 on every
// node with an 8 hex digit repoid and the 5.15 kernel, without the fields
// 8.1 and 9 added to the node status.
func TestVersion7Nodes(t *testing.T) {
	e := newEnv(t, Config{Seed: 1, Version: "7.4-20"})
	v := object(t, e.data(t, "/version"))
	for _, n := range e.sim.Cluster().Nodes {
		assert.Equal(t, "7.4-20", n.Version)
		st := object(t, e.data(t, "/nodes/"+n.Name+"/status"))
		assert.Equal(t, "pve-manager/7.4-20/"+n.RepoID[:8], st["pveversion"])
		assert.True(t, strings.HasPrefix(st["kversion"].(string), "Linux 5.15."), st["kversion"])
		assert.NotContains(t, st, "current-kernel")
		assert.NotContains(t, object(t, st["memory"]), "available")
		if n.Name == "pve1" {
			assert.Equal(t, v["repoid"], n.RepoID[:8], "/version is the endpoint's")
		}
	}
	// the default keeps its mixed cluster
	d := newEnv(t, Config{Seed: 1})
	var versions []string
	for _, n := range d.sim.Cluster().Nodes {
		versions = append(versions, n.Version)
	}
	assert.Equal(t, []string{"9.1.4", "8.4.1", "9.1.4"}, versions)
}

// TestStandalone: a node without corosync.conf (pve-manager
// PVE/API2/Cluster.pm get_status, "fake entry for local node").
func TestStandalone(t *testing.T) {
	cfg := opsConfig(3)
	cfg.Standalone, cfg.Nodes = true, 3
	e := newEnv(t, cfg)
	assert.Equal(t, 1, e.sim.Config().Nodes, "a standalone node is one node")
	assert.True(t, e.sim.Config().HAAbsent)
	c := e.sim.Cluster()
	require.Len(t, c.Nodes, 1)
	n := c.Nodes[0]

	var st struct {
		Data []map[string]json.RawMessage `json:"data"`
	}
	require.NoError(t, json.Unmarshal(e.get(t, "/cluster/status").body, &st))
	require.Len(t, st.Data, 1)
	var keys []string
	for k := range st.Data[0] {
		keys = append(keys, k)
	}
	assert.ElementsMatch(t, []string{"type", "id", "name", "ip", "local", "nodeid", "online", "level"}, keys, "no quorate field")
	assert.JSONEq(t, `"node"`, string(st.Data[0]["type"]))
	assert.JSONEq(t, `0`, string(st.Data[0]["nodeid"]))
	assert.JSONEq(t, `"c"`, string(st.Data[0]["level"]), "its subscription level")

	ha := list(t, e.data(t, "/cluster/ha/status/current"))
	require.Len(t, ha, 1)
	assert.Equal(t, map[string]any{"id": "quorum", "type": "quorum", "node": n.Name, "status": "OK", "quorate": float64(1)}, ha[0])
	assert.Equal(t, `{"data":[]}`, string(e.get(t, "/nodes/pve1/replication").body))
	assert.Equal(t, `{"data":[]}`, string(e.get(t, "/cluster/replication").body))
	assert.Empty(t, c.Operations.Replication)
	assert.Empty(t, c.Operations.HA.Resources)
	for _, g := range c.Guests {
		assert.Empty(t, g.HAState, "%d", g.VMID)
	}
}

// TestNoSubscriptionAndZFSAbsent: every node without a key and without the
// zfs module.
func TestNoSubscriptionAndZFSAbsent(t *testing.T) {
	cfg := opsConfig(2)
	cfg.NoSubscription, cfg.ZFSAbsent = true, true
	e := newEnv(t, cfg)
	c := e.sim.Cluster()
	require.Len(t, c.Nodes, DefaultNodes)
	for _, n := range c.Nodes {
		assert.Empty(t, n.Level, n.Name)
		assert.False(t, n.HasZFS, n.Name)
		assert.Empty(t, n.ZFSPools, n.Name)
		for _, s := range n.Storages {
			assert.NotEqual(t, "zfspool", s.Type, n.Name)
		}
		sub := object(t, e.data(t, "/nodes/"+n.Name+"/subscription"))
		assert.Equal(t, "notfound", sub["status"], n.Name)
		assert.Equal(t, "There is no subscription key", sub["message"])
		assert.NotContains(t, sub, "level")
		assert.Contains(t, sub, "serverid")
		wantError(t, e.get(t, "/nodes/"+n.Name+"/disks/zfs"), http.StatusInternalServerError, true, noZFSMessage)
	}
	for _, n := range list(t, e.data(t, "/cluster/resources?type=node")) {
		assert.Equal(t, "", n["level"])
	}
	for _, n := range list(t, e.data(t, "/cluster/status"))[1:] {
		assert.Equal(t, "", n["level"])
	}
	assert.Empty(t, c.Operations.Replication, "pvesr needs ZFS on two nodes")
	for _, s := range c.Operations.Subscriptions {
		assert.Equal(t, "notfound", s.Status)
	}

	// without the switches: the first node has a key, one node lacks ZFS
	d := newEnv(t, opsConfig(2))
	dc := d.sim.Cluster()
	assert.Equal(t, "c", dc.Nodes[0].Level)
	assert.Equal(t, "active", dc.Operations.Subscriptions[0].Status)
	assert.True(t, dc.Nodes[0].HasZFS)
	assert.NotEmpty(t, dc.Operations.Replication)
}
