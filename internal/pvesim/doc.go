// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

// Package pvesim serves a synthetic, deterministic Proxmox VE cluster over the
// Proxmox API (/api2/json/...) so that the receiver can be tested and
// benchmarked without a real cluster.
//
// Response shapes follow recorded answers of real Proxmox VE and its source
// (pve-manager PVE/API2/*.pm, qemu-server, pve-container), including the Perl-isms
// of real PVE (numeric strings, 0/1 booleans, fields that come and go). The
// cluster is generated from Config.Seed; Cluster returns the ground truth that
// tests compare a client's view against. Faults (offline nodes, hangs, failing
// or malformed paths, reduced permissions, the Proxmox VE version) can be
// switched on while serving, in process or over HTTP under /_sim/.
// Config.QMPStates adds paused, suspended and prelaunch qemu guests.
// /nodes/{node}/netstat lists the guests' tap and veth counters
// (Cluster.NetDevs), including a device left over from a guest that is
// gone; Config.NICGaps adds guests whose netN keys have a hole. Config.SDN
// adds SDN zones and vnets (/cluster/sdn/zones, /cluster/sdn/vnets) and
// puts some guest NICs on them; NIC.EffectiveVLAN is the VLAN a client
// should report for any NIC. Config.GuestVLANs adds in-guest VLAN
// sub-interfaces (NIC.SubInterfaces, such as ens18.50) that only the agent
// and the container interfaces report, with their parent NIC's MAC;
// Config.DuplicateMAC gives two guests' NICs the same MAC
// (Cluster.DuplicateMACs). SetGuestIPs, or guest_ips in /_sim/fault,
// re-addresses a guest NIC while serving.
// Config.Operations adds the operational state of the cluster, with its
// ground truth in Cluster.Operations: a ten-day backup history with its
// vzdump tasks and task logs (/cluster/backup-info/not-backed-up,
// /nodes/{node}/tasks, /nodes/{node}/tasks/{upid}/log), storage
// replication (/cluster/replication, /nodes/{node}/replication), the HA
// manager status (/cluster/ha/status/current), Ceph (/cluster/ceph/status),
// certificates and subscriptions (/nodes/{node}/certificates/info,
// /nodes/{node}/subscription); Config.CephAbsent and Config.HAAbsent give a
// cluster without Ceph or HA, Config.CephNotInitialized one whose Ceph was
// installed but never initialized. Without Operations those paths answer
// 501 like any unknown path.
// Config.GuestAgentDetails adds what the QEMU guest agent and Proxmox know
// about the inside of the qemu guests (agentdetails.go):
// /nodes/{node}/qemu/{vmid}/agent/get-fsinfo, get-osinfo and get-host-name
// (Linux and Windows guests, old agents, a disabled command, an agent
// without get-osinfo) and the balloon statistics of
// /nodes/{node}/qemu?full=1 and status/current, with the ground truth on
// Guest (Filesystems, OS, AgentHostName, AgentErrors, Balloon);
// SetGuestFilesystemUsed, or guest_fs_used in /_sim/fault, fills a
// filesystem while serving, Config.FullFilesystem one from the start.
// Without it those paths answer 501 and full is ignored.
// Config.Version answers as Proxmox VE 7.4, 8.0, 8.4 or 9 (the default);
// versions.go lists what differs. Config.SDNAbsent leaves the SDN package
// out (every /cluster/sdn path answers 501), Config.Standalone makes a
// single node that never joined a cluster, Config.NoSubscription and
// Config.ZFSAbsent take the subscription keys and the zfs module from every
// node. Shapes names the healthy clusters of the field (pve7.4, pve7.4-sdn,
// pve8.0, pve8.4, pve9, pve9-standalone), on which a client should report
// no problem.
// MultiServer serves one Simulator on several addresses that can be taken
// down or made to hang one by one.
package pvesim // import "github.com/mnm-net/otelcol-mnm/internal/pvesim"
