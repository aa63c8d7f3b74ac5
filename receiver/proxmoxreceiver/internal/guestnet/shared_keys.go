// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package guestnet

import (
	"fmt"
	"regexp"
)

// sharedKeys parses the keys the qemu and lxc netN grammars have in common.
// They differ only in the trunk syntax (qemu allows VLAN ranges) and the MTU range.
type sharedKeys struct {
	trunks         *regexp.Regexp
	mtuMin, mtuMax int
}

var (
	qemuShared = sharedKeys{trunks: qemuTrunksRe, mtuMin: 1, mtuMax: 65520}
	lxcShared  = sharedKeys{trunks: lxcTrunksRe, mtuMin: 64, mtuMax: 65535}
)

// apply sets key on nic. handled is false for a key that is not shared.
func (k sharedKeys) apply(nic *NIC, key, value string) (handled bool, err error) {
	switch key {
	case "bridge":
		if !identRe.MatchString(value) {
			return true, fmt.Errorf("invalid bridge %q", value)
		}
		nic.Bridge = value
	case "tag":
		if nic.VLAN, err = parseIntRange(value, 1, 4094); err != nil {
			return true, fmt.Errorf("invalid tag %q: %v", value, err)
		}
	case "trunks":
		if !k.trunks.MatchString(value) {
			return true, fmt.Errorf("invalid trunks %q", value)
		}
		nic.Trunks = value
	case "firewall":
		if nic.Firewall, err = parseBool(value); err != nil {
			return true, fmt.Errorf("invalid firewall %q: %v", value, err)
		}
	case "link_down":
		if nic.LinkDown, err = parseBool(value); err != nil {
			return true, fmt.Errorf("invalid link_down %q: %v", value, err)
		}
	case "mtu":
		if nic.MTU, err = parseIntRange(value, k.mtuMin, k.mtuMax); err != nil {
			return true, fmt.Errorf("invalid mtu %q: %v", value, err)
		}
	case "rate":
		if err := checkNonNegativeNumber(value); err != nil {
			return true, fmt.Errorf("invalid rate %q: %v", value, err)
		}
	default:
		return false, nil
	}
	return true, nil
}
