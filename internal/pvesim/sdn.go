// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pvesim

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// SDN zone types (SDNZone.Type), the zone plugins of pve-network
// (src/PVE/Network/SDN/Zones/*Plugin.pm). The simulator does not model
// faucet zones.
const (
	ZoneSimple = "simple"
	ZoneVLAN   = "vlan"
	ZoneQinQ   = "qinq"
	ZoneVXLAN  = "vxlan"
	ZoneEVPN   = "evpn"
)

// SDN is the cluster's SDN configuration (/etc/pve/sdn/zones.cfg and
// vnets.cfg), applied on every node.
type SDN struct {
	Zones []SDNZone `json:"zones"` // ordered by Zone
	VNets []SDNVNet `json:"vnets"` // ordered by VNet
}

// SDNZone is one zone of /cluster/sdn/zones. Fields a type does not use are
// zero (pve-network src/PVE/Network/SDN/Zones/<Type>Plugin.pm options).
type SDNZone struct {
	Zone string `json:"zone"`
	Type string `json:"type"` // one of the Zone* constants
	// Bridge is the local bridge that carries a vlan or qinq zone.
	Bridge string `json:"bridge,omitempty"`
	// Tag is a qinq zone's service VLAN, the outer tag
	// (src/PVE/Network/SDN/Zones/QinQPlugin.pm: $stag).
	Tag int `json:"tag,omitempty"`
	// VLANProtocol is a qinq zone's outer tag protocol (802.1q when empty).
	VLANProtocol string `json:"vlan_protocol,omitempty"`
	// Peers are a vxlan zone's VTEP addresses.
	Peers []string `json:"peers,omitempty"`
	// Controller, VRFVXLAN (the zone's L3 VNI), ExitNodes and MAC (the
	// anycast gateway) belong to an evpn zone.
	Controller string   `json:"controller,omitempty"`
	VRFVXLAN   int      `json:"vrf_vxlan,omitempty"`
	ExitNodes  []string `json:"exitnodes,omitempty"`
	MAC        string   `json:"mac,omitempty"`
	MTU        int      `json:"mtu,omitempty"`
	// Nodes restricts the zone to these nodes; empty means every node. A
	// vnet of the zone exists only there (src/PVE/Network/SDN/Zones.pm
	// tap_plug: "vnet ... is not allowed on this node").
	Nodes []string `json:"nodes,omitempty"`
	IPAM  string   `json:"ipam,omitempty"`
	// DHCP is the DHCP backend of a simple zone (PVE >= 8.1; served only
	// as Version84 and Version9).
	DHCP string `json:"dhcp,omitempty"`
}

// SDNVNet is one vnet of /cluster/sdn/vnets. Its name is also the name of
// the bridge guests attach to (bridge=<vnet>).
type SDNVNet struct {
	VNet string `json:"vnet"`
	Zone string `json:"zone"`
	// Tag is the VLAN (vlan zone), the customer VLAN, the inner tag (qinq
	// zone), or the VXLAN VNI (vxlan and evpn zones); 0 in simple zones
	// (pve-network src/PVE/Network/SDN/VnetPlugin.pm tag).
	Tag       int    `json:"tag,omitempty"`
	Alias     string `json:"alias,omitempty"`
	VLANAware bool   `json:"vlanaware,omitempty"`
	// IsolatePorts exists since pve-network 0.9.9 (PVE 8.3); served only
	// as Version84 and Version9.
	IsolatePorts bool `json:"isolate_ports,omitempty"`
}

// NICSDN is where a NIC on an SDN vnet is. Such a NIC has no tag= of its
// own: the zone tags its frames.
type NICSDN struct {
	VNet     string `json:"vnet"`
	Zone     string `json:"zone"`
	ZoneType string `json:"zone_type"`
	// VLAN is the 802.1Q VLAN the NIC's frames carry on the zone's bridge:
	// the vnet's tag in a vlan zone (the vnet bridge's uplink is
	// <bridge>.<tag> or <bridge>v<tag>: src/PVE/Network/SDN/Zones/VlanPlugin.pm
	// generate_sdn_config), the vnet's customer (inner) tag in a qinq zone
	// (z_<zone>.<ctag> under the service VLAN: QinQPlugin.pm), and 0 in
	// simple, vxlan and evpn zones, whose frames leave untagged or inside
	// VXLAN.
	VLAN int `json:"vlan"`
	// ServiceVLAN is a qinq zone's outer tag (its SDNZone.Tag).
	ServiceVLAN int `json:"service_vlan,omitempty"`
	// VNI is the VXLAN id of a vnet in a vxlan or evpn zone (its tag).
	VNI int `json:"vni,omitempty"`
}

func (s SDN) clone() SDN {
	out := SDN{VNets: slices.Clone(s.VNets)}
	for _, z := range s.Zones {
		z.Peers = slices.Clone(z.Peers)
		z.ExitNodes = slices.Clone(z.ExitNodes)
		z.Nodes = slices.Clone(z.Nodes)
		out.Zones = append(out.Zones, z)
	}
	return out
}

func (s *SDN) zone(id string) *SDNZone {
	for i := range s.Zones {
		if s.Zones[i].Zone == id {
			return &s.Zones[i]
		}
	}
	return nil
}

// onNode reports whether the zone exists on node.
func (z *SDNZone) onNode(node string) bool {
	return len(z.Nodes) == 0 || slices.Contains(z.Nodes, node)
}

// nicSDN is what a NIC on vnet v of zone z carries.
func nicSDN(z *SDNZone, v *SDNVNet) NICSDN {
	s := NICSDN{VNet: v.VNet, Zone: z.Zone, ZoneType: z.Type}
	switch z.Type {
	case ZoneVLAN:
		s.VLAN = v.Tag
	case ZoneQinQ:
		s.VLAN, s.ServiceVLAN = v.Tag, z.Tag
	case ZoneVXLAN, ZoneEVPN:
		s.VNI = v.Tag
	}
	return s
}

// sdnCatalog is the SDN configuration of a cluster with these nodes: a zone
// of every type plus a second vlan and qinq zone, each valid as pve-network
// checks it (the zone plugins' options and vnet_update_hook): vlan and qinq
// tags up to 4096 and unique per zone, VNIs unique over vxlan and evpn
// zones, no tag in simple zones, no vlanaware evpn vnet. Two vlan zones on
// different bridges both use VLAN 10, two qinq zones the same customer
// VLAN 101 under different service VLANs, and a vxlan vnet has VNI 200,
// which is no VLAN.
func sdnCatalog(nodes []Node, rng *rand.Rand) SDN {
	names := make([]string, len(nodes))
	ips := make([]string, len(nodes))
	for i, n := range nodes {
		names[i], ips[i] = n.Name, n.IP
	}
	mac := fmt.Sprintf("BC:24:11:%02X:%02X:%02X", rng.IntN(256), rng.IntN(256), rng.IntN(256))
	return SDN{
		Zones: []SDNZone{
			{Zone: "evpn1", Type: ZoneEVPN, Controller: "evpnctl", VRFVXLAN: 10000, ExitNodes: names[:1], MAC: mac, MTU: 1450, IPAM: "pve"},
			{Zone: "lan", Type: ZoneVLAN, Bridge: "vmbr0", IPAM: "pve"},
			{Zone: "qinq1", Type: ZoneQinQ, Bridge: "vmbr1", Tag: 100, VLANProtocol: "802.1ad", IPAM: "pve"},
			{Zone: "qinq2", Type: ZoneQinQ, Bridge: "vmbr1", Tag: 200, IPAM: "pve"},
			{Zone: "simple1", Type: ZoneSimple, IPAM: "pve", DHCP: "dnsmasq"},
			{Zone: "storage", Type: ZoneVLAN, Bridge: "vmbr1", MTU: 9000, Nodes: names[:min(2, len(names))], IPAM: "pve"},
			{Zone: "vxlan1", Type: ZoneVXLAN, Peers: ips, MTU: 1450, IPAM: "pve"},
		},
		VNets: []SDNVNet{
			{VNet: "app10", Zone: "lan", Tag: 10, Alias: "Application servers"},
			{VNet: "cust1", Zone: "qinq1", Tag: 101},
			{VNet: "cust2", Zone: "qinq2", Tag: 101, Alias: "Customer B"},
			{VNet: "db20", Zone: "lan", Tag: 20},
			{VNet: "dev", Zone: "simple1"},
			{VNet: "lab", Zone: "simple1", VLANAware: true},
			{VNet: "stor10", Zone: "storage", Tag: 10, Alias: "Storage (jumbo frames)"},
			{VNet: "tenant1", Zone: "evpn1", Tag: 11000},
			{VNet: "tenant2", Zone: "evpn1", Tag: 12000, IsolatePorts: true},
			{VNet: "vx200", Zone: "vxlan1", Tag: 200, VLANAware: true},
			{VNet: "vxweb", Zone: "vxlan1", Tag: 100000, Alias: "Web overlay"},
		},
	}
}

// applySDN sets c.SDN and moves some NICs onto vnets, picked from seed with
// a random stream of its own so that no other generated value changes.
// Every zone gets one NIC (of a running guest where one can be found),
// about one in eight of the other NICs follow. Only NICs on a bridge move
// (a qemu NIC without one uses user-mode networking), and only to vnets of
// zones that exist on their guest's node. A moved NIC gets bridge=<vnet>
// and loses tag= and trunks=: the zone does the tagging.
func applySDN(c *Cluster, seed int64) {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x5d17_a0e5_0b1d_9e37))
	c.SDN = sdnCatalog(c.Nodes, rng)
	type slot struct{ gi, ni int }
	var cand []slot
	for gi := range c.Guests {
		for ni := range c.Guests[gi].NICs {
			if c.Guests[gi].NICs[ni].Bridge != "" {
				cand = append(cand, slot{gi, ni})
			}
		}
	}
	rng.Shuffle(len(cand), func(i, j int) { cand[i], cand[j] = cand[j], cand[i] })
	used := make([]bool, len(cand))
	assign := func(k int, v *SDNVNet) {
		used[k] = true
		n := &c.Guests[cand[k].gi].NICs[cand[k].ni]
		n.Bridge, n.VLAN, n.Trunks = v.VNet, 0, ""
		n.SDN = nicSDN(c.SDN.zone(v.Zone), v)
	}
	vnetsOf := func(pred func(v *SDNVNet) bool) []*SDNVNet {
		var out []*SDNVNet
		for i := range c.SDN.VNets {
			if pred(&c.SDN.VNets[i]) {
				out = append(out, &c.SDN.VNets[i])
			}
		}
		return out
	}
	for zi := range c.SDN.Zones {
		z := &c.SDN.Zones[zi]
		vnets := vnetsOf(func(v *SDNVNet) bool { return v.Zone == z.Zone })
		pick := -1
		for k, s := range cand {
			g := &c.Guests[s.gi]
			if used[k] || !z.onNode(g.Node) {
				continue
			}
			if g.Status == "running" && !g.Template {
				pick = k
				break
			}
			if pick < 0 {
				pick = k
			}
		}
		v := vnets[rng.IntN(len(vnets))]
		if pick >= 0 {
			assign(pick, v)
		}
	}
	for k, s := range cand {
		if used[k] || rng.IntN(8) != 0 {
			continue
		}
		node := c.Guests[s.gi].Node
		vnets := vnetsOf(func(v *SDNVNet) bool { return c.SDN.zone(v.Zone).onNode(node) })
		assign(k, vnets[rng.IntN(len(vnets))])
	}
}

// sdnRender holds the pre-rendered SDN answers of one Proxmox VE version.
type sdnRender struct {
	index     []byte   // GET /cluster/sdn
	vnets     []byte   // GET /cluster/sdn/vnets
	zones     [][]byte // /cluster/sdn/zones entries, as in SDN.Zones
	zoneTypes []string
}

// sdnIndex is GET /cluster/sdn: pve-network src/PVE/API2/Network/SDN.pm
// index. "fabrics" came with pve-network 1.1.0 (PVE 9.0, commit 21d2ad3);
// PVE 7 and 8 (pve-network 0.7.x to 0.9.x) list the other five.
func sdnIndex(version string) []byte {
	ids := []string{"vnets", "zones", "controllers", "ipams", "dns"}
	if version == Version9 {
		ids = append(ids, "fabrics")
	}
	items := make([][]byte, len(ids))
	for i, id := range ids {
		items[i] = newObj().str("id", id).bytes()
	}
	return envelope(array(items))
}

// sdnZonesTypeEnum is the type parameter's enumeration of
// /cluster/sdn/zones: the registered zone plugins, sorted
// (src/PVE/Network/SDN/Zones.pm, pve-common src/PVE/SectionConfig.pm
// lookup_types).
var sdnZonesTypeEnum = []string{"evpn", "faucet", "qinq", "simple", "vlan", "vxlan"}

// renderSDN pre-renders the SDN answers for one version. Entries are the
// section config of each zone or vnet with the id and the file's digest
// added (src/PVE/API2/Network/SDN/Zones.pm $api_sdn_zones_config,
// Vnets.pm $api_sdn_vnets_config), sorted by id (sdn_zones_ids,
// sdn_vnets_ids). SectionConfig returns integers and booleans as numbers
// (pve-common src/PVE/SectionConfig.pm check_value: "$value + 0"), the rest
// as strings; a zone's nodes and exitnodes come back as comma lists
// (src/PVE/Network/SDN.pm encode_value).
func renderSDN(s *SDN, version string) sdnRender {
	r := sdnRender{index: sdnIndex(version)}
	modern := sdnModern(version)

	var zcfg strings.Builder
	zoneProps := make([][]kv, len(s.Zones))
	for i := range s.Zones {
		z := &s.Zones[i]
		var p []kv
		add := func(k, v string) {
			if v != "" && v != "0" {
				p = append(p, kv{k, v})
			}
		}
		add("bridge", z.Bridge)
		add("tag", itoa(z.Tag))
		add("vlan-protocol", z.VLANProtocol)
		add("peers", strings.Join(z.Peers, ","))
		add("controller", z.Controller)
		add("vrf-vxlan", itoa(z.VRFVXLAN))
		add("exitnodes", strings.Join(z.ExitNodes, ","))
		add("mac", z.MAC)
		add("mtu", itoa(z.MTU))
		add("nodes", strings.Join(z.Nodes, ","))
		add("ipam", z.IPAM)
		if modern {
			add("dhcp", z.DHCP)
		}
		zoneProps[i] = p
		writeSection(&zcfg, z.Type, z.Zone, p)
	}
	zdigest := digest(zcfg.String())
	numeric := map[string]bool{"tag": true, "vrf-vxlan": true, "mtu": true, "vlanaware": true, "isolate-ports": true}
	entry := func(o *obj, p []kv) {
		for _, e := range p {
			if numeric[e.k] {
				n, _ := strconv.ParseInt(e.v, 10, 64)
				o.int(e.k, n)
			} else {
				o.str(e.k, e.v)
			}
		}
	}
	for i := range s.Zones {
		z := &s.Zones[i]
		o := newObj().str("zone", z.Zone).str("type", z.Type)
		entry(o, zoneProps[i])
		r.zones = append(r.zones, o.str("digest", zdigest).bytes())
		r.zoneTypes = append(r.zoneTypes, z.Type)
	}

	var vcfg strings.Builder
	vnetProps := make([][]kv, len(s.VNets))
	for i := range s.VNets {
		v := &s.VNets[i]
		p := []kv{{"zone", v.Zone}}
		if v.Tag != 0 {
			p = append(p, kv{"tag", itoa(v.Tag)})
		}
		if v.Alias != "" {
			p = append(p, kv{"alias", v.Alias})
		}
		if v.VLANAware {
			p = append(p, kv{"vlanaware", "1"})
		}
		if v.IsolatePorts && modern {
			p = append(p, kv{"isolate-ports", "1"})
		}
		vnetProps[i] = p
		writeSection(&vcfg, "vnet", v.VNet, p)
	}
	vdigest := digest(vcfg.String())
	items := make([][]byte, len(s.VNets))
	for i := range s.VNets {
		o := newObj().str("vnet", s.VNets[i].VNet).str("type", "vnet")
		entry(o, vnetProps[i])
		items[i] = o.str("digest", vdigest).bytes()
	}
	r.vnets = envelope(array(items))
	return r
}

// kv is one property of a SectionConfig section.
type kv struct{ k, v string }

// writeSection writes one section of a SectionConfig file the way
// pve-common src/PVE/SectionConfig.pm write_config does: a "type: id"
// header, tab-indented properties and an empty line.
func writeSection(b *strings.Builder, typ, id string, props []kv) {
	fmt.Fprintf(b, "%s: %s\n", typ, id)
	for _, p := range props {
		fmt.Fprintf(b, "\t%s %s\n", p.k, p.v)
	}
	b.WriteString("\n")
}

// zonesBody answers /cluster/sdn/zones, optionally of one type.
func (r *sdnRender) zonesBody(typ string) []byte {
	var items [][]byte
	for i, e := range r.zones {
		if typ == "" || r.zoneTypes[i] == typ {
			items = append(items, e)
		}
	}
	return envelope(array(items))
}

// sdnResourceEntries are the /cluster/resources entries of the configured
// zones: per node (sorted by name) each zone that exists there, sorted by
// id, with the status pvestatd broadcasts (pve-manager PVE/API2/Cluster.pm
// resources; pve-network src/PVE/Network/SDN/Zones.pm status: "available"
// and zone-type).
func sdnResourceEntries(s *SDN, nodes []Node) [][]byte {
	names := make([]string, len(nodes))
	for i, n := range nodes {
		names[i] = n.Name
	}
	slices.Sort(names)
	var items [][]byte
	for _, node := range names {
		for i := range s.Zones {
			z := &s.Zones[i]
			if !z.onNode(node) {
				continue
			}
			items = append(items, newObj().str("id", "sdn/"+node+"/"+z.Zone).str("sdn", z.Zone).str("node", node).
				str("status", "available").str("type", "sdn").str("zone-type", z.Type).bytes())
		}
	}
	return items
}
