// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package guestnet

import (
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// formatQemuNet writes a NIC the way PVE's print_property_string does: <model>=<MAC> first, then the
// remaining keys alphabetically. Used to check that parsing is stable under re-formatting.
func formatQemuNet(n NIC) string {
	parts := []string{n.Model}
	if n.MAC != "" {
		parts[0] += "=" + n.MAC
	}
	if n.Bridge != "" {
		parts = append(parts, "bridge="+n.Bridge)
	}
	if n.Firewall {
		parts = append(parts, "firewall=1")
	}
	if n.LinkDown {
		parts = append(parts, "link_down=1")
	}
	if n.MTU != 0 {
		parts = append(parts, "mtu="+strconv.Itoa(n.MTU))
	}
	if n.VLAN != 0 {
		parts = append(parts, "tag="+strconv.Itoa(n.VLAN))
	}
	if n.Trunks != "" {
		parts = append(parts, "trunks="+n.Trunks)
	}
	return strings.Join(parts, ",")
}

// formatLXCNet writes name first, then the rest alphabetically, like pve-container.
func formatLXCNet(n NIC) string {
	parts := []string{"name=" + n.Name}
	add := func(k, v string) {
		if v != "" {
			parts = append(parts, k+"="+v)
		}
	}
	add("bridge", n.Bridge)
	if n.Firewall {
		add("firewall", "1")
	}
	add("gw", n.Gateway)
	add("gw6", n.Gateway6)
	add("hwaddr", n.MAC)
	for _, p := range n.StaticIPs {
		if p.Addr().Is4() {
			add("ip", p.String())
		} else {
			add("ip6", p.String())
		}
	}
	if n.LinkDown {
		add("link_down", "1")
	}
	if n.MTU != 0 {
		add("mtu", strconv.Itoa(n.MTU))
	}
	if n.VLAN != 0 {
		add("tag", strconv.Itoa(n.VLAN))
	}
	add("trunks", n.Trunks)
	add("type", n.Model)
	return strings.Join(parts, ",")
}

func addrs(t testing.TB, ss ...string) []netip.Addr {
	t.Helper()
	var out []netip.Addr
	for _, s := range ss {
		out = append(out, netip.MustParseAddr(s))
	}
	return out
}

func prefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, 0, len(ss))
	for _, s := range ss {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}

func assertEqual(t testing.TB, want, got any) {
	t.Helper()
	if !reflect.DeepEqual(want, got) {
		t.Errorf("mismatch\nwant: %#v\ngot:  %#v", want, got)
	}
}

// assertErrContains checks err against a wanted substring; "" means no error is expected.
func assertErrContains(t testing.TB, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case want != "" && err == nil:
		t.Fatalf("want error containing %q, got nil", want)
	case want != "" && !strings.Contains(err.Error(), want):
		t.Fatalf("want error containing %q, got %q", want, err.Error())
	}
}
