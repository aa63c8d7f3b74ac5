// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pvesim

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSDNOffByDefault checks a cluster without SDN configuration: both lists
// are empty, the index answers (libpve-network-perl is installed on every
// PVE >= 8.1: pve-manager stable-8 debian/control Depends), and
// /cluster/resources keeps only the localnetwork entries.
func TestSDNOffByDefault(t *testing.T) {
	e := newEnv(t, Config{Seed: 1})
	assert.Zero(t, e.sim.Cluster().SDN)
	for _, p := range []string{"/cluster/sdn/vnets", "/cluster/sdn/zones", "/cluster/sdn/zones?type=vlan"} {
		r := e.get(t, p)
		require.Equal(t, http.StatusOK, r.status, p)
		assert.Equal(t, `{"data":[]}`, string(r.body), p)
	}
	for _, r := range list(t, e.data(t, "/cluster/resources?type=sdn")) {
		assert.Equal(t, "localnetwork", r["sdn"])
	}
	for _, g := range e.sim.Cluster().Guests {
		for _, n := range g.NICs {
			assert.Zero(t, n.SDN)
			assert.Equal(t, n.VLAN, n.EffectiveVLAN())
		}
	}
}

// TestSDNIndex checks GET /cluster/sdn (pve-network
// src/PVE/API2/Network/SDN.pm index): "fabrics" exists since pve-network
// 1.1.0 (PVE 9.0, commit 21d2ad3).
func TestSDNIndex(t *testing.T) {
	for _, sdn := range []bool{false, true} {
		e := newEnv(t, Config{SDN: sdn})
		r := e.get(t, "/cluster/sdn")
		require.Equal(t, http.StatusOK, r.status)
		assert.Equal(t, `{"data":[{"id":"vnets"},{"id":"zones"},{"id":"controllers"},{"id":"ipams"},{"id":"dns"},{"id":"fabrics"}]}`, string(r.body))
		require.NoError(t, e.sim.SetVersion(Version7))
		r = e.get(t, "/cluster/sdn")
		require.Equal(t, http.StatusOK, r.status)
		assert.Equal(t, `{"data":[{"id":"vnets"},{"id":"zones"},{"id":"controllers"},{"id":"ipams"},{"id":"dns"}]}`, string(r.body))
	}
}

var digestRe = regexp.MustCompile(`^[0-9a-f]{40}$`)

// TestSDNVNetsShape checks /cluster/sdn/vnets: the vnet's section config
// plus vnet and digest (pve-network src/PVE/API2/Network/SDN/Vnets.pm
// $api_sdn_vnets_config), sorted by id (src/PVE/Network/SDN/Vnets.pm
// sdn_vnets_ids), integers and booleans as JSON numbers (pve-common
// src/PVE/SectionConfig.pm check_value), isolate-ports only since
// pve-network 0.10 (PVE 8.3).
func TestSDNVNetsShape(t *testing.T) {
	e := newEnv(t, Config{Seed: 1, SDN: true})
	truth := e.sim.Cluster().SDN
	for _, version := range []string{Version9, Version7} {
		require.NoError(t, e.sim.SetVersion(version))
		vnets := list(t, e.data(t, "/cluster/sdn/vnets"))
		require.Len(t, vnets, len(truth.VNets))
		var ids []string
		digest := vnets[0]["digest"]
		for i, v := range vnets {
			want := truth.VNets[i]
			ids = append(ids, v["vnet"].(string))
			assert.Equal(t, want.VNet, v["vnet"])
			assert.Equal(t, "vnet", v["type"])
			assert.Equal(t, want.Zone, v["zone"])
			assert.Regexp(t, digestRe, v["digest"])
			assert.Equal(t, digest, v["digest"], "one digest for the whole vnets.cfg")
			allowed := []string{"alias", "digest", "isolate-ports", "tag", "type", "vlanaware", "vnet", "zone"}
			for k := range v {
				assert.Contains(t, allowed, k)
			}
			if want.Tag != 0 {
				assert.Equal(t, float64(want.Tag), v["tag"], "tag is a number")
			} else {
				assert.NotContains(t, v, "tag")
			}
			if want.VLANAware {
				assert.Equal(t, float64(1), v["vlanaware"])
			} else {
				assert.NotContains(t, v, "vlanaware")
			}
			if want.IsolatePorts && version == Version9 {
				assert.Equal(t, float64(1), v["isolate-ports"])
			} else {
				assert.NotContains(t, v, "isolate-ports")
			}
			assert.Regexp(t, `^[a-zA-Z][a-zA-Z0-9]*[a-zA-Z0-9]$`, v["vnet"], "pve-sdn-vnet-id")
			assert.LessOrEqual(t, len(v["vnet"].(string)), 8)
		}
		assert.True(t, slices.IsSorted(ids))
	}
}

// TestSDNZonesShape checks /cluster/sdn/zones: the zone's section config plus
// zone and digest, nodes and exitnodes as comma lists (pve-network
// src/PVE/API2/Network/SDN/Zones.pm $api_sdn_zones_config), the
// properties each zone plugin has (src/PVE/Network/SDN/Zones/*Plugin.pm
// options), and the type filter with its enumeration of the registered
// plugins (src/PVE/Network/SDN/Zones.pm).
func TestSDNZonesShape(t *testing.T) {
	e := newEnv(t, Config{Seed: 1, SDN: true})
	c := e.sim.Cluster()
	zones := list(t, e.data(t, "/cluster/sdn/zones"))
	require.Len(t, zones, len(c.SDN.Zones))
	types := map[string]int{}
	var ids []string
	options := map[string][]string{
		// the type's plugin options plus type, zone, digest
		ZoneSimple: {"dhcp", "digest", "dns", "dnszone", "ipam", "mtu", "nodes", "reversedns", "type", "zone"},
		ZoneVLAN:   {"bridge", "bridge-disable-mac-learning", "digest", "dns", "dnszone", "ipam", "mtu", "nodes", "reversedns", "type", "zone"},
		ZoneQinQ:   {"bridge", "bridge-disable-mac-learning", "digest", "dns", "dnszone", "ipam", "mtu", "nodes", "reversedns", "tag", "type", "vlan-protocol", "zone"},
		ZoneVXLAN:  {"digest", "dns", "dnszone", "fabric", "ipam", "mtu", "nodes", "peers", "reversedns", "type", "vxlan-port", "zone"},
		ZoneEVPN: {"advertise-subnets", "bridge-disable-mac-learning", "controller", "digest", "disable-arp-nd-suppression", "dns", "dnszone",
			"exitnodes", "exitnodes-local-routing", "exitnodes-primary", "ipam", "mac", "mtu", "nodes", "reversedns", "rt-import", "type",
			"vrf-vxlan", "vxlan-port", "zone"},
	}
	required := map[string][]string{
		ZoneVLAN:  {"bridge"},
		ZoneQinQ:  {"bridge", "tag"},
		ZoneVXLAN: {"peers"},
		ZoneEVPN:  {"controller", "vrf-vxlan"},
	}
	for i, z := range zones {
		typ := z["type"].(string)
		types[typ]++
		ids = append(ids, z["zone"].(string))
		assert.Equal(t, c.SDN.Zones[i].Zone, z["zone"])
		assert.Regexp(t, digestRe, z["digest"])
		assert.Equal(t, zones[0]["digest"], z["digest"])
		for k := range z {
			assert.Contains(t, options[typ], k, "zone %s", z["zone"])
		}
		for _, k := range required[typ] {
			assert.Contains(t, z, k, "zone %s", z["zone"])
		}
		for _, k := range []string{"tag", "mtu", "vrf-vxlan"} {
			if v, ok := z[k]; ok {
				assert.IsType(t, float64(0), v, "%s is a number", k)
			}
		}
		for _, k := range []string{"peers", "nodes", "exitnodes"} {
			if v, ok := z[k]; ok {
				assert.IsType(t, "", v, "%s is a comma list", k)
			}
		}
	}
	assert.True(t, slices.IsSorted(ids))
	for _, typ := range []string{ZoneSimple, ZoneVLAN, ZoneQinQ, ZoneVXLAN, ZoneEVPN} {
		assert.Positive(t, types[typ], typ)
		for _, z := range list(t, e.data(t, "/cluster/sdn/zones?type="+typ)) {
			assert.Equal(t, typ, z["type"])
		}
		assert.Len(t, list(t, e.data(t, "/cluster/sdn/zones?type="+typ)), types[typ])
	}
	assert.Empty(t, list(t, e.data(t, "/cluster/sdn/zones?type=faucet")))
	r := e.get(t, "/cluster/sdn/zones?type=bogus")
	assert.Equal(t, http.StatusBadRequest, r.status)
	assert.JSONEq(t, `{"errors":{"type":"value 'bogus' does not have a value in the enumeration 'evpn, faucet, qinq, simple, vlan, vxlan'"},"data":null,"message":"Parameter verification failed.\n"}`, string(r.body))

	// the simple zone's DHCP backend exists since PVE 8.1
	require.NoError(t, e.sim.SetVersion(Version7))
	for _, z := range list(t, e.data(t, "/cluster/sdn/zones")) {
		assert.NotContains(t, z, "dhcp")
	}
}

// sdnVLANFromAPI works out what a NIC on a vnet carries from the served
// vnet and zone lists alone, the way a client has to.
func sdnVLANFromAPI(t *testing.T, e *testEnv) map[string]NICSDN {
	t.Helper()
	zones := map[string]map[string]any{}
	for _, z := range list(t, e.data(t, "/cluster/sdn/zones")) {
		zones[z["zone"].(string)] = z
	}
	out := map[string]NICSDN{}
	for _, v := range list(t, e.data(t, "/cluster/sdn/vnets")) {
		z := zones[v["zone"].(string)]
		tag, _ := v["tag"].(float64)
		s := NICSDN{VNet: v["vnet"].(string), Zone: z["zone"].(string), ZoneType: z["type"].(string)}
		switch s.ZoneType {
		case ZoneVLAN:
			s.VLAN = int(tag)
		case ZoneQinQ:
			s.VLAN, s.ServiceVLAN = int(tag), int(z["tag"].(float64))
		case ZoneVXLAN, ZoneEVPN:
			s.VNI = int(tag)
		}
		out[s.VNet] = s
	}
	return out
}

// TestSDNGuestNICs checks the NICs on vnets: bridge=<vnet> without tag= or
// trunks= in the guest config, a zone that exists on the guest's node
// (pve-network src/PVE/Network/SDN/Zones.pm tap_plug), and the VLAN each
// carries: the vnet's tag in a vlan zone (src/PVE/Network/SDN/Zones/
// VlanPlugin.pm), the vnet's tag inside the zone's service tag in a qinq
// zone (QinQPlugin.pm), none in a simple zone, the vnet's tag as VNI in
// vxlan and evpn zones (VxlanPlugin.pm, EvpnPlugin.pm).
func TestSDNGuestNICs(t *testing.T) {
	for _, seed := range []int64{1, 2, 5} {
		e := newEnv(t, Config{Seed: seed, SDN: true})
		c := e.sim.Cluster()
		fromAPI := sdnVLANFromAPI(t, e)
		zoneTypes := map[string]int{}
		for _, g := range c.Guests {
			conf := object(t, e.data(t, fmt.Sprintf("/nodes/%s/%s/%d/config", g.Node, g.Type, g.VMID)))
			for _, n := range g.NICs {
				if n.SDN.VNet == "" {
					assert.NotContains(t, fromAPI, n.Bridge, "%d %s: a vnet bridge without SDN truth", g.VMID, n.Key)
					assert.Equal(t, n.VLAN, n.EffectiveVLAN())
					continue
				}
				zoneTypes[n.SDN.ZoneType]++
				assert.Equal(t, fromAPI[n.Bridge], n.SDN, "%d %s", g.VMID, n.Key)
				assert.Equal(t, n.SDN.VLAN, n.EffectiveVLAN())
				line := conf[n.Key].(string)
				assert.Contains(t, strings.Split(line, ","), "bridge="+n.SDN.VNet)
				assert.NotContains(t, line, "tag=")
				assert.NotContains(t, line, "trunks=")
				z := c.SDN.zone(n.SDN.Zone)
				assert.True(t, z.onNode(g.Node), "%d on %s uses zone %s", g.VMID, g.Node, z.Zone)
			}
		}
		for _, typ := range []string{ZoneSimple, ZoneVLAN, ZoneQinQ, ZoneVXLAN, ZoneEVPN} {
			assert.Positive(t, zoneTypes[typ], "seed %d: a NIC in a %s zone", seed, typ)
		}
	}
}

// TestSDNPicks pins which NICs of the default-sized cluster are on which vnet,
// since tests elsewhere may build on them.
func TestSDNPicks(t *testing.T) {
	got := map[string]string{}
	for _, g := range New(Config{Seed: 1, SDN: true}).Cluster().Guests {
		for _, n := range g.NICs {
			if n.SDN.VNet != "" {
				got[fmt.Sprintf("%d/%s", g.VMID, n.Key)] = n.SDN.VNet
			}
		}
	}
	assert.Equal(t, map[string]string{
		"103/net0": "vx200", "104/net0": "cust1", "107/net1": "app10", "107/net2": "dev", "109/net0": "tenant1",
		"111/net1": "dev", "113/net0": "cust1", "119/net0": "stor10", "123/net0": "cust2",
	}, got)
}

// TestSDNLeavesOtherValuesAlone checks that the SDN switch changes nothing
// but the moved NICs' bridge, tag and trunks.
func TestSDNLeavesOtherValuesAlone(t *testing.T) {
	for _, cfg := range []Config{{Seed: 1}, {Seed: 2, Nodes: 4, Guests: 90, QMPStates: true, NICGaps: true}} {
		plain := New(cfg).Cluster()
		cfg.SDN = true
		with := New(cfg).Cluster()
		assert.Equal(t, plain.Nodes, with.Nodes)
		assert.Equal(t, plain.NetDevs, with.NetDevs)
		moved := 0
		for i, g := range with.Guests {
			want := plain.Guests[i]
			for j, n := range g.NICs {
				if n.SDN.VNet != "" {
					moved++
					require.NotEmpty(t, want.NICs[j].Bridge, "only bridged NICs move")
					want.NICs[j].Bridge, want.NICs[j].VLAN, want.NICs[j].Trunks, want.NICs[j].SDN = n.SDN.VNet, 0, "", n.SDN
				}
			}
			assert.Equal(t, want, g, "vmid %d", g.VMID)
		}
		assert.GreaterOrEqual(t, moved, len(with.SDN.Zones))
	}
}

// TestSDNClusterResources checks the per-node zone entries (pve-manager
// PVE/API2/Cluster.pm resources; pve-network src/PVE/Network/SDN/Zones.pm
// status skips zones whose nodes leave the node out).
func TestSDNClusterResources(t *testing.T) {
	e := newEnv(t, Config{Seed: 1, SDN: true})
	c := e.sim.Cluster()
	got := map[string]map[string]any{}
	for _, r := range list(t, e.data(t, "/cluster/resources?type=sdn")) {
		got[r["id"].(string)] = r
	}
	want := len(c.Nodes) // localnetwork
	for _, n := range c.Nodes {
		for _, z := range c.SDN.Zones {
			r, ok := got["sdn/"+n.Name+"/"+z.Zone]
			if !z.onNode(n.Name) {
				assert.False(t, ok, "%s has no zone %s", n.Name, z.Zone)
				continue
			}
			want++
			require.True(t, ok, "%s %s", n.Name, z.Zone)
			assert.Equal(t, map[string]any{"id": "sdn/" + n.Name + "/" + z.Zone, "sdn": z.Zone, "node": n.Name,
				"type": "sdn", "status": "available", "zone-type": z.Type}, r)
		}
	}
	assert.Len(t, got, want)
	assert.NotContains(t, got, "sdn/pve3/storage", "the storage zone is limited to pve1 and pve2")
}

// TestSDNWithoutSDNAudit checks a token without SDN.Audit: the lists filter
// every entry away (pve-network src/PVE/API2/Network/SDN/Vnets.pm and
// Zones.pm index, user => 'all') and answer 200 [] like a cluster without
// SDN, /cluster/resources has no sdn entries (pve-manager
// PVE/API2/Cluster.pm resources), and GET /cluster/sdn answers 403 for
// ['perm', '/sdn', ['SDN.Audit']], or '/' on PVE 7 (pve-network 0.7.x,
// before commit d7c1620) (src/PVE/API2/Network/SDN.pm index).
func TestSDNWithoutSDNAudit(t *testing.T) {
	for _, perms := range []Permissions{AuditorNoSDN, PrivSepNoACL, PrivSepEmptyLists} {
		e := newEnv(t, Config{Seed: 1, SDN: true, Permissions: perms})
		for _, p := range []string{"/cluster/sdn/vnets", "/cluster/sdn/zones", "/cluster/sdn/zones?type=vlan"} {
			r := e.get(t, p)
			require.Equal(t, http.StatusOK, r.status, "%s %s", perms, p)
			assert.Equal(t, `{"data":[]}`, string(r.body), "%s %s", perms, p)
		}
		assert.Equal(t, http.StatusBadRequest, e.get(t, "/cluster/sdn/zones?type=bogus").status, "parameters are still checked")
		if perms != PrivSepEmptyLists {
			assert.Empty(t, list(t, e.data(t, "/cluster/resources?type=sdn")), perms.String())
		}
		r := e.get(t, "/cluster/sdn")
		require.Equal(t, http.StatusForbidden, r.status, perms.String())
		assert.Equal(t, "Permission check failed (/sdn, SDN.Audit)\n", errorMessage(t, r))

		require.NoError(t, e.sim.SetVersion(Version7))
		r = e.get(t, "/cluster/sdn")
		require.Equal(t, http.StatusForbidden, r.status)
		assert.Equal(t, "Permission check failed (/, SDN.Audit)", r.reason)
		assert.JSONEq(t, `{"data":null}`, string(r.body))
		assert.Equal(t, `{"data":[]}`, string(e.get(t, "/cluster/sdn/vnets").body))
	}

	// everything else answers as with Full
	e := newEnv(t, Config{Seed: 1, SDN: true, Permissions: AuditorNoSDN})
	full := newEnv(t, Config{Seed: 1, SDN: true})
	for _, p := range []string{"/cluster/status", "/nodes", "/cluster/resources?type=vm", "/cluster/resources?type=node",
		"/nodes/pve1/netstat", "/nodes/pve1/status", "/nodes/pve1/qemu/101/config", "/nodes/pve2/lxc/100/interfaces"} {
		assert.Equal(t, string(full.get(t, p).body), string(e.get(t, p).body), p)
	}
	perms := object(t, e.data(t, "/access/permissions"))
	require.Contains(t, perms, "/sdn")
	for path, privs := range perms {
		assert.NotContains(t, object(t, privs), "SDN.Audit", path)
		assert.Contains(t, object(t, privs), "Sys.Audit", path)
	}
	p, err := ParsePermissions("auditor-no-sdn")
	require.NoError(t, err)
	assert.Equal(t, AuditorNoSDN, p)
	assert.Equal(t, "auditor-no-sdn", p.String())
}

// TestSwitchesOnTinyClusters checks that every switch copes with clusters too
// small to show all of its quirks.
func TestSwitchesOnTinyClusters(t *testing.T) {
	for nodes := 1; nodes <= 2; nodes++ {
		for guests := 1; guests <= 4; guests++ {
			e := newEnv(t, Config{Nodes: nodes, Guests: guests, SDN: true, NICGaps: true, QMPStates: true})
			c := e.sim.Cluster()
			assert.Len(t, list(t, e.data(t, "/cluster/sdn/vnets")), len(c.SDN.VNets))
			devs := 0
			for _, n := range c.Nodes {
				devs += len(list(t, e.data(t, "/nodes/"+n.Name+"/netstat")))
			}
			assert.Len(t, c.NetDevs, devs)
		}
	}
}
