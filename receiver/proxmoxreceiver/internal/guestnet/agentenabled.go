// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package guestnet

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
