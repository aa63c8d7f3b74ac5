// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package proxmoxreceiver // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver"

import (
	"cmp"
	"context"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/guestnet"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/metadata"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/pveapi"
)

// nicInfo is one guest NIC as the latest inventory saw it: what the metrics
// collection joins the per-NIC traffic with (mnm.proxmox.guest.nic.info).
type nicInfo struct {
	node, vmid, nic, mac, bridge, model string
	vlan                                int
	linkDown                            bool
}

// recordNICs emits one mnm.endpoint event per NIC of one guest that has a
// MAC, plus one per in-guest VLAN sub-interface of that NIC that reported
// addresses (same MAC, node and bridge, that VLAN). Each is dated by when
// Proxmox last confirmed it. A NIC on an SDN VNet carries the VNet's VLAN
// (see vnetWire). It returns the guest's NICs for the metrics' join.
func (s *inventoryScraper) recordNICs(ctx context.Context, inv *guestInventory, view sdnView) []nicInfo {
	g := inv.guest
	classification := metadata.AttributeMnmEndpointClassificationVirtualMachine
	if g.Type == "lxc" {
		classification = metadata.AttributeMnmEndpointClassificationContainer
	}
	ts := pcommon.NewTimestampFromTime(inv.confirmed)
	record := func(nic guestnet.NIC, vlan int, wire vnetWire, onVNet bool, addrs []netip.Addr) {
		primary, additional := guestnet.SelectIPs(addrs)
		extra := make([]any, len(additional))
		for i, a := range additional {
			extra[i] = a.String()
		}
		var opts []metadata.EventAttributeOption
		if primary.IsValid() {
			opts = append(opts, metadata.WithMnmEndpointIPEventAttribute(primary.String()))
		}
		if nic.Trunks != "" {
			opts = append(opts, metadata.WithProxmoxNicTrunksEventAttribute(nic.Trunks))
		}
		if onVNet {
			opts = append(opts, metadata.WithProxmoxSdnVnetEventAttribute(wire.vnet),
				metadata.WithProxmoxSdnZoneEventAttribute(wire.zone), metadata.WithProxmoxSdnZoneTypeEventAttribute(wire.zoneType))
			if wire.vni != 0 {
				opts = append(opts, metadata.WithProxmoxSdnVniEventAttribute(int64(wire.vni)))
			}
			if wire.serviceVLAN != 0 {
				opts = append(opts, metadata.WithProxmoxSdnServiceVlanEventAttribute(int64(wire.serviceVLAN)))
			}
		}
		s.lb.RecordMnmEndpointEvent(ctx, ts, nic.MAC, extra, inv.name, classification, g.Node, nic.Bridge,
			int64(vlan), endpointSource, g.VMID.Value, g.Type, g.Status, nic.Device, nic.Model, nic.Firewall, nic.LinkDown, opts...)
	}

	var out []nicInfo
	nics := slices.Clone(inv.nics)
	slices.SortStableFunc(nics, func(a, b guestnet.NIC) int { return cmp.Compare(deviceIndex(a.Device), deviceIndex(b.Device)) })
	for _, nic := range nics {
		if nic.MAC == "" {
			continue // qemu assigns it at start; nothing to key an endpoint on
		}
		vlan := nic.VLAN
		wire, onVNet := view.wire(nic)
		if onVNet && vlan == 0 {
			vlan = wire.vlan
		}
		addrs := slices.Clone(inv.addrs[guestnet.AddrKey{MAC: nic.MAC}])
		for _, p := range nic.StaticIPs {
			if !slices.Contains(addrs, p.Addr()) {
				addrs = append(addrs, p.Addr())
			}
		}
		var subVLANs []int
		for key, a := range inv.addrs {
			switch {
			case key.MAC != nic.MAC || key.VLAN == 0:
			case key.VLAN == vlan:
				addrs = append(addrs, a...) // the guest tags what the port tags already
			case len(a) > 0:
				subVLANs = append(subVLANs, key.VLAN)
			}
		}
		record(nic, vlan, wire, onVNet, addrs)
		slices.Sort(subVLANs)
		for _, sub := range subVLANs {
			record(nic, sub, wire, onVNet, inv.addrs[guestnet.AddrKey{MAC: nic.MAC, VLAN: sub}])
		}
		out = append(out, nicInfo{node: g.Node, vmid: strconv.FormatInt(g.VMID.Value, 10), nic: nic.Device, mac: nic.MAC,
			bridge: nic.Bridge, model: nic.Model, vlan: vlan, linkDown: nic.LinkDown})
	}
	return out
}

// deviceIndex orders net2 before net10.
func deviceIndex(device string) int {
	n := 0
	for _, c := range strings.TrimPrefix(device, "net") {
		if c < '0' || c > '9' {
			return 1 << 30
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// guestName is the config's name (qemu) or hostname (lxc), else the name
// /cluster/resources gave.
func guestName(g *pveapi.ClusterResource, config pveapi.GuestConfig) string {
	if config.Name != "" {
		return config.Name
	}
	return string(g.Name)
}

func hasMAC(nics []guestnet.NIC) bool {
	return slices.ContainsFunc(nics, func(n guestnet.NIC) bool { return n.MAC != "" })
}
