// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package guestnet

import (
	"fmt"
	"regexp"
	"slices"
)

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

func isQemuModel(s string) bool { return slices.Contains(qemuModels, s) }

// isModelName accepts known models and model-like tokens that cannot be confused with another key.
func isModelName(s string) bool {
	return isQemuModel(s) || (modelTokenRe.MatchString(s) && !slices.Contains(qemuKeys, s))
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
		if isQemuModel(key) {
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
