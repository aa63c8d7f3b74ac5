// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package proxmoxreceiver // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver"

import (
	"context"
	"errors"
	"strings"
	"sync"

	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/guestnet"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/pveapi"
)

// vnetWire is what a NIC attached to an SDN VNet carries on the wire, as the
// switches see it (pve-network src/PVE/Network/SDN/Zones/*Plugin.pm):
// a VLAN zone tags the VNet's tag; a QinQ zone the VNet's tag as customer
// VLAN inside the zone's service VLAN; VXLAN and EVPN zones have no 802.1Q
// VLAN at all, the VNet's tag is a VNI; a simple zone is untagged.
type vnetWire struct {
	vnet, zone, zoneType string
	vlan                 int
	vni                  int // vxlan, evpn
	serviceVLAN          int // qinq
}

// sdnView is the cluster's VNets by name.
type sdnView map[string]vnetWire

func newSDNView(vnets []pveapi.SDNVNet, zones []pveapi.SDNZone) sdnView {
	byZone := make(map[string]pveapi.SDNZone, len(zones))
	for _, z := range zones {
		byZone[z.Zone] = z
	}
	view := make(sdnView, len(vnets))
	for _, v := range vnets {
		z := byZone[string(v.Zone)]
		w := vnetWire{vnet: v.VNet, zone: string(v.Zone), zoneType: string(z.Type)}
		tag := int(v.Tag.Value)
		switch w.zoneType {
		case "vlan":
			w.vlan = tag
		case "qinq":
			w.vlan, w.serviceVLAN = tag, int(z.Tag.Value)
		case "vxlan", "evpn":
			w.vni = tag
		}
		view[v.VNet] = w
	}
	return view
}

// wire returns what nic carries: its VNet's wire when its bridge is a VNet.
func (v sdnView) wire(nic guestnet.NIC) (vnetWire, bool) {
	w, ok := v[nic.Bridge]
	return w, ok
}

// looksLikeVNet tells a bridge that may be an SDN VNet from Proxmox's own
// Linux and OVS bridges, which its installer and GUI name vmbrN.
func looksLikeVNet(bridge string) bool {
	return bridge != "" && !strings.HasPrefix(bridge, "vmbr")
}

// sdnAccess remembers whether the token may see SDN at all. Without
// SDN.Audit Proxmox filters the VNet and zone lists per entry and answers
// 200 [], as for a cluster without SDN; only GET /cluster/sdn answers 403.
// It is asked once, when NICs sit on bridges that look like VNets while the
// lists are empty; the answer stands until the lists are no longer empty.
type sdnAccess struct {
	mu        sync.Mutex
	probed    bool
	forbidden error
}

// check returns the 403 of a token without SDN.Audit, or nil.
func (a *sdnAccess) check(ctx context.Context, client pveapi.Client, view sdnView, nics func(func(guestnet.NIC) bool) bool) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(view) > 0 {
		a.probed, a.forbidden = false, nil // SDN is visible: ask again should it ever vanish
		return nil
	}
	if a.probed || !nics(func(n guestnet.NIC) bool { return looksLikeVNet(n.Bridge) }) {
		return a.forbidden
	}
	err := client.SDNIndex(ctx)
	if err != nil && ctx.Err() != nil {
		return nil // the cycle ended: ask in the next one
	}
	a.probed = true
	if errors.Is(err, pveapi.ErrForbidden) {
		a.forbidden = err
	}
	return a.forbidden
}
