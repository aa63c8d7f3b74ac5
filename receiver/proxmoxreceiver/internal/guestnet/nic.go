// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package guestnet

import "net/netip"

// NIC is one netN entry of a guest config.
type NIC struct {
	Device    string         // "net0"
	MAC       string         // normalised "AA:BB:CC:DD:EE:FF"; "" when the config has none (qemu generates it at start)
	Model     string         // qemu model (virtio, e1000, e1000e, rtl8139, vmxnet3, ...); the type ("veth") for lxc
	Bridge    string         // "" when absent (qemu user-mode networking)
	VLAN      int            // tag; 0 untagged
	Trunks    string         // raw, e.g. "10;20-30"
	Firewall  bool           //
	LinkDown  bool           //
	MTU       int            // 0 when not set
	Name      string         // lxc interface name (eth0)
	StaticIPs []netip.Prefix // lxc ip=/ip6= when they are CIDRs (not dhcp/manual/auto)
	Gateway   string         // lxc gw, normalised IPv4 text
	Gateway6  string         // lxc gw6, normalised IPv6 text
}
