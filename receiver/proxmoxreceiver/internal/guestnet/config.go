// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package guestnet

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// maxNetIndex is the highest netN index (net0..net31) qemu-server and pve-container accept.
const maxNetIndex = 31

// NICsFromConfig extracts every net0..net31 entry of a guest config (GET .../qemu|lxc/{vmid}/config), sorted by
// index. kind is "qemu" or "lxc". A NIC that fails to parse is reported in the errors and left out; the
// others are still returned.
func NICsFromConfig(kind string, config map[string]json.RawMessage) ([]NIC, []error) {
	var parse func(device, value string) (NIC, error)
	switch kind {
	case "qemu":
		parse = ParseQemuNet
	case "lxc":
		parse = ParseLXCNet
	default:
		return nil, []error{fmt.Errorf("unknown guest kind %q: want \"qemu\" or \"lxc\"", kind)}
	}

	var indexes []int
	for key := range config {
		if i, ok := netIndex(key); ok {
			indexes = append(indexes, i)
		}
	}
	sort.Ints(indexes)

	var nics []NIC
	var errs []error
	for _, i := range indexes {
		device := "net" + strconv.Itoa(i)
		value, present, err := configString(config[device])
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", device, err))
			continue
		}
		if !present {
			continue
		}
		nic, err := parse(device, value)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		nics = append(nics, nic)
	}
	return nics, errs
}

// Config is what the inventory needs of a guest config (GET
// .../qemu|lxc/{vmid}/config), parsed once so that raw JSON stays in the API
// layer.
type Config struct {
	// Name is the qemu "name" or the lxc "hostname"; "" when unset.
	Name string
	// AgentEnabled reports whether the qemu "agent" property enables the
	// guest agent (always false for lxc).
	AgentEnabled bool
	// NICs are the netN entries that parsed, sorted by index.
	NICs []NIC
	// NICErrors name the netN entries that did not parse and were left out.
	NICErrors []error
}

// ParseConfig reads a guest config of kind "qemu" or "lxc".
func ParseConfig(kind string, config map[string]json.RawMessage) Config {
	nameKey := "name"
	if kind == "lxc" {
		nameKey = "hostname"
	}
	var c Config
	c.Name, _, _ = configString(config[nameKey])
	if kind == "qemu" {
		agent, _, _ := configString(config["agent"])
		c.AgentEnabled = AgentEnabled(agent)
	}
	c.NICs, c.NICErrors = NICsFromConfig(kind, config)
	return c
}

// netIndex reports N for a key "netN" with 0 <= N <= 31 written canonically (no sign, no leading zero).
func netIndex(key string) (int, bool) {
	digits, ok := strings.CutPrefix(key, "net")
	if !ok || digits == "" || (len(digits) > 1 && digits[0] == '0') {
		return 0, false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(digits)
	if err != nil || n > maxNetIndex {
		return 0, false
	}
	return n, true
}

// configString decodes a config value that is normally a JSON string. PVE is Perl and may emit a
// scalar as a number, so a number is taken by its literal text; null means the key is unset.
func configString(raw json.RawMessage) (value string, present bool, err error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return "", false, nil
	case raw[0] == '"':
		if err := json.Unmarshal(raw, &value); err != nil {
			return "", false, fmt.Errorf("invalid JSON string: %w", err)
		}
		return value, true, nil
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		return "", false, fmt.Errorf("want a string, got %.40s", raw)
	}
	return n.String(), true, nil
}
