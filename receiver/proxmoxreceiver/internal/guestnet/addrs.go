// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package guestnet

import (
	"net/netip"
	"regexp"
	"strconv"

	"github.com/mnm-net/otelcol-mnm/internal/endpointrecord"
)

// NormalizeMAC returns s as an upper-case, colon-separated 6-byte MAC ("AA:BB:CC:DD:EE:FF"), the form the MNM
// endpoint store uses. Config MACs are usually upper-case and agent MACs lower-case, so every comparison goes
// through here. It is the endpoint record contract's rule (endpointrecord.NormalizeMAC), so that the receiver never
// emits a MAC the mnmendpoint exporter drops: the all-zero MAC (loopback in agent output) and group (multicast or
// broadcast) MACs, which Proxmox itself refuses in guest configs, identify no interface and are rejected.
func NormalizeMAC(s string) (string, error) {
	return endpointrecord.NormalizeMAC(s)
}

// AddrKey names where a guest's addresses belong: the NIC's MAC and the
// VLAN of the in-guest interface they were reported on (0 untagged).
type AddrKey struct {
	MAC  string
	VLAN int
}

// MatchByMAC maps each NIC MAC (normalised) to the addresses of the guest interfaces carrying that MAC, in
// interface order and deduplicated, separately per in-guest VLAN: a VLAN sub-interface (ens18.10, see
// VLANFromName) shares its parent's MAC but its addresses live on another VLAN. Interface names are used
// for that only; the guest OS names interfaces freely. The untagged key of a MAC is present when at least one
// interface carries the MAC, even with no address.
func MatchByMAC(nics []NIC, ifaces []InterfaceAddrs) map[AddrKey][]netip.Addr {
	wanted := make(map[string]bool, len(nics))
	for _, n := range nics {
		if m, err := NormalizeMAC(n.MAC); err == nil {
			wanted[m] = true
		}
	}
	out := make(map[AddrKey][]netip.Addr)
	for _, ifc := range ifaces {
		m, err := NormalizeMAC(ifc.MAC)
		if err != nil || !wanted[m] {
			continue
		}
		if _, seen := out[AddrKey{MAC: m}]; !seen {
			out[AddrKey{MAC: m}] = []netip.Addr{}
		}
		key := AddrKey{MAC: m, VLAN: VLANFromName(ifc.Name)}
		addrs := out[key]
		if addrs == nil {
			addrs = []netip.Addr{}
		}
		for _, a := range ifc.Addrs {
			addrs = appendUnique(addrs, a)
		}
		out[key] = addrs
	}
	return out
}

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

// SelectIPs keeps the addresses worth reporting (global unicast: no loopback, link-local, unspecified,
// multicast or broadcast) and picks a primary: the first IPv4, else the first IPv6. The others follow in
// their original order, deduplicated.
func SelectIPs(addrs []netip.Addr) (primary netip.Addr, additional []netip.Addr) {
	var usable []netip.Addr
	for _, a := range addrs {
		a = a.WithZone("").Unmap()
		// Unmap first so ::ffff:169.254.x.x is judged as the IPv4 link-local it is.
		if !a.IsGlobalUnicast() || a.IsLinkLocalUnicast() {
			continue
		}
		usable = appendUnique(usable, a)
	}
	pi := -1
	for i, a := range usable {
		if a.Is4() {
			pi = i
			break
		}
	}
	if pi < 0 && len(usable) > 0 {
		pi = 0
	}
	if pi < 0 {
		return netip.Addr{}, nil
	}
	for i, a := range usable {
		if i != pi {
			additional = append(additional, a)
		}
	}
	return usable[pi], additional
}

func appendUnique(addrs []netip.Addr, a netip.Addr) []netip.Addr {
	for _, have := range addrs {
		if have == a {
			return addrs
		}
	}
	return append(addrs, a)
}
