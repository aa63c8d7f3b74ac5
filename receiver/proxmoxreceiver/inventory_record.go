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
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/guestnet"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/metadata"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/pveapi"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/sdn"
)

// endpointSource is the records' mnm.endpoint.source: what MNM says found them.
const endpointSource = "proxmox"

// inventoryRecorder turns a cycle's guests into mnm.endpoint records.
type inventoryRecorder struct {
	lb  *metadata.LogsBuilder
	cfg *InventoryConfig // hostname_from
}

// guestInventory is what one guest contributes to a cycle.
type guestInventory struct {
	guest *pveapi.ClusterResource
	name  string // from the config: /cluster/resources lacks it for guests without RRD data
	nics  []guestnet.NIC
	addrs map[guestnet.AddrKey][]netip.Addr // by NIC MAC and in-guest VLAN
	// confirmed is when what is recorded was last confirmed by Proxmox: now,
	// or earlier for a guest kept from its last known state. It becomes the
	// records' timestamp, and so the controller's last_seen.
	confirmed time.Time
}

// vmDetails is what the latest inventory knows of one running VM's guest,
// for the metrics collection and the inventory records.
type vmDetails struct {
	node, vmid, name string
	filesystems      []guestnet.Filesystem // counted ones only (see countedFilesystems)
	hasFilesystems   bool
	os               *guestnet.OSInfo
	hostName         string
	memGuestUsed     int64
	hasMemGuestUsed  bool
}

// nicInfo is one guest NIC as the latest inventory saw it: what the metrics
// collection joins the per-NIC traffic with (mnm.proxmox.guest.nic.info).
type nicInfo struct {
	node, vmid, nic, mac, bridge, model string
	vlan                                int
	linkDown                            bool
}

// recordNICs emits one mnm.endpoint event per NIC of one guest that has a
// MAC, except the NICs in skip (MACs another guest of the cycle already
// holds, see claimMACs). MNM's store keeps one active location per MAC
// (endpoint_store.py, upsert_endpoint): two records of one MAC would
// deactivate each other and log a move at every cycle. So the addresses of
// an in-guest VLAN sub-interface (ens18.50) join their NIC's record as
// additional IPs, and its VLAN is listed in proxmox.nic.guest_vlans. Each
// record is dated by when Proxmox last confirmed it. A NIC on an SDN VNet
// carries the VNet's VLAN (see sdn.Wire). It returns every NIC of the guest,
// skipped ones too, for the metrics' join.
//
// The VM's agent details d (nil for a container) add its own host name and
// OS (host.name, os.*); hostname is the guest name unless
// inventory::hostname_from is agent.
func (r inventoryRecorder) recordNICs(ctx context.Context, inv *guestInventory, view sdn.View, skip map[string]bool, d *vmDetails) []nicInfo {
	g := inv.guest
	classification := metadata.AttributeMnmEndpointClassificationVirtualMachine
	if g.Type == "lxc" {
		classification = metadata.AttributeMnmEndpointClassificationContainer
	}
	ts := pcommon.NewTimestampFromTime(inv.confirmed)
	hostname := inv.name
	var agentOpts []metadata.EventAttributeOption
	if d != nil {
		if d.hostName != "" {
			agentOpts = append(agentOpts, metadata.WithHostNameEventAttribute(d.hostName))
			if r.cfg.HostnameFrom == HostnameFromAgent {
				hostname = d.hostName
			}
		}
		agentOpts = append(agentOpts, osAttributes(d.os)...)
	}

	var out []nicInfo
	for _, nic := range sortedNICs(inv.nics) {
		if nic.MAC == "" {
			continue // qemu assigns it at start; nothing to key an endpoint on
		}
		vlan := nic.VLAN
		wire, onVNet := view.Wire(nic)
		if onVNet && vlan == 0 {
			vlan = wire.VLAN
		}
		out = append(out, nicInfo{node: g.Node, vmid: strconv.FormatInt(g.VMID.Value, 10), nic: nic.Device, mac: nic.MAC,
			bridge: nic.Bridge, model: nic.Model, vlan: vlan, linkDown: nic.LinkDown})
		if skip[nic.Device] {
			continue
		}
		own, tagged, guestVLANs := nicAddrs(nic, vlan, inv.addrs)
		primary, additional := selectNICIPs(own, tagged)
		extra := make([]any, len(additional))
		for i, a := range additional {
			extra[i] = a.String()
		}
		opts := slices.Clone(agentOpts)
		if primary.IsValid() {
			opts = append(opts, metadata.WithMnmEndpointIPEventAttribute(primary.String()))
		}
		if nic.Trunks != "" {
			opts = append(opts, metadata.WithProxmoxNicTrunksEventAttribute(nic.Trunks))
		}
		if len(guestVLANs) > 0 {
			opts = append(opts, metadata.WithProxmoxNicGuestVlansEventAttribute(guestVLANs))
		}
		if onVNet {
			opts = append(opts, metadata.WithProxmoxSdnVnetEventAttribute(wire.VNet),
				metadata.WithProxmoxSdnZoneEventAttribute(wire.Zone), metadata.WithProxmoxSdnZoneTypeEventAttribute(wire.ZoneType))
			if wire.VNI != 0 {
				opts = append(opts, metadata.WithProxmoxSdnVniEventAttribute(int64(wire.VNI)))
			}
			if wire.ServiceVLAN != 0 {
				opts = append(opts, metadata.WithProxmoxSdnServiceVlanEventAttribute(int64(wire.ServiceVLAN)))
			}
		}
		r.lb.RecordMnmEndpointEvent(ctx, ts, nic.MAC, extra, hostname, classification, g.Node, nic.Bridge,
			int64(vlan), endpointSource, g.VMID.Value, g.Type, g.Status, nic.Device, nic.Model, nic.Firewall, nic.LinkDown, opts...)
	}
	return out
}

// nicAddrs gathers the addresses of one NIC whose port carries vlan: own,
// those of the untagged interface (with the VLAN the port already tags)
// and its static ip= addresses; tagged, those of its in-guest VLAN
// sub-interfaces by VLAN; and those VLANs, ascending, as the record's guest
// VLANs.
func nicAddrs(nic guestnet.NIC, vlan int, byKey map[guestnet.AddrKey][]netip.Addr) (own, tagged []netip.Addr, guestVLANs []any) {
	own = slices.Clone(byKey[guestnet.AddrKey{MAC: nic.MAC}])
	for _, p := range nic.StaticIPs {
		if !slices.Contains(own, p.Addr()) {
			own = append(own, p.Addr())
		}
	}
	var subVLANs []int
	for key, a := range byKey {
		if key.MAC == nic.MAC && key.VLAN != 0 && len(a) > 0 {
			subVLANs = append(subVLANs, key.VLAN)
		}
	}
	slices.Sort(subVLANs)
	for _, sub := range subVLANs {
		if sub == vlan {
			own = append(own, byKey[guestnet.AddrKey{MAC: nic.MAC, VLAN: sub}]...) // the guest tags what the port tags already
			continue
		}
		tagged = append(tagged, byKey[guestnet.AddrKey{MAC: nic.MAC, VLAN: sub}]...)
		guestVLANs = append(guestVLANs, int64(sub))
	}
	return own, tagged, guestVLANs
}

// selectNICIPs picks the primary address from the NIC's own addresses (from
// the tagged ones only when it has none), so that adding a sub-interface
// never changes it; every other usable address is additional.
func selectNICIPs(own, tagged []netip.Addr) (primary netip.Addr, additional []netip.Addr) {
	primary, additional = guestnet.SelectIPs(own)
	if !primary.IsValid() {
		return guestnet.SelectIPs(tagged)
	}
	tp, ta := guestnet.SelectIPs(tagged)
	for _, a := range append([]netip.Addr{tp}, ta...) {
		if a.IsValid() && a != primary && !slices.Contains(additional, a) {
			additional = append(additional, a)
		}
	}
	return primary, additional
}

// sortedNICs orders a guest's NICs by device number (net2 before net10).
func sortedNICs(nics []guestnet.NIC) []guestnet.NIC {
	out := slices.Clone(nics)
	slices.SortStableFunc(out, func(a, b guestnet.NIC) int { return cmp.Compare(deviceIndex(a.Device), deviceIndex(b.Device)) })
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

// osAttributes are the semantic-convention os.* attributes of what the
// agent reported; none for what it left out.
func osAttributes(os *guestnet.OSInfo) []metadata.EventAttributeOption {
	if os == nil {
		return nil
	}
	var opts []metadata.EventAttributeOption
	if os.Name != "" {
		opts = append(opts, metadata.WithOsNameEventAttribute(os.Name))
	}
	if os.VersionID != "" {
		opts = append(opts, metadata.WithOsVersionEventAttribute(os.VersionID))
	}
	if os.PrettyName != "" {
		opts = append(opts, metadata.WithOsDescriptionEventAttribute(os.PrettyName))
	}
	if os.KernelRelease != "" {
		opts = append(opts, metadata.WithOsBuildIDEventAttribute(os.KernelRelease))
	}
	return opts
}
