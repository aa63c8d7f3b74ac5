// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pvesim

import (
	"bytes"
	"slices"
	"strings"
)

// nodeRender holds the pre-rendered JSON of one node so that large clusters
// are served by concatenation instead of encoding on every request.
type nodeRender struct {
	resOnline, resOffline   []byte // /cluster/resources node entry
	listOnline, listOffline []byte // /nodes entry
	// the same two entries for a token without Sys.Audit
	resNoAudit, resNoAuditOffline   []byte
	listNoAudit, listNoAuditOffline []byte
	vmsFull, vmsUnknown             []byte // comma-joined guest entries; unknown: node offline
	storOnline, storOffline         []byte // comma-joined storage entries
	qemuList, lxcList               []byte // full bodies
	status, storage, disks          []byte // full bodies
	zfs                             []byte // full body; nil when the node has no ZFS
	netstat                         []byte // full body
}

func join(items [][]byte) []byte { return bytes.Join(items, []byte{','}) }

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// renderVersion answers /version as PVE 8 and 9 do: repoid (16 hex
// digits: pve-manager stable-8 and master Makefile, git rev-parse
// --short=16), release and version from PVE::pvecfg::version_info
// (PVE/API2.pm version).
func renderVersion(version, repoID string) []byte {
	release := version[:strings.LastIndexByte(version, '.')]
	return envelope(newObj().str("repoid", repoID).str("release", release).str("version", version).bytes())
}

// pve7Version is the last PVE 7 release (pve-manager branch stable-7,
// debian/changelog: 7.4-20). PVE <= 7 writes versions as X.Y-Z.
const pve7Version = "7.4-20"

// renderVersion7 answers /version as PVE 7 does: version, release and an
// 8 hex digit repoid (stable-7 Makefile: git rev-parse --short=8), from
// PVE::pvecfg::version_info (PVE/API2.pm version).
func renderVersion7(repoID string) []byte {
	release := pve7Version[:strings.IndexByte(pve7Version, '-')]
	return envelope(newObj().str("release", release).str("version", pve7Version).str("repoid", repoID[:8]).bytes())
}

// guestResource renders a /cluster/resources guest entry. full=false gives the
// "no RRD data" shape: identity, status unknown and config-derived fields.
// memhost is whether the cluster runs PVE 9, whose pvestatd records the
// host memory of a qemu guest and extract_vm_stats reports it
// (pve-manager master PVE/API2Tools.pm; not on branch stable-8).
func guestResource(g *Guest, full, memhost bool) []byte {
	o := newObj().str("id", g.Type+"/"+itoa(g.VMID))
	if !full || g.NoRRD {
		o.int("vmid", int64(g.VMID)).str("node", g.Node).str("type", g.Type).str("status", "unknown")
		guestConfigFields(o, g)
		return o.bytes()
	}
	o.int("netout", g.NetOut).str("type", g.Type).str("name", g.Name).num("maxcpu", g.MaxCPU).
		int("mem", g.Mem).int("netin", g.NetIn).int("maxmem", g.MaxMem).int("disk", g.Disk).
		str("node", g.Node).num("cpu", g.CPU).int("maxdisk", g.MaxDisk).int("vmid", int64(g.VMID)).
		int("diskwrite", g.DiskWrite).int("diskread", g.DiskRead).str("status", resourceStatus(g)).
		int("template", b2i(g.Template)).int("uptime", g.Uptime)
	guestConfigFields(o, g)
	if g.Type == "qemu" && g.Status == "running" && memhost {
		o.int("memhost", g.Mem+g.Mem/50) // PVE 9 field
	}
	// not a PVE field: clients must ignore what they do not know
	o.raw("pressure", []byte(`{"cpu":{"some":0.01,"full":0},"io":{"some":0,"full":0}}`))
	return o.bytes()
}

// resourceStatus is a guest's status in /cluster/resources: pvestatd stores
// "qmpstatus || status" in the RRD (pve-manager PVE/Service/pvestatd.pm
// update_qemu_status) and extract_vm_stats reads it back
// (PVE/API2Tools.pm), so a paused qemu guest is "paused" there.
func resourceStatus(g *Guest) string {
	if g.Type == "qemu" && g.QMPStatus != "" {
		return g.QMPStatus
	}
	return g.Status
}

func guestConfigFields(o *obj, g *Guest) {
	if g.Tags != "" {
		o.str("tags", g.Tags)
	}
	if g.Lock != "" {
		o.str("lock", g.Lock)
	}
	if g.HAState != "" {
		o.str("hastate", g.HAState)
	}
}

// nodeResource renders a /cluster/resources node entry; hastate is the
// CRM's node status, "" when HA was never configured (no hastate).
func nodeResource(n *Node, online bool, hastate string) []byte {
	o := newObj()
	if !online {
		// stale RRD: capacities only
		return o.str("id", "node/"+n.Name).str("node", n.Name).str("type", "node").str("status", "offline").
			str("level", n.Level).int("maxcpu", int64(n.MaxCPU)).int("maxmem", n.MaxMem).int("maxdisk", n.MaxDisk).bytes()
	}
	o.int("maxdisk", n.MaxDisk).num("cpu", n.CPU).str("node", n.Name).int("disk", n.Disk).
		int("maxmem", n.MaxMem).int("mem", n.Mem).int("maxcpu", int64(n.MaxCPU)).str("type", "node").
		int("uptime", n.Uptime).str("level", n.Level).str("id", "node/"+n.Name).int("cgroup-mode", 2).
		str("status", "online")
	if hastate != "" {
		o.str("hastate", hastate)
	}
	return o.str("boot-mode", "efi"). // not a PVE field: clients must ignore it
						bytes()
}

// nodeResourceNoAudit renders a /cluster/resources node entry for a token
// without Sys.Audit on /nodes/{node}: extract_node_stats($node, $members,
// $rrd, !$can_audit) leaves out uptime, cpu, mem, disk and the max* values
// but keeps level (pve-manager PVE/API2Tools.pm). The resources handler
// adds cgroup-mode and the HA node state whatever the privileges
// (PVE/API2/Cluster.pm resources).
func nodeResourceNoAudit(n *Node, online bool, hastate string) []byte {
	o := newObj().str("id", "node/"+n.Name).str("node", n.Name).str("type", "node")
	if !online {
		return o.str("status", "offline").str("level", n.Level).bytes()
	}
	o.str("status", "online").str("level", n.Level).int("cgroup-mode", 2)
	if hastate != "" {
		o.str("hastate", hastate)
	}
	return o.bytes()
}

// nodeListEntryNoAudit is the /nodes entry without Sys.Audit: the same
// extract_node_stats call plus ssl_fingerprint (pve-manager
// PVE/API2/Nodes.pm index).
func nodeListEntryNoAudit(n *Node, online bool) []byte {
	status := "online"
	if !online {
		status = "offline"
	}
	return newObj().str("id", "node/"+n.Name).str("node", n.Name).str("type", "node").str("status", status).
		str("level", n.Level).str("ssl_fingerprint", n.SSLFingerprint).bytes()
}

func nodeListEntry(n *Node, online bool) []byte {
	o := newObj()
	if !online {
		return o.str("type", "node").str("node", n.Name).str("id", "node/"+n.Name).str("status", "offline").
			str("ssl_fingerprint", n.SSLFingerprint).str("level", n.Level).
			int("maxcpu", int64(n.MaxCPU)).int("maxmem", n.MaxMem).int("maxdisk", n.MaxDisk).bytes()
	}
	return o.int("uptime", n.Uptime).str("level", n.Level).int("maxmem", n.MaxMem).int("disk", n.Disk).
		str("node", n.Name).int("maxdisk", n.MaxDisk).int("mem", n.Mem).str("ssl_fingerprint", n.SSLFingerprint).
		str("status", "online").str("type", "node").num("cpu", n.CPU).str("id", "node/"+n.Name).
		int("maxcpu", int64(n.MaxCPU)).bytes()
}

func storageResources(n *Node, online bool) []byte {
	var items [][]byte
	for i := range n.Storages {
		st := &n.Storages[i]
		if !st.Enabled {
			continue // disabled storages are not listed cluster-wide
		}
		o := newObj().int("shared", b2i(st.Shared)).str("type", "storage")
		if online {
			o.str("status", "available")
		} else {
			o.str("status", "unknown")
		}
		o.str("plugintype", st.Type).str("id", "storage/"+n.Name+"/"+st.Name).str("storage", st.Name).
			str("node", n.Name).str("content", st.Content)
		if online {
			o.int("disk", st.Used).int("maxdisk", st.Total)
		}
		items = append(items, o.bytes())
	}
	return join(items)
}

func (s *Simulator) poolAndSDN() (pool, sdn []byte) {
	var cpu float64
	var mem, maxmem, uptime, maxcpu int64
	for i := range s.cluster.Guests {
		g := &s.cluster.Guests[i]
		if g.Tags != "prod;web" {
			continue
		}
		cpu += g.CPU
		mem += g.Mem
		maxmem += g.MaxMem
		maxcpu += int64(g.MaxCPU)
		uptime = max(uptime, g.Uptime)
	}
	pool = newObj().str("id", "/pool/prod").str("pool", "prod").str("type", "pool").num("cpu", cpu).
		int("maxcpu", maxcpu).int("mem", mem).int("maxmem", maxmem).int("uptime", uptime).bytes()
	var items [][]byte
	for _, n := range s.cluster.Nodes {
		items = append(items, newObj().str("id", "sdn/"+n.Name+"/localnetwork").str("sdn", "localnetwork").
			str("node", n.Name).str("status", "ok").str("type", "sdn").str("zone-type", "simple").bytes())
	}
	// the configured zones follow the localnetwork entries (pve-manager
	// PVE/API2/Cluster.pm resources)
	items = append(items, sdnResourceEntries(&s.cluster.SDN, s.cluster.Nodes)...)
	return pool, join(items)
}

// clusterResources assembles /cluster/resources for the current online state
// from pre-rendered parts, which are written out without copying them into
// one buffer. filter is the ?type= value ("" for all).
//
// With PrivSepNoACL only the node entries remain, without stats: guests need
// VM.Audit, storages Datastore.Audit, pools Pool.Audit and SDN zones
// SDN.Audit (pve-manager PVE/API2/Cluster.pm resources), a token without
// ACL has none of them.
func (s *Simulator) clusterResources(filter string, offline []bool, perms Permissions) [][]byte {
	parts := make([][]byte, 0, 4*len(s.nodes)+8)
	parts = append(parts, []byte(`{"data":[`))
	comma := []byte{','}
	first := true
	add := func(chunk []byte) {
		if len(chunk) == 0 {
			return
		}
		if !first {
			parts = append(parts, comma)
		}
		parts = append(parts, chunk)
		first = false
	}
	pick := func(off bool, online, offl []byte) []byte {
		if off {
			return offl
		}
		return online
	}
	if perms == PrivSepNoACL {
		if filter == "" || filter == "node" {
			for i := range s.nodes {
				add(pick(offline[i], s.nodes[i].resNoAudit, s.nodes[i].resNoAuditOffline))
			}
		}
		return append(parts, []byte("]}"))
	}
	if filter == "" || filter == "vm" {
		for i := range s.nodes {
			add(pick(offline[i], s.nodes[i].vmsFull, s.nodes[i].vmsUnknown))
		}
	}
	if filter == "" || filter == "node" {
		for i := range s.nodes {
			add(pick(offline[i], s.nodes[i].resOnline, s.nodes[i].resOffline))
		}
	}
	if filter == "" || filter == "storage" {
		for i := range s.nodes {
			add(pick(offline[i], s.nodes[i].storOnline, s.nodes[i].storOffline))
		}
	}
	if filter == "" {
		add(s.poolEntry)
	}
	// every sdn entry needs SDN.Audit on /sdn/zones/<zone>, localnetwork
	// included (pve-manager PVE/API2/Cluster.pm resources)
	if (filter == "" || filter == "sdn") && perms != AuditorNoSDN {
		add(s.sdnEntries)
	}
	return append(parts, []byte("]}"))
}

func (s *Simulator) clusterStatus(offline []bool) []byte {
	online := 0
	for _, off := range offline {
		if !off {
			online++
		}
	}
	var items [][]byte
	nodes := s.cluster.Nodes
	if len(nodes) == 1 {
		// a standalone node: no cluster entry, nodeid 0
		n := &nodes[0]
		items = append(items, newObj().str("type", "node").str("name", n.Name).str("id", "node/"+n.Name).
			int("online", b2i(!offline[0])).int("local", 1).int("nodeid", 0).str("ip", n.IP).str("level", n.Level).bytes())
		return envelope(array(items))
	}
	items = append(items, newObj().str("type", "cluster").int("version", int64(len(nodes)+3)).
		int("quorate", b2i(online*2 > len(nodes))).str("name", s.cluster.Name).str("id", "cluster").
		int("nodes", int64(len(nodes))).bytes())
	for i := range nodes {
		n := &nodes[i]
		items = append(items, newObj().str("name", n.Name).int("nodeid", int64(n.NodeID)).str("id", "node/"+n.Name).
			int("online", b2i(!offline[i])).str("type", "node").str("ip", n.IP).int("local", b2i(i == 0)).
			str("level", n.Level).bytes())
	}
	return envelope(array(items))
}

// nodesList answers /nodes; noAudit gives the entries without stats that a
// token lacking Sys.Audit gets.
func (s *Simulator) nodesList(offline []bool, noAudit bool) []byte {
	items := make([][]byte, len(s.nodes))
	for i := range s.nodes {
		switch {
		case noAudit && offline[i]:
			items[i] = s.nodes[i].listNoAuditOffline
		case noAudit:
			items[i] = s.nodes[i].listNoAudit
		case offline[i]:
			items[i] = s.nodes[i].listOffline
		default:
			items[i] = s.nodes[i].listOnline
		}
	}
	return envelope(array(items))
}

var (
	privsPVE9 = []string{"Datastore.Audit", "Mapping.Audit", "Pool.Audit", "SDN.Audit", "Sys.Audit", "VM.Audit", "VM.GuestAgent.Audit"}
	privsPVE8 = []string{"Datastore.Audit", "Mapping.Audit", "Pool.Audit", "SDN.Audit", "Sys.Audit", "VM.Audit"}
	aclPaths  = []string{"/", "/access", "/mapping", "/nodes", "/pools", "/sdn", "/storage", "/vms"}
)

func renderPermissions(p Permissions) []byte {
	privs := privsPVE9
	switch p {
	case PrivSepNoACL, PrivSepEmptyLists:
		// get_effective_permissions drops every path without privileges
		// (pve-access-control src/PVE/RPCEnvironment.pm)
		return envelope([]byte("{}"))
	case AuditorPVE8:
		privs = privsPVE8
	case AuditorNoSDN:
		privs = slices.DeleteFunc(slices.Clone(privsPVE9), func(p string) bool { return p == "SDN.Audit" })
	}
	inner := newObj()
	for _, priv := range privs {
		inner.int(priv, 1)
	}
	set := inner.bytes()
	o := newObj()
	for _, path := range aclPaths {
		o.raw(path, set)
	}
	return envelope(o.bytes())
}
