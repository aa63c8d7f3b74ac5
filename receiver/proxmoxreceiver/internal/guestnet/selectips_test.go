// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package guestnet

import (
	"encoding/json"
	"net/netip"
	"testing"
)

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
