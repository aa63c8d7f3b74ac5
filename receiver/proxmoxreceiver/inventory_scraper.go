// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package proxmoxreceiver // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver"

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/scraper/scrapererror"

	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/guestnet"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/known"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/metadata"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/problems"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/pveapi"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/recheck"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/sdn"
)

const endpointSource = "proxmox"

// inventoryScraper emits one log record per guest NIC that has a MAC: the
// config of every guest, plus its IPs from the QEMU guest agent or the
// container's namespace. It runs on its own cadence so that the metrics path
// never makes per-guest requests. One cycle of M guests makes at most
// 1 + M config requests plus one IP request per running guest that can answer.
type inventoryScraper struct {
	scraperBase
	records inventoryRecorder
	// known is what the cycles learnt of each guest: its last confirmed
	// state, its agent's back-off and what its agent said.
	known *known.Guests
	// lxcInterfaces: nodes whose Proxmox version lacks /lxc/{vmid}/interfaces.
	lxcInterfaces *recheck.Absences
	sdn           sdn.Access
	now           func() time.Time
}

func newInventoryScraper(cfg *Config, set receiver.Settings, handle *clientHandle) *inventoryScraper {
	return &inventoryScraper{
		scraperBase: newScraperBase(cfg, handle),
		records:     inventoryRecorder{lb: metadata.NewLogsBuilder(cfg.LogsBuilderConfig, set), cfg: &cfg.Inventory},
		known:       known.NewGuests(cfg.Inventory.KeepLastKnown, cfg.Inventory.AgentBackoffCycles),
		// Without a version to watch (no metrics pipeline), ask again now and then.
		lxcInterfaces: recheck.NewAbsences(6 * time.Hour),
		now:           time.Now,
	}
}

func (s *inventoryScraper) scrape(ctx context.Context) (plog.Logs, error) {
	client := s.shared.get()
	if client == nil {
		return plog.NewLogs(), errors.New("proxmox receiver is not started")
	}
	// The dashboards' metrics collection goes first at every node.
	ctx = pveapi.WithPriority(ctx, pveapi.Background)
	now := s.now()
	errs := &scrapererror.ScrapeErrors{}
	found := problems.Set{}
	defer func() { s.shared.problems.Update("inventory", found, now) }()

	resources, err := client.ClusterResources(ctx)
	if err != nil {
		found.Add(problems.FromAPI(pveapi.PathClusterResources, "", err))
		if len(resources) == 0 {
			return plog.NewLogs(), err
		}
		errs.AddPartial(1, err)
	}
	guests := s.selectGuests(resources)
	if len(guests) == 0 && !problems.HasNodes(resources) {
		pr := problems.DiagnoseEmptyCluster(ctx, client, s.cfg.TokenID)
		found.Add("no-nodes", pr)
		return plog.NewLogs(), pr.Err
	}
	if err == nil {
		// Only a complete list says which guests are gone.
		s.known.Prune(existingGuests(resources))
	}

	view := s.readSDN(ctx, client, now, found, errs)

	s.known.StartCycle()
	nodes := recheck.NewNodeBreaker(ctx)
	defer nodes.Close()
	results := make([]*guestInventory, len(guests))
	failedGuests := map[string]int{} // problem key → guests it cost data
	var mu sync.Mutex                // guards found and failedGuests
	// One worker more than the node's request slots keeps them busy while a
	// worker reads an answer.
	forEachGuestByNode(guests, s.cfg.MaxConcurrentRequestsPerNode+1, func(i int) {
		inv, failures := s.collectGuest(client, nodes, guests[i], now)
		results[i] = inv
		mu.Lock()
		defer mu.Unlock()
		for key, pr := range failures {
			found.Add(key, pr)
			failedGuests[key]++
		}
	})
	memory := readBalloons(client, nodes, guests, now, found, &mu)
	// One partial error per distinct problem, not one per guest.
	for key, n := range failedGuests {
		errs.AddPartial(n, found[key].Err)
	}
	// One per node that failed: the rest of its guests were not asked.
	for node, err := range nodes.Opened() {
		err = fmt.Errorf("node %s: %w; no further requests to it in this inventory cycle, its guests keep their last known records", node, err)
		kind, _ := problems.Classify(err)
		if kind == problems.KindUnreachable || kind == problems.KindTimeout {
			kind = problems.KindNodeUnreachable // the endpoint answers for the cluster: it is this node that does not
		}
		found.Add(problems.Key("inventory", node, err), problems.Problem{Kind: kind, Node: node, Err: err})
		errs.AddPartial(guestsOn(guests, node), err)
	}
	if ctx.Err() != nil {
		err := fmt.Errorf("inventory cycle stopped before every guest was read (%w): the others keep their last known records; raise inventory::timeout if this repeats", context.Cause(ctx))
		found.Add("inventory deadline", problems.Problem{Kind: problems.KindInventoryDeadline, Err: err})
		errs.AddPartial(1, err)
	}
	// A privilege problem stays a problem while address requests pause for it.
	for key, pr := range s.known.PausedProblems() {
		found.Add(key, pr)
	}
	// Without the SDN package, bridges not named vmbrN are plain Linux bridges.
	if s.shared.featureDue(featureSDN, now) {
		if err := s.sdn.Check(ctx, client, view, anyNIC(results)); err != nil {
			_, pr := problems.FromAPI(pveapi.PathSDN, "", err)
			pr.Err = fmt.Errorf("guest NICs sit on bridges that look like SDN VNets, but the token may not read SDN (%w): their VLAN is sent as the bridge's; grant SDN.Audit: pveum acl modify /sdn --tokens '%s' --roles PVEAuditor", err, s.cfg.TokenID)
			found.Add("sdn-forbidden", pr)
		}
	}

	skip, duplicates := claimMACs(results)
	for key, pr := range duplicates {
		found.Add(key, pr)
	}
	vms := vmDetailsOf(results, memory, s.known)
	var nics []nicInfo
	for _, inv := range results {
		if inv != nil {
			nics = append(nics, s.records.recordNICs(ctx, inv, view, skip[inv], vms[inv.guest.ID])...)
		}
	}
	s.shared.publishNICs(nics)
	s.shared.publishVMDetails(vms)
	return s.records.lb.Emit(), errs.Combine()
}

// readSDN reads the cluster's VNets and zones (two requests per cycle). A
// cluster without the SDN package (Proxmox VE 7.4 and 8.0 install it only on
// request) answers 501: SDN is absent, no problem, asked again hourly.
func (s *inventoryScraper) readSDN(ctx context.Context, client pveapi.Client, now time.Time, found problems.Set, errs *scrapererror.ScrapeErrors) sdn.View {
	if !s.shared.featureDue(featureSDN, now) {
		return nil
	}
	vnets, err := client.SDNVNets(ctx)
	if s.shared.featureAbsent(featureSDN, err, now) {
		return nil
	}
	if err != nil {
		found.Add(problems.FromAPI(pveapi.PathSDNVNets, "", err))
		errs.AddPartial(0, err)
		return nil
	}
	if len(vnets) == 0 {
		return nil
	}
	zones, err := client.SDNZones(ctx)
	if err != nil {
		found.Add(problems.FromAPI(pveapi.PathSDNZones, "", err))
		errs.AddPartial(0, err)
	}
	return sdn.NewView(vnets, zones)
}

// anyNIC reports whether a NIC of the cycle's guests matches.
func anyNIC(results []*guestInventory) func(func(guestnet.NIC) bool) bool {
	return func(match func(guestnet.NIC) bool) bool {
		for _, inv := range results {
			if inv != nil && slices.ContainsFunc(inv.nics, match) {
				return true
			}
		}
		return false
	}
}

func existingGuests(resources []pveapi.ClusterResource) map[string]bool {
	exists := map[string]bool{}
	for i := range resources {
		if r := &resources[i]; r.Type == "qemu" || r.Type == "lxc" {
			exists[r.ID] = true
		}
	}
	return exists
}

func guestsOn(guests []*pveapi.ClusterResource, node string) int {
	n := 0
	for _, g := range guests {
		if g.Node == node {
			n++
		}
	}
	return n
}

// selectGuests keeps the guests the inventory covers, on online nodes only
// (an offline node cannot answer for its guests), in vmid order.
func (s *inventoryScraper) selectGuests(resources []pveapi.ClusterResource) []*pveapi.ClusterResource {
	offline := map[string]bool{}
	for i := range resources {
		if r := &resources[i]; r.Type == "node" && r.Status != "online" {
			offline[r.Node] = true
		}
	}
	var guests []*pveapi.ClusterResource
	for i := range resources {
		r := &resources[i]
		if r.Type != "qemu" && r.Type != "lxc" || offline[r.Node] || !r.VMID.Valid {
			continue
		}
		if r.Template.Value && !s.cfg.Inventory.IncludeTemplates {
			continue
		}
		if r.Status != "running" && !s.cfg.Inventory.IncludeStopped {
			continue
		}
		guests = append(guests, r)
	}
	slices.SortFunc(guests, func(a, b *pveapi.ClusterResource) int { return cmp.Compare(a.VMID.Value, b.VMID.Value) })
	return guests
}

// collectGuest reads one guest's config and, when it runs, its addresses,
// and falls back on what was last confirmed where an answer fails
// transiently. It returns the problems it met, keyed for the problem log.
func (s *inventoryScraper) collectGuest(client pveapi.Client, nodes *recheck.NodeBreaker, g *pveapi.ClusterResource, now time.Time) (*guestInventory, problems.Set) {
	failures := problems.Set{}
	last := s.known.Last(g.ID)
	if nodes.Open(g.Node) != nil {
		return s.lastKnownInventory(g, last, now), failures
	}
	ctx := nodes.Ctx(g.Node)
	config, err := client.GuestConfig(ctx, g.Node, g.Type, g.VMID.Value)
	if err != nil {
		if !nodes.Observe(g.Node, err) && nodes.Open(g.Node) == nil && ctx.Err() == nil {
			failures.Add(problems.FromAPI(pveapi.PathGuestConfig, g.Node, err))
		}
		if transient(err) {
			return s.lastKnownInventory(g, last, now), failures
		}
		return nil, failures
	}
	for _, e := range config.NICErrors {
		err := fmt.Errorf("%s/%d config: %w", g.Type, g.VMID.Value, e)
		failures.Add(fmt.Sprintf("%s/%d netN", g.Type, g.VMID.Value), problems.Problem{Kind: problems.KindUnparsableConfig, Node: g.Node, Path: pveapi.PathGuestConfig, Err: err})
	}
	inv := &guestInventory{guest: g, nics: config.NICs, name: guestName(g, config), confirmed: now}
	s.known.ConfirmConfig(g.ID, inv.name, inv.nics, now)

	if g.Status != "running" || !hasMAC(config.NICs) || (g.Type == "qemu" && !config.AgentEnabled) {
		// Definitely nothing to ask: a stopped guest or one without an agent.
		s.known.ConfirmAddrs(g.ID, nil, now)
		return inv, failures
	}
	haveFresh := s.known.Fresh(last.AddrsAt, now)
	// A guest whose agent answered recently is asked again at once after a
	// miss; back-off is for agents that stay silent.
	if nodes.Open(g.Node) != nil || (!haveFresh && !s.known.ShouldAsk(g)) {
		s.keepLastAddrs(inv, last, now)
		return inv, failures
	}
	version := s.shared.version(g.Node)
	if g.Type == "lxc" && !s.lxcInterfaces.Due(g.Node, now, s.shared.version) {
		// This Proxmox version has no interfaces path: static ip= only.
		s.known.ConfirmAddrs(g.ID, nil, now)
		return inv, failures
	}
	var ifaces []guestnet.InterfaceAddrs
	if g.Type == "qemu" {
		ifaces, err = client.AgentInterfaces(ctx, g.Node, g.VMID.Value)
	} else {
		ifaces, err = client.LXCInterfaces(ctx, g.Node, g.VMID.Value)
	}
	switch {
	case g.Type == "lxc" && pveapi.IsAbsent(err):
		// Proxmox VE 7 answers 501 for /lxc/{vmid}/interfaces: learnt once
		// per node, asked again when its version changes.
		s.lxcInterfaces.Absent(g.Node, now, map[string]string{g.Node: version})
		s.known.ConfirmAddrs(g.ID, nil, now)
	case err == nil:
		s.known.Answered(g)
		inv.addrs = guestnet.MatchByMAC(config.NICs, ifaces)
		s.known.ConfirmAddrs(g.ID, inv.addrs, now)
		if g.Type == "qemu" {
			readAgentDetails(client, nodes, s.known, g, inv.name, failures, now)
		}
	case errors.Is(err, guestnet.ErrAgentCommandDisabled):
		// The agent runs but its configuration refuses the command: a
		// problem with its fix, asked again each cycle (it answers at once).
		s.known.Answered(g)
		s.known.ConfirmAddrs(g.ID, nil, now)
		failures.Add(fmt.Sprintf("agent-disabled %s %s", g.ID, "network-get-interfaces"),
			disabledCommand(g, inv.name, "network-get-interfaces", pveapi.PathAgentInterfaces, err))
		readAgentDetails(client, nodes, s.known, g, inv.name, failures, now)
	case errors.Is(err, guestnet.ErrAgentUnsupported):
		// The agent answered that it cannot list interfaces: a definite none.
		s.known.Silent(g)
		s.known.ConfirmAddrs(g.ID, nil, now)
	default:
		if !nodes.Observe(g.Node, err) && nodes.Open(g.Node) == nil && ctx.Err() == nil {
			s.noteAddressFailure(g, err, haveFresh, failures)
		}
		s.keepLastAddrs(inv, last, now)
	}
	return inv, failures
}

// transient reports whether a failed answer says nothing about the guest: no
// answer at all, a server error, or Proxmox unable to reach the node. A 4xx
// (gone, forbidden) is an answer.
func transient(err error) bool {
	var ae *pveapi.APIError
	if errors.As(err, &ae) {
		return ae.Status >= 500
	}
	return !errors.Is(err, pveapi.ErrDecode) && !errors.Is(err, pveapi.ErrTooLarge)
}

// lastKnownInventory is the guest as last confirmed, while that is recent
// enough; nil otherwise (the guest is then left out of this cycle, as it
// would be without any knowledge).
func (s *inventoryScraper) lastKnownInventory(g *pveapi.ClusterResource, last known.Last, now time.Time) *guestInventory {
	if !s.known.Fresh(last.NICsAt, now) {
		return nil
	}
	inv := &guestInventory{guest: g, name: last.Name, nics: last.NICs, confirmed: last.NICsAt}
	s.keepLastAddrs(inv, last, now)
	return inv
}

// keepLastAddrs gives inv the guest's last reported addresses while they
// are recent enough, and dates the record by when they were confirmed.
func (s *inventoryScraper) keepLastAddrs(inv *guestInventory, last known.Last, now time.Time) {
	if last.Addrs == nil || !s.known.Fresh(last.AddrsAt, now) {
		return
	}
	inv.addrs = last.Addrs
	if last.AddrsAt.Before(inv.confirmed) {
		inv.confirmed = last.AddrsAt
	}
}

// noteAddressFailure classifies a failed address request. A guest agent
// that is not running (or not installed, or too old) is normal and silent,
// and a guest without recent addresses is then left alone for a few cycles:
// a silent agent costs Proxmox about 3 s per call. A 403 means the token
// lacks the agent privilege; that is said once, with the fix.
func (s *inventoryScraper) noteAddressFailure(g *pveapi.ClusterResource, err error, haveFresh bool, failures problems.Set) {
	var ae *pveapi.APIError
	switch {
	case errors.As(err, &ae) && ae.Status == http.StatusForbidden:
		fix := fmt.Sprintf("on Proxmox VE 9 grant VM.GuestAgent.Audit (part of PVEAuditor): pveum acl modify /vms --tokens '%[1]s' --roles PVEAuditor; on Proxmox VE 8 grant VM.Monitor: pveum role add MNMGuestAgent --privs VM.Monitor && pveum acl modify /vms --tokens '%[1]s' --roles MNMGuestAgent", s.cfg.TokenID)
		if g.Type == "lxc" {
			fix = fmt.Sprintf("grant VM.Audit: pveum acl modify /vms --tokens '%s' --roles PVEAuditor", s.cfg.TokenID)
		}
		key := "address-forbidden " + g.Type
		err := fmt.Errorf("GET %s: 403 %s: guest IPs are left out until the token may read them; %s", ae.Path, ae.Message, fix)
		pr := problems.Problem{Kind: problems.KindAgentPrivilege, Path: ae.Path, Err: err}
		if g.Type == "qemu" {
			pr.Path, pr.Privilege = pveapi.PathAgentInterfaces, "VM.GuestAgent.Audit"
		} else {
			pr.Path, pr.Privilege = pveapi.PathLXCInterfaces, "VM.Audit"
		}
		if _, priv := ae.Permission(); priv != "" {
			pr.Privilege = priv
		}
		s.known.Forbidden(g.Type, key, pr)
		failures.Add(key, pr)
	case !haveFresh:
		// Agent not running, not configured, timed out, or an endpoint this
		// Proxmox version lacks (501): back off quietly.
		s.known.Silent(g)
	}
}

// forEachGuestByNode calls collect with the index of every guest, from
// `workers` goroutines per node that take that node's guests in order. A
// goroutine per guest held one stack per guest while they queued for their
// node's few request slots (26 MB of stacks at 10,000 guests); a node that
// hangs holds only its own workers, never another node's guests.
func forEachGuestByNode(guests []*pveapi.ClusterResource, workers int, collect func(i int)) {
	byNode := map[string][]int{}
	for i, g := range guests {
		byNode[g.Node] = append(byNode[g.Node], i)
	}
	var wg sync.WaitGroup
	for _, queue := range byNode {
		var next atomic.Int64
		for range min(workers, len(queue)) {
			wg.Go(func() {
				for k := next.Add(1) - 1; k < int64(len(queue)); k = next.Add(1) - 1 {
					collect(queue[k])
				}
			})
		}
	}
	wg.Wait()
}
