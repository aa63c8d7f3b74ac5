// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pvesim

import (
	"fmt"
	"net"
	"strings"
)

// Addresses come from counters so they stay unique for any cluster size:
// documentation ranges first (192.0.2.0/24, 203.0.113.0/24, 2001:db8::/32),
// then 10.0.0.0/8 once those run out. 198.51.100.0/24 is left for node IPs.

const docHostsPerNet = 245 // .10 .. .254

// ipv4For returns the n-th guest address (n >= 0) with its prefix and gateway.
func ipv4For(n int) (ip string, prefix int, gw string) {
	if n < docHostsPerNet {
		return fmt.Sprintf("192.0.2.%d", 10+n), 24, "192.0.2.1"
	}
	n -= docHostsPerNet
	if n < docHostsPerNet {
		return fmt.Sprintf("203.0.113.%d", 10+n), 24, "203.0.113.1"
	}
	n -= docHostsPerNet
	host := n%253 + 1
	subnet := n / 253
	net3 := fmt.Sprintf("10.%d.%d", (subnet>>8)&0xff, subnet&0xff)
	return fmt.Sprintf("%s.%d", net3, host), 24, net3 + ".254"
}

// ipv6For returns the n-th global guest address: one /64 per NIC.
func ipv6For(n int) (ip string, prefix int) {
	return fmt.Sprintf("2001:db8:%x:%x::%x", 0x100+(n>>16), n&0xffff, 0x10+n%0xf0), 64
}

// nodeIP returns the address of node i.
func nodeIP(i int) string {
	if i < 250 {
		return fmt.Sprintf("198.51.100.%d", i+1)
	}
	return fmt.Sprintf("10.255.%d.%d", (i/250)&0xff, i%250+1)
}

// macFor returns the upper-case MAC for NIC sequence number seq (>= 1):
// mostly the Proxmox OUI BC:24:11, every fifth a locally administered one
// like older PVE versions generated.
func macFor(seq int) string {
	prefix := "BC:24:11"
	if seq%5 == 4 {
		prefix = "2A:6F:10"
	}
	return fmt.Sprintf("%s:%02X:%02X:%02X", prefix, (seq>>16)&0xff, (seq>>8)&0xff, seq&0xff)
}

// linkLocal derives the EUI-64 fe80:: address from a MAC.
func linkLocal(mac string) string {
	hw, err := net.ParseMAC(mac)
	if err != nil || len(hw) != 6 {
		return "fe80::1"
	}
	ip := net.IP{0xfe, 0x80, 0, 0, 0, 0, 0, 0, hw[0] ^ 0x02, hw[1], hw[2], 0xff, 0xfe, hw[3], hw[4], hw[5]}
	return ip.String()
}

func lower(s string) string { return strings.ToLower(s) }
