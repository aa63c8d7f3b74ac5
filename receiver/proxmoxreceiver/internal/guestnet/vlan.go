// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package guestnet

import (
	"regexp"
	"strconv"
)

var (
	// dottedVLAN is Linux's parent.VID naming (ens18.10, eth0.20), which the
	// kernel, ifupdown and NetworkManager use for 802.1Q sub-interfaces.
	dottedVLAN = regexp.MustCompile(`^\S+\.(\d{1,4})$`)
	// namedVLAN is a name that says VLAN and its id: Linux's vlan10, and the
	// Windows adapters of Hyper-V and Intel ANS ("vEthernet (VLAN 10)",
	// "Ethernet 2 - VLAN 10", "VLAN10").
	namedVLAN = regexp.MustCompile(`(?i)(?:^|[^a-z])vlan[\s_#-]?(\d{1,4})(?:$|\D)`)
)

// VLANFromName returns the 802.1Q VLAN of an in-guest interface whose name
// marks it as a VLAN sub-interface, or 0. A sub-interface shares its
// parent's MAC, so its addresses would otherwise land on the untagged record.
func VLANFromName(name string) int {
	m := dottedVLAN.FindStringSubmatch(name)
	if m == nil {
		m = namedVLAN.FindStringSubmatch(name)
	}
	if m == nil {
		return 0
	}
	vid, err := strconv.Atoi(m[1])
	if err != nil || vid < 1 || vid > 4094 {
		return 0
	}
	return vid
}
