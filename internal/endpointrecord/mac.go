// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package endpointrecord // import "github.com/mnm-net/otelcol-mnm/internal/endpointrecord"

import (
	"fmt"
	"net"
	"strings"
)

// NormalizeMAC returns raw as the contract's MAC: upper-case, colon-separated
// AA:BB:CC:DD:EE:FF. Surrounding white space is ignored and any case is
// accepted, written as six colon- or dash-separated octets, three
// dot-separated groups of four hex digits (Cisco) or twelve bare hex digits.
//
// Rejected, with an error naming the value and the reason: anything that is
// not exactly 6 bytes (e.g. an 8-byte EUI-64 or a 20-byte InfiniBand
// address), the all-zero address and group (multicast or broadcast)
// addresses, whose first octet has its low (I/G) bit set. None of them
// identifies an interface.
//
// Proxmox VE refuses group MACs in guest configs: the "mac-addr" format of
// qemu netN macaddr and lxc netN hwaddr is checked by pve_verify_mac_addr in
// pve-common src/PVE/JSONSchema.pm, which matches
// m/^[a-f0-9][02468ace](?::[a-f0-9]{2}){5}$/i, i.e. an even first octet
// ("don't allow I/G bit to be set, most of the time it breaks things").
// That check lets 00:00:00:00:00:00 through; rejecting it is this contract's
// own rule (the guest agent reports it for loopback interfaces).
func NormalizeMAC(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", invalidMAC(raw, "empty")
	}
	// net.ParseMAC reads the colon, dash and dotted forms and, since Go 1.26
	// (golang/go#66682; this module's minimum), the bare one. It also reads
	// 8- and 20-byte addresses, hence the length check.
	hw, err := net.ParseMAC(s)
	if err != nil {
		return "", invalidMAC(raw, notAMAC)
	}
	switch {
	case len(hw) != 6:
		return "", invalidMAC(raw, fmt.Sprintf("%d bytes, want 6", len(hw)))
	case hw[0]&0x01 != 0:
		return "", invalidMAC(raw, "group (multicast or broadcast) address")
	case isAllZero(hw):
		return "", invalidMAC(raw, "all zero")
	}
	return strings.ToUpper(hw.String()), nil
}

const notAMAC = "not a MAC address (want AA:BB:CC:DD:EE:FF, AA-BB-CC-DD-EE-FF, AABB.CCDD.EEFF or AABBCCDDEEFF)"

func invalidMAC(raw, why string) error {
	return fmt.Errorf("invalid MAC %q: %s", raw, why)
}

func isAllZero(hw net.HardwareAddr) bool {
	for _, b := range hw {
		if b != 0 {
			return false
		}
	}
	return true
}
