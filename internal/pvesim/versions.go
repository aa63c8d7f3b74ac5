// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pvesim

// What differs between the Proxmox VE versions the simulator answers as
// (Config.Version), oldest first:
//
//	                       7.4 (Version7)  8.0 (Version80)  8.4 (Version84)  9 (Version9)
//	/version               7.4-20          8.0.4            8.4.1            9.1.4
//	node pveversion        7.4-20          8.0.4            8.4.1            9.1.4, pve2 8.4.1
//	error text in body     no              no               yes              yes
//	lxc {vmid}/interfaces  501             501              200              200
//	agent 403 privilege
//	  (every agent path)   VM.Monitor      VM.Monitor       VM.Monitor       VM.GuestAgent.Audit|...
//	Ceph "not initialized" plain           plain            + " - missing"   + " - missing"
//	Ceph release           quincy          quincy           squid            squid
//	SDN.Audit 403 path     /               /                /sdn             /sdn
//	SDN zone dhcp, vnet
//	  isolate-ports        no              no               yes              yes
//	SDN index "fabrics"    no              no               no               yes
//	HA service failback    no              no               no               yes
//	node status
//	  current-kernel,
//	  boot-info            no              no               yes              yes
//	  memory available     no              no               no               yes (not pve2)
//	memhost in resources   no              no               no               yes
//	memhost in qemu?full=1 no              no               no               yes (not pve2)
//
// The sources of each are given where the answer is made. The node rows
// follow Config.Version as New generates the cluster; the others follow
// the version the endpoint answers as now (Simulator.Version).

// versionRank orders the versions.
func versionRank(v string) int {
	switch v {
	case Version7:
		return 74
	case Version80:
		return 80
	case Version84:
		return 84
	}
	return 90
}

// versionBefore reports whether v is older than than.
func versionBefore(v, than string) bool { return versionRank(v) < versionRank(than) }

// Kernels the generated nodes run (the kversion of /nodes/{node}/status,
// "sysname release version" of uname: pve-manager PVE/API2/Nodes.pm status).
const (
	kernelPVE9  = "Linux 6.14.11-4-pve #1 SMP PREEMPT_DYNAMIC PMX 6.14.11-4 (2025-10-10T08:04Z)"
	kernelPVE84 = "Linux 6.8.12-9-pve #1 SMP PREEMPT_DYNAMIC PMX 6.8.12-9 (2025-03-16T19:18Z)"
	// PVE 8.0 shipped the 6.2 kernel series (proxmox-kernel-6.2).
	kernelPVE80 = "Linux 6.2.16-20-pve #1 SMP PREEMPT_DYNAMIC PMX 6.2.16-20 (2023-12-01T13:17Z)"
	// PVE 7 runs the 5.15 series (pve-kernel-5.15), whose build string
	// names "PVE" instead of "PMX".
	kernelPVE7 = "Linux 5.15.158-2-pve #1 SMP PVE 5.15.158-2 (2024-07-26T09:41Z)"
)

// Full versions (pve-manager debian/changelog of each branch).
const (
	pve80Version = "8.0.4" // stable-8 commit d258a813
	pve84Version = "8.4.1" // stable-8 commit 2a5fa54a
)

// nodeRelease is the pve-manager version and kernel every node of a cluster
// generated as v runs; Version9 keeps its older node (legacyNodeIndex).
func nodeRelease(v string) (version, kernel string) {
	switch v {
	case Version7:
		return pve7Version, kernelPVE7
	case Version80:
		return pve80Version, kernelPVE80
	case Version84:
		return pve84Version, kernelPVE84
	}
	return currentVersion, kernelPVE9
}

// nodeVersion is the simulator version a node's pve-manager version is.
func nodeVersion(n *Node) string {
	v, err := ParseVersion(n.Version)
	if err != nil {
		return Version9
	}
	return v
}

// lacksLXCInterfaces reports whether v has no
// /nodes/{node}/lxc/{vmid}/interfaces: pve-container added the method in
// 5.0.6 (src/PVE/API2/LXC.pm, commit 3d56c9c, released with PVE 8.1), so
// 7.4 (branch stable-7, 4.4-x) and 8.0 (5.0.4 and older) answer
// rest_handler's 501 (pve-manager PVE/HTTPServer.pm).
func lacksLXCInterfaces(v string) bool { return versionBefore(v, Version84) }

// versionErrorStyle is the error format of v: libpve-http-server-perl
// puts the error text into the body's "message" only since 5.2.0
// (pve-http-server commit 011d2da "bump version to 5.2.0", 2025-01-28,
// src/PVE/APIServer/Formatter/Standard.pm), which 7.4 (4.x, branch
// stable-7) and 8.0 (5.0.x) do not have.
func versionErrorStyle(v string, configured ErrorStyle) ErrorStyle {
	if versionBefore(v, Version84) {
		return PVE7
	}
	return configured
}

// agentPrivilege is the privilege a qemu agent call needs on
// /vms/{vmid}: VM.Monitor (qemu-server branches stable-7 and
// stable-bookworm, src/PVE/API2/Qemu/Agent.pm register_command, $perm //=
// 'VM.Monitor') up to 8.4, since 9.0 VM.GuestAgent.Audit or
// VM.GuestAgent.Unrestricted (commit b92a40ce, any => 1; check_any joins
// the privileges with "|").
func agentPrivilege(v string) string {
	if v != Version9 {
		return "VM.Monitor"
	}
	return "VM.GuestAgent.Audit|VM.GuestAgent.Unrestricted"
}

// cephNotInitialized is the 500 of /cluster/ceph/status when Ceph is
// installed but `pveceph init` never ran (pve-manager PVE/Ceph/Tools.pm
// check_ceph_inited): the plain text up to 8.1 (branch stable-7: die
// "pveceph configuration not initialized\n"), the missing paths joined
// after " - " since commit a51a28e3 "ceph: introduce '/etc/pve/ceph'"
// (2024-04, PVE 8.2), both missing on a node that was never initialized.
func cephNotInitialized(v string) string {
	if versionBefore(v, Version84) {
		return "pveceph configuration not initialized"
	}
	return "pveceph configuration not initialized - missing '/etc/pve/ceph.conf', missing '/etc/pve/ceph'"
}

// cephRelease is the Ceph release a cluster of version v runs: quincy on
// 7.4 (the newest pveceph installs there: pve-manager stable-7
// PVE/CLI/pveceph.pm $supported_ceph_versions) and on 8.0 (the only one:
// 8.0.4 PVE/CLI/pveceph.pm), squid on 8.4 (the newest of 8.4.1
// PVE/Ceph/Releases.pm) and 9; n is the number of release features
// ("kraken" to the release) its monmap lists.
func cephRelease(v string) (name string, num, n int) {
	if versionBefore(v, Version84) {
		return "quincy", 17, 9
	}
	return "squid", 19, 11
}

// sdnModern reports whether v's pve-network serves the zone dhcp option
// (pve-network commit 1e5d8ca "sdn: zone: add dhcp option", released in
// 0.8.3 with PVE 8.1) and the vnet isolate-ports option (commit 078c0ef
// "vnets : add ports isolation", released in 0.9.9 with PVE 8.3): 8.4 and
// 9 do, 7.4 (0.7.x) and 8.0 (0.8.1) do not.
func sdnModern(v string) bool { return !versionBefore(v, Version84) }
