// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package proxmoxreceiver // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver"

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/scraper/scrapererror"

	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/guestnet"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/metadata"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/problems"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/pveapi"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/recheck"
)

const endpointSource = "proxmox"

// inventoryScraper emits one log record per guest NIC that has a MAC: the
// config of every guest, plus its IPs from the QEMU guest agent or the
// container's namespace. It runs on its own cadence so that the metrics path
// never makes per-guest requests. One cycle of M guests makes at most
// 1 + M config requests plus one IP request per running guest that can answer.
type inventoryScraper struct {
	cfg    *Config
	lease  *clientLease
	shared *sharedClient
	gate   problems.ErrorGate
	lb     *metadata.LogsBuilder
	agents *agentBackoff
	known  *lastKnown
	// details: what each VM's agent said of its filesystems, OS and name.
	details *agentDetails
	// lxcInterfaces: nodes whose Proxmox version lacks /lxc/{vmid}/interfaces.
	lxcInterfaces *recheck.Absences
	sdn           sdnAccess
	now           func() time.Time
}

func newInventoryScraper(cfg *Config, set receiver.Settings, lease *clientLease) *inventoryScraper {
	return &inventoryScraper{
		cfg:     cfg,
		lease:   lease,
		shared:  lease.shared,
		lb:      metadata.NewLogsBuilder(cfg.LogsBuilderConfig, set),
		agents:  newAgentBackoff(cfg.Inventory.AgentBackoffCycles),
		known:   newLastKnown(cfg.Inventory.KeepLastKnown),
		details: newAgentDetails(),
		// Without a version to watch (no metrics pipeline), ask again now and then.
		lxcInterfaces: recheck.NewAbsences(6 * time.Hour),
		now:           time.Now,
	}
}

func (s *inventoryScraper) start(ctx context.Context, host component.Host) error {
	return s.lease.start(ctx, host)
}

func (s *inventoryScraper) shutdown(ctx context.Context) error {
	return s.lease.shutdown(ctx)
}

// scrapeForController is scrape as scraperhelper sees it (see problems.ErrorGate).
func (s *inventoryScraper) scrapeForController(ctx context.Context) (plog.Logs, error) {
	ld, err := s.scrape(ctx)
	return ld, s.gate.Pass(err, ld.LogRecordCount())
}

// guestInventory is what one guest contributes to a cycle.
type guestInventory struct {
	guest *pveapi.ClusterResource
	name  string // from the config: /cluster/resources lacks it for guests without RRD data
	nics  []guestnet.NIC
	addrs map[guestnet.AddrKey][]netip.Addr // by NIC MAC and in-guest VLAN
	// confirmed is when what is recorded was last confirmed by Proxmox: now,
	// or earlier for a guest kept from its last known state. It becomes the
	// records' timestamp, and so the controller's last_seen.
	confirmed time.Time
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
	if len(guests) == 0 && !hasNodes(resources) {
		pr := diagnoseEmptyCluster(ctx, client, s.cfg.TokenID)
		found.Add("no-nodes", pr)
		return plog.NewLogs(), pr.Err
	}
	if err == nil {
		// Only a complete list says which guests are gone.
		exists := existingGuests(resources)
		s.known.prune(exists)
		s.agents.prune(exists)
		s.details.prune(exists)
	}

	view := s.readSDN(ctx, client, now, found, errs)

	s.agents.startCycle()
	nodes := newNodeBreaker(ctx)
	defer nodes.close()
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
	memory := s.readBalloons(client, nodes, guests, now, found, &mu)
	// One partial error per distinct problem, not one per guest.
	for key, n := range failedGuests {
		errs.AddPartial(n, found[key].Err)
	}
	// One per node that failed: the rest of its guests were not asked.
	for node, err := range nodes.opened() {
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
	for key, pr := range s.agents.pausedProblems() {
		found.Add(key, pr)
	}
	// Without the SDN package, bridges not named vmbrN are plain Linux bridges.
	if s.shared.featureDue(featureSDN, now) {
		if err := s.sdn.check(ctx, client, view, anyNIC(results)); err != nil {
			_, pr := problems.FromAPI(pveapi.PathSDN, "", err)
			pr.Err = fmt.Errorf("guest NICs sit on bridges that look like SDN VNets, but the token may not read SDN (%w): their VLAN is sent as the bridge's; grant SDN.Audit: pveum acl modify /sdn --tokens '%s' --roles PVEAuditor", err, s.cfg.TokenID)
			found.Add("sdn-forbidden", pr)
		}
	}

	skip, duplicates := claimMACs(results)
	for key, pr := range duplicates {
		found.Add(key, pr)
	}
	vms := s.vmDetails(results, memory)
	var nics []nicInfo
	for _, inv := range results {
		if inv != nil {
			nics = append(nics, s.recordNICs(ctx, inv, view, skip[inv], vms[inv.guest.ID])...)
		}
	}
	s.shared.publishNICs(nics)
	s.shared.publishVMDetails(vms)
	return s.lb.Emit(), errs.Combine()
}

// readSDN reads the cluster's VNets and zones (two requests per cycle). A
// cluster without the SDN package (Proxmox VE 7.4 and 8.0 install it only on
// request) answers 501: SDN is absent, no problem, asked again hourly.
func (s *inventoryScraper) readSDN(ctx context.Context, client pveapi.Client, now time.Time, found problems.Set, errs *scrapererror.ScrapeErrors) sdnView {
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
	return newSDNView(vnets, zones)
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
func (s *inventoryScraper) collectGuest(client pveapi.Client, nodes *nodeBreaker, g *pveapi.ClusterResource, now time.Time) (*guestInventory, problems.Set) {
	failures := problems.Set{}
	known, _ := s.known.get(g.ID)
	if nodes.open(g.Node) != nil {
		return s.lastKnownInventory(g, known, now), failures
	}
	ctx := nodes.ctx(g.Node)
	config, err := client.GuestConfig(ctx, g.Node, g.Type, g.VMID.Value)
	if err != nil {
		if !nodes.observe(g.Node, err) && nodes.open(g.Node) == nil && ctx.Err() == nil {
			failures.Add(problems.FromAPI(pveapi.PathGuestConfig, g.Node, err))
		}
		if transient(err) {
			return s.lastKnownInventory(g, known, now), failures
		}
		return nil, failures
	}
	for _, e := range config.NICErrors {
		err := fmt.Errorf("%s/%d config: %w", g.Type, g.VMID.Value, e)
		failures.Add(fmt.Sprintf("%s/%d netN", g.Type, g.VMID.Value), problems.Problem{Kind: problems.KindUnparsableConfig, Node: g.Node, Path: pveapi.PathGuestConfig, Err: err})
	}
	inv := &guestInventory{guest: g, nics: config.NICs, name: guestName(g, config), confirmed: now}
	s.known.confirmConfig(g.ID, inv.name, inv.nics, now)

	if g.Status != "running" || !hasMAC(config.NICs) || (g.Type == "qemu" && !config.AgentEnabled) {
		// Definitely nothing to ask: a stopped guest or one without an agent.
		s.known.confirmAddrs(g.ID, nil, now)
		return inv, failures
	}
	haveFresh := s.known.fresh(known.addrsAt, now)
	// A guest whose agent answered recently is asked again at once after a
	// miss; back-off is for agents that stay silent.
	if nodes.open(g.Node) != nil || (!haveFresh && !s.agents.shouldAsk(g)) {
		s.keepLastAddrs(inv, known, now)
		return inv, failures
	}
	version := s.shared.version(g.Node)
	if g.Type == "lxc" && !s.lxcInterfaces.Due(g.Node, now, version) {
		// This Proxmox version has no interfaces path: static ip= only.
		s.known.confirmAddrs(g.ID, nil, now)
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
		s.lxcInterfaces.Absent(g.Node, now, version)
		s.known.confirmAddrs(g.ID, nil, now)
	case err == nil:
		s.agents.answered(g)
		inv.addrs = guestnet.MatchByMAC(config.NICs, ifaces)
		s.known.confirmAddrs(g.ID, inv.addrs, now)
		if g.Type == "qemu" {
			s.readAgentDetails(client, nodes, g, inv.name, failures, now)
		}
	case errors.Is(err, guestnet.ErrAgentCommandDisabled):
		// The agent runs but its configuration refuses the command: a
		// problem with its fix, asked again each cycle (it answers at once).
		s.agents.answered(g)
		s.known.confirmAddrs(g.ID, nil, now)
		failures.Add(fmt.Sprintf("agent-disabled %s %s", g.ID, "network-get-interfaces"),
			s.disabledCommand(g, inv.name, "network-get-interfaces", pveapi.PathAgentInterfaces, err))
		s.readAgentDetails(client, nodes, g, inv.name, failures, now)
	case errors.Is(err, guestnet.ErrAgentUnsupported):
		// The agent answered that it cannot list interfaces: a definite none.
		s.agents.silent(g)
		s.known.confirmAddrs(g.ID, nil, now)
	default:
		if !nodes.observe(g.Node, err) && nodes.open(g.Node) == nil && ctx.Err() == nil {
			s.noteAddressFailure(g, err, haveFresh, failures)
		}
		s.keepLastAddrs(inv, known, now)
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
func (s *inventoryScraper) lastKnownInventory(g *pveapi.ClusterResource, known knownGuest, now time.Time) *guestInventory {
	if !s.known.fresh(known.nicsAt, now) {
		return nil
	}
	inv := &guestInventory{guest: g, name: known.name, nics: known.nics, confirmed: known.nicsAt}
	s.keepLastAddrs(inv, known, now)
	return inv
}

// keepLastAddrs gives inv the guest's last reported addresses while they
// are recent enough, and dates the record by when they were confirmed.
func (s *inventoryScraper) keepLastAddrs(inv *guestInventory, known knownGuest, now time.Time) {
	if known.addrs == nil || !s.known.fresh(known.addrsAt, now) {
		return
	}
	inv.addrs = known.addrs
	if known.addrsAt.Before(inv.confirmed) {
		inv.confirmed = known.addrsAt
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
		s.agents.forbidden(g.Type, key, pr)
		failures.Add(key, pr)
	case !haveFresh:
		// Agent not running, not configured, timed out, or an endpoint this
		// Proxmox version lacks (501): back off quietly.
		s.agents.silent(g)
	}
}
