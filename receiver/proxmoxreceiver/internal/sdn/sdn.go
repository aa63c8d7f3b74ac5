// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package sdn

import (
	"context"
	"errors"
	"strings"
	"sync"

	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/guestnet"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/pveapi"
)

// Wire is what a NIC attached to an SDN VNet carries on the wire, as the
// switches see it (pve-network src/PVE/Network/SDN/Zones/*Plugin.pm):
// a VLAN zone tags the VNet's tag; a QinQ zone the VNet's tag as customer
// VLAN inside the zone's service VLAN; VXLAN and EVPN zones have no 802.1Q
// VLAN at all, the VNet's tag is a VNI; a simple zone is untagged.
type Wire struct {
	VNet, Zone, ZoneType string
	VLAN                 int
	VNI                  int // vxlan, evpn
	ServiceVLAN          int // qinq
}

// View is the cluster's VNets by name.
type View map[string]Wire

// NewView joins the VNets with their zones.
func NewView(vnets []pveapi.SDNVNet, zones []pveapi.SDNZone) View {
	byZone := make(map[string]pveapi.SDNZone, len(zones))
	for _, z := range zones {
		byZone[z.Zone] = z
	}
	view := make(View, len(vnets))
	for _, v := range vnets {
		z := byZone[string(v.Zone)]
		w := Wire{VNet: v.VNet, Zone: string(v.Zone), ZoneType: string(z.Type)}
		tag := int(v.Tag.Value)
		switch w.ZoneType {
		case "vlan":
			w.VLAN = tag
		case "qinq":
			w.VLAN, w.ServiceVLAN = tag, int(z.Tag.Value)
		case "vxlan", "evpn":
			w.VNI = tag
		}
		view[v.VNet] = w
	}
	return view
}

// Wire returns what nic carries: its VNet's wire when its bridge is a VNet.
func (v View) Wire(nic guestnet.NIC) (Wire, bool) {
	w, ok := v[nic.Bridge]
	return w, ok
}

// LooksLikeVNet tells a bridge that may be an SDN VNet from Proxmox's own
// Linux and OVS bridges, which its installer and GUI name vmbrN.
func LooksLikeVNet(bridge string) bool {
	return bridge != "" && !strings.HasPrefix(bridge, "vmbr")
}

// Access remembers whether the token may see SDN at all. Without
// SDN.Audit Proxmox filters the VNet and zone lists per entry and answers
// 200 [], as for a cluster without SDN; only GET /cluster/sdn answers 403.
// It is asked once, when NICs sit on bridges that look like VNets while the
// lists are empty; the answer stands until the lists are no longer empty.
type Access struct {
	mu        sync.Mutex
	probed    bool
	forbidden error
}

// Check returns the 403 of a token without SDN.Audit, or nil.
func (a *Access) Check(ctx context.Context, client pveapi.Client, view View, nics func(func(guestnet.NIC) bool) bool) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(view) > 0 {
		a.probed, a.forbidden = false, nil // SDN is visible: ask again should it ever vanish
		return nil
	}
	if a.probed || !nics(func(n guestnet.NIC) bool { return LooksLikeVNet(n.Bridge) }) {
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
