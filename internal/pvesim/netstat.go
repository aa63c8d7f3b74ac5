// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pvesim

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// NetDev is one tap (qemu) or veth (lxc) device on a node, as
// /nodes/{node}/netstat reports it. It is the ground truth of the per-NIC
// traffic counters.
//
// Real Proxmox reads these from the host's /proc/net/dev
// (pve-common src/PVE/ProcFSTools.pm read_proc_net_dev: receive and
// transmit bytes per device). netstat lists every device named
// tap<vmid>i<N> or veth<vmid>i<N> (pve-manager PVE/API2/Nodes.pm netstat),
// whether or not the guest still exists. qemu-server names a NIC's tap
// device tap<vmid>i<N> after its netN key (src/PVE/QemuServer.pm
// print_netdev_full), pve-container the host end of a NIC's veth pair
// veth<vmid>i<N> (src/PVE/LXC.pm update_lxc_config, lxc.net.N.veth.pair).
type NetDev struct {
	Node string `json:"node"`
	// Name is the host's device name: tap101i0, veth100i1.
	Name string `json:"name"`
	VMID int    `json:"vmid"`
	// NIC is the guest config key the device belongs to (net0, net2, ...):
	// netstat's "dev".
	NIC string `json:"nic"`
	// In is what the host transmitted into the device, that is what the
	// guest received: netstat's "in", part of the guest's netin. Out is
	// what the host received from the guest: "out", part of netout.
	// pve-manager PVE/API2/Nodes.pm netstat: in => transmit,
	// out => receive; qemu-server src/PVE/QemuServer.pm vmstatus and
	// pve-container src/PVE/LXC.pm vmstatus sum the same counters the same
	// way into netin (transmit) and netout (receive), which pvestatd
	// broadcasts for /cluster/resources.
	In  int64 `json:"in"`
	Out int64 `json:"out"`
	// Leftover marks a device whose guest no longer exists: its VMID is in
	// no guest list and not in /cluster/resources.
	Leftover bool `json:"leftover,omitempty"`
}

// nicIndex is N of a netN key.
func nicIndex(key string) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(key, "net"))
	return n
}

// hasNetDev reports whether a running guest's NIC has a host device. A qemu
// NIC without bridge uses QEMU's user-mode network (type=user) and has no
// tap device (qemu-server src/PVE/QemuServer.pm print_netdev_full); every
// lxc NIC is a veth pair (pve-container src/PVE/LXC.pm).
func hasNetDev(g *Guest, n *NIC) bool {
	return g.Type == "lxc" || n.Bridge != ""
}

// netDevName is the host device of a guest NIC: tap<vmid>i<N> or
// veth<vmid>i<N> after the NIC's netN key.
func netDevName(g *Guest, n *NIC) string {
	prefix := "tap"
	if g.Type == "lxc" {
		prefix = "veth"
	}
	return fmt.Sprintf("%s%di%d", prefix, g.VMID, nicIndex(n.Key))
}

// leftoverDevice is a veth device on the first node whose container is
// gone: netstat does not check that a device's vmid exists (pve-manager
// PVE/API2/Nodes.pm netstat), while vmstatus skips vmids it does not know
// (pve-container src/PVE/LXC.pm vmstatus: "next if !$d"). Its VMID is the
// first one after the generated guests, the id a new guest would get next.
func leftoverDevice(cfg Config, nodes []Node) NetDev {
	rng := rand.New(rand.NewPCG(uint64(cfg.Seed), 0x7e7d_e71c_e5ee_d001))
	vmid := 100 + cfg.Guests
	return NetDev{
		Node: nodes[0].Name, Name: fmt.Sprintf("veth%di0", vmid), VMID: vmid, NIC: "net0",
		In: 1_000_000 + rng.Int64N(9_000_000_000), Out: 1_000_000 + rng.Int64N(3_000_000_000), Leftover: true,
	}
}

// netDevs lists the devices of every running guest (a paused, suspended or
// prelaunch qemu guest keeps its QEMU process and taps) and the leftover
// device. A guest's netin and netout are spread over its devices so that
// they add up to them exactly: each device gets an equal share, the last
// one the remainder. For a qemu guest whose NICs all have a tap device,
// status/current's nics show the same shares (up to that remainder).
//
// A running qemu guest whose NICs all lack a bridge has no device, though
// its netin and netout are not 0 here: real Proxmox would report 0
// (vmstatus only sums tap devices), but those counters were generated
// before netstat existed and stay for the golden files made from them.
func netDevs(cfg Config, c *Cluster) []NetDev {
	nodeIdx := map[string]int{}
	for i, n := range c.Nodes {
		nodeIdx[n.Name] = i
	}
	var out []NetDev
	for gi := range c.Guests {
		g := &c.Guests[gi]
		if g.Status != "running" {
			continue
		}
		var devs []*NIC
		for i := range g.NICs {
			if hasNetDev(g, &g.NICs[i]) {
				devs = append(devs, &g.NICs[i])
			}
		}
		k := int64(len(devs))
		for j, n := range devs {
			in, o := g.NetIn/k, g.NetOut/k
			if int64(j) == k-1 {
				in, o = g.NetIn-in*(k-1), g.NetOut-o*(k-1)
			}
			out = append(out, NetDev{Node: g.Node, Name: netDevName(g, n), VMID: g.VMID, NIC: n.Key, In: in, Out: o})
		}
	}
	if len(c.Nodes) > 0 {
		out = append(out, leftoverDevice(cfg, c.Nodes))
	}
	// netstat walks sort keys %$netdev: Perl's string sort, byte by byte
	slices.SortFunc(out, func(a, b NetDev) int {
		return cmp.Or(cmp.Compare(nodeIdx[a.Node], nodeIdx[b.Node]), strings.Compare(a.Name, b.Name))
	})
	return out
}

// renderNetstat answers /nodes/{node}/netstat: every value is a string,
// since vmid and the netN index are regex captures and the counters come
// from read_proc_net_dev's regex (pve-manager PVE/API2/Nodes.pm netstat,
// pve-common src/PVE/ProcFSTools.pm), which Perl's JSON encoder writes as
// strings.
func renderNetstat(devs []NetDev) []byte {
	items := make([][]byte, 0, len(devs))
	for _, d := range devs {
		items = append(items, newObj().str("dev", d.NIC).str("in", strconv.FormatInt(d.In, 10)).
			str("vmid", itoa(d.VMID)).str("out", strconv.FormatInt(d.Out, 10)).bytes())
	}
	return envelope(array(items))
}

// applyNICGaps gives one running qemu guest and one running container with
// two or more NICs, picked from seed with a random stream of their own, a
// hole in their netN keys: every NIC after net0 moves up by one (net0,
// net2, ...), as after net1 was removed. The qemu guest's interfaces are
// renamed after their new PCI slots (net2 sits at slot 20, ens20:
// qemu-server src/PVE/QemuServer/PCI.pm); the container's keep their names,
// which lxc takes from name= (so net2 is still eth1 inside).
func applyNICGaps(guests []Guest, seed int64) {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x9a95_0fae_7c0d_e001))
	for _, typ := range []string{"qemu", "lxc"} {
		var cand []int
		for i := range guests {
			g := &guests[i]
			if g.Type != typ || g.Status != "running" || g.Template || len(g.NICs) < 2 {
				continue
			}
			all := true // every NIC has a device, so netstat shows the hole
			for j := range g.NICs {
				all = all && hasNetDev(g, &g.NICs[j])
			}
			if all {
				cand = append(cand, i)
			}
		}
		if len(cand) == 0 {
			continue
		}
		g := &guests[cand[rng.IntN(len(cand))]]
		for j := 1; j < len(g.NICs); j++ {
			n := &g.NICs[j]
			n.Key = fmt.Sprintf("net%d", j+1)
			if typ == "qemu" {
				n.Name = fmt.Sprintf("ens%d", 18+j+1)
			}
		}
	}
}
