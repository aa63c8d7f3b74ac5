// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pveapi // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/pveapi"

import (
	"encoding/json"

	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/guestnet"
)

// Response shapes of the Proxmox VE API paths the receiver reads. Every field
// but the identifiers is optional: fields come and go with version,
// permissions and run state (see flex.go for the number quirks).

// ClusterResource is one entry of GET /cluster/resources. Its type decides
// which fields are set: qemu, lxc, node, storage (pool, sdn, network and
// future types are ignored).
type ClusterResource struct {
	ID        string     `json:"id"`
	Type      string     `json:"type"`
	Node      string     `json:"node"`
	Status    string     `json:"status"`
	VMID      FlexInt    `json:"vmid"`
	Name      FlexString `json:"name"`
	Template  FlexBool   `json:"template"`
	CPU       FlexFloat  `json:"cpu"`
	MaxCPU    FlexFloat  `json:"maxcpu"`
	Mem       FlexInt    `json:"mem"`
	MaxMem    FlexInt    `json:"maxmem"`
	Disk      FlexInt    `json:"disk"`
	MaxDisk   FlexInt    `json:"maxdisk"`
	NetIn     FlexInt    `json:"netin"`
	NetOut    FlexInt    `json:"netout"`
	DiskRead  FlexInt    `json:"diskread"`
	DiskWrite FlexInt    `json:"diskwrite"`
	Uptime    FlexInt    `json:"uptime"`
	Tags      FlexString `json:"tags"`
	Lock      FlexString `json:"lock"`
	HAState   FlexString `json:"hastate"`
	Storage   string     `json:"storage"`
}

// ClusterStatusEntry is one entry of GET /cluster/status.
type ClusterStatusEntry struct {
	Type    string   `json:"type"`
	Name    string   `json:"name"`
	Nodes   FlexInt  `json:"nodes"`
	Quorate FlexBool `json:"quorate"`
	Online  FlexBool `json:"online"`
}

// NodeStatus is GET /nodes/{node}/status.
type NodeStatus struct {
	CPU        FlexFloat    `json:"cpu"`
	Wait       FlexFloat    `json:"wait"`
	Uptime     FlexInt      `json:"uptime"`
	LoadAvg    []FlexFloat  `json:"loadavg"`
	Memory     MemoryStatus `json:"memory"`
	Swap       MemoryStatus `json:"swap"`
	RootFS     MemoryStatus `json:"rootfs"`
	KSM        KSMStatus    `json:"ksm"`
	KVersion   FlexString   `json:"kversion"`
	PVEVersion FlexString   `json:"pveversion"`
	CPUInfo    CPUInfo      `json:"cpuinfo"`
}

type MemoryStatus struct {
	Total FlexInt `json:"total"`
	Used  FlexInt `json:"used"`
	Free  FlexInt `json:"free"`
}

type KSMStatus struct {
	Shared FlexInt `json:"shared"`
}

type CPUInfo struct {
	CPUs    FlexInt   `json:"cpus"`
	Cores   FlexInt   `json:"cores"`
	Sockets FlexInt   `json:"sockets"`
	MHz     FlexFloat `json:"mhz"`
}

// Storage is one entry of GET /nodes/{node}/storage.
type Storage struct {
	Storage string   `json:"storage"`
	Type    string   `json:"type"`
	Total   FlexInt  `json:"total"`
	Used    FlexInt  `json:"used"`
	Avail   FlexInt  `json:"avail"`
	Enabled FlexBool `json:"enabled"`
	Active  FlexBool `json:"active"`
	Shared  FlexBool `json:"shared"`
}

// ZFSPool is one entry of GET /nodes/{node}/disks/zfs.
type ZFSPool struct {
	Name   string    `json:"name"`
	Size   FlexInt   `json:"size"`
	Alloc  FlexInt   `json:"alloc"`
	Free   FlexInt   `json:"free"`
	Frag   FlexInt   `json:"frag"`
	Dedup  FlexFloat `json:"dedup"`
	Health string    `json:"health"`
}

// Disk is one entry of GET /nodes/{node}/disks/list.
type Disk struct {
	DevPath string     `json:"devpath"`
	Type    FlexString `json:"type"`
	Model   FlexString `json:"model"`
	Size    FlexInt    `json:"size"`
	Health  FlexString `json:"health"`
	Wearout FlexFloat  `json:"wearout"`
}

// Permissions is GET /access/permissions: path → privilege → propagate flag.
// A token with privilege separation and no ACL of its own gets {}.
type Permissions map[string]map[string]json.RawMessage

// GuestConfig is GET /nodes/{node}/{qemu|lxc}/{vmid}/config, parsed once:
// the name, whether the QEMU agent is enabled, and the netN NICs.
type GuestConfig = guestnet.Config

// NetstatEntry is one entry of GET /nodes/{node}/netstat: the counters of
// one guest NIC's tap or veth device (pve-manager PVE/API2/Nodes.pm netstat,
// from /proc/net/dev; every value is a JSON string). In is what the guest
// received (the host device's transmit counter), as netin in
// /cluster/resources.
type NetstatEntry struct {
	VMID FlexInt    `json:"vmid"`
	Dev  FlexString `json:"dev"` // net0 ...
	In   FlexInt    `json:"in"`
	Out  FlexInt    `json:"out"`
}

// SDNVNet is one entry of GET /cluster/sdn/vnets (pve-network
// src/PVE/API2/Network/SDN/Vnets.pm).
type SDNVNet struct {
	VNet  string     `json:"vnet"`
	Zone  FlexString `json:"zone"`
	Tag   FlexInt    `json:"tag"` // the VLAN (vlan, qinq zones) or VNI (vxlan, evpn zones)
	Alias FlexString `json:"alias"`
}

// SDNZone is one entry of GET /cluster/sdn/zones (pve-network
// src/PVE/API2/Network/SDN/Zones.pm).
type SDNZone struct {
	Zone   string     `json:"zone"`
	Type   FlexString `json:"type"` // simple, vlan, qinq, vxlan, evpn
	Bridge FlexString `json:"bridge"`
	Tag    FlexInt    `json:"tag"` // qinq: the service VLAN
}

// NotBackedUp is one entry of GET /cluster/backup-info/not-backed-up: a
// guest no backup job covers.
type NotBackedUp struct {
	VMID FlexInt    `json:"vmid"`
	Name FlexString `json:"name"`
	Type FlexString `json:"type"`
}

// Task is one entry of GET /nodes/{node}/tasks (pve-manager
// PVE/API2/Tasks.pm). Status is absent while the task runs, "OK",
// "WARNINGS: n", or the error.
type Task struct {
	UPID      string     `json:"upid"`
	Type      FlexString `json:"type"`
	ID        FlexString `json:"id"` // a guest's vmid, or "" for a job of several guests
	StartTime FlexInt    `json:"starttime"`
	EndTime   FlexInt    `json:"endtime"`
	Status    FlexString `json:"status"`
}

// TaskLogLine is one entry of GET /nodes/{node}/tasks/{upid}/log.
type TaskLogLine struct {
	N FlexInt    `json:"n"`
	T FlexString `json:"t"`
}

// ReplicationJob is one entry of GET /nodes/{node}/replication: the state of
// a replication job on its source node (pve-manager PVE/API2/Replication.pm).
type ReplicationJob struct {
	ID        string     `json:"id"`
	Guest     FlexInt    `json:"guest"`
	Source    FlexString `json:"source"`
	Target    FlexString `json:"target"`
	LastSync  FlexInt    `json:"last_sync"`
	LastTry   FlexInt    `json:"last_try"`
	Duration  FlexFloat  `json:"duration"`
	FailCount FlexInt    `json:"fail_count"`
	Error     FlexString `json:"error"`
	Disable   FlexBool   `json:"disable"`
}

// HAStatusEntry is one entry of GET /cluster/ha/status/current
// (pve-ha-manager src/PVE/API2/HA/Status.pm): quorum, master, one lrm per
// node and one service per HA resource.
type HAStatusEntry struct {
	ID      string     `json:"id"`
	Type    FlexString `json:"type"`
	Node    FlexString `json:"node"`
	Status  FlexString `json:"status"`
	Quorate FlexBool   `json:"quorate"`
	SID     FlexString `json:"sid"`
	State   FlexString `json:"state"` // service: started, stopped, error, fence, ...; lrm: active, idle, maintenance, ...
	Mode    FlexString `json:"mode"`  // lrm: active, restart, shutdown, maintenance
}

// CephStatus is GET /cluster/ceph/status: Ceph's own "status" JSON.
type CephStatus struct {
	Health struct {
		Status FlexString                 `json:"status"`
		Checks map[string]CephHealthCheck `json:"checks"`
	} `json:"health"`
	OSDMap CephOSDMap `json:"osdmap"`
	PGMap  struct {
		PGsByState []struct {
			StateName FlexString `json:"state_name"`
			Count     FlexInt    `json:"count"`
		} `json:"pgs_by_state"`
		BytesUsed  FlexInt `json:"bytes_used"`
		BytesAvail FlexInt `json:"bytes_avail"`
		BytesTotal FlexInt `json:"bytes_total"`
	} `json:"pgmap"`
}

// CephOSDMap holds the OSD counts; Ceph before Quincy nests them one level
// deeper, under osdmap.osdmap.
type CephOSDMap struct {
	NumOSDs   FlexInt `json:"num_osds"`
	NumUpOSDs FlexInt `json:"num_up_osds"`
	NumInOSDs FlexInt `json:"num_in_osds"`
	Nested    *struct {
		NumOSDs   FlexInt `json:"num_osds"`
		NumUpOSDs FlexInt `json:"num_up_osds"`
		NumInOSDs FlexInt `json:"num_in_osds"`
	} `json:"osdmap"`
}

// Counts returns total, up and in OSDs from either layout.
func (m CephOSDMap) Counts() (total, up, in FlexInt) {
	if m.Nested != nil && !m.NumOSDs.Valid {
		return m.Nested.NumOSDs, m.Nested.NumUpOSDs, m.Nested.NumInOSDs
	}
	return m.NumOSDs, m.NumUpOSDs, m.NumInOSDs
}

// CephHealthCheck is one of Ceph's health checks, keyed by its code.
type CephHealthCheck struct {
	Severity FlexString `json:"severity"`
}

// Certificate is one entry of GET /nodes/{node}/certificates/info.
type Certificate struct {
	Filename FlexString `json:"filename"`
	Subject  FlexString `json:"subject"`
	NotAfter FlexInt    `json:"notafter"`
}

// Subscription is GET /nodes/{node}/subscription.
type Subscription struct {
	Status FlexString `json:"status"` // active, notfound, expired, invalid, new, suspended (any case)
	Level  FlexString `json:"level"`
}

// QemuStatus is one VM of GET /nodes/{node}/qemu?full=1: qemu-server's
// vmstatus with the QMP details (src/PVE/API2/Qemu.pm vmlist returns it as
// it is).
type QemuStatus struct {
	VMID   FlexInt    `json:"vmid"`
	Name   FlexString `json:"name"`
	Status string     `json:"status"`
	Uptime FlexInt    `json:"uptime"`
	MaxMem FlexInt    `json:"maxmem"`
	// Balloon is present when the VM has a balloon device; it has TotalMem
	// and FreeMem only once the guest's balloon driver reported statistics
	// (qemu-server src/PVE/QemuServer.pm vmstatus, $ballooncb).
	Balloon *BalloonInfo `json:"ballooninfo"`
}

// BalloonInfo is the virtio-balloon's query-balloon answer as Proxmox's
// QEMU patch extends it: guest memory as the guest's driver reports it
// (Linux: MemTotal and MemFree; Windows: total and available memory).
type BalloonInfo struct {
	Actual     FlexInt `json:"actual"`
	MaxMem     FlexInt `json:"max_mem"`
	TotalMem   FlexInt `json:"total_mem"`
	FreeMem    FlexInt `json:"free_mem"`
	LastUpdate FlexInt `json:"last_update"`
}
