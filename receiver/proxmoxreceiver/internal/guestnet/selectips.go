// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package guestnet

import "net/netip"

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

func appendUnique(addrs []netip.Addr, a netip.Addr) []netip.Addr {
	for _, have := range addrs {
		if have == a {
			return addrs
		}
	}
	return append(addrs, a)
}
