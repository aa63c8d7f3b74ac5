// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pvesim

import (
	"crypto/sha1" //nolint:gosec // a config digest, like PVE's, not a security control
	"encoding/hex"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
)

func haObject(g *Guest) []byte {
	if g.HAState == "" {
		return []byte(`{"managed":0}`)
	}
	return newObj().int("managed", 1).str("state", g.HAState).str("group", "null").bytes()
}

func renderQemuStatus(g *Guest) []byte { return renderQemuStatusWith(g, false, 0) }

// renderQemuStatusDetails is status/current with Config.GuestAgentDetails:
// the balloon members follow Guest.Balloon and BalloonConfig; now is the
// simulator's clock (epoch seconds).
func renderQemuStatusDetails(g *Guest, now int64) []byte { return renderQemuStatusWith(g, true, now) }

func renderQemuStatusWith(g *Guest, details bool, now int64) []byte {
	o := qemuListEntry(g)
	o.raw("ha", haObject(g))
	if agentEnabled(g.AgentConfig) {
		o.int("agent", 1)
	}
	qemuRuntime(o, g, details, now)
	return envelope(o.bytes())
}

// qemuRuntime appends what vmstatus with full asks QEMU (qemu-server
// src/PVE/QemuServer.pm vmstatus): qmpstatus for every guest, and for a
// running one the machine, version, balloon, proxmox-support and per-tap
// traffic.
func qemuRuntime(o *obj, g *Guest, details bool, now int64) {
	if g.Status != "running" {
		o.str("qmpstatus", QMPStopped)
		return
	}
	// qmpstatus is QMP query-status (qemu-server src/PVE/QemuServer.pm
	// vmstatus $statuscb); status stays "running" for paused guests
	qmp := g.QMPStatus
	if qmp == "" {
		qmp = QMPRunning
	}
	o.str("qmpstatus", qmp).str("running-machine", "pc-i440fx-9.2+pve1").str("running-qemu", "9.2.0")
	if details {
		balloonMembers(o, g, now)
	} else {
		o.int("shares", 1000).int("balloon", g.MaxMem)
		if qmp != QMPPrelaunch {
			// freemem comes from the guest's balloon statistics, which a
			// guest that never ran has not sent (vmstatus $ballooncb sets
			// it only when total_mem and free_mem are defined)
			o.int("freemem", g.MaxMem-g.Mem)
		}
	}
	o.raw("proxmox-support", []byte(`{"backup-max-workers":true,"pbs-dirty-bitmap":true,"query-bitmap-info":true}`))
	nics := newObj()
	for i := range g.NICs {
		share := int64(len(g.NICs))
		// the tap device is named after the netN key (qemu-server
		// src/PVE/QemuServer.pm print_netdev_full)
		nics.raw(fmt.Sprintf("tap%di%d", g.VMID, nicIndex(g.NICs[i].Key)), newObj().int("netin", g.NetIn/share).int("netout", g.NetOut/share).bytes())
	}
	o.raw("nics", nics.bytes())
}

func renderLXCStatus(g *Guest) []byte {
	o := lxcListEntry(g, false) // the single-vmid path always uses int()
	o.raw("ha", haObject(g))
	return envelope(o.bytes())
}

// agentEnabled interprets a qemu `agent` property string.
func agentEnabled(v string) bool {
	for i, item := range strings.Split(v, ",") {
		key, val, ok := strings.Cut(item, "=")
		if !ok && i == 0 {
			val = key
		} else if key != "enabled" {
			continue
		}
		return val == "1"
	}
	return false
}

func digest(parts ...string) string {
	sum := sha1.Sum([]byte(strings.Join(parts, "\x00"))) //nolint:gosec // see import
	return hex.EncodeToString(sum[:])
}

// qemuNetString renders a qemu netN value the way PVE writes it: model=MAC
// first, the rest alphabetical; a few NICs use the explicit or MAC-less forms.
func qemuNetString(n *NIC) string {
	var parts []string
	switch {
	case n.MAC == "":
		parts = append(parts, n.Model)
	case n.seq%13 == 2 && n.Model == "virtio":
		parts = append(parts, "model="+n.Model, "macaddr="+n.MAC)
	default:
		parts = append(parts, n.Model+"="+n.MAC)
	}
	if n.Bridge != "" {
		parts = append(parts, "bridge="+n.Bridge)
	}
	if n.Firewall {
		parts = append(parts, "firewall=1")
	} else if n.seq%6 == 5 {
		parts = append(parts, "firewall=0")
	}
	if n.LinkDown {
		parts = append(parts, "link_down=1")
	}
	if n.MTU != 0 {
		parts = append(parts, "mtu="+itoa(n.MTU))
	}
	if n.Queues != 0 {
		parts = append(parts, "queues="+itoa(n.Queues))
	}
	if n.Rate != 0 {
		parts = append(parts, "rate="+strconv.FormatFloat(n.Rate, 'f', -1, 64))
	}
	if n.VLAN != 0 {
		parts = append(parts, "tag="+itoa(n.VLAN))
	}
	if n.Trunks != "" {
		parts = append(parts, "trunks="+n.Trunks)
	}
	return strings.Join(parts, ",")
}

// guestVolume is the volume id of a guest's first disk: vm-<vmid>-disk-0
// on local-lvm, or on local-zfs (Guest.diskStorage) a zvol for qemu and a
// subvol dataset for lxc (pve-storage src/PVE/Storage/ZFSPoolPlugin.pm
// alloc_image: "subvol" for the rootdir format).
func guestVolume(g *Guest) string {
	if g.diskStorage == "" {
		return fmt.Sprintf("local-lvm:vm-%d-disk-0", g.VMID)
	}
	if g.Type == "lxc" {
		return fmt.Sprintf("%s:subvol-%d-disk-0", g.diskStorage, g.VMID)
	}
	return fmt.Sprintf("%s:vm-%d-disk-0", g.diskStorage, g.VMID)
}

// guestDataVolume is the volume id of a guest's second disk, on the
// storage of its first.
func guestDataVolume(g *Guest) string {
	v := guestVolume(g)
	return v[:len(v)-1] + "1"
}

func renderQemuConfig(g *Guest) []byte {
	o := newObj()
	if g.Name != "" {
		o.str("name", g.Name)
	}
	ostype := "l26"
	if g.OSType != "" {
		ostype = g.OSType
	}
	o.int("cores", int64(g.MaxCPU)).int("sockets", 1).str("memory", strconv.FormatInt(g.MaxMem/mib, 10)).
		str("ostype", ostype).str("scsihw", "virtio-scsi-single").
		str("scsi0", fmt.Sprintf("%s,iothread=1,size=%dG", guestVolume(g), g.MaxDisk/gib))
	if g.dataDiskGiB > 0 {
		o.str("scsi1", fmt.Sprintf("%s,iothread=1,size=%dG", guestDataVolume(g), g.dataDiskGiB))
	}
	if b, err := strconv.ParseInt(g.BalloonConfig, 10, 64); err == nil {
		o.int("balloon", b) // an integer property, as the API returns it
	}
	o.str("boot", "order=scsi0;net0").int("onboot", b2i(g.Status == "running")).
		str("smbios1", fmt.Sprintf("uuid=%08x-0000-4000-8000-%012x", g.VMID, g.VMID)).
		str("meta", "creation-qemu=9.2.0,ctime=1735689600")
	var nets []string
	for i := range g.NICs {
		v := qemuNetString(&g.NICs[i])
		nets = append(nets, v)
		o.str(g.NICs[i].Key, v)
	}
	if g.AgentConfig != "" {
		o.str("agent", g.AgentConfig)
	}
	if g.Template {
		o.int("template", 1)
	}
	if g.Tags != "" {
		o.str("tags", g.Tags)
	}
	if g.Lock != "" {
		o.str("lock", g.Lock)
	}
	parts := append([]string{itoa(g.VMID), g.Name, g.AgentConfig}, nets...)
	if g.OSType != "" || g.dataDiskGiB > 0 || g.BalloonConfig != "" {
		// the config differs, so does its digest
		parts = append(parts, g.OSType, strconv.FormatInt(g.dataDiskGiB, 10), g.BalloonConfig)
	}
	o.str("digest", digest(parts...))
	return envelope(o.bytes())
}

// lxcNetString renders an lxc netN value with one of three key orders, since
// PVE accepts any order and hand-edited configs have them all.
func lxcNetString(n *NIC) string {
	kv := map[string]string{"name": n.Name, "bridge": n.Bridge, "hwaddr": n.MAC}
	if n.DHCP {
		kv["ip"] = "dhcp"
	} else if len(n.IPv4) > 0 {
		kv["ip"] = n.IPv4[0]
	}
	if n.Gateway != "" {
		kv["gw"] = n.Gateway
	}
	if n.SLAAC {
		kv["ip6"] = "auto"
	} else if len(n.IPv6) > 0 {
		kv["ip6"] = n.IPv6[0]
	}
	if n.VLAN != 0 {
		kv["tag"] = itoa(n.VLAN)
	}
	if n.Trunks != "" {
		kv["trunks"] = n.Trunks
	}
	if n.Firewall {
		kv["firewall"] = "1"
	}
	if n.LinkDown {
		kv["link_down"] = "1"
	}
	if n.MTU != 0 {
		kv["mtu"] = itoa(n.MTU)
	}
	if n.seq%7 != 3 {
		kv["type"] = "veth" // old configs omit it
	}
	keys := make([]string, 0, len(kv))
	for k := range kv {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	switch n.seq % 3 {
	case 0: // as PVE writes it: name first, the rest alphabetical
		keys = slices.DeleteFunc(keys, func(k string) bool { return k == "name" })
		keys = append([]string{"name"}, keys...)
	case 2: // hand-edited: hwaddr first, the rest reversed
		keys = slices.DeleteFunc(keys, func(k string) bool { return k == "hwaddr" })
		slices.Reverse(keys)
		keys = append([]string{"hwaddr"}, keys...)
	}
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + kv[k]
	}
	return strings.Join(parts, ",")
}

func renderLXCConfig(g *Guest) []byte {
	o := newObj().str("arch", "amd64").int("cores", int64(max(1, g.MaxCPU+0.5)))
	if g.MaxCPU != float64(int64(g.MaxCPU)) {
		o.str("cpulimit", strconv.FormatFloat(g.MaxCPU, 'f', -1, 64))
	}
	o.str("hostname", g.Name).int("memory", g.MaxMem/mib).int("swap", 512).str("ostype", "debian").
		str("rootfs", fmt.Sprintf("%s,size=%dG", guestVolume(g), g.MaxDisk/gib)).
		int("unprivileged", 1).str("features", "nesting=1").int("onboot", b2i(g.Status == "running"))
	var nets []string
	for i := range g.NICs {
		v := lxcNetString(&g.NICs[i])
		nets = append(nets, v)
		o.str(g.NICs[i].Key, v)
	}
	if g.Template {
		o.int("template", 1)
	}
	if g.Tags != "" {
		o.str("tags", g.Tags)
	}
	if g.Lock != "" {
		o.str("lock", g.Lock)
	}
	o.str("digest", digest(append([]string{itoa(g.VMID), g.Name}, nets...)...))
	return envelope(o.bytes())
}

func splitCIDR(cidr string) (string, int64) {
	ip, bits, _ := strings.Cut(cidr, "/")
	p, _ := strconv.ParseInt(bits, 10, 64)
	return ip, p
}

func qgaAddr(typ, cidr string) []byte {
	ip, prefix := splitCIDR(cidr)
	return newObj().str("ip-address-type", typ).str("ip-address", ip).int("prefix", prefix).bytes()
}

func qgaStats(rx, tx int64) []byte {
	return newObj().int("rx-bytes", rx).int("rx-packets", rx/900).int("rx-errs", 0).int("rx-dropped", rx%7).
		int("tx-bytes", tx).int("tx-packets", tx/1100).int("tx-errs", 0).int("tx-dropped", 0).bytes()
}

// renderAgentInterfaces answers guest-network-get-interfaces for a guest whose
// agent runs: lo, one entry per NIC and a docker0 bridge no NIC explains.
func renderAgentInterfaces(g *Guest) []byte {
	if isWindows(g) {
		return renderAgentInterfacesWindows(g)
	}
	items := [][]byte{newObj().str("name", "lo").str("hardware-address", "00:00:00:00:00:00").
		raw("ip-addresses", array([][]byte{qgaAddr("ipv4", "127.0.0.1/8"), qgaAddr("ipv6", "::1/128")})).
		raw("statistics", qgaStats(163244, 163244)).bytes()}
	share := int64(max(1, len(g.NICs)))
	for i := range g.NICs {
		n := &g.NICs[i]
		var addrs [][]byte
		for _, a := range n.IPv4 {
			addrs = append(addrs, qgaAddr("ipv4", a))
		}
		for _, a := range n.IPv6 {
			addrs = append(addrs, qgaAddr("ipv6", a))
		}
		addrs = append(addrs, qgaAddr("ipv6", linkLocal(n.MAC)+"/64"))
		items = append(items, newObj().str("name", n.Name).str("hardware-address", lower(n.MAC)).
			raw("ip-addresses", array(addrs)).raw("statistics", qgaStats(g.NetIn/share, g.NetOut/share)).bytes())
	}
	// VLAN devices come after the NICs they sit on (created later, so a
	// higher ifindex, and getifaddrs lists by ifindex), with the MAC and
	// so the link-local address of their parent
	for i := range g.NICs {
		n := &g.NICs[i]
		for k := range n.SubInterfaces {
			si := &n.SubInterfaces[k]
			var addrs [][]byte
			for _, a := range si.IPv4 {
				addrs = append(addrs, qgaAddr("ipv4", a))
			}
			for _, a := range si.IPv6 {
				addrs = append(addrs, qgaAddr("ipv6", a))
			}
			addrs = append(addrs, qgaAddr("ipv6", linkLocal(n.MAC)+"/64"))
			items = append(items, newObj().str("name", si.Name).str("hardware-address", lower(n.MAC)).
				raw("ip-addresses", array(addrs)).raw("statistics", qgaStats(g.NetIn/share/8, g.NetOut/share/8)).bytes())
		}
	}
	docker := net.HardwareAddr{0x02, 0x42, 0xac, byte(g.VMID >> 16), byte(g.VMID >> 8), byte(g.VMID)}
	items = append(items, newObj().str("name", "docker0").str("hardware-address", docker.String()).
		raw("ip-addresses", array([][]byte{qgaAddr("ipv4", "172.17.0.1/16")})).
		raw("statistics", qgaStats(0, 0)).bytes())
	return envelope(newObj().raw("result", array(items)).bytes())
}

var agentUnsupportedBody = []byte(`{"data":{"result":{"error":{"class":"Unsupported","desc":"this feature or command is not currently supported"}}}}`)

// renderLXCInterfaces answers /lxc/{vmid}/interfaces: the 8.4+ format with
// ip-addresses, or the older {name,hwaddr,inet,inet6} one that holds only
// the last address of each family.
func renderLXCInterfaces(g *Guest, legacy bool) []byte {
	type addr struct{ typ, cidr string }
	iface := func(name, mac string, addrs []addr) []byte {
		o := newObj().str("name", name).str("hwaddr", mac)
		var last4, last6 string
		var list [][]byte
		for _, a := range addrs {
			if a.typ == "inet" {
				last4 = a.cidr
			} else {
				last6 = a.cidr
			}
			list = append(list, qgaAddr(a.typ, a.cidr))
		}
		if last4 != "" {
			o.str("inet", last4)
		}
		if last6 != "" {
			o.str("inet6", last6)
		}
		if !legacy {
			o.str("hardware-address", mac).raw("ip-addresses", array(list))
		}
		return o.bytes()
	}
	items := [][]byte{iface("lo", "00:00:00:00:00:00", []addr{{"inet", "127.0.0.1/8"}, {"inet6", "::1/128"}})}
	for i := range g.NICs {
		n := &g.NICs[i]
		var addrs []addr
		for _, a := range n.IPv4 {
			addrs = append(addrs, addr{"inet", a})
		}
		for _, a := range n.IPv6 {
			addrs = append(addrs, addr{"inet6", a})
		}
		addrs = append(addrs, addr{"inet6", linkLocal(n.MAC) + "/64"})
		items = append(items, iface(n.Name, lower(n.MAC), addrs))
	}
	// ip --json address lists by ifindex: VLAN devices after the NICs;
	// ifname is the bare name, the parent is a separate "link" member
	for i := range g.NICs {
		n := &g.NICs[i]
		for k := range n.SubInterfaces {
			si := &n.SubInterfaces[k]
			var addrs []addr
			for _, a := range si.IPv4 {
				addrs = append(addrs, addr{"inet", a})
			}
			for _, a := range si.IPv6 {
				addrs = append(addrs, addr{"inet6", a})
			}
			addrs = append(addrs, addr{"inet6", linkLocal(n.MAC) + "/64"})
			items = append(items, iface(si.Name, lower(n.MAC), addrs))
		}
	}
	return envelope(array(items))
}
