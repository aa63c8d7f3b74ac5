// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package guestnet

import "github.com/mnm-net/otelcol-mnm/internal/endpointrecord"

// NormalizeMAC returns s as an upper-case, colon-separated 6-byte MAC ("AA:BB:CC:DD:EE:FF"), the form the MNM
// endpoint store uses. Config MACs are usually upper-case and agent MACs lower-case, so every comparison goes
// through here. It is the endpoint record contract's rule (endpointrecord.NormalizeMAC), so that the receiver never
// emits a MAC the mnmendpoint exporter drops: the all-zero MAC (loopback in agent output) and group (multicast or
// broadcast) MACs, which Proxmox itself refuses in guest configs, identify no interface and are rejected.
func NormalizeMAC(s string) (string, error) {
	return endpointrecord.NormalizeMAC(s)
}
