// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pvesim

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

func isWindows(g *Guest) bool { return g.OS != nil && g.OS.ID == "mswindows" }

// answerAgentCommand answers get-fsinfo, get-osinfo and get-host-name as
// qemu-server's register_command does (src/PVE/API2/Qemu/Agent.pm): load
// the config, then assert_agent_available (src/PVE/QemuServer/Agent.pm on
// 9.x; agent_available in the same file on stable-bookworm and stable-7)
// dies, in this order, with "No QEMU guest agent configured" when the
// config has no agent key, "VM <vmid> is not running", and "QEMU guest
// agent is not running" when guest-ping fails: after its 3 s timeout for
// an agent that does not answer, at once for agent: 0, which gives the
// VM no qga socket (src/PVE/QemuServer/Monitor.pm qmp_cmd: "unable to
// open monitor socket"). Each is a 500. Then it returns {"result": <what
// the agent answered>}, an in-band error included, with 200.
func (s *Simulator) answerAgentCommand(r *http.Request, g *Guest, cmd string) ([]byte, apiError) {
	if e := agentAvailable(g); e.status != 0 {
		return nil, e
	}
	switch g.Agent {
	case AgentRunning:
		if e, ok := g.AgentErrors[cmd]; ok {
			return renderAgentError(e), apiError{}
		}
		s.guestMu.RLock() // SetGuestFilesystemUsed may change used bytes
		defer s.guestMu.RUnlock()
		switch cmd {
		case agentCmdFSInfo:
			return renderAgentFSInfo(g), apiError{}
		case agentCmdOSInfo:
			return renderAgentOSInfo(g), apiError{}
		default:
			return envelope(newObj().raw("result", newObj().str("host-name", g.AgentHostName).bytes()).bytes()), apiError{}
		}
	case AgentUnsupported:
		// an agent so old that it answers every command with the
		// pre-QAPI class (see agentUnsupportedBody)
		return agentUnsupportedBody, apiError{}
	case AgentNotRunning:
		abortUnlessDone(s.sleep(r.Context(), s.cfg.AgentDelay))
		return nil, apiError{status: http.StatusInternalServerError, msg: "QEMU guest agent is not running"}
	}
	return nil, apiError{status: http.StatusInternalServerError, msg: "No QEMU guest agent configured"}
}

// agentAvailable is assert_agent_available's verdict before the agent is
// asked (see answerAgentCommand), the same for every agent command,
// network-get-interfaces included: a zero apiError when it passes.
func agentAvailable(g *Guest) apiError {
	switch {
	case g.AgentConfig == "":
		return apiError{status: http.StatusInternalServerError, msg: "No QEMU guest agent configured"}
	case g.Status != "running":
		return apiError{status: http.StatusInternalServerError, msg: fmt.Sprintf("VM %d is not running", g.VMID)}
	case !agentEnabled(g.AgentConfig):
		return apiError{status: http.StatusInternalServerError, msg: "QEMU guest agent is not running"}
	}
	return apiError{}
}

// renderAgentError is an in-band QGA error as the API passes it on:
// {"data":{"result":{"error":{"class":...,"desc":...}}}}.
func renderAgentError(e AgentError) []byte {
	errObj := newObj().str("class", e.Class).str("desc", e.Desc).bytes()
	return envelope(newObj().raw("result", newObj().raw("error", errObj).bytes()).bytes())
}

// renderAgentFSInfo answers guest-get-fsinfo. Both the Linux and the
// Windows agent put each entry in front of the list they build
// (qga/commands-linux.c qmp_guest_get_fsinfo with QAPI_LIST_PREPEND,
// qga/commands-win32.c qmp_guest_get_fsinfo), so the answer lists the
// filesystems in the reverse of the order they were found.
func renderAgentFSInfo(g *Guest) []byte {
	items := make([][]byte, 0, len(g.Filesystems))
	for i := range slices.Backward(g.Filesystems) {
		f := &g.Filesystems[i]
		o := newObj().str("name", f.Name).str("mountpoint", f.Mountpoint).str("type", f.Type)
		if f.UsedBytes != nil {
			o.int("used-bytes", *f.UsedBytes)
		}
		if f.TotalBytes != nil {
			o.int("total-bytes", *f.TotalBytes)
		}
		if f.TotalBytesPrivileged != nil {
			o.int("total-bytes-privileged", *f.TotalBytesPrivileged)
		}
		disks := make([][]byte, 0, len(f.Disk))
		for _, d := range f.Disk {
			disks = append(disks, renderDiskAddress(d))
		}
		items = append(items, o.raw("disk", array(disks)).bytes())
	}
	return envelope(newObj().raw("result", array(items)).bytes())
}

// renderDiskAddress is a QGA GuestDiskAddress of a disk on
// virtio-scsi-single: one controller per disk, each in a slot of its own,
// the disk at target 0, unit 0 (qemu-server gives it scsi-id 0 and lun 0).
func renderDiskAddress(d FilesystemDisk) []byte {
	n, _ := strconv.Atoi(strings.TrimPrefix(d.Drive, "scsi"))
	pci := newObj().int("domain", 0).int("bus", 1).int("slot", int64(1+n)).int("function", 0)
	o := newObj().raw("pci-controller", pci.bytes()).str("bus-type", d.BusType).
		int("bus", 0).int("target", 0).int("unit", 0)
	if d.Serial != "" {
		o.str("serial", d.Serial)
	}
	if d.Dev != "" {
		o.str("dev", d.Dev)
	}
	return o.bytes()
}

// renderAgentOSInfo answers guest-get-osinfo: absent members are left out.
func renderAgentOSInfo(g *Guest) []byte {
	o := newObj()
	if g.OS != nil {
		for _, kv := range [][2]string{
			{"name", g.OS.Name}, {"kernel-release", g.OS.KernelRelease}, {"version", g.OS.Version},
			{"pretty-name", g.OS.PrettyName}, {"version-id", g.OS.VersionID}, {"kernel-version", g.OS.KernelVersion},
			{"machine", g.OS.Machine}, {"id", g.OS.ID}, {"variant", g.OS.Variant}, {"variant-id", g.OS.VariantID},
		} {
			if kv[1] != "" {
				o.str(kv[0], kv[1])
			}
		}
	}
	return envelope(newObj().raw("result", o.bytes()).bytes())
}

// renderAgentInterfacesWindows answers guest-network-get-interfaces for a
// Windows guest: one entry per adapter of GetAdaptersAddresses, named by
// its FriendlyName ("Ethernet", "Loopback Pseudo-Interface 1"), addresses
// as WSAAddressToString prints them (a link-local IPv6 address with its
// zone, "fe80::...%4"), no hardware-address for the loopback adapter, whose
// physical address is empty (qga/commands-win32.c
// qmp_guest_network_get_interfaces).
func renderAgentInterfacesWindows(g *Guest) []byte {
	var items [][]byte
	share := int64(max(1, len(g.NICs)))
	for i := range g.NICs {
		n := &g.NICs[i]
		addrs := [][]byte{qgaAddr("ipv6", fmt.Sprintf("%s%%%d/64", linkLocal(n.MAC), 4+2*i))}
		for _, a := range n.IPv6 {
			addrs = append(addrs, qgaAddr("ipv6", a))
		}
		for _, a := range n.IPv4 {
			addrs = append(addrs, qgaAddr("ipv4", a))
		}
		items = append(items, newObj().str("name", n.Name).str("hardware-address", lower(n.MAC)).
			raw("ip-addresses", array(addrs)).raw("statistics", qgaStats(g.NetIn/share, g.NetOut/share)).bytes())
	}
	items = append(items, newObj().str("name", "Loopback Pseudo-Interface 1").
		raw("ip-addresses", array([][]byte{qgaAddr("ipv6", "::1/128"), qgaAddr("ipv4", "127.0.0.1/8")})).
		raw("statistics", qgaStats(0, 0)).bytes())
	return envelope(newObj().raw("result", array(items)).bytes())
}

// balloonMembers appends what vmstatus's $ballooncb sets from QMP
// query-balloon (qemu-server src/PVE/QemuServer.pm): nothing without a
// balloon device (balloon: 0: query-balloon fails); else balloon (actual)
// and ballooninfo, with freemem only when the guest reported statistics
// (total_mem and free_mem defined). ballooninfo holds actual and max_mem
// always, the statistics and last_update only after a report (the pve-qemu
// patch 0013-PVE-virtio-balloon-improve-query-balloon.patch). The shares
// member stays as without GuestAgentDetails, but for balloon: 0 (vmstatus
// sets it only "if ($conf->{balloon})").
func balloonMembers(o *obj, g *Guest, now int64) {
	if g.BalloonConfig == "0" {
		return
	}
	o.int("shares", 1000).int("balloon", g.MaxMem)
	b := g.Balloon
	if b == nil {
		o.raw("ballooninfo", newObj().int("actual", g.MaxMem).int("max_mem", g.MaxMem).bytes())
		return
	}
	o.int("freemem", b.FreeMem)
	o.raw("ballooninfo", newObj().int("actual", b.Actual).int("max_mem", b.MaxMem).int("total_mem", b.TotalMem).
		int("free_mem", b.FreeMem).int("mem_swapped_in", b.MemSwappedIn).int("mem_swapped_out", b.MemSwappedOut).
		int("major_page_faults", b.MajorPageFaults).int("minor_page_faults", b.MinorPageFaults).
		int("last_update", now-b.StatsAge).bytes())
}

// answerQemuList answers /nodes/{node}/qemu with Config.GuestAgentDetails:
// full is a boolean parameter, which the API accepts as 1 or 0 only
// (pve-common src/PVE/JSONSchema.pm check_type: the wider
// 1|true|yes|on pattern is commented out) and refuses otherwise with 400
// "type check ('boolean') failed - got '<value>'". Without full the list
// is the one served without GuestAgentDetails.
func (s *Simulator) answerQemuList(r *http.Request, ni int) ([]byte, apiError) {
	q := r.URL.Query()
	if _, given := q["full"]; !given {
		return s.nodes[ni].qemuList, apiError{}
	}
	switch v := q.Get("full"); v {
	case "0":
		return s.nodes[ni].qemuList, apiError{}
	case "1":
	default:
		return nil, paramError("full", fmt.Sprintf("type check ('boolean') failed - got '%s'", v))
	}
	now := s.clock().Unix()
	// memhost is in every entry of vmstatus from qemu-server 9.0.11
	// (d426de6c "vmstatus: add memhost..."; 0 for a stopped guest), so on
	// the nodes that run PVE 9, not on the one that runs 8.4
	memhost := nodeVersion(&s.cluster.Nodes[ni]) == Version9
	var items [][]byte
	for _, gi := range s.byNode[ni] {
		g := &s.cluster.Guests[gi]
		if g.Type != "qemu" {
			continue
		}
		items = append(items, qemuFullEntry(g, memhost, now))
	}
	return envelope(array(items)), apiError{}
}

// qemuFullEntry is a /nodes/{node}/qemu?full=1 entry: vmstatus(undef, 1)
// as it is (qemu-server src/PVE/API2/Qemu.pm vmlist), the list entry plus
// what qemuRuntime asks QEMU; no ha or agent member, which only
// status/current adds (vm_status).
func qemuFullEntry(g *Guest, memhost bool, now int64) []byte {
	o := newObj().int("vmid", int64(g.VMID)).str("status", g.Status).str("name", g.Name).
		num("cpus", g.MaxCPU).int("maxmem", g.MaxMem).int("maxdisk", g.MaxDisk).int("mem", g.Mem).
		int("disk", 0).int("uptime", g.Uptime).num("cpu", g.CPU).int("netin", g.NetIn).int("netout", g.NetOut).
		int("diskread", g.DiskRead).int("diskwrite", g.DiskWrite)
	if g.Status == "running" {
		o.int("pid", int64(g.PID))
	}
	if memhost {
		mh := int64(0)
		if g.Status == "running" {
			mh = g.Mem + g.Mem/50 // as the list without full
		}
		o.int("memhost", mh)
	}
	qemuListMarks(o, g)
	qemuRuntime(o, g, true, now)
	return o.bytes()
}
