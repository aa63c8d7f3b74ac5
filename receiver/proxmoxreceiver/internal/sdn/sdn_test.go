// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package sdn

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/guestnet"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/pveapi"
)

func TestSDNViewWhatTheWireCarries(t *testing.T) {
	tag := func(n int64) pveapi.FlexInt { return pveapi.FlexInt{Value: n, Valid: true} }
	view := NewView(
		[]pveapi.SDNVNet{
			{VNet: "vnet110", Zone: "vlanz", Tag: tag(110)},
			{VNet: "cust20", Zone: "qinqz", Tag: tag(20)},
			{VNet: "vx5000", Zone: "vxz", Tag: tag(5000)},
			{VNet: "evpn77", Zone: "evpnz", Tag: tag(77000)},
			{VNet: "lan", Zone: "simplez"},
			{VNet: "orphan", Zone: "gone", Tag: tag(30)},
		},
		[]pveapi.SDNZone{
			{Zone: "vlanz", Type: "vlan", Bridge: "vmbr0"},
			{Zone: "qinqz", Type: "qinq", Bridge: "vmbr0", Tag: tag(100)},
			{Zone: "vxz", Type: "vxlan"},
			{Zone: "evpnz", Type: "evpn"},
			{Zone: "simplez", Type: "simple"},
		})
	tests := map[string]Wire{
		"vnet110": {VNet: "vnet110", Zone: "vlanz", ZoneType: "vlan", VLAN: 110},
		"cust20":  {VNet: "cust20", Zone: "qinqz", ZoneType: "qinq", VLAN: 20, ServiceVLAN: 100},
		"vx5000":  {VNet: "vx5000", Zone: "vxz", ZoneType: "vxlan", VNI: 5000},
		"evpn77":  {VNet: "evpn77", Zone: "evpnz", ZoneType: "evpn", VNI: 77000},
		"lan":     {VNet: "lan", Zone: "simplez", ZoneType: "simple"},
		"orphan":  {VNet: "orphan", Zone: "gone"}, // a zone we cannot see: untagged, no guess
	}
	for bridge, want := range tests {
		got, ok := view.Wire(guestnet.NIC{Bridge: bridge})
		assert.True(t, ok, bridge)
		assert.Equal(t, want, got, bridge)
	}
	_, ok := view.Wire(guestnet.NIC{Bridge: "vmbr0"})
	assert.False(t, ok, "a plain bridge is not a VNet")
}

func TestLooksLikeVNet(t *testing.T) {
	for bridge, want := range map[string]bool{"vmbr0": false, "vmbr1": false, "": false, "vnet110": true, "prod": true} {
		assert.Equal(t, want, LooksLikeVNet(bridge), bridge)
	}
}
