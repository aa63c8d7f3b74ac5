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

// AgentEnabled reports whether the qemu `agent` property enables the guest agent. The property string's
// default key is "enabled": "1", "1,fstrim_cloned_disks=1", "enabled=1,type=isa". Anything PVE would
// refuse (bad boolean, duplicate key) counts as disabled, as does "" (unset).
func AgentEnabled(value string) bool {
	items, err := splitPropertyString(value)
	if err != nil {
		return false
	}
	seen := keySet{}
	enabled := false
	for _, it := range items {
		key := it.key
		if key == "" {
			key = "enabled"
		}
		if err := seen.add(key); err != nil {
			return false
		}
		if key == "enabled" {
			if enabled, err = parseBool(it.value); err != nil {
				return false
			}
		}
	}
	return enabled
}

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

// The property-string syntax of netN and agent values, as pve-common's PVE::JSONSchema parses it.

// item is one element of a PVE property string: "key=value", or a bare value (key "") that belongs to the
// format's default key.
type item struct {
	key, value string
}

// splitPropertyString follows pve-common's parse_property_string: split on ",", skip blank items, key is
// everything before the first "=". PVE refuses "=v" and "k=", so we do too.
func splitPropertyString(s string) ([]item, error) {
	var items []item
	for part := range strings.SplitSeq(s, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		k, v, hasEq := strings.Cut(part, "=")
		switch {
		case !hasEq:
			items = append(items, item{value: part})
		case k == "":
			return nil, fmt.Errorf("missing key in item %q", part)
		case v == "":
			return nil, fmt.Errorf("missing value for key %q", k)
		default:
			items = append(items, item{key: k, value: v})
		}
	}
	return items, nil
}

// parseBool accepts what PVE's parse_boolean accepts.
func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "1", "on", "yes", "true":
		return true, nil
	case "0", "off", "no", "false":
		return false, nil
	}
	return false, fmt.Errorf("not a boolean (want 1|on|yes|true or 0|off|no|false)")
}

// keySet tracks canonical keys to reject duplicates, which make PVE refuse the whole config.
type keySet map[string]struct{}

func (ks keySet) add(k string) error {
	if _, dup := ks[k]; dup {
		return fmt.Errorf("duplicate key %q", k)
	}
	ks[k] = struct{}{}
	return nil
}
