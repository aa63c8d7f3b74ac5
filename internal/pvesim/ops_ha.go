// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pvesim

import (
	"fmt"
	"slices"
	"time"
)

// HA (Config.Operations).
//
// The HA resources are the guests the default cluster already shows an HA
// state for (Guest.HAState). With Operations their states follow what the
// CRM would hold: running guests "started", stopped ones "stopped", one
// stopped guest that HA failed to start "error" (request state started:
// pve-ha-manager src/PVE/HA/Manager.pm puts a service there after
// max_restart and max_relocate failed). One node other than the CRM master
// is in maintenance mode (ha-manager crm-command node-maintenance enable):
// its LRM reports mode "maintenance" and the CRM migrates its started and
// stopped services away (src/PVE/HA/Manager.pm: "migrate" with a target);
// a service in error stays. With Config.HAAbsent no HA resource was ever
// configured: the CRM never became master, so there is no manager_status and
// GET /cluster/ha/status/current lists only the quorum entry
// (src/PVE/API2/HA/Status.pm status).
//
// The status API is modelled as pve-ha-manager 5.1.0 answers it, the
// version PVE 9.1 shipped (5.1.3, PVE 9.2, adds a "fencing" entry and
// watchdog states to the lrm status text: commit 2d143ac).

func haSID(g *Guest) string {
	if g.Type == "lxc" {
		return fmt.Sprintf("ct:%d", g.VMID)
	}
	return fmt.Sprintf("vm:%d", g.VMID)
}

func genHA(c *Cluster, cfg Config) HA {
	if cfg.HAAbsent {
		for i := range c.Guests {
			c.Guests[i].HAState = ""
		}
		return HA{}
	}
	rng := opsRand(cfg.Seed, 3)
	online := func(i int) bool { return i < len(c.Nodes)-cfg.OfflineNodes }
	nodeIdx := map[string]int{}
	for i, n := range c.Nodes {
		nodeIdx[n.Name] = i
	}
	var res []int
	for i := range c.Guests {
		if c.Guests[i].HAState != "" {
			res = append(res, i)
		}
	}
	// the service in error: a stopped one if there is one
	errIdx := -1
	for _, i := range res {
		if c.Guests[i].Status != "running" && !c.Guests[i].Template && errIdx < 0 {
			errIdx = i
		}
	}
	if errIdx < 0 && len(res) > 0 {
		errIdx = res[rng.IntN(len(res))]
	}
	ha := HA{Configured: true, Master: c.Nodes[0].Name}
	// the node in maintenance: an online node other than the master with
	// the fewest services to move
	maint := -1
	count := func(ni int) int {
		n := 0
		for _, i := range res {
			if i != errIdx && c.Guests[i].Node == c.Nodes[ni].Name {
				n++
			}
		}
		return n
	}
	for ni := len(c.Nodes) - 1; ni >= 1; ni-- {
		if online(ni) && (maint < 0 || count(ni) < count(maint)) {
			maint = ni
		}
	}
	for _, i := range res {
		g := &c.Guests[i]
		r := HAResource{SID: haSID(g), VMID: g.VMID, Node: g.Node, MaxRestart: 1, MaxRelocate: 1}
		switch {
		case i == errIdx:
			r.RequestState, r.CRMState, r.State = "started", "error", "error"
		case g.Status == "running":
			r.RequestState, r.CRMState, r.State = "started", "started", "started"
		default:
			r.RequestState, r.CRMState, r.State = "stopped", "stopped", "stopped"
		}
		if maint >= 0 && g.Node == c.Nodes[maint].Name && i != errIdx {
			var targets []string
			for ni := range c.Nodes {
				if ni != maint && online(ni) {
					targets = append(targets, c.Nodes[ni].Name)
				}
			}
			if len(targets) > 0 {
				r.Target = targets[rng.IntN(len(targets))]
				r.CRMState, r.State = "migrate", "migrate"
			}
		}
		g.HAState = r.State
		ha.Resources = append(ha.Resources, r)
	}
	slices.SortFunc(ha.Resources, func(a, b HAResource) int {
		// the status API walks sort keys: Perl's string sort
		if a.SID < b.SID {
			return -1
		}
		if a.SID > b.SID {
			return 1
		}
		return 0
	})
	for ni, n := range c.Nodes {
		l := HALRM{Node: n.Name, Mode: "active", State: "wait_for_agent_lock", NodeStatus: "online"}
		if haActiveServices(ha.Resources, n.Name) > 0 {
			l.State = "active"
		}
		if ni == maint {
			l.Mode, l.NodeStatus = "maintenance", "maintenance"
			if haActiveServices(ha.Resources, n.Name) == 0 {
				l.State = "maintenance"
			}
		}
		ha.LRMs = append(ha.LRMs, l)
	}
	return ha
}

// haActiveServices is PVE::HA::Tools::count_active_services: services on
// the node or migrating to it, except stopped, frozen and erroneous ones.
func haActiveServices(res []HAResource, node string) int {
	n := 0
	for _, r := range res {
		if r.Node != node && r.Target != node {
			continue
		}
		switch r.CRMState {
		case "stopped", "freeze", "error", "request_start":
			continue
		}
		n++
	}
	return n
}

// perlLocaltime is Perl's scalar localtime, the node running in UTC.
func perlLocaltime(t int64) string {
	return time.Unix(t, 0).UTC().Format("Mon Jan _2 15:04:05 2006")
}

// renderHAStatus answers /cluster/ha/status/current at now. The quorum
// entry is the node pveproxy runs on (the first node); quorate follows the
// nodes online, the LRM of an offline node has an old timestamp
// ("old timestamp - dead?" after 30 s). Service states are not changed by
// offline nodes: the simulator does not fence or recover.
func renderHAStatus(ha *HA, nodes []Node, offline []bool, now int64, version string) []byte {
	online := 0
	for _, off := range offline {
		if !off {
			online++
		}
	}
	quorate := online*2 > len(nodes)
	local := nodes[0].Name
	q := newObj().str("id", "quorum").str("type", "quorum").str("node", local)
	if quorate {
		q.str("status", "OK").int("quorate", 1)
	} else {
		q.str("status", fmt.Sprintf("No quorum on node '%s'!", local)).int("quorate", 0)
	}
	items := [][]byte{q.bytes()}
	if !ha.Configured {
		return envelope(array(items))
	}
	stamp := func(i int) int64 {
		if offline[i] {
			return now - 120 - int64(i)
		}
		return now - 1 - int64(i%5)
	}
	status := func(i int) string {
		switch d := now - stamp(i); {
		case d > 30:
			return "old timestamp - dead?"
		case d < -2:
			return "detected time drift!"
		}
		return "active"
	}
	mi := slices.IndexFunc(nodes, func(n Node) bool { return n.Name == ha.Master })
	ms := stamp(mi)
	items = append(items, newObj().str("id", "master").str("type", "master").str("node", ha.Master).
		str("status", fmt.Sprintf("%s (%s, %s)", ha.Master, status(mi), perlLocaltime(ms))).int("timestamp", ms).bytes())
	// node_status is walked with sort keys: Perl's string sort
	order := make([]int, len(ha.LRMs))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		if ha.LRMs[a].Node < ha.LRMs[b].Node {
			return -1
		}
		if ha.LRMs[a].Node > ha.LRMs[b].Node {
			return 1
		}
		return 0
	})
	for _, i := range order {
		l := &ha.LRMs[i]
		ts := stamp(i)
		st := status(i)
		if st == "active" {
			switch {
			case l.Mode != "active":
				st = l.Mode + " mode"
			case l.State == "wait_for_agent_lock" && haActiveServices(ha.Resources, l.Node) == 0:
				st = "idle"
			default:
				st = l.State
			}
		} else if l.Mode == "maintenance" {
			st = l.Mode + " mode"
		}
		items = append(items, newObj().str("id", "lrm:"+l.Node).str("type", "lrm").str("node", l.Node).
			str("status", fmt.Sprintf("%s (%s, %s)", l.Node, st, perlLocaltime(ts))).int("timestamp", ts).bytes())
	}
	for _, r := range ha.Resources {
		o := newObj().str("id", "service:"+r.SID).str("type", "service").str("sid", r.SID).str("node", r.Node).
			str("crm_state", r.CRMState).str("state", r.State).
			str("status", fmt.Sprintf("%s (%s, %s)", r.SID, r.Node, r.State)).str("request_state", r.RequestState).
			int("max_restart", int64(r.MaxRestart)).int("max_relocate", int64(r.MaxRelocate))
		if version == Version9 {
			// failback exists since pve-ha-manager 5.0.3 (PVE 9.0,
			// commit 5c528dd); read_and_check_resources_config defaults it
			// to 1, 7.4 and 8.x do not know it
			o.int("failback", 1)
		}
		items = append(items, o.bytes())
	}
	return envelope(array(items))
}
