// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pvesim

import (
	"fmt"
	"strings"
	"time"
)

// Defaults used by New for zero-valued Config fields.
const (
	DefaultNodes       = 3
	DefaultGuests      = 24
	DefaultTokenID     = "monitor@pve!mnm"
	DefaultTokenSecret = "5f0c2a4e-7b1d-4c3a-9e86-2d4b6a8c0e13"
)

// Config describes the simulated cluster and how the server behaves.
type Config struct {
	// Nodes is the number of cluster nodes (default 3).
	Nodes int
	// Guests is the number of guests over all nodes, about 65% qemu and 35%
	// lxc (default 24).
	Guests int
	// OfflineNodes takes the LAST n nodes offline from the start.
	OfflineNodes int
	// Seed makes every generated value reproducible.
	Seed int64
	// TokenID and TokenSecret form the only accepted API token.
	TokenID     string
	TokenSecret string
	// Latency is added to every /api2 request while it holds a worker slot.
	Latency time.Duration
	// WorkersPerNode limits concurrent requests per node like pveproxy's
	// worker pool (real: 3); 0 means unlimited. /nodes/{node}/... uses
	// {node}'s slots, cluster-wide paths use the first node's.
	WorkersPerNode int
	// AgentDelay is how long a configured but not running guest agent takes
	// to answer 500 (real PVE: about 3 s).
	AgentDelay time.Duration
	// AuthFailDelay delays every 401 for a wrong token (real PVE: about 3 s).
	AuthFailDelay time.Duration
	// Permissions selects the ACL the token has (default Full).
	Permissions Permissions
	// ErrorStyle selects the error body format (default PVE9). Version7
	// and Version80 always answer PVE7 style.
	ErrorStyle ErrorStyle
	// Version is the Proxmox VE version the cluster answers as: Version9
	// (the default, also for ""), Version84, Version80 or Version7; a full
	// version ("7.4-20", "8.0.4", "8.4.1", "9.1.4") works too (see
	// ParseVersion). New panics on any other value (check it with
	// ParseVersion first).
	//
	// The version shapes the nodes as New generates them (the pveversion,
	// kernel and fields of /nodes/{node}/status, the lxc list and
	// interfaces formats, memhost in /cluster/resources) and what the node
	// the client talks to answers: /version, the error format, the
	// methods it lacks and the versioned shapes of SDN, HA and Ceph.
	// SetVersion and the /_sim/fault control switch only the latter while
	// serving, as when the endpoint node alone was upgraded.
	Version string
	// QMPStates turns a few running qemu guests into guests whose QMP run
	// state is paused, suspended or prelaunch (picked from Seed). It is off
	// by default so that the clusters other packages' golden files were
	// made from stay as they are.
	QMPStates bool
	// SDN adds an SDN configuration: zones of every type (simple, vlan,
	// qinq, vxlan, evpn) with vnets, served by /cluster/sdn/zones and
	// /cluster/sdn/vnets and listed per node in /cluster/resources, and
	// moves some guest NICs (picked from Seed with a random stream of
	// their own) onto vnet bridges. Off, both lists are empty, as on a
	// cluster without SDN configuration. Off by default so that the
	// clusters other packages' golden files were made from stay as they
	// are.
	SDN bool
	// NICGaps renumbers the NICs of one running qemu guest and one running
	// container with two or more NICs so that their netN keys have a hole
	// (net0, net2), as after net1 was removed. Off by default for the same
	// reason as SDN.
	NICGaps bool
	// GuestVLANs gives a few running qemu guests whose agent answers
	// (AgentRunning), and one running container, in-guest VLAN
	// sub-interfaces on one NIC (NIC.SubInterfaces), picked from Seed with
	// a random stream of their own: two on the first qemu guest (such as
	// ens18.50 and ens18.60, the first with an IPv6 address too), one on
	// each other, and one (such as eth0.70) on the container, each with
	// an IPv4 address of its own in 10.(200+VLAN/256).(VLAN%256).0/24.
	// The NIC is the guest's first on a plain bridge whose port passes
	// tagged frames (no tag=, or trunks=); the VLANs come from its
	// trunks= if it has one (ens18.10, ens18.20), else from 50, 60, 70,
	// 80, 90, and never equal its tag=.
	//
	// The agent reports a sub-interface as an interface entry of its own
	// in guest-network-get-interfaces (QEMU qga/qapi-schema.json
	// GuestNetworkInterface: name, hardware-address, ip-addresses,
	// statistics), one per interface getifaddrs() lists, with the
	// hardware address the kernel reports for that interface (QEMU
	// qga/commands-posix.c qmp_guest_network_get_interfaces, SIOCGIFHWADDR):
	// a Linux VLAN device has its parent's MAC, so the entry repeats the
	// NIC's. A container's /lxc/{vmid}/interfaces lists every interface
	// of `ip --json address` in the container's network namespace,
	// ifname and address as name and hardware-address/hwaddr
	// (pve-container src/PVE/LXC.pm get_interfaces, served by
	// src/PVE/API2/LXC.pm ip), so the sub-interface shows there the same
	// way. Neither appears in the guest config or netstat: Proxmox VE
	// does not know of them. Off by default for the same reason as SDN.
	GuestVLANs bool
	// DuplicateMAC gives the first NIC of one running guest (a qemu guest
	// whose agent answers, or a container) the MAC of another guest's
	// first NIC, as after restoring that guest's backup to a new VMID
	// without unique=1: qemu-server keeps the netN MACs of a restored
	// config unless unique is set (src/PVE/QemuServer.pm
	// restore_update_config_line), while clone_vm always generates new
	// ones (src/PVE/API2/Qemu.pm). The other guest is of the same type,
	// preferably running on another node. The MAC shows in both guests'
	// netN config lines and in what the copy reports (agent or
	// /interfaces); IPs and netstat devices stay the guests' own.
	// Cluster.DuplicateMACs records the pair. Off by default: the default
	// cluster has no MAC twice.
	DuplicateMAC bool
	// Operations adds the operational state of a cluster (see the
	// Operations type): a backup history of the last ten days with its
	// vzdump tasks and task logs (/cluster/backup-info/not-backed-up,
	// /nodes/{node}/tasks, /nodes/{node}/tasks/{upid}/log), storage
	// replication jobs (/cluster/replication, /nodes/{node}/replication),
	// the HA manager status (/cluster/ha/status/current), Ceph
	// (/cluster/ceph/status), the node certificates
	// (/nodes/{node}/certificates/info) and subscriptions
	// (/nodes/{node}/subscription), each drawn from Seed with a random
	// stream of its own; Cluster.Operations holds the ground truth. Off,
	// those paths answer 501 like any path the simulator does not know,
	// and nothing else changes. On, a few values of the existing paths
	// follow the operational state: the HA state of guests and nodes in
	// /cluster/resources and status/current, the lock that makes one
	// covered container's backups always fail (unless a covered guest is
	// locked already), the disks of replicated guests (on
	// local-zfs) and the Ceph OSD ids in /disks/list. Off by default so
	// that the clusters other packages' golden files were made from stay
	// as they are.
	Operations bool
	// CephAbsent (with Operations) makes /cluster/ceph/status answer as on
	// a cluster without Ceph: 500 "binary not installed:
	// /usr/bin/ceph-mon" (pve-manager PVE/Ceph/Tools.pm
	// check_ceph_installed), and no disk is an OSD.
	CephAbsent bool
	// HAAbsent (with Operations) leaves HA unconfigured:
	// /cluster/ha/status/current lists only the quorum entry and no guest
	// or node carries an HA state.
	HAAbsent bool
	// CephNotInitialized (with Operations) makes /cluster/ceph/status
	// answer as on a cluster whose Ceph packages are installed but where
	// `pveceph init` never ran: 500 "pveceph configuration not
	// initialized", from 8.2 on with " - missing '/etc/pve/ceph.conf',
	// missing '/etc/pve/ceph'" (pve-manager PVE/Ceph/Tools.pm
	// check_ceph_inited, branch stable-7 and commit a51a28e3 "ceph:
	// introduce '/etc/pve/ceph'"), and no disk is an OSD. CephAbsent wins:
	// check_ceph_installed runs first.
	CephNotInitialized bool
	// SDNAbsent leaves libpve-network-perl uninstalled, as it is by
	// default on 7.4 and 8.0 (a Suggests of pve-manager, Recommends since
	// 8.1, Depends since 8.3): pve-manager registers the sdn subclass of
	// /cluster only when `require PVE::API2::Network::SDN` succeeds
	// (PVE/API2/Cluster.pm, $have_sdn), so every /cluster/sdn path
	// answers rest_handler's default 501 "Method 'GET <path>' not
	// implemented" (PVE/HTTPServer.pm rest_handler) before any permission
	// check, and /cluster/resources has no sdn entries (PVE/API2/Cluster.pm
	// resources, "if ($have_sdn)", branches stable-7 and stable-8). SDN is
	// ignored with it: there is no SDN to configure.
	SDNAbsent bool
	// Standalone is a single node that never joined a cluster (no
	// /etc/pve/corosync.conf): Nodes is forced to 1 and HAAbsent on.
	// /cluster/status lists only the node, with nodeid 0 and no cluster
	// entry or quorate field (pve-manager PVE/API2/Cluster.pm get_status,
	// "fake entry for local node if no cluster defined"), the HA status
	// only the quorum entry, and there is no replication target.
	Standalone bool
	// NoSubscription gives no node a subscription key:
	// /nodes/{node}/subscription answers status "notfound" and "There is
	// no subscription key" without level (pve-manager
	// PVE/API2/Subscription.pm get), and the level of every node in
	// /cluster/resources, /nodes and /cluster/status is "". Without it the
	// last node of a cluster of two or more has none.
	NoSubscription bool
	// ZFSAbsent leaves the zfs kernel module unloaded on every node, as on
	// an installation without ZFS: /nodes/{node}/disks/zfs answers 500
	// "command '/sbin/zpool list -HpPLo ...' failed: exit code 1"
	// (pve-storage src/PVE/API2/Disks/ZFS.pm get_pool_data), no node has
	// local-zfs and so there is no replication. Without it only one node
	// of a cluster of two or more lacks ZFS.
	ZFSAbsent bool
	// GuestAgentDetails adds what the QEMU guest agent and Proxmox know
	// about the inside of the qemu guests, with its ground truth on Guest
	// (Filesystems, OS, AgentHostName, AgentErrors, AgentVersion, OSType,
	// BalloonConfig, Balloon); see agentdetails.go. It serves
	// /nodes/{node}/qemu/{vmid}/agent/get-fsinfo, get-osinfo and
	// get-host-name (AgentDetailsTemplates), which answer 501 like any
	// unknown path without it, and answers /nodes/{node}/qemu?full=1 as
	// qemu-server does (balloon statistics, QMP state), where without it
	// the full parameter is ignored. Every running qemu guest whose agent
	// answers gets an operating system (Linux distributions, Windows, old
	// agents), picked from Seed with a random stream of its own; Windows
	// guests' NICs take Windows names (Ethernet, Ethernet 2) and their
	// config its ostype, a guest with a data disk gets a scsi1 line, one
	// running guest has balloon: 0. Off by default so that the clusters
	// other packages' golden files were made from stay as they are.
	GuestAgentDetails bool
	// LXCInterfacesUnproxied answers /nodes/{node}/lxc/{vmid}/interfaces as
	// pve-container 5.0.6 to 5.1.x (Proxmox VE 8.1 and 8.2) did: the method
	// had no proxyto, so the node that receives the request looks for the
	// container among its own processes (src/PVE/LXC.pm get_interfaces:
	// find_lxc_pid fails, it returns nothing) and answers {"data":null} for
	// every container on another node. Proxmox bug #5674, fixed in 5.2.0
	// (src/PVE/API2/LXC.pm, commit 8b967af "add missing 'proxyto' for LXC
	// interfaces API"). The simulator's API address belongs to the first
	// node; the containers there answer as usual, in the 8.1 to 8.3 format.
	LXCInterfacesUnproxied bool
	// FullFilesystem (with GuestAgentDetails) fills the root filesystem of
	// one Linux guest whose agent reports byte counts to 96 %, for alert
	// tests (see SetGuestFilesystemUsed to do it while serving).
	FullFilesystem bool
	// OperationsTime is the time the generated operations history ends
	// at (Operations). Zero means the time New is called, truncated to the
	// second; HA timestamps then follow the wall clock. A fixed value
	// makes every answer reproducible byte for byte. It is also the
	// simulator's clock for the balloon statistics' last_update
	// (GuestAgentDetails); without Operations, zero there means the wall
	// clock at each request.
	OperationsTime time.Time
}

func (c Config) withDefaults() Config {
	if c.Nodes <= 0 {
		c.Nodes = DefaultNodes
	}
	if c.Guests <= 0 {
		c.Guests = DefaultGuests
	}
	if c.OfflineNodes < 0 {
		c.OfflineNodes = 0
	}
	if c.OfflineNodes > c.Nodes {
		c.OfflineNodes = c.Nodes
	}
	if c.TokenID == "" {
		c.TokenID = DefaultTokenID
	}
	if c.TokenSecret == "" {
		c.TokenSecret = DefaultTokenSecret
	}
	if c.WorkersPerNode < 0 {
		c.WorkersPerNode = 0
	}
	if c.Version == "" {
		c.Version = Version9
	}
	if c.Standalone {
		c.Nodes, c.HAAbsent = 1, true
	}
	if c.SDNAbsent {
		c.SDN = false
	}
	if !c.GuestAgentDetails {
		c.FullFilesystem = false
	}
	if c.OfflineNodes > c.Nodes {
		c.OfflineNodes = c.Nodes
	}
	return c
}

// Proxmox VE versions the simulator answers as (Config.Version), oldest
// first. What each one changes is listed in versions.go.
const (
	// Version7 answers /version with 7.4-20, the last PVE 7 release
	// (pve-manager branch stable-7, debian/changelog), answers every error
	// PVE 7 style (libpve-http-server-perl 4.x, pve-http-server branch
	// stable-7, src/PVE/APIServer/Formatter/Standard.pm: no "message" in the
	// body) and has no /nodes/{node}/lxc/{vmid}/interfaces: pve-container
	// added that endpoint in 5.0.6 (PVE 8.1, commit 3d56c9c, see its
	// debian/changelog); its PVE 7 branch stable-7 (4.4-x) has no such
	// method in src/PVE/API2/LXC.pm, so pveproxy answers 501.
	Version7 = "7"
	// Version80 is 8.0.4 (pve-manager stable-8 commit d258a813 "bump
	// version to 8.0.4"): errors PVE 7 style (libpve-http-server-perl
	// 5.0.x, before 5.2.0 added "message" to the body) and no lxc
	// interfaces method (pve-container before 5.0.6), as Version7.
	Version80 = "8.0"
	// Version84 is 8.4.1 (pve-manager stable-8 commit 2a5fa54a "bump
	// version to 8.4.1"): errors with "message" (libpve-http-server-perl
	// 5.2.x), the lxc interfaces method, SDN zones with dhcp and vnets
	// with isolate-ports but no "fabrics", HA without failback.
	Version84 = "8.4"
	// Version9 is the default: /version answers 9.1.4, node pve2 runs
	// 8.4.1.
	Version9 = "9"
)

// Versions lists the versions ParseVersion returns, oldest first.
func Versions() []string { return []string{Version7, Version80, Version84, Version9} }

// ParseVersion accepts a version the simulator answers as, by major
// ("7", "9"), major.minor ("7.4", "8.0", "8.4") or in full ("7.4-20",
// "8.0.4", "8.4.1", "9.1.4"), and returns Version7, Version80, Version84
// or Version9; "" is Version9. "8" alone is refused: 8.0 and 8.4 answer
// differently. So are 8.1 to 8.3, which the simulator does not model.
func ParseVersion(s string) (string, error) {
	major, rest, _ := strings.Cut(s, ".")
	minor, _, _ := strings.Cut(rest, ".")
	switch major {
	case "", Version9:
		return Version9, nil
	case Version7:
		return Version7, nil
	case "8":
		switch minor {
		case "0":
			return Version80, nil
		case "4":
			return Version84, nil
		case "":
			return "", fmt.Errorf("ambiguous Proxmox VE version %q: use 8.0 or 8.4", s)
		}
	}
	return "", fmt.Errorf("unknown Proxmox VE version %q: use 7.4, 8.0, 8.4 or 9", s)
}

// Permissions is the ACL the API token has.
type Permissions int

const (
	// Full is PVEAuditor on / plus VM.GuestAgent.Audit (a PVE 9 monitoring token).
	Full Permissions = iota
	// AuditorPVE8 is like Full but answers qemu agent calls with 403 for the
	// missing VM.Monitor privilege, as PVE 8 does for a PVEAuditor token.
	AuditorPVE8
	// PrivSepNoACL is a privilege-separated token without any ACL of its
	// own, answered as pve-manager does (see privSepNoACLForbidden):
	// /cluster/resources and /nodes list every node without its stats,
	// guests, storages, pools and SDN zones are filtered out, the guest and
	// storage lists of a node are empty, /access/permissions is {} and every
	// path that needs Sys.Audit or VM.Audit answers 403.
	PrivSepNoACL
	// PrivSepEmptyLists is what the project used to claim such a token sees:
	// /cluster/resources and /nodes answer empty lists, /cluster/status and
	// everything under /nodes/{node} answer 403 "Permission check failed
	// (/nodes/{node}, Sys.Audit)". pve-manager does not answer like that;
	// the mode stays for tests of that older shape.
	PrivSepEmptyLists
	// AuditorNoSDN is Full without SDN.Audit: a custom monitoring role such
	// as "Sys.Audit VM.Audit Datastore.Audit Pool.Audit VM.GuestAgent.Audit"
	// on /. (The built-in PVEAuditor has had SDN.Audit since
	// pve-access-control 6.0-5, PVE 6.1: src/PVE/AccessControl.pm puts it
	// in the SDN privilege group's audit list, which create_roles gives to
	// PVEAuditor.) The SDN vnet and zone lists filter every entry away and
	// answer [] (pve-network src/PVE/API2/Network/SDN/Vnets.pm and
	// Zones.pm index, user => 'all'), /cluster/resources leaves out the
	// sdn entries (pve-manager PVE/API2/Cluster.pm resources), and GET
	// /cluster/sdn answers 403 (pve-network src/PVE/API2/Network/SDN.pm
	// index). Everything else answers as with Full.
	AuditorNoSDN
)

// String returns the name used by the /_sim/fault control endpoint and the
// command-line flags.
func (p Permissions) String() string {
	switch p {
	case Full:
		return "full"
	case AuditorPVE8:
		return "auditor-pve8"
	case PrivSepNoACL:
		return "privsep-no-acl"
	case PrivSepEmptyLists:
		return "privsep-empty-lists"
	case AuditorNoSDN:
		return "auditor-no-sdn"
	default:
		return fmt.Sprintf("Permissions(%d)", int(p))
	}
}

// allPermissions lists every Permissions value.
var allPermissions = []Permissions{Full, AuditorPVE8, PrivSepNoACL, PrivSepEmptyLists, AuditorNoSDN}

// ParsePermissions parses "full", "auditor-pve8", "privsep-no-acl",
// "privsep-empty-lists" or "auditor-no-sdn".
func ParsePermissions(s string) (Permissions, error) {
	for _, p := range allPermissions {
		if p.String() == s {
			return p, nil
		}
	}
	return Full, fmt.Errorf("unknown permissions %q: use full, auditor-pve8, privsep-no-acl, privsep-empty-lists or auditor-no-sdn", s)
}

// ErrorStyle selects how error responses look.
type ErrorStyle int

const (
	// PVE9 (libpve-http-server-perl >= 5.2.0: PVE 8.3 from about 8.3.4, 8.4,
	// 9) answers errors with {"data":null,"message":"<text>\n"}.
	PVE9 ErrorStyle = iota
	// PVE7 (libpve-http-server-perl < 5.2.0: PVE 7, 8.0 to 8.3.3)
	// answers {"data":null} and carries the text only in the HTTP reason
	// phrase. The connection is hijacked to write that status line and
	// closed afterwards.
	PVE7
)
