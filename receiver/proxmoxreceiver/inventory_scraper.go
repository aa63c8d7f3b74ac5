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
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/scraper/scrapererror"

	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/guestnet"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/metadata"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/pveapi"
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
	gate   errorGate
	lb     *metadata.LogsBuilder
	agents *agentBackoff
	now    func() time.Time
}

func newInventoryScraper(cfg *Config, set receiver.Settings, lease *clientLease) *inventoryScraper {
	return &inventoryScraper{
		cfg:    cfg,
		lease:  lease,
		shared: lease.shared,
		lb:     metadata.NewLogsBuilder(cfg.LogsBuilderConfig, set),
		agents: newAgentBackoff(cfg.Inventory.AgentBackoffCycles),
		now:    time.Now,
	}
}

func (s *inventoryScraper) start(ctx context.Context, host component.Host) error {
	return s.lease.start(ctx, host)
}

func (s *inventoryScraper) shutdown(ctx context.Context) error {
	return s.lease.shutdown(ctx)
}

// scrapeForController is scrape as scraperhelper sees it (see errorGate).
func (s *inventoryScraper) scrapeForController(ctx context.Context) (plog.Logs, error) {
	ld, err := s.scrape(ctx)
	return ld, s.gate.pass(err)
}

// guestInventory is what one guest contributes to a cycle.
type guestInventory struct {
	guest *pveapi.ClusterResource
	name  string // from the config: /cluster/resources lacks it for guests without RRD data
	nics  []guestnet.NIC
	addrs map[string][]netip.Addr // MAC → addresses reported by the guest
}

func (s *inventoryScraper) scrape(ctx context.Context) (plog.Logs, error) {
	client := s.shared.get()
	if client == nil {
		return plog.NewLogs(), errors.New("proxmox receiver is not started")
	}
	now := pcommon.NewTimestampFromTime(s.now())
	errs := &scrapererror.ScrapeErrors{}
	found := problems{}
	defer func() { s.shared.problems.update("inventory", found) }()

	resources, err := client.ClusterResources(ctx)
	if err != nil {
		found.add(problemKey(pveapi.PathClusterResources, "", err), err)
		if len(resources) == 0 {
			return plog.NewLogs(), err
		}
		errs.AddPartial(1, err)
	}
	guests := s.selectGuests(resources)
	if len(guests) == 0 && !hasNodes(resources) {
		err := diagnoseEmptyCluster(ctx, client, s.cfg.TokenID)
		found.add("no-nodes", err)
		return plog.NewLogs(), err
	}

	s.agents.startCycle()
	results := make([]*guestInventory, len(guests))
	failedGuests := map[string]int{} // problem key → guests it cost data
	var mu sync.Mutex                // guards found and failedGuests
	var wg sync.WaitGroup
	for i, g := range guests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			inv, failures := s.collectGuest(ctx, client, g)
			results[i] = inv
			mu.Lock()
			defer mu.Unlock()
			for key, err := range failures {
				found.add(key, err)
				failedGuests[key]++
			}
		}()
	}
	wg.Wait()
	// One partial error per distinct problem, not one per guest.
	for key, n := range failedGuests {
		errs.AddPartial(n, found[key])
	}
	// A privilege problem stays a problem while address requests pause for it.
	for key, err := range s.agents.pausedProblems() {
		found.add(key, err)
	}

	for _, inv := range results {
		if inv != nil {
			s.recordNICs(ctx, now, inv)
		}
	}
	return s.lb.Emit(), errs.Combine()
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

// collectGuest reads one guest's config and, when it runs, its addresses.
// It returns the problems it met, keyed for the problem log.
func (s *inventoryScraper) collectGuest(ctx context.Context, client pveapi.Client, g *pveapi.ClusterResource) (*guestInventory, problems) {
	failures := problems{}
	config, err := client.GuestConfig(ctx, g.Node, g.Type, g.VMID.Value)
	if err != nil {
		failures.add(problemKey(pveapi.PathGuestConfig, g.Node, err), err)
		return nil, failures
	}
	for _, e := range config.NICErrors {
		err := fmt.Errorf("%s/%d config: %w", g.Type, g.VMID.Value, e)
		failures.add(fmt.Sprintf("%s/%d netN", g.Type, g.VMID.Value), err)
	}
	inv := &guestInventory{guest: g, nics: config.NICs, name: guestName(g, config)}
	if g.Status != "running" || !hasMAC(config.NICs) {
		return inv, failures
	}

	var ifaces []guestnet.InterfaceAddrs
	switch g.Type {
	case "qemu":
		if !config.AgentEnabled || !s.agents.shouldAsk(g) {
			return inv, failures
		}
		ifaces, err = client.AgentInterfaces(ctx, g.Node, g.VMID.Value)
	case "lxc":
		if !s.agents.shouldAsk(g) {
			return inv, failures
		}
		ifaces, err = client.LXCInterfaces(ctx, g.Node, g.VMID.Value)
	default:
		return inv, failures
	}
	if s.noteAnswer(g, err, failures) {
		inv.addrs = guestnet.MatchByMAC(config.NICs, ifaces)
	}
	return inv, failures
}

// noteAnswer classifies an address request and reports whether its answer
// can be used. A guest agent that is not running (or not installed, or too
// old) is normal and silent, and the guest is left alone for a few cycles: a
// silent agent costs Proxmox about 3 s per call. A 403 means the token lacks
// the agent privilege; that is said once, with the fix.
func (s *inventoryScraper) noteAnswer(g *pveapi.ClusterResource, err error, failures problems) bool {
	var ae *pveapi.APIError
	switch {
	case err == nil:
		s.agents.answered(g)
		return true
	case errors.As(err, &ae) && ae.Status == http.StatusForbidden:
		fix := fmt.Sprintf("on Proxmox VE 9 grant VM.GuestAgent.Audit (part of PVEAuditor): pveum acl modify /vms --tokens '%[1]s' --roles PVEAuditor; on Proxmox VE 8 grant VM.Monitor: pveum role add MNMGuestAgent --privs VM.Monitor && pveum acl modify /vms --tokens '%[1]s' --roles MNMGuestAgent", s.cfg.TokenID)
		if g.Type == "lxc" {
			fix = fmt.Sprintf("grant VM.Audit: pveum acl modify /vms --tokens '%s' --roles PVEAuditor", s.cfg.TokenID)
		}
		key := "address-forbidden " + g.Type
		err := fmt.Errorf("GET %s: 403 %s: guest IPs are left out until the token may read them; %s", ae.Path, ae.Message, fix)
		s.agents.forbidden(g.Type, key, err)
		failures.add(key, err)
		return false
	case errors.Is(err, pveapi.ErrNodeUnreachable):
		failures.add(problemKey(pveapi.PathAgentInterfaces, g.Node, err), err)
		return false
	default:
		// Agent not running, not configured, timed out, unsupported, or an
		// endpoint this Proxmox version lacks (501): back off quietly.
		s.agents.silent(g)
		return false
	}
}
