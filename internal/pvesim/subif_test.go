// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pvesim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fixedOpsTime makes clusters with Operations comparable.
var fixedOpsTime = time.Date(2025, 12, 22, 12, 0, 0, 0, time.UTC)

func agentPath(g *Guest) string {
	return fmt.Sprintf("/nodes/%s/qemu/%d/agent/network-get-interfaces", g.Node, g.VMID)
}

func lxcInterfacesPath(g *Guest) string {
	return fmt.Sprintf("/nodes/%s/lxc/%d/interfaces", g.Node, g.VMID)
}

// reportedInterfaces fetches what a running guest reports about its
// interfaces (agent or container), keyed by name.
func reportedInterfaces(t *testing.T, e *testEnv, g *Guest) map[string]map[string]any {
	t.Helper()
	var items []map[string]any
	if g.Type == "qemu" {
		items = list(t, object(t, e.data(t, agentPath(g)))["result"])
	} else {
		items = list(t, e.data(t, lxcInterfacesPath(g)))
	}
	out := map[string]map[string]any{}
	for _, it := range items {
		name, ok := it["name"].(string)
		require.True(t, ok, "%v", it)
		require.NotContains(t, out, name, "interface listed twice")
		out[name] = it
	}
	return out
}

// reportedAddrs are the ip-address values (agent and 8.4+ container
// format) or inet/inet6 (pre-8.4 container format) of one interface.
func reportedAddrs(t *testing.T, iface map[string]any) []string {
	t.Helper()
	var out []string
	if raw, ok := iface["ip-addresses"]; ok {
		for _, a := range list(t, raw) {
			out = append(out, fmt.Sprintf("%v/%v", a["ip-address"], a["prefix"]))
		}
		return out
	}
	for _, k := range []string{"inet", "inet6"} {
		if v, ok := iface[k].(string); ok {
			out = append(out, v)
		}
	}
	return out
}

func macOf(t *testing.T, iface map[string]any) string {
	t.Helper()
	if v, ok := iface["hardware-address"].(string); ok {
		if hw, ok := iface["hwaddr"]; ok {
			assert.Equal(t, v, hw, "hwaddr and hardware-address agree")
		}
		return v
	}
	v, ok := iface["hwaddr"].(string)
	require.True(t, ok, "%v", iface)
	return v
}

// withoutSubInterfaces is c without any NIC.SubInterfaces.
func withoutSubInterfaces(c *Cluster) *Cluster {
	for i := range c.Guests {
		for j := range c.Guests[i].NICs {
			c.Guests[i].NICs[j].SubInterfaces = nil
		}
	}
	return c
}

func TestGuestVLANs(t *testing.T) {
	for _, tc := range []struct {
		cfg     Config
		minQemu int
	}{
		{Config{Seed: 1, GuestVLANs: true}, 2},
		{Config{Nodes: 4, Guests: 40, Seed: 2, GuestVLANs: true}, 2},
		{Config{Nodes: 3, Guests: 36, Seed: 1, GuestVLANs: true, SDN: true, NICGaps: true, Operations: true, OperationsTime: fixedOpsTime}, 2},
		{Config{Nodes: 8, Guests: 200, Seed: 5, GuestVLANs: true}, 3},
		// paused guests and NICs on vnets leave fewer candidates
		{Config{Nodes: 3, Guests: 36, Seed: 1, GuestVLANs: true, SDN: true, QMPStates: true}, 1},
	} {
		cfg := tc.cfg
		t.Run(fmt.Sprintf("%d-%d-%d-sdn-%v-qmp-%v", cfg.Nodes, cfg.Guests, cfg.Seed, cfg.SDN, cfg.QMPStates), func(t *testing.T) {
			e := newEnv(t, cfg)
			c := e.sim.Cluster()
			legacy := map[string]bool{}
			for _, n := range c.Nodes {
				legacy[n.Name] = n.Legacy
			}
			nameRe := regexp.MustCompile(`^(ens\d+|eth\d+)\.(\d+)$`)
			var qemu, lxc, twoSubs, withIPv6 int
			for gi := range c.Guests {
				g := &c.Guests[gi]
				subs := 0
				for _, n := range g.NICs {
					subs += len(n.SubInterfaces)
				}
				if subs == 0 {
					continue
				}
				require.Equal(t, "running", g.Status, "%d", g.VMID)
				if g.Type == "qemu" {
					qemu++
					require.Equal(t, AgentRunning, g.Agent, "%d: the agent reports them", g.VMID)
					require.Equal(t, QMPRunning, g.QMPStatus)
				} else {
					lxc++
				}
				got := reportedInterfaces(t, e, g)
				// lo, the NICs, the sub-interfaces (and the agent's docker0)
				want := 1 + len(g.NICs) + subs
				if g.Type == "qemu" {
					want++
				}
				assert.Len(t, got, want, "%d", g.VMID)
				for _, n := range g.NICs {
					if len(n.SubInterfaces) == 0 {
						continue
					}
					assert.Empty(t, n.SDN.VNet, "not on an SDN vnet")
					assert.True(t, n.VLAN == 0 || n.Trunks != "", "%d %s: its port passes tagged frames", g.VMID, n.Key)
					if len(n.SubInterfaces) > 1 {
						twoSubs++
					}
					parent := got[n.Name]
					require.NotNil(t, parent, "%d: %s reported", g.VMID, n.Name)
					for _, si := range n.SubInterfaces {
						m := nameRe.FindStringSubmatch(si.Name)
						require.NotNil(t, m, si.Name)
						assert.Equal(t, n.Name, m[1], "named after its parent")
						assert.Equal(t, fmt.Sprint(si.VLAN), m[2])
						assert.NotEqual(t, n.VLAN, si.VLAN, "%s collides with tag=", si.Name)
						assert.NotEqual(t, n.EffectiveVLAN(), si.VLAN)
						if n.Trunks != "" {
							assert.Contains(t, parseTrunks(n.Trunks), si.VLAN, "%s within trunks=%s", si.Name, n.Trunks)
						}
						require.NotEmpty(t, si.IPv4)
						if len(si.IPv6) > 0 {
							withIPv6++
						}
						iface := got[si.Name]
						require.NotNil(t, iface, "%d: %s reported", g.VMID, si.Name)
						assert.Equal(t, strings.ToLower(n.MAC), macOf(t, iface), "%s has its parent's MAC", si.Name)
						assert.Equal(t, macOf(t, parent), macOf(t, iface))
						addrs := reportedAddrs(t, iface)
						if g.Type == "lxc" && legacy[g.Node] {
							// the pre-8.4 format keeps the last address of each family
							assert.Contains(t, addrs, si.IPv4[len(si.IPv4)-1])
						} else {
							for _, a := range append(append([]string{}, si.IPv4...), si.IPv6...) {
								assert.Contains(t, addrs, a, "%s", si.Name)
							}
							for _, a := range n.IPv4 {
								assert.NotContains(t, addrs, a, "the parent's address stays on the parent")
							}
						}
					}
				}
				// Proxmox VE does not know of them
				var cfgPath string
				if g.Type == "qemu" {
					cfgPath = fmt.Sprintf("/nodes/%s/qemu/%d/config", g.Node, g.VMID)
				} else {
					cfgPath = fmt.Sprintf("/nodes/%s/lxc/%d/config", g.Node, g.VMID)
				}
				body := string(e.get(t, cfgPath).body)
				for _, n := range g.NICs {
					for _, si := range n.SubInterfaces {
						assert.NotContains(t, body, si.Name)
						assert.NotContains(t, body, strings.Split(si.IPv4[0], "/")[0])
					}
				}
			}
			assert.GreaterOrEqual(t, qemu, tc.minQemu, "a few qemu guests")
			assert.Equal(t, 1, lxc, "one container")
			assert.Equal(t, 1, twoSubs, "one NIC with two sub-interfaces")
			assert.Equal(t, 1, withIPv6, "one sub-interface with IPv6")

			// nothing else changes
			off := cfg
			off.GuestVLANs = false
			assert.Equal(t, New(off).Cluster(), withoutSubInterfaces(e.sim.Cluster()))
		})
	}
}

func TestGuestVLANAddressesAreUnique(t *testing.T) {
	c := New(Config{Nodes: 8, Guests: 1500, Seed: 3, GuestVLANs: true}).Cluster()
	ips := map[string]bool{}
	subs := 0
	for _, g := range c.Guests {
		for _, nic := range g.NICs {
			all := append(append([]string{}, nic.IPv4...), nic.IPv6...)
			for _, si := range nic.SubInterfaces {
				subs++
				all = append(append(all, si.IPv4...), si.IPv6...)
			}
			for _, ip := range all {
				assert.False(t, ips[ip], "duplicate IP %s", ip)
				ips[ip] = true
			}
		}
	}
	assert.Greater(t, subs, 10, "a few of many candidates")
}

// TestNewSwitchesOffByDefault checks that the default cluster, and those
// the golden files of other packages are made from, have neither
// sub-interfaces nor duplicate MACs, and that no agent answer lists a
// VLAN device.
func TestNewSwitchesOffByDefault(t *testing.T) {
	for _, cfg := range []Config{{}, {Nodes: 3, Guests: 24, Seed: 1}, {Nodes: 2, Guests: 4, Seed: 1}, {Nodes: 4, Guests: 80, Seed: 11}} {
		e := newEnv(t, cfg)
		c := e.sim.Cluster()
		assert.Empty(t, c.DuplicateMACs)
		raw, err := json.Marshal(c)
		require.NoError(t, err)
		assert.NotContains(t, string(raw), "subinterfaces")
		assert.NotContains(t, string(raw), "duplicate_macs")
		macs := map[string]int{}
		for gi := range c.Guests {
			g := &c.Guests[gi]
			for _, n := range g.NICs {
				assert.Empty(t, n.SubInterfaces)
				if n.MAC != "" {
					macs[n.MAC]++
					assert.Equal(t, 1, macs[n.MAC], "duplicate MAC %s", n.MAC)
				}
			}
			if g.Type == "qemu" && g.Status == "running" && g.Agent == AgentRunning {
				for name := range reportedInterfaces(t, e, g) {
					assert.NotContains(t, name, ".", "%d", g.VMID)
				}
			}
		}
	}
}

// configMACs fetches every guest config and returns, per MAC (upper-case),
// the VMIDs whose netN lines carry it.
func configMACs(t *testing.T, e *testEnv, c *Cluster) map[string][]int {
	t.Helper()
	macRe := regexp.MustCompile(`(?:^|,)(?:[a-z0-9_-]+|macaddr|hwaddr)=([0-9A-F]{2}(?::[0-9A-F]{2}){5})(?:,|$)`)
	out := map[string][]int{}
	for _, g := range c.Guests {
		cfg := object(t, e.data(t, fmt.Sprintf("/nodes/%s/%s/%d/config", g.Node, g.Type, g.VMID)))
		for k, v := range cfg {
			if !strings.HasPrefix(k, "net") {
				continue
			}
			if m := macRe.FindStringSubmatch(v.(string)); m != nil {
				out[m[1]] = append(out[m[1]], g.VMID)
			}
		}
	}
	return out
}

func TestDuplicateMAC(t *testing.T) {
	for _, cfg := range []Config{
		{Seed: 1, DuplicateMAC: true},
		{Nodes: 4, Guests: 40, Seed: 1, DuplicateMAC: true, GuestVLANs: true},
		{Nodes: 3, Guests: 36, Seed: 1, DuplicateMAC: true, GuestVLANs: true, SDN: true, NICGaps: true, Operations: true, OperationsTime: fixedOpsTime},
	} {
		t.Run(fmt.Sprintf("%d-%d-%d", cfg.Nodes, cfg.Guests, cfg.Seed), func(t *testing.T) {
			e := newEnv(t, cfg)
			c := e.sim.Cluster()
			require.Len(t, c.DuplicateMACs, 1)
			d := c.DuplicateMACs[0]
			require.Len(t, d.VMIDs, 2)
			require.Len(t, d.NICs, 2)
			assert.Less(t, d.VMIDs[0], d.VMIDs[1])

			macs := configMACs(t, e, c)
			twice := map[string][]int{}
			for mac, ids := range macs {
				if len(ids) > 1 {
					twice[mac] = ids
				}
			}
			require.Len(t, twice, 1, "exactly one MAC on two guests: %v", twice)
			assert.ElementsMatch(t, d.VMIDs, twice[d.MAC])

			byID := guestByVMID(c)
			a, b := byID[d.VMIDs[0]], byID[d.VMIDs[1]]
			assert.Equal(t, a.Type, b.Type)
			assert.NotEqual(t, a.Node, b.Node, "preferably on another node")
			for i, g := range []*Guest{a, b} {
				var nic *NIC
				for j := range g.NICs {
					if g.NICs[j].Key == d.NICs[i] {
						nic = &g.NICs[j]
					}
				}
				require.NotNil(t, nic, "%d %s", g.VMID, d.NICs[i])
				assert.Equal(t, d.MAC, nic.MAC)
				if g.Status == "running" && (g.Type == "lxc" || g.Agent == AgentRunning) {
					iface := reportedInterfaces(t, e, g)[nic.Name]
					require.NotNil(t, iface, "%d reports %s", g.VMID, nic.Name)
					assert.Equal(t, strings.ToLower(d.MAC), macOf(t, iface))
				}
			}
			// the copy is a running guest that reports its interfaces
			off := cfg
			off.DuplicateMAC = false
			want := New(off).Cluster()
			generated := guestByVMID(want)
			var copies []*Guest
			for _, g := range []*Guest{a, b} {
				if g.NICs[0].MAC != generated[g.VMID].NICs[0].MAC {
					copies = append(copies, g)
				}
			}
			require.Len(t, copies, 1)
			assert.Equal(t, "running", copies[0].Status)
			if copies[0].Type == "qemu" {
				assert.Equal(t, AgentRunning, copies[0].Agent)
			}

			// its addresses and netstat device stay its own
			got := e.sim.Cluster()
			got.DuplicateMACs = nil
			changed := 0
			for gi := range got.Guests {
				for j := range got.Guests[gi].NICs {
					if got.Guests[gi].NICs[j].MAC != want.Guests[gi].NICs[j].MAC {
						changed++
						got.Guests[gi].NICs[j].MAC = want.Guests[gi].NICs[j].MAC
					}
				}
			}
			assert.Equal(t, 1, changed, "one NIC got another MAC")
			assert.Equal(t, want, got, "nothing else changes")
		})
	}
}

func TestSetGuestIPs(t *testing.T) {
	e := newEnv(t, Config{Seed: 1})
	c := e.sim.Cluster()
	vm := findGuest(t, c, func(g Guest) bool {
		return g.Type == "qemu" && g.Status == "running" && g.Agent == AgentRunning && len(g.NICs) > 1
	})
	ct := findGuest(t, c, func(g Guest) bool {
		return g.Type == "lxc" && g.Status == "running" && !g.NICs[0].DHCP && !g.NICs[0].SLAAC && len(g.NICs[0].IPv6) > 0
	})

	// qemu: a new IPv4 on net1, IPv6 kept
	oldV4, oldV6 := vm.NICs[1].IPv4, vm.NICs[1].IPv6
	require.NoError(t, e.sim.SetGuestIPs(vm.VMID, vm.NICs[1].Key, []string{"192.0.2.250/25", "198.18.0.7/15"}, nil))
	addrs := reportedAddrs(t, reportedInterfaces(t, e, &vm)[vm.NICs[1].Name])
	assert.Contains(t, addrs, "192.0.2.250/25")
	assert.Contains(t, addrs, "198.18.0.7/15")
	assert.NotContains(t, addrs, oldV4[0], "the old address is gone")
	assert.Contains(t, addrs, oldV6[0], "nil keeps the IPv6 addresses")
	assert.Equal(t, vm.NICs[0].IPv4, reportedAddrs(t, reportedInterfaces(t, e, &vm)[vm.NICs[0].Name])[:1], "net0 unchanged")
	truth := guestByVMID(e.sim.Cluster())[vm.VMID]
	assert.Equal(t, []string{"192.0.2.250/25", "198.18.0.7/15"}, truth.NICs[1].IPv4)
	assert.Equal(t, oldV6, truth.NICs[1].IPv6)

	// IPv6 replaced, written canonically; IPv4 removed
	require.NoError(t, e.sim.SetGuestIPs(vm.VMID, vm.NICs[1].Key, []string{}, []string{"2001:DB8:0:0:0:0:0:77/64"}))
	addrs = reportedAddrs(t, reportedInterfaces(t, e, &vm)[vm.NICs[1].Name])
	assert.Contains(t, addrs, "2001:db8::77/64")
	assert.NotContains(t, addrs, "192.0.2.250/25")
	assert.NotContains(t, addrs, oldV6[0])
	for _, a := range addrs {
		assert.NotRegexp(t, `^\d+\.`, a, "no IPv4 left")
	}

	// lxc: interfaces and the config's ip=
	require.NoError(t, e.sim.SetGuestIPs(ct.VMID, "net0", []string{"192.0.2.251/24"}, []string{}))
	iface := reportedInterfaces(t, e, &ct)[ct.NICs[0].Name]
	addrs = reportedAddrs(t, iface)
	assert.Contains(t, addrs, "192.0.2.251/24")
	assert.NotContains(t, addrs, ct.NICs[0].IPv4[0])
	assert.NotContains(t, addrs, ct.NICs[0].IPv6[0])
	net0 := object(t, e.data(t, fmt.Sprintf("/nodes/%s/lxc/%d/config", ct.Node, ct.VMID)))["net0"].(string)
	assert.Contains(t, net0, "ip=192.0.2.251/24")
	assert.NotContains(t, net0, "ip6=")

	// errors name what is wrong and change nothing
	before := e.sim.Cluster()
	for _, tc := range []struct {
		vmid       int
		nic        string
		ipv4, ipv6 []string
		want       string
	}{
		{99999, "net0", []string{"192.0.2.1/24"}, nil, "99999"},
		{vm.VMID, "net9", []string{"192.0.2.1/24"}, nil, `"net9"`},
		{vm.VMID, "eth0", []string{"192.0.2.1/24"}, nil, `"eth0"`},
		{vm.VMID, "net0", []string{"192.0.2.1"}, nil, `"192.0.2.1"`},
		{vm.VMID, "net0", []string{"2001:db8::1/64"}, nil, "not an ipv4"},
		{vm.VMID, "net0", nil, []string{"192.0.2.1/24"}, "not an ipv6"},
		{vm.VMID, "net0", nil, nil, "no ipv4 or ipv6"},
	} {
		err := e.sim.SetGuestIPs(tc.vmid, tc.nic, tc.ipv4, tc.ipv6)
		if assert.Error(t, err, "%+v", tc) {
			assert.Contains(t, err.Error(), tc.want)
		}
	}
	assert.Equal(t, before, e.sim.Cluster())

	// ClearFaults goes back to the generated addresses
	e.sim.ClearFaults()
	assert.Equal(t, c, e.sim.Cluster())
	addrs = reportedAddrs(t, reportedInterfaces(t, e, &vm)[vm.NICs[1].Name])
	assert.Contains(t, addrs, oldV4[0])
}

func TestGuestIPsControl(t *testing.T) {
	e := newEnv(t, Config{Seed: 1})
	c := e.sim.Cluster()
	vm := findGuest(t, c, func(g Guest) bool {
		return g.Type == "qemu" && g.Status == "running" && g.Agent == AgentRunning
	})
	post := func(body string) (int, string) {
		resp, err := e.client.Post(e.srv.URL+"/_sim/fault", "application/json", strings.NewReader(body))
		require.NoError(t, err)
		defer resp.Body.Close()
		msg, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(msg)
	}
	truth := func() *Cluster {
		resp, err := e.client.Get(e.srv.URL + "/_sim/truth")
		require.NoError(t, err)
		defer resp.Body.Close()
		var c Cluster
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&c))
		return &c
	}

	status, msg := post(fmt.Sprintf(`{"guest_ips":{"vmid":%d,"nic":"net0","ipv4":["192.0.2.77/24"]}}`, vm.VMID))
	require.Equal(t, http.StatusNoContent, status, msg)
	addrs := reportedAddrs(t, reportedInterfaces(t, e, &vm)[vm.NICs[0].Name])
	assert.Contains(t, addrs, "192.0.2.77/24")
	assert.NotContains(t, addrs, vm.NICs[0].IPv4[0])
	assert.Contains(t, addrs, vm.NICs[0].IPv6[0])
	got := guestByVMID(truth())[vm.VMID]
	assert.Equal(t, []string{"192.0.2.77/24"}, got.NICs[0].IPv4)

	for _, tc := range []struct{ body, want string }{
		{`{"guest_ips":{"vmid":4242,"nic":"net0","ipv4":["192.0.2.1/24"]}}`, "unknown guest 4242"},
		{fmt.Sprintf(`{"guest_ips":{"vmid":%d,"nic":"net7","ipv4":["192.0.2.1/24"]}}`, vm.VMID), `no NIC "net7"`},
		{fmt.Sprintf(`{"guest_ips":{"vmid":%d,"nic":"net0","ipv4":["x"]}}`, vm.VMID), `"x"`},
		{fmt.Sprintf(`{"guest_ips":{"vmid":%d,"nic":"net0","ip":["192.0.2.1/24"]}}`, vm.VMID), `unknown field "ip"`},
		// nothing of a rejected request is applied
		{fmt.Sprintf(`{"node_offline":"pve1","guest_ips":{"vmid":%d,"nic":"net9","ipv4":["192.0.2.1/24"]}}`, vm.VMID), `no NIC "net9"`},
	} {
		status, msg := post(tc.body)
		assert.Equal(t, http.StatusBadRequest, status, tc.body)
		assert.Contains(t, msg, tc.want)
	}
	assert.Equal(t, []string{"192.0.2.77/24"}, guestByVMID(truth())[vm.VMID].NICs[0].IPv4)
	assert.True(t, truth().Nodes[0].Online)

	status, msg = post(`{"clear":true}`)
	require.Equal(t, http.StatusNoContent, status, msg)
	assert.Equal(t, vm.NICs[0].IPv4, guestByVMID(truth())[vm.VMID].NICs[0].IPv4)
}

// TestSetGuestIPsWhileServing re-addresses guests while their answers are
// rendered; run with -race it finds unguarded access.
func TestSetGuestIPsWhileServing(t *testing.T) {
	e := newEnv(t, Config{Seed: 1, GuestVLANs: true})
	c := e.sim.Cluster()
	vm := findGuest(t, c, func(g Guest) bool {
		return g.Type == "qemu" && g.Status == "running" && g.Agent == AgentRunning
	})
	ct := findGuest(t, c, func(g Guest) bool { return g.Type == "lxc" && g.Status == "running" })
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for _, p := range []string{agentPath(&vm), lxcInterfacesPath(&ct), fmt.Sprintf("/nodes/%s/lxc/%d/config", ct.Node, ct.VMID)} {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				r, err := e.do(t, t.Context(), http.MethodGet, "/api2/json"+p, defaultAuth())
				if err != nil || r.status != http.StatusOK {
					t.Errorf("%s: %v %d", p, err, r.status)
					return
				}
			}
		})
	}
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			_ = e.sim.Cluster()
		}
	})
	for i := range 200 {
		require.NoError(t, e.sim.SetGuestIPs(vm.VMID, "net0", []string{fmt.Sprintf("192.0.2.%d/24", i%250)}, nil))
		require.NoError(t, e.sim.SetGuestIPs(ct.VMID, "net0", nil, []string{fmt.Sprintf("2001:db8::%x/64", i)}))
		if i%50 == 0 {
			e.sim.ClearFaults()
		}
	}
	close(stop)
	wg.Wait()
	addrs := reportedAddrs(t, reportedInterfaces(t, e, &vm)[vm.NICs[0].Name])
	assert.Contains(t, addrs, "192.0.2.199/24")
}

// TestGuestNetSwitchesAreIndependent checks that GuestVLANs and
// DuplicateMAC pick the same guests whether the other is on or not.
func TestGuestNetSwitchesAreIndependent(t *testing.T) {
	for _, base := range []Config{{Seed: 1}, {Nodes: 4, Guests: 40, Seed: 1}, {Nodes: 3, Guests: 36, Seed: 1, SDN: true, NICGaps: true}} {
		vlans, dup, both := base, base, base
		vlans.GuestVLANs = true
		dup.DuplicateMAC = true
		both.GuestVLANs, both.DuplicateMAC = true, true
		b := New(both).Cluster()
		assert.Equal(t, New(dup).Cluster().DuplicateMACs, b.DuplicateMACs)
		v := New(vlans).Cluster()
		for gi := range v.Guests {
			for j := range v.Guests[gi].NICs {
				assert.Equal(t, v.Guests[gi].NICs[j].SubInterfaces, b.Guests[gi].NICs[j].SubInterfaces)
			}
		}
	}
}
