// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pvesim

import (
	"fmt"
	"strings"
	"time"
)

// Ceph (Config.Operations).
//
// GET /cluster/ceph/status runs, on the node the client talks to,
// PVE::Ceph::Tools::check_ceph_inited and then ceph_cluster_status
// (pve-manager PVE/API2/Cluster/Ceph.pm status, PVE/Ceph/Tools.pm): the
// monitor's "status" command, its "health" replaced by "health detail",
// and, because Ceph since Octopus leaves the monitor list out of status,
// "monmap" replaced by "mon dump" and "mgrmap" by "mgr dump". Without Ceph
// the check dies first: "binary not installed: /usr/bin/ceph-mon"
// (check_ceph_installed('ceph_mon')), or, installed but never initialized
// (Config.CephNotInitialized), "pveceph configuration not initialized",
// since 8.2 followed by " - missing '/etc/pve/ceph.conf', missing
// '/etc/pve/ceph'" (check_ceph_inited, see cephNotInitialized).
//
// The shapes follow Ceph: osdmap is flat (epoch, num_osds, num_up_osds,
// osd_up_since, num_in_osds, osd_in_since, num_remapped_pgs) since
// Octopus; Luminous to Nautilus nested it as osdmap.osdmap, which
// pve-manager's own GUI still accepts (www/manager6/ceph/StatusDetail.js).
// Each health check is {severity, summary {message, count}, detail
// [{message}], muted} (ceph src/mon/health_check.h health_check_t::dump,
// src/mon/HealthMonitor.cc get_health_status). The cluster: one OSD per
// node on /dev/sdd, monitors on the first three nodes, the manager active on
// the first, two pools, every PG active+clean, and HEALTH_WARN for one
// RECENT_CRASH check (ceph src/pybind/mgr/crash/module.py:
// "%d daemons have recently crashed", detail "<daemon> crashed on host
// <host> at <timestamp>"). A node taken offline takes its OSD and monitor
// down: OSD_DOWN, OSD_HOST_DOWN, MON_DOWN and PG_DEGRADED appear with the
// messages Ceph writes. The mgr dump is trimmed to its main keys.

const (
	cephOSDDisk = 4 // index of /dev/sdd in Node.Disks
	cephObject  = 4 * mib
)

func genCeph(c *Cluster, cfg Config, t0 time.Time) Ceph {
	if cfg.CephAbsent || cfg.CephNotInitialized {
		for i := range c.Nodes {
			for j := range c.Nodes[i].Disks {
				c.Nodes[i].Disks[j].OSDID = -1
			}
		}
		if !cfg.CephAbsent {
			return Ceph{Installed: true, NotInitialized: true}
		}
		return Ceph{}
	}
	rng := opsRand(cfg.Seed, 4)
	ceph := Ceph{Installed: true, Health: "HEALTH_WARN", MgrActive: c.Nodes[0].Name}
	ceph.FSID = fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", rng.Uint32(), rng.IntN(1<<16), rng.IntN(1<<12), rng.IntN(1<<12), rng.Int64N(1<<48))
	for i := range c.Nodes {
		n := &c.Nodes[i]
		if len(n.Disks) > cephOSDDisk {
			n.Disks[cephOSDDisk].OSDID = i
			ceph.OSDs = append(ceph.OSDs, CephOSD{ID: i, Host: n.Name, Size: n.Disks[cephOSDDisk].Size})
			ceph.BytesTotal += n.Disks[cephOSDDisk].Size
		}
		if i < 3 {
			ceph.Mons = append(ceph.Mons, n.Name)
			if i > 0 {
				ceph.MgrStandbys = append(ceph.MgrStandbys, n.Name)
			}
		}
	}
	ceph.Pools = []CephPool{{ID: 1, Name: ".mgr", PGs: 1}, {ID: 2, Name: "ceph-vm", PGs: 32}}
	for _, p := range ceph.Pools {
		ceph.NumPGs += p.PGs
	}
	ceph.DataBytes = (200 + rng.Int64N(700)) * gib
	ceph.NumObjects = ceph.DataBytes/cephObject + 3
	ceph.BytesUsed = ceph.DataBytes*int64(cephReplicas(len(ceph.OSDs))) + int64(len(ceph.OSDs))*(1+rng.Int64N(2))*gib
	ceph.BytesAvail = ceph.BytesTotal - ceph.BytesUsed
	crashed := ceph.OSDs[1%len(ceph.OSDs)]
	when := t0.Add(-50*time.Hour - time.Duration(rng.Int64N(3600))*time.Second).Add(time.Duration(rng.Int64N(1e6)) * time.Microsecond)
	ceph.Checks = []CephCheck{{Code: "RECENT_CRASH", Severity: "HEALTH_WARN", Summary: "1 daemons have recently crashed", Count: 1,
		Detail: []string{fmt.Sprintf("osd.%d crashed on host %s at %s", crashed.ID, crashed.Host, when.Format("2006-01-02T15:04:05.000000Z"))}}}
	return ceph
}

// cephReplicas is the pools' size: 3, or the number of OSDs when fewer.
func cephReplicas(osds int) int { return max(1, min(3, osds)) }

// cephNotInstalled is the 500 of /cluster/ceph/status without Ceph.
const cephNotInstalled = "binary not installed: /usr/bin/ceph-mon"

// monAddrs is a monitor's legacy address and address vector.
func monAddrs(ip string) (legacy string, vec []byte) {
	vec = newObj().raw("addrvec", array([][]byte{
		newObj().str("type", "v2").str("addr", ip+":3300").int("nonce", 0).bytes(),
		newObj().str("type", "v1").str("addr", ip+":6789").int("nonce", 0).bytes(),
	})).bytes()
	return ip + ":6789/0", vec
}

func cephStamp(t int64) string {
	return time.Unix(t, 0).UTC().Format("2006-01-02T15:04:05.000000Z")
}

// renderCephStatus answers /cluster/ceph/status for the nodes online now.
func renderCephStatus(ceph *Ceph, nodes []Node, offline []bool, t0 int64, version string) []byte {
	down := map[string]bool{}
	for i, off := range offline {
		if off {
			down[nodes[i].Name] = true
		}
	}
	ip := map[string]string{}
	for _, n := range nodes {
		ip[n.Name] = n.IP
	}
	release, releaseNum, nFeatures := cephRelease(version)
	features := []string{"kraken", "luminous", "mimic", "osdmap-prune", "nautilus", "octopus", "pacific", "elector-pinging", "quincy", "reef", "squid"}[:nFeatures]
	created := t0 - 100*86400 // pveceph init, after the cluster was created

	var checks []CephCheck
	quorum, quorumNames := []int64{}, []string{}
	var monsDown []string
	for r, m := range ceph.Mons {
		if down[m] {
			monsDown = append(monsDown, fmt.Sprintf("mon.%s (rank %d) addr [v2:%s:3300/0,v1:%s:6789/0] is down (out of quorum)", m, r, ip[m], ip[m]))
			continue
		}
		quorum = append(quorum, int64(r))
		quorumNames = append(quorumNames, m)
	}
	var osdDown, hostDown []string
	up := 0
	for _, o := range ceph.OSDs {
		if down[o.Host] {
			osdDown = append(osdDown, fmt.Sprintf("osd.%d (root=default,host=%s) is down", o.ID, o.Host))
			hostDown = append(hostDown, fmt.Sprintf("host %s (root=default) (1 osds) is down", o.Host))
			continue
		}
		up++
	}
	// health checks come sorted by code (a std::map in HealthMonitor)
	if len(monsDown) > 0 {
		checks = append(checks, CephCheck{Code: "MON_DOWN", Severity: "HEALTH_WARN",
			Summary: fmt.Sprintf("%d/%d mons down, quorum %s", len(monsDown), len(ceph.Mons), strings.Join(quorumNames, ",")),
			Count:   len(monsDown), Detail: monsDown})
	}
	if len(osdDown) > 0 {
		checks = append(checks,
			CephCheck{Code: "OSD_DOWN", Severity: "HEALTH_WARN", Summary: fmt.Sprintf("%d osds down", len(osdDown)), Count: len(osdDown), Detail: osdDown},
			CephCheck{Code: "OSD_HOST_DOWN", Severity: "HEALTH_WARN", Summary: fmt.Sprintf("%d host (%d osds) down", len(hostDown), len(hostDown)),
				Count: len(hostDown), Detail: hostDown})
	}
	pgStates := [][]byte{newObj().str("state_name", "active+clean").int("count", int64(ceph.NumPGs)).bytes()}
	size := cephReplicas(len(ceph.OSDs))
	if len(osdDown) > 0 && up > 0 {
		// with one OSD per host and size 3 every PG loses a copy
		missing := min(len(osdDown), size)
		copies := ceph.NumObjects * int64(size)
		degraded := ceph.NumObjects * int64(missing)
		var detail []string
		var upIDs []string
		for _, o := range ceph.OSDs {
			if !down[o.Host] {
				upIDs = append(upIDs, fmt.Sprint(o.ID))
			}
		}
		acting := strings.Join(upIDs[:min(len(upIDs), size)], ",")
		for _, p := range ceph.Pools {
			for pg := range p.PGs {
				detail = append(detail, fmt.Sprintf("pg %d.%x is stuck undersized for 1m, current state active+undersized+degraded, last acting [%s]", p.ID, pg, acting))
			}
		}
		checks = append(checks, CephCheck{Code: "PG_DEGRADED", Severity: "HEALTH_WARN",
			Summary: fmt.Sprintf("Degraded data redundancy: %d/%d objects degraded (%.3f%%), %d pgs degraded, %d pgs undersized",
				degraded, copies, float64(degraded)*100/float64(copies), ceph.NumPGs, ceph.NumPGs),
			Count: ceph.NumPGs, Detail: detail})
		pgStates = [][]byte{newObj().str("state_name", "active+undersized+degraded").int("count", int64(ceph.NumPGs)).bytes()}
	}
	checks = append(checks, ceph.Checks...)
	sortChecks(checks)
	health := "HEALTH_OK"
	checkObj := newObj()
	for _, ch := range checks {
		if ch.Severity == "HEALTH_ERR" || health == "HEALTH_OK" {
			health = ch.Severity
		}
		var det [][]byte
		for _, d := range ch.Detail {
			det = append(det, newObj().str("message", d).bytes())
		}
		checkObj.raw(ch.Code, newObj().str("severity", ch.Severity).
			raw("summary", newObj().str("message", ch.Summary).int("count", int64(ch.Count)).bytes()).
			raw("detail", array(det)).raw("muted", []byte("false")).bytes())
	}
	healthObj := newObj().str("status", health).raw("checks", checkObj.bytes()).raw("mutes", []byte("[]")).bytes()

	var mons [][]byte
	for r, m := range ceph.Mons {
		legacy, vec := monAddrs(ip[m])
		mons = append(mons, newObj().int("rank", int64(r)).str("name", m).raw("public_addrs", vec).str("addr", legacy).
			str("public_addr", legacy).int("priority", 0).int("weight", 0).str("crush_location", "{}").bytes())
	}
	monmap := newObj().int("epoch", int64(len(ceph.Mons))).str("fsid", ceph.FSID).str("modified", cephStamp(created+3600)).
		str("created", cephStamp(created)).int("min_mon_release", int64(releaseNum)).str("min_mon_release_name", release).
		int("election_strategy", 1).str("disallowed_leaders: ", "").raw("stretch_mode", []byte("false")).
		str("tiebreaker_mon", "").str("removed_ranks: ", "").
		raw("features", newObj().any("persistent", features).raw("optional", []byte("[]")).bytes()).
		raw("mons", array(mons)).any("quorum", quorum).bytes()

	active := ""
	var standbys [][]byte
	for i, m := range append([]string{ceph.MgrActive}, ceph.MgrStandbys...) {
		if down[m] {
			continue
		}
		if active == "" {
			active = m
			continue
		}
		standbys = append(standbys, newObj().int("gid", int64(14100+i*10)).str("name", m).bytes())
	}
	mgr := newObj().int("epoch", 42).int("flags", 0)
	if active != "" {
		const nonce = 2716 // a manager binds 6800 (v2) and 6801 (v1) with its pid as nonce
		vec := newObj().raw("addrvec", array([][]byte{
			newObj().str("type", "v2").str("addr", ip[active]+":6800").int("nonce", nonce).bytes(),
			newObj().str("type", "v1").str("addr", ip[active]+":6801").int("nonce", nonce).bytes(),
		})).bytes()
		mgr.int("active_gid", 14100).str("active_name", active).raw("active_addrs", vec).
			str("active_addr", fmt.Sprintf("%s:6801/%d", ip[active], nonce)).str("active_change", cephStamp(t0-3*86400)).
			raw("available", []byte("true"))
	} else {
		mgr.int("active_gid", 0).str("active_name", "").raw("available", []byte("false"))
	}
	mgr.raw("standbys", array(standbys)).any("modules", []string{"iostat", "nfs", "restful"}).raw("services", []byte("{}"))

	osdEpoch := int64(120 + 3*len(osdDown))
	osdmap := newObj().int("epoch", osdEpoch).int("num_osds", int64(len(ceph.OSDs))).int("num_up_osds", int64(up)).
		int("osd_up_since", t0-6*86400).int("num_in_osds", int64(len(ceph.OSDs))).int("osd_in_since", created+86400).
		int("num_remapped_pgs", 0).bytes()
	pgmap := newObj().raw("pgs_by_state", array(pgStates)).int("num_pgs", int64(ceph.NumPGs)).
		int("num_pools", int64(len(ceph.Pools))).int("num_objects", ceph.NumObjects).int("data_bytes", ceph.DataBytes).
		int("bytes_used", ceph.BytesUsed).int("bytes_avail", ceph.BytesAvail).int("bytes_total", ceph.BytesTotal).bytes()

	o := newObj().str("fsid", ceph.FSID).raw("health", healthObj).int("election_epoch", int64(48+2*len(monsDown))).
		any("quorum", quorum).any("quorum_names", quorumNames).int("quorum_age", 6*86400).
		raw("monmap", monmap).raw("osdmap", osdmap).raw("pgmap", pgmap).
		raw("fsmap", []byte(`{"epoch":1,"by_rank":[],"up:standby":0}`)).raw("mgrmap", mgr.bytes()).
		raw("servicemap", newObj().int("epoch", 3).str("modified", time.Unix(t0-3*86400, 0).UTC().Format("2006-01-02T15:04:05.000000-0700")).
			raw("services", []byte("{}")).bytes()).
		raw("progress_events", []byte("{}"))
	return envelope(o.bytes())
}

func sortChecks(checks []CephCheck) {
	for i := 1; i < len(checks); i++ {
		for j := i; j > 0 && checks[j].Code < checks[j-1].Code; j-- {
			checks[j], checks[j-1] = checks[j-1], checks[j]
		}
	}
}
