// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package proxmoxreceiver // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver"

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
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
		s.known.Prune(resources)
	}

	view := s.readSDN(ctx, client, now, found, errs)

	s.known.StartCycle()
	nodes := recheck.NewNodeBreaker(ctx)
	defer nodes.Close()
	reader := guestReader{client: nodes.Guard(client), known: s.known, lxcInterfaces: s.lxcInterfaces,
		version: s.shared.version, tokenID: s.cfg.TokenID, now: now}
	// One worker more than the node's request slots keeps them busy while a
	// worker reads an answer.
	results, failedGuests := reader.readAll(ctx, guests, s.cfg.MaxConcurrentRequestsPerNode+1, found)
	// What the cycle's VMs said, for the metrics collection and the records.
	vms := vmDetailsOf(results, readBalloons(ctx, reader.client, guests, now, found), s.known)
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
