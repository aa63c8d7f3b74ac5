// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pvesim

import (
	"fmt"
	"strconv"
	"strings"
)

const cpuFlags = "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ht syscall nx pdpe1gb rdtscp lm constant_tsc rep_good nopl cpuid pni pclmulqdq ssse3 fma cx16 sse4_1 sse4_2 x2apic movbe popcnt aes xsave avx f16c rdrand hypervisor lahf_lm abm avx2 bmi1 bmi2"

func renderNodeStatus(n *Node) []byte {
	load := make([]string, 3)
	for i, l := range n.LoadAvg {
		load[i] = strconv.FormatFloat(l, 'f', 2, 64) // strings in every PVE version
	}
	mem := newObj().int("total", n.MaxMem).int("used", n.Mem).int("free", n.MaxMem-n.Mem)
	if !n.Legacy {
		mem.int("available", n.MaxMem-n.Mem+n.Mem/10) // PVE 9.0+
	}
	release := strings.Fields(n.Kernel)[1]
	cpuinfo := newObj().str("mhz", "3400.000").str("model", n.CPUModel).int("sockets", int64(n.Sockets)).
		str("flags", cpuFlags).str("hvm", "1").int("cores", int64(n.Cores)).int("user_hz", 100).
		int("cpus", int64(n.MaxCPU))
	if strings.HasPrefix(n.CPUModel, "AMD") {
		cpuinfo.str("vendor", "AuthenticAMD").int("family", 25)
	} else {
		cpuinfo.str("vendor", "GenuineIntel").int("family", 6)
	}
	version := nodeVersion(n)
	repoID := n.RepoID
	if version == Version7 {
		repoID = repoID[:8] // pve-manager stable-7 Makefile: git rev-parse --short=8
	}
	o := newObj().int("idle", 0).num("cpu", n.CPU).raw("ksm", []byte(`{"shared":0}`)).
		raw("swap", newObj().int("total", n.SwapTotal).int("free", n.SwapTotal-n.SwapUsed).int("used", n.SwapUsed).bytes()).
		str("pveversion", "pve-manager/"+n.Version+"/"+repoID).num("wait", 0.0012).int("uptime", n.Uptime).
		str("kversion", n.Kernel).raw("cpuinfo", cpuinfo.bytes()).any("loadavg", load).
		raw("memory", mem.bytes()).
		raw("rootfs", newObj().int("total", n.MaxDisk).int("free", n.MaxDisk-n.Disk).int("used", n.Disk).
			int("avail", n.MaxDisk-n.Disk).bytes())
	if versionBefore(version, Version84) {
		// current-kernel and boot-info came with pve-manager 8.1 (commits
		// 20ad4e0e "api: nodes: add full info about current kernel from
		// uname call" and 81fd95cf "api: nodes: add info about current
		// boot mode", 2023-11): 8.0.4 and 7.4 answer without them
		// (PVE/API2/Nodes.pm status)
		return envelope(o.bytes())
	}
	o.raw("current-kernel", newObj().str("sysname", "Linux").str("release", release).
		str("version", strings.SplitN(n.Kernel, " ", 3)[2]).str("machine", "x86_64").bytes()).
		raw("boot-info", []byte(`{"mode":"efi","secureboot":0}`))
	return envelope(o.bytes())
}

func renderNodeStorage(n *Node) []byte {
	items := make([][]byte, 0, len(n.Storages))
	for i := range n.Storages {
		st := &n.Storages[i]
		o := newObj().str("storage", st.Name).str("type", st.Type).str("content", st.Content).
			int("active", b2i(st.Active)).int("enabled", b2i(st.Enabled)).int("shared", b2i(st.Shared)).
			int("total", st.Total).int("used", st.Used).int("avail", st.Avail)
		if st.Total > 0 {
			o.num("used_fraction", float64(st.Used)/float64(st.Total))
		}
		items = append(items, o.bytes())
	}
	return envelope(array(items))
}

// noZFSMessage is the 500 of /disks/zfs on a node without ZFS: get_pool_data
// runs [/sbin/zpool, list, -HpPLo, name,size,alloc,free,frag,dedup,health]
// (pve-storage src/PVE/API2/Disks/ZFS.pm) and run_command dies with
// "command '<cmd>' failed: exit code 1\n" (pve-common src/PVE/Cmd.pm), the
// answer recorded from PVE 9.2.3 (Javisen/proxmox_sensors#38).
const noZFSMessage = "command '/sbin/zpool list -HpPLo name,size,alloc,free,frag,dedup,health' failed: exit code 1"

func renderNodeZFS(n *Node) []byte {
	if !n.HasZFS {
		return nil
	}
	items := make([][]byte, 0, len(n.ZFSPools))
	for _, p := range n.ZFSPools {
		items = append(items, newObj().str("name", p.Name).int("size", p.Size).int("alloc", p.Alloc).
			int("free", p.Free).int("frag", int64(p.Frag)).num("dedup", p.Dedup).str("health", p.Health).bytes())
	}
	return envelope(array(items))
}

func renderNodeDisks(n *Node) []byte {
	items := make([][]byte, 0, len(n.Disks))
	for i := range n.Disks {
		d := &n.Disks[i]
		o := newObj().str("devpath", d.DevPath).str("serial", d.Serial)
		switch {
		case d.Wearout == nil:
			o.str("wearout", "N/A")
		case d.wearoutString:
			o.str("wearout", strconv.FormatFloat(*d.Wearout, 'f', -1, 64))
		default:
			o.num("wearout", *d.Wearout)
		}
		o.int("size", d.Size).str("type", d.Type).int("gpt", 1).str("model", d.Model)
		if d.OSDID >= 0 {
			id := itoa(d.OSDID)
			o.str("osdid", id).any("osdid-list", []string{id}).int("bluestore", 1).int("osdencrypted", 0)
		} else {
			o.int("osdid", -1).raw("osdid-list", []byte("null"))
		}
		if d.Used != "" {
			o.str("used", d.Used)
		}
		o.str("health", d.Health).int("rpm", int64(d.RPM)).str("vendor", d.Vendor).
			str("by_id_link", fmt.Sprintf("/dev/disk/by-id/%s-%s_%s", busOf(d), strings.ReplaceAll(d.Model, " ", "_"), d.Serial)).
			str("wwn", d.WWN)
		items = append(items, o.bytes())
	}
	return envelope(array(items))
}

func busOf(d *Disk) string {
	switch d.Type {
	case "nvme":
		return "nvme"
	case "usb":
		return "usb"
	}
	if strings.TrimSpace(d.Vendor) == "ATA" {
		return "ata"
	}
	return "scsi"
}

// qemuListEntry renders a /nodes/{node}/qemu entry (vmstatus without full).
func qemuListEntry(g *Guest) *obj {
	o := newObj().int("vmid", int64(g.VMID)).str("status", g.Status).str("name", g.Name).
		num("cpus", g.MaxCPU).int("maxmem", g.MaxMem).int("maxdisk", g.MaxDisk).int("mem", g.Mem).
		int("disk", 0).int("uptime", g.Uptime).num("cpu", g.CPU).int("netin", g.NetIn).int("netout", g.NetOut).
		int("diskread", g.DiskRead).int("diskwrite", g.DiskWrite)
	if g.Status == "running" {
		o.int("pid", int64(g.PID)).int("memhost", g.Mem+g.Mem/50)
	}
	qemuListMarks(o, g)
	return o
}

// lxcCPUs is cores (int) or, with a cpulimit, the limit as a string.
func lxcCPUs(o *obj, g *Guest) {
	if g.MaxCPU != float64(int64(g.MaxCPU)) {
		o.str("cpus", strconv.FormatFloat(g.MaxCPU, 'f', -1, 64))
		return
	}
	o.num("cpus", g.MaxCPU)
}

// lxcListEntry renders a /nodes/{node}/lxc entry; stringVMID mimics PVE < 8.2.
func lxcListEntry(g *Guest, stringVMID bool) *obj {
	o := newObj()
	if stringVMID {
		o.str("vmid", itoa(g.VMID))
	} else {
		o.int("vmid", int64(g.VMID))
	}
	o.str("status", g.Status).str("name", g.Name).str("type", "lxc")
	lxcCPUs(o, g)
	o.int("maxmem", g.MaxMem).int("maxswap", 512*mib).int("maxdisk", g.MaxDisk).int("mem", g.Mem).
		int("swap", 0).int("disk", g.Disk).int("uptime", g.Uptime).num("cpu", g.CPU).int("netin", g.NetIn).
		int("netout", g.NetOut).int("diskread", g.DiskRead).int("diskwrite", g.DiskWrite)
	if g.Status == "running" {
		o.int("pid", int64(g.PID))
	}
	qemuListMarks(o, g)
	return o
}

func (s *Simulator) renderNode(i int) nodeRender {
	n := &s.cluster.Nodes[i]
	r := nodeRender{
		resOnline:   nodeResource(n, true, s.nodeHAState(i)),
		resOffline:  nodeResource(n, false, ""),
		listOnline:  nodeListEntry(n, true),
		listOffline: nodeListEntry(n, false),

		resNoAudit:         nodeResourceNoAudit(n, true, s.nodeHAState(i)),
		resNoAuditOffline:  nodeResourceNoAudit(n, false, ""),
		listNoAudit:        nodeListEntryNoAudit(n, true),
		listNoAuditOffline: nodeListEntryNoAudit(n, false),

		storOnline:  storageResources(n, true),
		storOffline: storageResources(n, false),
		status:      renderNodeStatus(n),
		storage:     renderNodeStorage(n),
		disks:       renderNodeDisks(n),
		zfs:         renderNodeZFS(n),
	}
	var full, unknown, qemu, lxc [][]byte
	for _, gi := range s.byNode[i] {
		g := &s.cluster.Guests[gi]
		full = append(full, guestResource(g, true, s.cfg.Version == Version9))
		unknown = append(unknown, guestResource(g, false, s.cfg.Version == Version9))
		if g.Type == "qemu" {
			qemu = append(qemu, qemuListEntry(g).bytes())
		} else {
			lxc = append(lxc, lxcListEntry(g, n.Legacy).bytes())
		}
	}
	var devs []NetDev
	for _, d := range s.cluster.NetDevs {
		if d.Node == n.Name {
			devs = append(devs, d)
		}
	}
	r.netstat = renderNetstat(devs)
	r.vmsFull, r.vmsUnknown = join(full), join(unknown)
	r.qemuList, r.lxcList = envelope(array(qemu)), envelope(array(lxc))
	return r
}

// qemuListMarks adds what /nodes/{node}/qemu lists only when set: template,
// lock, tags (qemu-server PVE/QemuServer.pm vmstatus).
func qemuListMarks(o *obj, g *Guest) {
	if g.Template {
		o.int("template", 1)
	}
	if g.Lock != "" {
		o.str("lock", g.Lock)
	}
	if g.Tags != "" {
		o.str("tags", g.Tags)
	}
}
