// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pvesim

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// netstatEntry is one decoded /nodes/{node}/netstat entry.
type netstatEntry struct {
	vmid    int
	dev     string
	in, out int64
}

// netstat fetches /nodes/{node}/netstat and checks the shape of pve-manager
// PVE/API2/Nodes.pm netstat: {vmid, dev, in, out}, every value a string
// (regex captures of the device name and of pve-common
// src/PVE/ProcFSTools.pm read_proc_net_dev), dev "net<N>".
func netstat(t *testing.T, e *testEnv, node string) []netstatEntry {
	t.Helper()
	var out []netstatEntry
	devRe := regexp.MustCompile(`^net\d+$`)
	for _, m := range list(t, e.data(t, "/nodes/"+node+"/netstat")) {
		require.Equal(t, []string{"dev", "in", "out", "vmid"}, sortedKeys(m))
		var ent netstatEntry
		for _, k := range []string{"vmid", "in", "out", "dev"} {
			s, ok := m[k].(string)
			require.True(t, ok, "%s is a JSON string: %v", k, m)
			switch k {
			case "vmid":
				v, err := strconv.Atoi(s)
				require.NoError(t, err)
				ent.vmid = v
			case "in", "out":
				v, err := strconv.ParseInt(s, 10, 64)
				require.NoError(t, err)
				if k == "in" {
					ent.in = v
				} else {
					ent.out = v
				}
			case "dev":
				require.Regexp(t, devRe, s)
				ent.dev = s
			}
		}
		out = append(out, ent)
	}
	return out
}

func guestByVMID(c *Cluster) map[int]*Guest {
	m := map[int]*Guest{}
	for i := range c.Guests {
		m[c.Guests[i].VMID] = &c.Guests[i]
	}
	return m
}

// TestNetstatMatchesTruth compares every node's netstat with Cluster.NetDevs
// and checks its order: pve-manager sorts the device names (sort keys
// %$netdev), so tap<vmid>i<N> devices come before veth ones and tap1000i0
// would sort before tap100i0.
func TestNetstatMatchesTruth(t *testing.T) {
	for _, cfg := range []Config{{Seed: 1}, {Seed: 2, Nodes: 4, Guests: 60}, {Seed: 1, QMPStates: true, NICGaps: true, SDN: true}} {
		e := newEnv(t, cfg)
		c := e.sim.Cluster()
		for _, n := range c.Nodes {
			got := netstat(t, e, n.Name)
			var want []netstatEntry
			var names []string
			for _, d := range c.NetDevs {
				if d.Node == n.Name {
					want = append(want, netstatEntry{vmid: d.VMID, dev: d.NIC, in: d.In, out: d.Out})
					names = append(names, d.Name)
				}
			}
			assert.Equal(t, want, got, "%+v %s", cfg, n.Name)
			assert.True(t, slices.IsSorted(names), "%v", names)
		}
	}
}

// TestNetstatCountersAddUpToGuestTotals checks that the per-NIC counters of
// a running guest add up to the netin and netout its node's guest list and
// /cluster/resources report, in the same direction: netstat's in is the
// host's transmit counter and out its receive counter (pve-manager
// PVE/API2/Nodes.pm netstat), and vmstatus adds transmit to netin and
// receive to netout (qemu-server src/PVE/QemuServer.pm vmstatus,
// pve-container src/PVE/LXC.pm vmstatus).
func TestNetstatCountersAddUpToGuestTotals(t *testing.T) {
	for _, cfg := range []Config{{Seed: 1}, {Seed: 1, QMPStates: true}, {Seed: 3, Nodes: 5, Guests: 90, NICGaps: true}} {
		e := newEnv(t, cfg)
		c := e.sim.Cluster()
		guests := guestByVMID(c)
		type sum struct{ in, out int64 }
		sums := map[int]sum{}
		devs := map[int][]string{}
		for _, n := range c.Nodes {
			for _, ent := range netstat(t, e, n.Name) {
				g, ok := guests[ent.vmid]
				if !ok {
					continue // the leftover device, see TestNetstatLeftoverDevice
				}
				require.Equal(t, n.Name, g.Node, "vmid %d", ent.vmid)
				s := sums[ent.vmid]
				sums[ent.vmid] = sum{s.in + ent.in, s.out + ent.out}
				devs[ent.vmid] = append(devs[ent.vmid], ent.dev)
			}
		}
		res := map[int]map[string]any{}
		for _, r := range list(t, e.data(t, "/cluster/resources?type=vm")) {
			res[int(r["vmid"].(float64))] = r
		}
		lists := map[int]map[string]any{}
		for _, n := range c.Nodes {
			for _, typ := range []string{"qemu", "lxc"} {
				for _, r := range list(t, e.data(t, "/nodes/"+n.Name+"/"+typ)) {
					id, _ := strconv.Atoi(fmt.Sprint(r["vmid"])) // string vmids on the legacy node
					lists[id] = r
				}
			}
		}
		sawPrelaunch := false
		for _, g := range c.Guests {
			var withDev []string
			for _, nic := range g.NICs {
				if g.Type == "lxc" || nic.Bridge != "" {
					withDev = append(withDev, nic.Key)
				}
			}
			if g.Status != "running" || len(withDev) == 0 {
				// no QEMU process, or only user-mode NICs (qemu-server
				// src/PVE/QemuServer.pm print_netdev_full: no bridge,
				// type=user, no tap device)
				assert.NotContains(t, sums, g.VMID, "vmid %d", g.VMID)
				if g.Status == "running" {
					assert.Equal(t, "qemu", g.Type)
				}
				continue
			}
			assert.ElementsMatch(t, withDev, devs[g.VMID], "one device per bridged NIC of %d", g.VMID)
			s := sums[g.VMID]
			assert.Equal(t, g.NetIn, s.in, "in of %d adds up to netin", g.VMID)
			assert.Equal(t, g.NetOut, s.out, "out of %d adds up to netout", g.VMID)
			assert.InDelta(t, float64(s.in), lists[g.VMID]["netin"], 0, "%d", g.VMID)
			assert.InDelta(t, float64(s.out), lists[g.VMID]["netout"], 0, "%d", g.VMID)
			if r := res[g.VMID]; !g.NoRRD && r["netin"] != nil {
				assert.InDelta(t, float64(s.in), r["netin"], 0, "%d", g.VMID)
				assert.InDelta(t, float64(s.out), r["netout"], 0, "%d", g.VMID)
			}
			if g.QMPStatus == QMPPrelaunch {
				sawPrelaunch = true
				assert.Zero(t, s.out, "a guest that never ran has sent nothing")
			}
		}
		assert.Equal(t, cfg.QMPStates, sawPrelaunch)
	}
}

// TestNetstatMatchesStatusCurrentNics checks that status/current's nics
// (qemu-server src/PVE/QemuServer.pm vmstatus: nics.<tap>.netin = transmit)
// and netstat agree for guests whose NICs all have a tap device.
func TestNetstatMatchesStatusCurrentNics(t *testing.T) {
	e := newEnv(t, Config{Seed: 1, NICGaps: true})
	c := e.sim.Cluster()
	checked := 0
	for _, g := range c.Guests {
		if g.Type != "qemu" || g.Status != "running" || slices.ContainsFunc(g.NICs, func(n NIC) bool { return n.Bridge == "" }) {
			continue
		}
		byDev := map[string]netstatEntry{}
		for _, ent := range netstat(t, e, g.Node) {
			if ent.vmid == g.VMID {
				byDev[fmt.Sprintf("tap%di%s", g.VMID, strings.TrimPrefix(ent.dev, "net"))] = ent
			}
		}
		st := object(t, e.data(t, fmt.Sprintf("/nodes/%s/qemu/%d/status/current", g.Node, g.VMID)))
		nics := object(t, st["nics"])
		require.Len(t, nics, len(byDev), "%d", g.VMID)
		for dev, v := range nics {
			ent, ok := byDev[dev]
			require.True(t, ok, "%d: %s", g.VMID, dev)
			// the last device carries the remainder of the division
			assert.InDelta(t, float64(ent.in), object(t, v)["netin"], float64(len(nics)), "%s", dev)
			assert.InDelta(t, float64(ent.out), object(t, v)["netout"], float64(len(nics)), "%s", dev)
		}
		checked++
	}
	assert.Positive(t, checked)
}

// TestNetstatLeftoverDevice checks the device of a guest that is gone: netstat
// lists every tap/veth device by name without looking the vmid up
// (pve-manager PVE/API2/Nodes.pm netstat).
func TestNetstatLeftoverDevice(t *testing.T) {
	e := newEnv(t, Config{Seed: 1})
	c := e.sim.Cluster()
	var left []NetDev
	for _, d := range c.NetDevs {
		if d.Leftover {
			left = append(left, d)
		}
	}
	require.Len(t, left, 1)
	d := left[0]
	assert.Equal(t, NetDev{Node: "pve1", Name: "veth124i0", VMID: 124, NIC: "net0", In: d.In, Out: d.Out, Leftover: true}, d)
	assert.Positive(t, d.In)
	assert.Positive(t, d.Out)
	assert.Contains(t, netstat(t, e, "pve1"), netstatEntry{vmid: 124, dev: "net0", in: d.In, out: d.Out})
	for _, r := range list(t, e.data(t, "/cluster/resources")) {
		assert.NotEqual(t, float64(124), r["vmid"])
	}
	for _, n := range c.Nodes {
		for _, typ := range []string{"qemu", "lxc"} {
			for _, r := range list(t, e.data(t, "/nodes/"+n.Name+"/"+typ)) {
				assert.NotEqual(t, "124", fmt.Sprint(r["vmid"]))
			}
		}
	}
	assert.Equal(t, http.StatusInternalServerError, e.get(t, "/nodes/pve1/lxc/124/config").status)
}

// TestNICGaps checks the netN hole: a qemu guest's NICs after net0 move to
// the next key and PCI slot (qemu-server src/PVE/QemuServer/PCI.pm: net2 at
// addr 20, so ens20), a container's keep their name= (pve-container
// src/PVE/LXC.pm update_lxc_config: lxc.net.<N>.name), and the tap/veth
// devices follow the keys.
func TestNICGaps(t *testing.T) {
	for _, seed := range []int64{1, 2, 9} {
		plain := New(Config{Seed: seed, Nodes: 4, Guests: 90}).Cluster()
		e := newEnv(t, Config{Seed: seed, Nodes: 4, Guests: 90, NICGaps: true})
		with := e.sim.Cluster()
		assert.Equal(t, plain.Nodes, with.Nodes)
		gapped := map[string]int{}
		for i, g := range with.Guests {
			want := plain.Guests[i]
			if g.NICs[len(g.NICs)-1].Key == want.NICs[len(want.NICs)-1].Key {
				assert.Equal(t, want, g, "seed %d vmid %d", seed, g.VMID)
				continue
			}
			gapped[g.Type]++
			require.Equal(t, "running", g.Status)
			require.GreaterOrEqual(t, len(g.NICs), 2)
			for j, nic := range g.NICs {
				old := want.NICs[j]
				if j == 0 {
					assert.Equal(t, old, nic)
					continue
				}
				assert.Equal(t, fmt.Sprintf("net%d", j+1), nic.Key)
				if g.Type == "qemu" {
					assert.Equal(t, fmt.Sprintf("ens%d", 19+j), nic.Name)
				} else {
					assert.Equal(t, old.Name, nic.Name, "lxc keeps name=")
				}
				old.Key, old.Name = nic.Key, nic.Name
				assert.Equal(t, old, nic)
			}
			conf := object(t, e.data(t, fmt.Sprintf("/nodes/%s/%s/%d/config", g.Node, g.Type, g.VMID)))
			assert.Contains(t, conf, "net0")
			assert.NotContains(t, conf, "net1")
			assert.Contains(t, conf, "net2")
			var devs []string
			for _, ent := range netstat(t, e, g.Node) {
				if ent.vmid == g.VMID {
					devs = append(devs, ent.dev)
				}
			}
			assert.Equal(t, "net0", devs[0])
			assert.Equal(t, "net2", devs[1])
			assert.NotContains(t, devs, "net1")
		}
		assert.Equal(t, map[string]int{"qemu": 1, "lxc": 1}, gapped, "seed %d", seed)
	}

	// off by default: every guest numbers its NICs without a hole
	for _, g := range New(Config{Seed: 1}).Cluster().Guests {
		for j, nic := range g.NICs {
			assert.Equal(t, fmt.Sprintf("net%d", j), nic.Key)
		}
	}
}

// TestNetstatPermissions checks the Sys.Audit check on /nodes/{node}
// (pve-manager PVE/API2/Nodes.pm netstat), which pveproxy runs before it
// proxies to the node (PVE/HTTPServer.pm rest_handler).
func TestNetstatPermissions(t *testing.T) {
	e := newEnv(t, Config{Seed: 1, OfflineNodes: 1})
	offline := e.sim.Cluster().Nodes[2].Name
	assert.Equal(t, 595, e.get(t, "/nodes/"+offline+"/netstat").status)
	r := e.get(t, "/nodes/nope/netstat")
	assert.Equal(t, http.StatusInternalServerError, r.status)
	assert.Contains(t, errorMessage(t, r), "hostname lookup 'nope' failed")

	for _, p := range []Permissions{Full, AuditorPVE8, AuditorNoSDN} {
		e.sim.SetPermissions(p)
		assert.Equal(t, http.StatusOK, e.get(t, "/nodes/pve1/netstat").status, p.String())
	}
	for _, p := range []Permissions{PrivSepNoACL, PrivSepEmptyLists} {
		e.sim.SetPermissions(p)
		for _, node := range []string{"pve1", offline, "nope"} {
			r := e.get(t, "/nodes/"+node+"/netstat")
			if p == PrivSepEmptyLists && node != "pve1" {
				continue // the old claim checks after the node lookup
			}
			require.Equal(t, http.StatusForbidden, r.status, "%s %s", p, node)
			assert.Equal(t, "Permission check failed (/nodes/"+node+", Sys.Audit)\n", errorMessage(t, r))
		}
	}
	e.sim.ClearFaults()
	require.NoError(t, e.sim.SetVersion(Version7))
	e.sim.SetPermissions(PrivSepNoACL)
	r = e.get(t, "/nodes/pve1/netstat")
	assert.Equal(t, http.StatusForbidden, r.status)
	assert.Equal(t, "Permission check failed (/nodes/pve1, Sys.Audit)", r.reason, "PVE 7 has the same check (branch stable-7)")
	e.sim.ClearFaults()
	assert.Equal(t, map[string]int64{PathNodeNetstat: 12}, e.sim.Stats().Paths)
}
