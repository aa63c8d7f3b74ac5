// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pvesim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNodeStatusShape(t *testing.T) {
	e := newEnv(t, Config{Seed: 7})
	for _, n := range e.sim.Cluster().Nodes {
		st := object(t, e.data(t, "/nodes/"+n.Name+"/status"))
		load, ok := st["loadavg"].([]any)
		require.True(t, ok)
		require.Len(t, load, 3)
		for _, l := range load {
			assert.IsType(t, "", l, "loadavg must be strings")
		}
		cpuinfo := object(t, st["cpuinfo"])
		assert.Equal(t, "3400.000", cpuinfo["mhz"])
		assert.Equal(t, "1", cpuinfo["hvm"])
		assert.Equal(t, "pve-manager/"+n.Version+"/"+n.RepoID, st["pveversion"])
		assert.NotContains(t, st, "status", "node status has no status field")
		mem := object(t, st["memory"])
		assert.Equal(t, float64(n.MaxMem), mem["total"])
		if n.Legacy {
			assert.Equal(t, "8.4.1", n.Version)
			assert.NotContains(t, mem, "available")
		} else {
			assert.Regexp(t, `^9\.\d+\.\d+$`, n.Version)
			assert.Contains(t, mem, "available")
		}
		assert.Len(t, n.RepoID, 16)
		for _, k := range []string{"swap", "ksm", "rootfs", "kversion", "uptime"} {
			assert.Contains(t, st, k)
		}
	}
}

func TestDisksShape(t *testing.T) {
	e := newEnv(t, Config{})
	disks := list(t, e.data(t, "/nodes/pve1/disks/list"))
	byDev := map[string]map[string]any{}
	for _, d := range disks {
		byDev[d["devpath"].(string)] = d
	}
	hdd := byDev["/dev/sdb"]
	assert.Equal(t, "hdd", hdd["type"])
	assert.Equal(t, "N/A", hdd["wearout"])
	assert.InDelta(t, 7200, hdd["rpm"], 0)
	assert.Equal(t, "FAILED!", hdd["health"], "the first node always has a failing disk")
	assert.Equal(t, "97", byDev["/dev/sdc"]["wearout"], "numeric-string wearout")
	nvme := byDev["/dev/nvme0n1"]["wearout"].(float64)
	assert.NotEqual(t, nvme, float64(int(nvme)), "nvme wearout is fractional")
	assert.IsType(t, float64(0), byDev["/dev/sda"]["wearout"])
	assert.Equal(t, "UNKNOWN", byDev["/dev/sde"]["health"])
	assert.Equal(t, "usb", byDev["/dev/sde"]["type"])
	assert.Equal(t, "OK", byDev["/dev/sdd"]["health"])
	assert.Equal(t, "0", byDev["/dev/sdd"]["osdid"], "ceph OSD id is a string")
	assert.InDelta(t, -1, byDev["/dev/sda"]["osdid"], 0)
	assert.Equal(t, "ATA     ", byDev["/dev/sda"]["vendor"], "vendor is space-padded")
	_, hasUsed := byDev["/dev/sde"]["used"]
	assert.False(t, hasUsed, "unused disks have no used field")
}

func TestZFSShape(t *testing.T) {
	e := newEnv(t, Config{})
	r := e.get(t, "/nodes/pve1/disks/zfs")
	require.Equal(t, http.StatusOK, r.status)
	assert.Contains(t, string(r.body), `"dedup":1,`, "dedup 1.00 is emitted as 1")
	assert.Contains(t, string(r.body), `"dedup":1.5,`)
	pools := list(t, e.data(t, "/nodes/pve1/disks/zfs"))
	var health []string
	for _, p := range pools {
		health = append(health, p["health"].(string))
	}
	assert.Contains(t, health, "DEGRADED")
	assert.Contains(t, health, "ONLINE")

	noZFS := ""
	for _, n := range e.sim.Cluster().Nodes {
		if !n.HasZFS {
			noZFS = n.Name
		}
	}
	require.NotEmpty(t, noZFS)
	require.NotEqual(t, "pve1", noZFS)
	r = e.get(t, "/nodes/"+noZFS+"/disks/zfs")
	assert.Equal(t, http.StatusInternalServerError, r.status)
	assert.Equal(t, noZFSMessage+"\n", errorMessage(t, r))
}

// TestNoZFSNodes pins which node has no ZFS and that it answers the real
// 500 of `zpool list` (pve-storage src/PVE/API2/Disks/ZFS.pm get_pool_data,
// pve-common src/PVE/Cmd.pm), in both error styles.
func TestNoZFSNodes(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string // "" means every node has ZFS
	}{
		{Config{Seed: 1}, "pve3"},
		{Config{Seed: 2}, "pve3"},
		{Config{Nodes: 2, Guests: 4, Seed: 1}, "pve2"},
		{Config{Nodes: 3, Guests: 30, OfflineNodes: 1, Seed: 2}, "pve2"},
		{Config{Nodes: 5, Guests: 200, OfflineNodes: 1, Seed: 3}, "pve4"},
		{Config{Nodes: 1, Guests: 5}, ""},
	} {
		e := newEnv(t, tc.cfg)
		got := ""
		for _, n := range e.sim.Cluster().Nodes {
			r := e.get(t, "/nodes/"+n.Name+"/disks/zfs")
			if !n.Online {
				assert.Equal(t, 595, r.status, n.Name)
				assert.True(t, n.HasZFS, "the node without ZFS is an online one")
				continue
			}
			if n.HasZFS {
				assert.Equal(t, http.StatusOK, r.status, n.Name)
				continue
			}
			got = n.Name
			assert.Equal(t, http.StatusInternalServerError, r.status)
			assert.Equal(t, noZFSMessage+"\n", errorMessage(t, r))
			assert.Empty(t, n.ZFSPools)
		}
		assert.Equal(t, tc.want, got, "%+v", tc.cfg)
	}

	e := newEnv(t, Config{ErrorStyle: PVE7})
	r := e.get(t, "/nodes/pve3/disks/zfs")
	assert.Equal(t, http.StatusInternalServerError, r.status)
	assert.Equal(t, "command '/sbin/zpool list -HpPLo name,size,alloc,free,frag,dedup,health' failed: exit code 1", r.reason)
	assert.JSONEq(t, `{"data":null}`, string(r.body))
}

func TestStorageShape(t *testing.T) {
	e := newEnv(t, Config{})
	stores := list(t, e.data(t, "/nodes/pve1/storage"))
	types := map[string]bool{}
	for _, s := range stores {
		types[s["type"].(string)] = true
		if s["enabled"] == float64(0) {
			assert.InDelta(t, 0, s["total"], 0)
			assert.NotContains(t, s, "used_fraction")
		} else {
			assert.Contains(t, s, "used_fraction")
		}
	}
	for _, typ := range []string{"dir", "lvmthin", "zfspool", "nfs", "pbs"} {
		assert.True(t, types[typ], typ)
	}
}

func TestGuestListShapes(t *testing.T) {
	e := newEnv(t, Config{})
	c := e.sim.Cluster()
	for _, n := range c.Nodes {
		for _, ct := range list(t, e.data(t, "/nodes/"+n.Name+"/lxc")) {
			if n.Legacy {
				assert.IsType(t, "", ct["vmid"], "lxc vmid is a string on the legacy node")
			} else {
				assert.IsType(t, float64(0), ct["vmid"])
			}
		}
		for _, vm := range list(t, e.data(t, "/nodes/"+n.Name+"/qemu")) {
			assert.IsType(t, float64(0), vm["vmid"])
			_, hasPID := vm["pid"]
			assert.Equal(t, vm["status"] == "running", hasPID, "pid only on running guests")
		}
	}
}

func TestClusterResourcesShape(t *testing.T) {
	e := newEnv(t, Config{OfflineNodes: 1})
	c := e.sim.Cluster()
	all := list(t, e.data(t, "/cluster/resources"))
	types := map[string]int{}
	byID := map[string]map[string]any{}
	for _, r := range all {
		types[r["type"].(string)]++
		byID[r["id"].(string)] = r
	}
	assert.Equal(t, 1, types["pool"])
	assert.Equal(t, len(c.Nodes), types["sdn"])
	assert.Equal(t, len(c.Nodes), types["node"])
	assert.Equal(t, len(c.Guests), types["qemu"]+types["lxc"])

	offline := c.Nodes[len(c.Nodes)-1]
	require.False(t, offline.Online)
	keys := func(m map[string]any) []string {
		var k []string
		for key := range m {
			k = append(k, key)
		}
		slices.Sort(k)
		return k
	}
	assert.Equal(t, []string{"id", "level", "maxcpu", "maxdisk", "maxmem", "node", "status", "type"}, keys(byID["node/"+offline.Name]))
	assert.Equal(t, "offline", byID["node/"+offline.Name]["status"])
	assert.Contains(t, byID["node/pve1"], "uptime")

	sawStopped, sawNoRRD := false, false
	for _, g := range c.Guests {
		r := byID[fmt.Sprintf("%s/%d", g.Type, g.VMID)]
		require.NotNil(t, r)
		identity := []string{"id", "node", "status", "type", "vmid"}
		switch {
		case g.NoRRD || g.Node == offline.Name:
			k := slices.DeleteFunc(keys(r), func(s string) bool { return s == "tags" || s == "lock" || s == "hastate" })
			assert.Equal(t, identity, k, "no-RRD shape of %d", g.VMID)
			assert.Equal(t, "unknown", r["status"])
			sawNoRRD = sawNoRRD || g.NoRRD
		case g.Status == "stopped":
			sawStopped = true
			for _, k := range []string{"cpu", "mem", "netin", "netout", "uptime", "diskread", "diskwrite"} {
				assert.InDelta(t, 0, r[k], 0, "%s of stopped %d", k, g.VMID)
			}
			assert.Equal(t, float64(b2i(g.Template)), r["template"])
		default:
			assert.Equal(t, float64(g.Uptime), r["uptime"])
			assert.Equal(t, float64(g.NetIn), r["netin"])
			assert.Equal(t, g.Name, r["name"])
		}
	}
	assert.True(t, sawStopped)
	assert.True(t, sawNoRRD)

	for filter, want := range map[string][]string{"vm": {"qemu", "lxc"}, "node": {"node"}, "storage": {"storage"}, "sdn": {"sdn"}} {
		for _, r := range list(t, e.data(t, "/cluster/resources?type="+filter)) {
			assert.Contains(t, want, r["type"], "filter %s", filter)
		}
	}
	r := e.get(t, "/cluster/resources?type=bogus")
	assert.Equal(t, http.StatusBadRequest, r.status)
}

func TestClusterStatusAndNodes(t *testing.T) {
	e := newEnv(t, Config{Nodes: 4, OfflineNodes: 1})
	st := list(t, e.data(t, "/cluster/status"))
	require.Len(t, st, 5)
	assert.Equal(t, "cluster", st[0]["type"])
	assert.InDelta(t, 1, st[0]["quorate"], 0)
	assert.InDelta(t, 4, st[0]["nodes"], 0)
	assert.InDelta(t, 1, st[1]["local"], 0)
	assert.InDelta(t, 0, st[4]["online"], 0)
	assert.InDelta(t, 1, st[3]["online"], 0)
	nodes := list(t, e.data(t, "/nodes"))
	require.Len(t, nodes, 4)
	assert.Equal(t, "offline", nodes[3]["status"])
	assert.NotContains(t, nodes[3], "uptime")
	assert.Contains(t, nodes[0], "ssl_fingerprint")

	single := newEnv(t, Config{Nodes: 1})
	st = list(t, single.data(t, "/cluster/status"))
	require.Len(t, st, 1, "a standalone node has no cluster entry")
	assert.InDelta(t, 0, st[0]["nodeid"], 0)
}

func TestQemuConfigShape(t *testing.T) {
	e := newEnv(t, Config{})
	c := e.sim.Cluster()
	models := map[string]bool{}
	bridges := map[string]bool{}
	agents := map[string]bool{}
	var joined []string
	for _, g := range c.Guests {
		if g.Type != "qemu" {
			continue
		}
		cfg := object(t, e.data(t, fmt.Sprintf("/nodes/%s/qemu/%d/config", g.Node, g.VMID)))
		assert.IsType(t, "", cfg["memory"], "memory is a property string since 8.1")
		assert.Len(t, cfg["digest"], 40)
		if g.Template {
			assert.InDelta(t, 1, cfg["template"], 0)
		}
		a, _ := cfg["agent"].(string)
		agents[a] = true
		for _, nic := range g.NICs {
			v, ok := cfg[nic.Key].(string)
			require.True(t, ok, "%d %s", g.VMID, nic.Key)
			joined = append(joined, v)
			models[nic.Model] = true
			bridges[nic.Bridge] = true
			if nic.MAC != "" {
				assert.Contains(t, v, nic.MAC, "config MACs are upper-case")
			}
		}
	}
	for _, m := range []string{"virtio", "e1000", "e1000e", "rtl8139", "vmxnet3", "i82551", "ne2k_pci", "pcnet"} {
		assert.True(t, models[m], "model %s", m)
	}
	for _, b := range []string{"vmbr0", "vmbr1", "vnet0", ""} {
		assert.True(t, bridges[b], "bridge %q", b)
	}
	for _, a := range []string{"1", "1,fstrim_cloned_disks=1", "enabled=1,type=virtio", "0", ""} {
		assert.True(t, agents[a], "agent %q", a)
	}
	all := strings.Join(joined, "\n")
	for _, want := range []string{"model=virtio,macaddr=", "\nvirtio,bridge=", "tag=", "trunks=10;20-30", "firewall=1", "firewall=0", "link_down=1", "mtu=", "queues=", "rate=12.5"} {
		assert.Contains(t, "\n"+all, want)
	}
}

func TestLXCConfigShape(t *testing.T) {
	e := newEnv(t, Config{})
	var joined []string
	for _, g := range e.sim.Cluster().Guests {
		if g.Type != "lxc" {
			continue
		}
		cfg := object(t, e.data(t, fmt.Sprintf("/nodes/%s/lxc/%d/config", g.Node, g.VMID)))
		assert.Equal(t, g.Name, cfg["hostname"])
		assert.IsType(t, float64(0), cfg["memory"])
		for _, nic := range g.NICs {
			v := cfg[nic.Key].(string)
			assert.Contains(t, v, "hwaddr="+nic.MAC)
			joined = append(joined, v)
		}
	}
	all := strings.Join(joined, "\n")
	for _, want := range []string{"ip=dhcp", "ip6=auto", "trunks=10;20", "type=veth", "firewall=1", "tag=", "gw=", "ip=192.0.2."} {
		assert.Contains(t, all, want)
	}
	starts := map[string]bool{}
	for _, l := range joined {
		starts[strings.SplitN(l, "=", 2)[0]] = true
	}
	assert.GreaterOrEqual(t, len(starts), 2, "keys come in varying order")
}

func TestAgentAnswers(t *testing.T) {
	e := newEnv(t, Config{})
	c := e.sim.Cluster()
	path := func(g Guest) string {
		return fmt.Sprintf("/nodes/%s/qemu/%d/agent/network-get-interfaces", g.Node, g.VMID)
	}
	running := findGuest(t, c, func(g Guest) bool { return g.Agent == AgentRunning && g.Status == "running" && len(g.NICs) > 1 })
	res := list(t, object(t, e.data(t, path(running)))["result"])
	require.Len(t, res, len(running.NICs)+2)
	assert.Equal(t, "lo", res[0]["name"])
	assert.Equal(t, "00:00:00:00:00:00", res[0]["hardware-address"])
	for i, nic := range running.NICs {
		got := res[i+1]
		assert.Equal(t, strings.ToLower(nic.MAC), got["hardware-address"])
		raw, err := json.Marshal(got["ip-addresses"])
		require.NoError(t, err)
		ip4, _ := splitCIDR(nic.IPv4[0])
		ip6, _ := splitCIDR(nic.IPv6[0])
		assert.Contains(t, string(raw), ip4)
		assert.Contains(t, string(raw), ip6)
		assert.Contains(t, string(raw), `"fe80::`)
	}
	docker := res[len(res)-1]["hardware-address"].(string)
	for _, g := range c.Guests {
		for _, nic := range g.NICs {
			assert.NotEqual(t, strings.ToLower(nic.MAC), docker)
		}
	}

	unsupported := findGuest(t, c, func(g Guest) bool { return g.Agent == AgentUnsupported && g.Status == "running" })
	errObj := object(t, object(t, object(t, e.data(t, path(unsupported)))["result"])["error"])
	assert.Equal(t, "Unsupported", errObj["class"])

	cases := []struct {
		name string
		pred func(g Guest) bool
		msg  func(g Guest) string
	}{
		{"not running", func(g Guest) bool { return g.Agent == AgentNotRunning && g.Status == "running" },
			func(Guest) string { return "QEMU guest agent is not running" }},
		// qemu-server src/PVE/QemuServer/Agent.pm assert_agent_available:
		// no agent key first, then the VM, then the agent's socket (agent: 0
		// gives the VM none).
		{"not configured", func(g Guest) bool { return g.Type == "qemu" && g.AgentConfig == "" && g.Status == "running" },
			func(Guest) string { return "No QEMU guest agent configured" }},
		{"disabled", func(g Guest) bool { return g.Type == "qemu" && g.AgentConfig == "0" && g.Status == "running" },
			func(Guest) string { return "QEMU guest agent is not running" }},
		{"stopped", func(g Guest) bool { return g.Type == "qemu" && g.AgentConfig != "" && g.Status == "stopped" },
			func(g Guest) string { return fmt.Sprintf("VM %d is not running", g.VMID) }},
		{"stopped without agent", func(g Guest) bool { return g.Type == "qemu" && g.AgentConfig == "" && g.Status == "stopped" },
			func(Guest) string { return "No QEMU guest agent configured" }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := findGuest(t, c, tc.pred)
			r := e.get(t, path(g))
			assert.Equal(t, http.StatusInternalServerError, r.status)
			assert.Equal(t, tc.msg(g)+"\n", errorMessage(t, r))
		})
	}
}

func TestLXCInterfaces(t *testing.T) {
	e := newEnv(t, Config{})
	c := e.sim.Cluster()
	legacy := map[string]bool{}
	for _, n := range c.Nodes {
		legacy[n.Name] = n.Legacy
	}
	sawOld, sawNew, sawStopped := false, false, false
	for _, g := range c.Guests {
		if g.Type != "lxc" {
			continue
		}
		p := fmt.Sprintf("/nodes/%s/lxc/%d/interfaces", g.Node, g.VMID)
		if g.Status != "running" {
			assert.Nil(t, e.data(t, p))
			sawStopped = true
			continue
		}
		ifaces := list(t, e.data(t, p))
		require.Len(t, ifaces, len(g.NICs)+1)
		eth0 := ifaces[1]
		assert.Equal(t, strings.ToLower(g.NICs[0].MAC), eth0["hwaddr"])
		if legacy[g.Node] {
			sawOld = true
			assert.NotContains(t, eth0, "ip-addresses")
			assert.Contains(t, eth0["inet6"], "fe80::", "old format keeps the last address")
		} else {
			sawNew = true
			assert.Equal(t, eth0["hwaddr"], eth0["hardware-address"])
			addrs := list(t, eth0["ip-addresses"])
			assert.Equal(t, "inet", addrs[0]["ip-address-type"])
		}
	}
	assert.True(t, sawOld && sawNew && sawStopped)
}

// pve-container before 5.2.0 lacks proxyto on the interfaces method (bug
// #5674): only the containers of the node the request reaches answer.
func TestLXCInterfacesUnproxied(t *testing.T) {
	e := newEnv(t, Config{Nodes: 3, Guests: 30, Seed: 5, LXCInterfacesUnproxied: true})
	c := e.sim.Cluster()
	answered, null := 0, 0
	for _, g := range c.Guests {
		if g.Type != "lxc" || g.Status != "running" {
			continue
		}
		data := e.data(t, fmt.Sprintf("/nodes/%s/lxc/%d/interfaces", g.Node, g.VMID))
		if g.Node != c.Nodes[0].Name {
			assert.Nil(t, data, "ct %d on %s", g.VMID, g.Node)
			null++
			continue
		}
		eth0 := list(t, data)[1]
		assert.NotContains(t, eth0, "ip-addresses", "the format before 8.4")
		answered++
	}
	assert.Positive(t, answered)
	assert.Positive(t, null)
}

func TestGuestStatusMatchesResources(t *testing.T) {
	e := newEnv(t, Config{})
	res := map[string]map[string]any{}
	for _, r := range list(t, e.data(t, "/cluster/resources?type=vm")) {
		res[r["id"].(string)] = r
	}
	for _, g := range e.sim.Cluster().Guests {
		st := object(t, e.data(t, fmt.Sprintf("/nodes/%s/%s/%d/status/current", g.Node, g.Type, g.VMID)))
		assert.Equal(t, g.Status, st["status"])
		assert.IsType(t, float64(0), st["vmid"], "single-vmid paths use int")
		assert.Contains(t, st, "ha")
		if r := res[fmt.Sprintf("%s/%d", g.Type, g.VMID)]; !g.NoRRD {
			for _, k := range []string{"netin", "netout", "uptime", "mem", "maxmem"} {
				assert.Equal(t, r[k], st[k], "%d %s", g.VMID, k)
			}
		}
	}
}

func TestUniqueAddresses(t *testing.T) {
	c := New(Config{Nodes: 8, Guests: 1500, Seed: 3}).Cluster()
	macs, ips := map[string]bool{}, map[string]bool{}
	for _, g := range c.Guests {
		for _, nic := range g.NICs {
			if nic.MAC != "" {
				assert.False(t, macs[nic.MAC], "duplicate MAC %s", nic.MAC)
				macs[nic.MAC] = true
			}
			for _, ip := range append(append([]string{}, nic.IPv4...), nic.IPv6...) {
				assert.False(t, ips[ip], "duplicate IP %s", ip)
				ips[ip] = true
			}
		}
	}
	assert.Greater(t, len(macs), 1500)
}
