// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package guestnet

import (
	"fmt"
	"net/netip"
	"strings"
)

// ParseLXCNet parses an lxc netN value, e.g. "name=eth0,bridge=vmbr0,hwaddr=BC:24:11:89:67:07,ip=dhcp,type=veth".
// There is no default key, so every item must be key=value; name is required. Unknown keys are ignored.
func ParseLXCNet(device, value string) (NIC, error) {
	nic := NIC{Device: device, Model: "veth"}
	fail := func(format string, args ...any) (NIC, error) {
		return NIC{}, fmt.Errorf("%s: %s in %q", device, fmt.Sprintf(format, args...), value)
	}
	items, err := splitPropertyString(value)
	if err != nil {
		return fail("%v", err)
	}
	seen := keySet{}
	var v4, v6 *netip.Prefix
	for _, it := range items {
		if it.key == "" {
			return fail("missing key for %q", it.value)
		}
		if err := seen.add(it.key); err != nil {
			return fail("%v", err)
		}
		if handled, err := lxcShared.apply(&nic, it.key, it.value); handled {
			if err != nil {
				return fail("%v", err)
			}
			continue
		}
		switch it.key {
		case "name":
			if !identRe.MatchString(it.value) {
				return fail("invalid name %q", it.value)
			}
			nic.Name = it.value
		case "hwaddr":
			if nic.MAC, err = NormalizeMAC(it.value); err != nil {
				return fail("invalid MAC %q", it.value)
			}
		case "ip":
			p, err := parseLXCIP(it.value, false)
			if err != nil {
				return fail("invalid ip %q: %v", it.value, err)
			}
			v4 = p
		case "ip6":
			p, err := parseLXCIP(it.value, true)
			if err != nil {
				return fail("invalid ip6 %q: %v", it.value, err)
			}
			v6 = p
		case "gw":
			a, err := netip.ParseAddr(it.value)
			if err != nil || !a.Is4() {
				return fail("invalid gw %q: not an IPv4 address", it.value)
			}
			nic.Gateway = a.String()
		case "gw6":
			a, err := netip.ParseAddr(it.value)
			if err != nil || !a.Is6() || a.Zone() != "" {
				return fail("invalid gw6 %q: not an IPv6 address", it.value)
			}
			nic.Gateway6 = a.String()
		case "type":
			// Only "veth" exists today; keep any identifier so a new type does not drop the NIC.
			if !identRe.MatchString(it.value) {
				return fail("invalid type %q", it.value)
			}
			nic.Model = it.value
		case "host-managed":
			if _, err := parseBool(it.value); err != nil {
				return fail("invalid host-managed %q: %v", it.value, err)
			}
		}
	}
	if nic.Name == "" {
		return fail("missing name")
	}
	for _, p := range []*netip.Prefix{v4, v6} {
		if p != nil {
			nic.StaticIPs = append(nic.StaticIPs, *p)
		}
	}
	return nic, nil
}

// parseLXCIP returns the CIDR of an ip=/ip6= value, or nil for the dynamic keywords.
func parseLXCIP(s string, v6 bool) (*netip.Prefix, error) {
	switch strings.ToLower(s) {
	case "dhcp", "manual":
		return nil, nil
	case "auto":
		if v6 {
			return nil, nil
		}
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		if v6 {
			return nil, fmt.Errorf("want auto, dhcp, manual or an IPv6 CIDR")
		}
		return nil, fmt.Errorf("want dhcp, manual or an IPv4 CIDR")
	}
	if v6 != p.Addr().Is6() {
		if v6 {
			return nil, fmt.Errorf("not an IPv6 CIDR")
		}
		return nil, fmt.Errorf("not an IPv4 CIDR")
	}
	return &p, nil
}
