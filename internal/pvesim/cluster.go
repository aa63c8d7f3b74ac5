// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pvesim

// Cluster is the ground truth behind every simulated response. Tests compare
// what a client decoded against it. All sizes are bytes.
type Cluster struct {
	Name   string  `json:"name"`
	Nodes  []Node  `json:"nodes"`
	Guests []Guest `json:"guests"` // ordered by VMID
	// NetDevs are the tap and veth devices of the running guests (and one
	// left over from a guest that is gone) as /nodes/{node}/netstat lists
	// them: ordered by node as in Nodes, then by device name.
	NetDevs []NetDev `json:"netdevs,omitempty"`
	// SDN is the SDN configuration; empty unless Config.SDN.
	SDN SDN `json:"sdn,omitzero"`
	// Operations is the operational state (backups, tasks, replication,
	// HA, Ceph, certificates, subscriptions); nil unless Config.Operations.
	Operations *Operations `json:"operations,omitempty"`
	// DuplicateMACs lists the MACs more than one guest NIC has in its
	// config; empty unless Config.DuplicateMAC.
	DuplicateMACs []DuplicateMAC `json:"duplicate_macs,omitempty"`
}

// Node is one cluster member.
type Node struct {
	Name   string `json:"name"`
	NodeID int    `json:"nodeid"`
	IP     string `json:"ip"`
	// Online is the state at the time Cluster was called.
	Online bool `json:"online"`
	// Version is the pve-manager version: 9.1.4, or 8.4.1 on the legacy
	// node, with Config.Version 9; 8.4.1, 8.0.4 or 7.4-20 on every node
	// with Version84, Version80 or Version7.
	Version string `json:"version"`
	// RepoID is the git revision of the build, 16 hex digits; PVE 7
	// shows its first 8 (pve-manager stable-7 Makefile: git rev-parse
	// --short=8).
	RepoID string `json:"repoid"`
	// Legacy marks a node running a version before 9 (every node unless
	// Config.Version is 9): lxc list vmids are strings and lxc
	// /interfaces uses the older {name,hwaddr,inet,inet6} format.
	Legacy         bool       `json:"legacy"`
	Level          string     `json:"level"`
	SSLFingerprint string     `json:"ssl_fingerprint"`
	MaxCPU         int        `json:"maxcpu"`
	CPU            float64    `json:"cpu"`
	MaxMem         int64      `json:"maxmem"`
	Mem            int64      `json:"mem"`
	MaxDisk        int64      `json:"maxdisk"`
	Disk           int64      `json:"disk"`
	SwapTotal      int64      `json:"swap_total"`
	SwapUsed       int64      `json:"swap_used"`
	Uptime         int64      `json:"uptime"`
	LoadAvg        [3]float64 `json:"loadavg"`
	CPUModel       string     `json:"cpu_model"`
	Sockets        int        `json:"sockets"`
	Cores          int        `json:"cores"`
	Kernel         string     `json:"kernel"`
	Storages       []Storage  `json:"storages"`
	// HasZFS is false on the node whose /disks/zfs answers 500 (every
	// node with Config.ZFSAbsent).
	HasZFS   bool      `json:"has_zfs"`
	ZFSPools []ZFSPool `json:"zfs_pools"`
	Disks    []Disk    `json:"disks"`
}

// Storage is one storage as seen from one node.
type Storage struct {
	Name    string `json:"name"`
	Type    string `json:"type"` // plugin type: dir, lvmthin, zfspool, nfs, pbs
	Content string `json:"content"`
	Shared  bool   `json:"shared"`
	Enabled bool   `json:"enabled"`
	Active  bool   `json:"active"`
	Total   int64  `json:"total"`
	Used    int64  `json:"used"`
	Avail   int64  `json:"avail"`
}

// ZFSPool is one line of `zpool list`.
type ZFSPool struct {
	Name   string  `json:"name"`
	Size   int64   `json:"size"`
	Alloc  int64   `json:"alloc"`
	Free   int64   `json:"free"`
	Frag   int     `json:"frag"`
	Dedup  float64 `json:"dedup"`
	Health string  `json:"health"`
}

// Disk is one physical disk from /disks/list.
type Disk struct {
	DevPath string `json:"devpath"`
	Type    string `json:"type"` // ssd, nvme, hdd, usb
	Model   string `json:"model"`
	Serial  string `json:"serial"`
	Vendor  string `json:"vendor"` // space-padded like the kernel reports it
	WWN     string `json:"wwn"`
	Size    int64  `json:"size"`
	RPM     int    `json:"rpm"`
	Health  string `json:"health"`
	// Wearout is the percentage of life remaining; nil when PVE says "N/A".
	Wearout *float64 `json:"wearout"`
	Used    string   `json:"used,omitempty"`
	// OSDID is -1 unless the disk is a Ceph OSD (then rendered as a string).
	OSDID int `json:"osdid"`

	wearoutString bool // render wearout as a numeric string, as old PVE did
}

// Agent states of a qemu guest as the agent endpoint answers them.
const (
	AgentNone        = "none"        // not configured: 500 No QEMU guest agent configured
	AgentRunning     = "running"     // answers the interface list
	AgentNotRunning  = "not-running" // configured, answers 500 after Config.AgentDelay
	AgentUnsupported = "unsupported" // answers an in-band QGA error object
)

// QMP run states of a qemu guest (Guest.QMPStatus) as qemu-server's vmstatus
// reads them with QMP query-status (src/PVE/QemuServer.pm vmstatus,
// $statuscb). A stopped guest has no QEMU process and reports "stopped".
const (
	QMPRunning   = "running"
	QMPStopped   = "stopped"
	QMPPaused    = "paused"    // qm suspend without --todisk (QMP stop)
	QMPSuspended = "suspended" // the guest suspended itself to RAM (ACPI S3)
	QMPPrelaunch = "prelaunch" // QEMU started with -S, the guest has never run
)

// Guest is one qemu VM or lxc container.
type Guest struct {
	VMID int    `json:"vmid"`
	Type string `json:"type"` // qemu or lxc
	Node string `json:"node"`
	Name string `json:"name"`
	// Status is the real run state (running or stopped): what
	// /nodes/{node}/{type} and status/current report as status. Guests with
	// NoRRD, and guests on offline nodes, show status "unknown" in
	// /cluster/resources.
	Status string `json:"status"`
	// QMPStatus is a qemu guest's QMP run state (one of the QMP* constants;
	// "" for lxc): status/current's qmpstatus, and the status
	// /cluster/resources shows, because pvestatd records
	// "qmpstatus || status" in the RRD (pve-manager PVE/Service/pvestatd.pm
	// update_qemu_status) and /cluster/resources reads it from there
	// (PVE/API2Tools.pm extract_vm_stats). It differs from Status only for
	// running guests with Config.QMPStates: those stay "running" in Status.
	QMPStatus string `json:"qmpstatus,omitempty"`
	Template  bool   `json:"template"`
	NoRRD     bool   `json:"no_rrd"`
	Tags      string `json:"tags,omitempty"`
	// Lock and HAState follow Cluster.Operations when Config.Operations is
	// on: unless a covered guest is locked already, one container is
	// locked ("snapshot") so that its backups always fail, and HAState is
	// the HA service state (started, stopped, migrate, error; none with
	// Config.HAAbsent).
	Lock      string  `json:"lock,omitempty"`
	HAState   string  `json:"hastate,omitempty"`
	MaxCPU    float64 `json:"maxcpu"`
	CPU       float64 `json:"cpu"`
	MaxMem    int64   `json:"maxmem"`
	Mem       int64   `json:"mem"`
	MaxDisk   int64   `json:"maxdisk"`
	Disk      int64   `json:"disk"`
	NetIn     int64   `json:"netin"`
	NetOut    int64   `json:"netout"`
	DiskRead  int64   `json:"diskread"`
	DiskWrite int64   `json:"diskwrite"`
	Uptime    int64   `json:"uptime"`
	PID       int     `json:"pid,omitempty"`
	// AgentConfig is the raw qemu `agent` config value ("" when absent).
	AgentConfig string `json:"agent_config,omitempty"`
	// Agent is one of the Agent* constants (qemu only). A guest whose
	// QMPStatus is paused, suspended or prelaunch runs no guest code, so a
	// configured agent does not answer: AgentNotRunning.
	Agent string `json:"agent,omitempty"`
	NICs  []NIC  `json:"nics"`

	// What the guest agent and Proxmox know about the inside of a qemu
	// guest (Config.GuestAgentDetails; all empty without it). See
	// agentdetails.go.
	//
	// OSType is the config's ostype (l26, win10, win11) of a guest whose
	// agent answers; "" renders the default l26.
	OSType string `json:"ostype,omitempty"`
	// AgentVersion is the qemu-ga version the guest runs ("7.2", "2.12"):
	// it decides which members its answers have.
	AgentVersion string `json:"agent_version,omitempty"`
	// Filesystems are what guest-get-fsinfo reports, in the order the
	// agent finds them (the answer lists them the other way round); nil
	// when the command answers an error (AgentErrors) or the agent does
	// not answer.
	Filesystems []Filesystem `json:"filesystems,omitempty"`
	// OS is what guest-get-osinfo reports; nil when it does not.
	OS *GuestOS `json:"os,omitempty"`
	// AgentHostName is what guest-get-host-name reports; "" when it does
	// not.
	AgentHostName string `json:"agent_host_name,omitempty"`
	// AgentErrors are the in-band QGA errors the agent answers commands
	// with, by API command name ("get-fsinfo", "get-osinfo",
	// "get-host-name").
	AgentErrors map[string]AgentError `json:"agent_errors,omitempty"`
	// BalloonConfig is the raw qemu `balloon` config value ("" when
	// absent; "0" removes the balloon device).
	BalloonConfig string `json:"balloon_config,omitempty"`
	// Balloon is the balloon driver's last statistics report as QMP
	// query-balloon passes it on; nil when there is none: a stopped guest,
	// no balloon device (BalloonConfig "0"), or a guest that never
	// reported (a Windows guest without the balloon service, a prelaunch
	// guest), whose ballooninfo then holds only actual and max_mem.
	Balloon *BalloonInfo `json:"balloon,omitempty"`

	// dataDiskGiB is the size of the guest's second disk (scsi1), 0 when
	// it has none.
	dataDiskGiB int64
	// noBalloonService marks a running guest whose balloon device never
	// reports statistics (ballooninfo holds only actual and max_mem).
	noBalloonService bool

	// diskStorage is the storage of the guest's disk; "" is local-lvm.
	// Guests with a replication job (Config.Operations) are on local-zfs,
	// the only kind of storage pvesr replicates.
	diskStorage string
}

// NIC is one netN entry of a guest config and what the guest reports for it.
type NIC struct {
	Key string `json:"key"` // net0, net1, ...
	// Name is the interface name inside the guest (ens18, eth0, ...).
	Name     string  `json:"name"`
	Model    string  `json:"model,omitempty"` // qemu only
	MAC      string  `json:"mac"`             // upper-case; "" when the config has none
	Bridge   string  `json:"bridge,omitempty"`
	VLAN     int     `json:"vlan,omitempty"`
	Trunks   string  `json:"trunks,omitempty"`
	Firewall bool    `json:"firewall"`
	LinkDown bool    `json:"link_down"`
	MTU      int     `json:"mtu,omitempty"`
	Queues   int     `json:"queues,omitempty"`
	Rate     float64 `json:"rate,omitempty"`
	// IPv4 and IPv6 are the global addresses the guest reports, in CIDR form.
	IPv4 []string `json:"ipv4"`
	IPv6 []string `json:"ipv6"`
	// Gateway, DHCP and SLAAC describe lxc ip= / ip6= settings.
	Gateway string `json:"gw,omitempty"`
	DHCP    bool   `json:"dhcp,omitempty"`
	SLAAC   bool   `json:"slaac,omitempty"`
	// SDN tells where the NIC is when its bridge is an SDN vnet
	// (Config.SDN); zero otherwise.
	SDN NICSDN `json:"sdn,omitzero"`
	// SubInterfaces are the VLAN devices the guest runs on top of this
	// NIC (Config.GuestVLANs); they carry the NIC's MAC.
	SubInterfaces []SubInterface `json:"subinterfaces,omitempty"`

	seq int // generation sequence number; picks the rendering variant
}

// EffectiveVLAN is the VLAN the NIC's frames carry as MNM should report it:
// the tag= of a NIC on a plain bridge, or for a NIC on an SDN vnet (which
// has no tag= of its own) the VLAN of NICSDN.VLAN.
func (n *NIC) EffectiveVLAN() int {
	if n.SDN.VNet != "" {
		return n.SDN.VLAN
	}
	return n.VLAN
}

func (c *Cluster) clone() *Cluster {
	out := &Cluster{Name: c.Name, Nodes: make([]Node, len(c.Nodes)), Guests: make([]Guest, len(c.Guests))}
	for i, n := range c.Nodes {
		n.Storages = append([]Storage(nil), n.Storages...)
		n.ZFSPools = append([]ZFSPool(nil), n.ZFSPools...)
		disks := make([]Disk, len(n.Disks))
		for j, d := range n.Disks {
			if d.Wearout != nil {
				w := *d.Wearout
				d.Wearout = &w
			}
			disks[j] = d
		}
		n.Disks = disks
		out.Nodes[i] = n
	}
	out.NetDevs = append([]NetDev(nil), c.NetDevs...)
	out.SDN = c.SDN.clone()
	if c.Operations != nil {
		out.Operations = c.Operations.clone()
	}
	for _, d := range c.DuplicateMACs {
		out.DuplicateMACs = append(out.DuplicateMACs, d.clone())
	}
	for i, g := range c.Guests {
		nics := make([]NIC, len(g.NICs))
		for j, nic := range g.NICs {
			nic.IPv4 = append([]string(nil), nic.IPv4...)
			nic.IPv6 = append([]string(nil), nic.IPv6...)
			if nic.SubInterfaces != nil {
				subs := make([]SubInterface, len(nic.SubInterfaces))
				for k, si := range nic.SubInterfaces {
					si.IPv4 = append([]string(nil), si.IPv4...)
					si.IPv6 = append([]string(nil), si.IPv6...)
					subs[k] = si
				}
				nic.SubInterfaces = subs
			}
			nics[j] = nic
		}
		g.NICs = nics
		g.cloneAgentDetails()
		out.Guests[i] = g
	}
	return out
}
