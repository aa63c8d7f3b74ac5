// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package guestnet

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

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

// qemuModels is the model enum of qemu-server's $net_fmt. Each model is also a key alias: "virtio=<MAC>".
var qemuModels = []string{
	"e1000", "e1000-82540em", "e1000-82544gc", "e1000-82545em", "e1000e",
	"i82551", "i82557b", "i82559er", "ne2k_isa", "ne2k_pci", "pcnet", "rtl8139", "virtio", "vmxnet3",
}

// qemuKeys are the non-model keys of $net_fmt.
var qemuKeys = []string{
	"model", "macaddr", "bridge", "tag", "trunks", "firewall", "link_down", "mtu", "queues", "rate", "host-tunnel",
}

// modelTokenRe is what we accept as a model name not (yet) in qemuModels, so that a model added by a later
// qemu-server does not make us lose the NIC and its MAC.
var modelTokenRe = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)

// isModelName accepts known models and model-like tokens that cannot be confused with another key.
func isModelName(s string) bool {
	return slices.Contains(qemuModels, s) || (modelTokenRe.MatchString(s) && !slices.Contains(qemuKeys, s))
}

// ParseQemuNet parses a qemu netN value, e.g. "virtio=BC:24:11:2C:69:EC,bridge=vmbr0,firewall=1".
// Keys may come in any order; unknown keys are ignored; duplicated keys and invalid values are errors.
func ParseQemuNet(device, value string) (NIC, error) {
	nic := NIC{Device: device}
	fail := func(format string, args ...any) (NIC, error) {
		return NIC{}, fmt.Errorf("%s: %s in %q", device, fmt.Sprintf(format, args...), value)
	}
	items, err := splitPropertyString(value)
	if err != nil {
		return fail("%v", err)
	}
	seen := keySet{}
	var mac string
	var unknownMACs []item // "<model>=<MAC>" for a model we do not know yet
	for _, it := range items {
		key := it.key
		if key == "" {
			// A bare value belongs to the default key, model.
			if !isModelName(it.value) {
				return fail("invalid model %q", it.value)
			}
			if err := seen.add("model"); err != nil {
				return fail("%v", err)
			}
			nic.Model = it.value
			continue
		}
		if slices.Contains(qemuModels, key) {
			// Key alias: sets model to the key and macaddr to the value.
			if err := seen.add("model"); err != nil {
				return fail("%v", err)
			}
			if err := seen.add("macaddr"); err != nil {
				return fail("%v", err)
			}
			nic.Model, mac = key, it.value
			continue
		}
		if err := seen.add(key); err != nil {
			return fail("%v", err)
		}
		if handled, err := qemuShared.apply(&nic, key, it.value); handled {
			if err != nil {
				return fail("%v", err)
			}
			continue
		}
		switch key {
		case "model":
			if !isModelName(it.value) {
				return fail("invalid model %q", it.value)
			}
			nic.Model = it.value
		case "macaddr":
			mac = it.value
		case "queues":
			if err := checkNonNegativeInt(it.value); err != nil {
				return fail("invalid queues %q: %v", it.value, err)
			}
		case "host-tunnel":
			if _, err := parseBool(it.value); err != nil {
				return fail("invalid host-tunnel %q: %v", it.value, err)
			}
		default:
			if modelTokenRe.MatchString(key) {
				if _, err := NormalizeMAC(it.value); err == nil {
					unknownMACs = append(unknownMACs, it)
				}
			}
		}
	}
	// Forward compatibility: "<newmodel>=<MAC>" with no known model is a model alias we do not know yet.
	if nic.Model == "" && mac == "" && len(unknownMACs) == 1 {
		nic.Model, mac = unknownMACs[0].key, unknownMACs[0].value
	}
	if nic.Model == "" {
		return fail("missing model")
	}
	if mac != "" {
		if nic.MAC, err = NormalizeMAC(mac); err != nil {
			return fail("invalid MAC %q", mac)
		}
	}
	return nic, nil
}

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

// PVE's JSONSchema check_type patterns for "integer" and "number".
var (
	integerRe = regexp.MustCompile(`^[+-]?\d+$`)
	numberRe  = regexp.MustCompile(`^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$`)
	// identRe is the pattern PVE uses for bridge and lxc interface names.
	identRe = regexp.MustCompile(`^[-_.\w]+$`)
	// qemuTrunksRe allows ranges, lxcTrunksRe does not.
	qemuTrunksRe = regexp.MustCompile(`^\d+(-\d+)?(;\d+(-\d+)?)*$`)
	lxcTrunksRe  = regexp.MustCompile(`^\d+(;\d+)*$`)
)

// parseIntRange parses a PVE integer and checks it against [lo, hi].
func parseIntRange(s string, lo, hi int) (int, error) {
	if !integerRe.MatchString(s) {
		return 0, fmt.Errorf("not an integer")
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("out of range (want %d-%d)", lo, hi)
	}
	return n, nil
}

// checkNonNegativeInt validates keys we do not keep (queues): syntax and sign only, so that a future
// PVE raising the upper limit does not make us drop the NIC.
func checkNonNegativeInt(s string) error {
	if !integerRe.MatchString(s) {
		return fmt.Errorf("not an integer")
	}
	if strings.HasPrefix(s, "-") && strings.Trim(s, "-0") != "" {
		return fmt.Errorf("negative")
	}
	return nil
}

// checkNonNegativeNumber validates "rate" (MB/s, may be fractional).
func checkNonNegativeNumber(s string) error {
	if !numberRe.MatchString(s) {
		return fmt.Errorf("not a number")
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("not a number")
	}
	if f < 0 {
		return fmt.Errorf("negative")
	}
	return nil
}
