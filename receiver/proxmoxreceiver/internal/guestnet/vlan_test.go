// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package guestnet

import "testing"

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
