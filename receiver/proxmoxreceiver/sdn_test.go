// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package proxmoxreceiver

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/guestnet"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/pveapi"
)

func TestSDNViewWhatTheWireCarries(t *testing.T) {
	tag := func(n int64) pveapi.FlexInt { return pveapi.FlexInt{Value: n, Valid: true} }
	view := newSDNView(
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
	tests := map[string]vnetWire{
		"vnet110": {vnet: "vnet110", zone: "vlanz", zoneType: "vlan", vlan: 110},
		"cust20":  {vnet: "cust20", zone: "qinqz", zoneType: "qinq", vlan: 20, serviceVLAN: 100},
		"vx5000":  {vnet: "vx5000", zone: "vxz", zoneType: "vxlan", vni: 5000},
		"evpn77":  {vnet: "evpn77", zone: "evpnz", zoneType: "evpn", vni: 77000},
		"lan":     {vnet: "lan", zone: "simplez", zoneType: "simple"},
		"orphan":  {vnet: "orphan", zone: "gone"}, // a zone we cannot see: untagged, no guess
	}
	for bridge, want := range tests {
		got, ok := view.wire(guestnet.NIC{Bridge: bridge})
		assert.True(t, ok, bridge)
		assert.Equal(t, want, got, bridge)
	}
	_, ok := view.wire(guestnet.NIC{Bridge: "vmbr0"})
	assert.False(t, ok, "a plain bridge is not a VNet")
}

func TestLooksLikeVNet(t *testing.T) {
	for bridge, want := range map[string]bool{"vmbr0": false, "vmbr1": false, "": false, "vnet110": true, "prod": true} {
		assert.Equal(t, want, looksLikeVNet(bridge), bridge)
	}
}
