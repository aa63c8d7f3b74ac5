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

// SubInterface is a VLAN device a guest created inside itself on top of one
// of its NICs (Config.GuestVLANs), such as ens18.50. Proxmox VE knows
// nothing of it: it is not in the guest config and has no host device in
// netstat. It shows only in what the guest reports (the agent's
// guest-network-get-interfaces, the container's /interfaces), as an
// interface of its own whose MAC is its parent NIC's: a Linux VLAN device
// takes the address of the device it sits on (net/8021q vlan_dev_init).
type SubInterface struct {
	// Name is the interface name inside the guest: <parent>.<vlan>, the
	// name `ip link add link ens18 name ens18.50 type vlan id 50` and
	// systemd-networkd/ifupdown configurations use.
	Name string `json:"name"`
	// VLAN is the 802.1Q id the guest tags the frames with. It differs
	// from the parent NIC's tag= (NIC.VLAN): those frames leave the
	// guest untagged.
	VLAN int `json:"vlan"`
	// IPv4 and IPv6 are the global addresses on the sub-interface, in
	// CIDR form.
	IPv4 []string `json:"ipv4"`
	IPv6 []string `json:"ipv6"`
}

// DuplicateMAC is a MAC address that more than one guest NIC has in its
// config (Config.DuplicateMAC).
type DuplicateMAC struct {
	// MAC is upper-case, as NIC.MAC.
	MAC string `json:"mac"`
	// VMIDs are the guests that carry it, ascending; NICs[i] is the netN
	// key of the NIC on VMIDs[i].
	VMIDs []int    `json:"vmids"`
	NICs  []string `json:"nics"`
}

func (d DuplicateMAC) clone() DuplicateMAC {
	d.VMIDs = slices.Clone(d.VMIDs)
	d.NICs = slices.Clone(d.NICs)
	return d
}

// guestVLANChoices are the VLANs handed to sub-interfaces of NICs without
// trunks=.
var guestVLANChoices = []int{50, 60, 70, 80, 90}

// parseTrunks expands a trunks= value ("10;20-30") into its VLAN ids.
func parseTrunks(s string) []int {
	var out []int
	for _, part := range strings.Split(s, ";") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			continue
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil {
				continue
			}
		}
		for v := a; v <= b; v++ {
			out = append(out, v)
		}
	}
	return out
}

// subInterfaceVLANs returns the VLANs a guest may tag on NIC n: those of
// its trunks= when it has one (a VLAN-aware bridge passes only those), else
// guestVLANChoices; never the NIC's own tag (or SDN VLAN), whose frames the
// bridge untags before the guest sees them.
func subInterfaceVLANs(n *NIC) []int {
	choices := guestVLANChoices
	if n.Trunks != "" {
		choices = parseTrunks(n.Trunks)
	}
	own := n.EffectiveVLAN()
	return slices.DeleteFunc(slices.Clone(choices), func(v int) bool { return v == own || v < 1 || v > 4094 })
}

// subInterfaceAddrs hands out sub-interface addresses: one /24 per VLAN,
// 10.(200+vlan/256).(vlan%256).0/24 (so guests on the same VLAN share a
// subnet; 10.200.0.0 to 10.215.255.255 for every VLAN id) and one /64 per VLAN in 2001:db8:ffff::/48. Neither
// range meets the generated NIC addresses (addr.go) for any cluster size
// New can build in memory, nor docker0's 172.17.0.0/16.
type subInterfaceAddrs map[int]int // VLAN -> hosts handed out

func (a subInterfaceAddrs) next(vlan int) (ipv4, ipv6 string) {
	h := 10 + a[vlan]
	a[vlan]++
	ipv4 = fmt.Sprintf("10.%d.%d.%d/24", 200+vlan>>8, vlan&0xff, h)
	ipv6 = fmt.Sprintf("2001:db8:ffff:%x::%x/64", vlan, h)
	return ipv4, ipv6
}

// subInterfaceParent returns the index of the NIC of g that may carry
// in-guest VLANs, -1 if none: the first one on a plain bridge (not an SDN
// vnet, not QEMU user networking) whose port passes tagged frames. A NIC
// with tag= and no trunks= does not: on a VLAN-aware bridge its port is a
// member of that VLAN alone, so frames the guest tags with another id are
// dropped. (pve-common src/PVE/Network.pm bridge_add_interface, used by
// tap_plug and veth_plug, gives a port the VLANs of trunks=, else 2-4094
// without tag=, and the tag= (or 1) as its untagged PVID.)
func subInterfaceParent(g *Guest) int {
	for j := range g.NICs {
		n := &g.NICs[j]
		if n.Bridge != "" && n.SDN.VNet == "" && (n.VLAN == 0 || n.Trunks != "") && len(subInterfaceVLANs(n)) > 0 {
			return j
		}
	}
	return -1
}

// applyGuestVLANs gives a few running qemu guests whose agent answers, and
// one running container, VLAN sub-interfaces on one NIC (see Config.GuestVLANs).
// Guests are picked from seed with a random stream of their own, so that no
// other generated value changes. About one in eight qemu candidates, at
// least two: the first gets two sub-interfaces (the first of them with an
// IPv6 address as well), the others one.
func applyGuestVLANs(guests []Guest, seed int64) {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x51b1_f0a7_7a9e_0001))
	addrs := subInterfaceAddrs{}
	type slot struct{ gi, ni int }
	candidates := func(typ string) []slot {
		var out []slot
		for gi := range guests {
			g := &guests[gi]
			if g.Type != typ || g.Status != "running" || g.Template {
				continue
			}
			if typ == "qemu" && (g.Agent != AgentRunning || g.QMPStatus != QMPRunning) {
				continue
			}
			if ni := subInterfaceParent(g); ni >= 0 {
				out = append(out, slot{gi, ni})
			}
		}
		rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
		return out
	}
	add := func(s slot, k int, withIPv6 bool) {
		n := &guests[s.gi].NICs[s.ni]
		vlans := subInterfaceVLANs(n)
		vlan := vlans[k%len(vlans)]
		if slices.ContainsFunc(n.SubInterfaces, func(si SubInterface) bool { return si.VLAN == vlan }) {
			return
		}
		ip4, ip6 := addrs.next(vlan)
		si := SubInterface{Name: fmt.Sprintf("%s.%d", n.Name, vlan), VLAN: vlan, IPv4: []string{ip4}}
		if withIPv6 {
			si.IPv6 = []string{ip6}
		}
		n.SubInterfaces = append(n.SubInterfaces, si)
	}
	qemu := candidates("qemu")
	picked := qemu[:min(len(qemu), max(2, len(qemu)/8))]
	// keep the picks in VMID order so the sub-interface addresses follow it
	slices.SortFunc(picked, func(a, b slot) int { return cmp.Compare(a.gi, b.gi) })
	for k, s := range picked {
		add(s, k, k == 0)
		if k == 0 {
			add(s, k+1, false)
		}
	}
	// the container's VLAN comes after the qemu ones, so that it differs
	// from theirs where the choices allow
	if lxc := candidates("lxc"); len(lxc) > 0 {
		add(lxc[0], 2, false)
	}
}

// applyDuplicateMAC gives the first NIC of one running guest the MAC of the
// first NIC of another guest of the same type, picked from seed with a
// random stream of their own (see Config.DuplicateMAC), and returns the
// pair. The copy is a guest whose agent answers (qemu) or a running
// container, so the MAC shows where clients look for it; the original is
// preferably on another node and running. The picks do not depend on
// Config.GuestVLANs; should the copy have sub-interfaces on its first NIC,
// they report the copied MAC too, as their parent does.
func applyDuplicateMAC(guests []Guest, seed int64) []DuplicateMAC {
	rng := rand.New(rand.NewPCG(uint64(seed), 0xd0b1_e3ac_c10e_0001))
	eligible := func(g *Guest) bool { return len(g.NICs) > 0 && g.NICs[0].MAC != "" }
	var copies []int
	for i := range guests {
		g := &guests[i]
		if g.Status != "running" || g.Template || !eligible(g) {
			continue
		}
		if g.Type == "qemu" && (g.Agent != AgentRunning || g.QMPStatus != QMPRunning) {
			continue
		}
		copies = append(copies, i)
	}
	rng.Shuffle(len(copies), func(i, j int) { copies[i], copies[j] = copies[j], copies[i] })
	for _, ci := range copies {
		cp := &guests[ci]
		var origs []int
		for i := range guests {
			if i != ci && guests[i].Type == cp.Type && eligible(&guests[i]) {
				origs = append(origs, i)
			}
		}
		if len(origs) == 0 {
			continue
		}
		rng.Shuffle(len(origs), func(i, j int) { origs[i], origs[j] = origs[j], origs[i] })
		rank := func(i int) int {
			r := 0
			if guests[i].Node == cp.Node {
				r += 2
			}
			if guests[i].Status != "running" {
				r++
			}
			return r
		}
		slices.SortStableFunc(origs, func(a, b int) int { return cmp.Compare(rank(a), rank(b)) })
		orig := &guests[origs[0]]
		mac := orig.NICs[0].MAC
		cp.NICs[0].MAC = mac
		d := DuplicateMAC{MAC: mac, VMIDs: []int{orig.VMID, cp.VMID}, NICs: []string{orig.NICs[0].Key, cp.NICs[0].Key}}
		if cp.VMID < orig.VMID {
			slices.Reverse(d.VMIDs)
			slices.Reverse(d.NICs)
		}
		return []DuplicateMAC{d}
	}
	return nil
}
