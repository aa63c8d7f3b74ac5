// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package guestnet

import (
	"encoding/json"
	"net/netip"
	"testing"
)

func TestNormalizeMAC(t *testing.T) {
	tests := []struct {
		in, want, wantErr string
	}{
		{in: "bc:24:11:89:67:07", want: "BC:24:11:89:67:07"},
		{in: "BC:24:11:89:67:07", want: "BC:24:11:89:67:07"},
		{in: "bc-24-11-89-67-07", want: "BC:24:11:89:67:07"},
		{in: "bc24.1189.6707", want: "BC:24:11:89:67:07"},
		{in: " bc:24:11:89:67:07\n", want: "BC:24:11:89:67:07"},
		{in: "bc2411896707", want: "BC:24:11:89:67:07"},
		{in: " ff:ff:ff:ff:ff:ff\n", wantErr: `invalid MAC " ff:ff:ff:ff:ff:ff\n": group (multicast or broadcast) address`},
		{in: "00:00:00:00:00:00", wantErr: `invalid MAC "00:00:00:00:00:00": all zero`},
		{in: "00:00:00:00:fe:80:00:00:00:00:00:00:02:00:5e:10:00:00:00:01", wantErr: "20 bytes, want 6"},
		{in: "bc:24:11:89:67", wantErr: `invalid MAC "bc:24:11:89:67"`},
		{in: "", wantErr: `invalid MAC ""`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := NormalizeMAC(tt.in)
			assertErrContains(t, err, tt.wantErr)
			assertEqual(t, tt.want, got)
		})
	}
}

// TestGroupMACsRejected: broadcast and multicast MACs identify no interface (Proxmox refuses them in guest configs)
// and the mnmendpoint exporter drops them, so they are rejected here already, in whatever form they arrive.
func TestGroupMACsRejected(t *testing.T) {
	for _, mac := range []string{"FF:FF:FF:FF:FF:FF", "ff:ff:ff:ff:ff:ff", "01:00:5e:00:00:01", "01:00:5E:00:00:01", "33:33:00:00:00:01"} {
		t.Run(mac, func(t *testing.T) {
			got, err := NormalizeMAC(mac)
			assertErrContains(t, err, `invalid MAC "`+mac+`": group (multicast or broadcast) address`)
			assertEqual(t, "", got)

			_, err = ParseQemuNet("net0", "virtio="+mac+",bridge=vmbr0")
			assertErrContains(t, err, `net0: invalid MAC "`+mac+`"`)
			_, err = ParseLXCNet("net0", "name=eth0,bridge=vmbr0,hwaddr="+mac)
			assertErrContains(t, err, `net0: invalid MAC "`+mac+`"`)

			// A guest interface reporting it gets no MAC, so it matches no NIC.
			ifaces, err := ParseAgentInterfaces(json.RawMessage(`{"result":[{"name":"eth0","hardware-address":"` + mac + `"}]}`))
			assertErrContains(t, err, "")
			assertEqual(t, []InterfaceAddrs{{Name: "eth0"}}, ifaces)
		})
	}
}

func TestSelectIPs(t *testing.T) {
	tests := []struct {
		name        string
		in          []netip.Addr
		wantPrimary netip.Addr
		wantMore    []netip.Addr
	}{
		{name: "nothing"},
		{
			name: "only unusable",
			in: addrs(t, "127.0.0.1", "::1", "169.254.10.1", "fe80::1", "0.0.0.0", "::", "224.0.0.1", "ff02::1",
				"255.255.255.255", "::ffff:169.254.1.1"),
		},
		{
			name:        "ipv4 wins even when later",
			in:          addrs(t, "fe80::1", "2001:db8::10", "192.0.2.10", "10.0.0.1"),
			wantPrimary: netip.MustParseAddr("192.0.2.10"),
			wantMore:    addrs(t, "2001:db8::10", "10.0.0.1"),
		},
		{
			name:        "ipv6 only, ULA counts as global",
			in:          addrs(t, "::1", "fe80::1", "fd8c:4687:e88d:1be3::293", "2001:db8::5"),
			wantPrimary: netip.MustParseAddr("fd8c:4687:e88d:1be3::293"),
			wantMore:    addrs(t, "2001:db8::5"),
		},
		{
			name:        "duplicates and mapped",
			in:          addrs(t, "::ffff:192.0.2.1", "192.0.2.1", "2001:db8::1", "2001:db8::1", "192.0.2.2"),
			wantPrimary: netip.MustParseAddr("192.0.2.1"),
			wantMore:    addrs(t, "2001:db8::1", "192.0.2.2"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			primary, more := SelectIPs(tt.in)
			assertEqual(t, tt.wantPrimary, primary)
			assertEqual(t, tt.wantMore, more)
		})
	}
}

func TestMatchByMAC(t *testing.T) {
	nics := []NIC{
		{Device: "net0", MAC: "BC:24:11:2C:69:EC"},
		{Device: "net1", MAC: "BC:24:11:A3:DA:B1"},
		{Device: "net2", MAC: "BC:24:11:00:00:20"},
		{Device: "net3", MAC: "BC:24:11:00:00:30"}, // not seen by the agent
		{Device: "net4"}, // no MAC in config
	}
	ifaces, err := ParseAgentInterfaces(json.RawMessage(agentMultiNIC))
	if err != nil {
		t.Fatal(err)
	}
	// A guest that renamed ens19 to eth0 must still match by MAC; a VLAN sub-interface shares its parent's MAC.
	ifaces[2].Name = "ens18"
	ifaces = append(ifaces, InterfaceAddrs{Name: "ens18.100", MAC: "bc:24:11:2c:69:ec", Addrs: addrs(t, "198.51.100.7", "192.0.2.10")})

	// Its addresses belong to VLAN 100, not to the untagged record of that MAC.
	got := MatchByMAC(nics, ifaces)
	want := map[AddrKey][]netip.Addr{
		{MAC: "BC:24:11:2C:69:EC"}:            addrs(t, "fe80::be24:11ff:fe2c:69ec", "192.0.2.10", "2001:db8::10"),
		{MAC: "BC:24:11:2C:69:EC", VLAN: 100}: addrs(t, "198.51.100.7", "192.0.2.10"),
		{MAC: "BC:24:11:A3:DA:B1"}:            addrs(t, "10.20.0.7"),
		{MAC: "BC:24:11:00:00:20"}:            {},
	}
	assertEqual(t, want, got)

	// The typical end-to-end use: pick what to report for net0.
	primary, more := SelectIPs(got[AddrKey{MAC: nics[0].MAC}])
	assertEqual(t, netip.MustParseAddr("192.0.2.10"), primary)
	assertEqual(t, addrs(t, "2001:db8::10"), more)
}

func TestVLANFromName(t *testing.T) {
	tests := map[string]int{
		"ens18.10":             10,
		"eth0.20":              20,
		"bond0.4094":           4094,
		"eth0.4095":            0, // not a valid VID
		"eth0.0":               0,
		"vlan10":               10,
		"VLAN 30":              30,
		"vEthernet (VLAN 40)":  40,
		"Ethernet 2 - VLAN 50": 50,
		"ens18":                0,
		"eth0":                 0,
		"Ethernet 2":           0,
		"vlanx":                0,
		"novlan5":              0,
		".10":                  0,
		"docker0":              0,
		"lo":                   0,
	}
	for name, want := range tests {
		if got := VLANFromName(name); got != want {
			t.Errorf("VLANFromName(%q) = %d, want %d", name, got, want)
		}
	}
}
