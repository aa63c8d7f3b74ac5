package proxmoxreceiver // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver"

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/scraper/scrapererror"

	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/guestnet"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/metadata"
)

const endpointSource = "proxmox"

// inventoryScraper emits one log record per guest NIC that has a MAC: the
// config of every guest, plus its IPs from the QEMU guest agent or the
// container's namespace. It runs on its own cadence so that the metrics path
// never makes per-guest requests. One cycle of M guests makes at most
// 1 + M config requests plus one IP request per running guest that can answer.
type inventoryScraper struct {
	cfg    *Config
	shared *sharedClient
	lb     *metadata.LogsBuilder
	agents *agentBackoff
	now    func() time.Time
}

func newInventoryScraper(cfg *Config, set receiver.Settings, shared *sharedClient) *inventoryScraper {
	return &inventoryScraper{
		cfg:    cfg,
		shared: shared,
		lb:     metadata.NewLogsBuilder(cfg.LogsBuilderConfig, set),
		agents: newAgentBackoff(cfg.Inventory.AgentBackoffCycles),
		now:    time.Now,
	}
}

func (s *inventoryScraper) start(ctx context.Context, host component.Host) error {
	return s.shared.start(ctx, host)
}

func (s *inventoryScraper) shutdown(context.Context) error {
	s.shared.shutdown()
	return nil
}

// guestInventory is what one guest contributes to a cycle.
type guestInventory struct {
	guest *clusterResource
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

	resources, err := client.clusterResources(ctx)
	if err != nil {
		found.add(problemKey(pathClusterResources, "", err), err)
		if len(resources) == 0 {
			return plog.NewLogs(), err
		}
		errs.AddPartial(1, err)
	}
	guests := s.selectGuests(resources)
	if len(guests) == 0 && !hasNodes(resources) {
		err := diagnoseEmptyCluster(ctx, client)
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
			s.recordGuest(ctx, now, inv)
		}
	}
	return s.lb.Emit(), errs.Combine()
}

// selectGuests keeps the guests the inventory covers, on online nodes only
// (an offline node cannot answer for its guests), in vmid order.
func (s *inventoryScraper) selectGuests(resources []clusterResource) []*clusterResource {
	offline := map[string]bool{}
	for i := range resources {
		if r := &resources[i]; r.Type == "node" && r.Status != "online" {
			offline[r.Node] = true
		}
	}
	var guests []*clusterResource
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
	slices.SortFunc(guests, func(a, b *clusterResource) int { return cmp.Compare(a.VMID.Value, b.VMID.Value) })
	return guests
}

// collectGuest reads one guest's config and, when it runs, its addresses.
// It returns the problems it met, keyed for the problem log.
func (s *inventoryScraper) collectGuest(ctx context.Context, client *proxmoxClient, g *clusterResource) (*guestInventory, problems) {
	failures := problems{}
	config, err := client.guestConfig(ctx, g.Node, g.Type, g.VMID.Value)
	if err != nil {
		failures.add(problemKey(pathGuestConfig, g.Node, err), err)
		return nil, failures
	}
	nics, nicErrs := guestnet.NICsFromConfig(g.Type, config)
	for _, e := range nicErrs {
		err := fmt.Errorf("%s/%d config: %w", g.Type, g.VMID.Value, e)
		failures.add(fmt.Sprintf("%s/%d netN", g.Type, g.VMID.Value), err)
	}
	inv := &guestInventory{guest: g, nics: nics, name: guestName(g, config)}
	if g.Status != "running" || !hasMAC(nics) {
		return inv, failures
	}

	switch g.Type {
	case "qemu":
		if !guestnet.AgentEnabled(configString(config["agent"])) || !s.agents.shouldAsk(g) {
			return inv, failures
		}
		data, err := client.agentInterfaces(ctx, g.Node, g.VMID.Value)
		ifaces, parseErr := parseIfAnswered(data, err, guestnet.ParseAgentInterfaces)
		if s.noteAnswer(g, err, parseErr, failures) {
			inv.addrs = guestnet.MatchByMAC(nics, ifaces)
		}
	case "lxc":
		if !s.agents.shouldAsk(g) {
			return inv, failures
		}
		data, err := client.lxcInterfaces(ctx, g.Node, g.VMID.Value)
		ifaces, parseErr := parseIfAnswered(data, err, guestnet.ParseLXCInterfaces)
		if s.noteAnswer(g, err, parseErr, failures) {
			inv.addrs = guestnet.MatchByMAC(nics, ifaces)
		}
	}
	return inv, failures
}

func parseIfAnswered(data json.RawMessage, err error, parse func(json.RawMessage) ([]guestnet.InterfaceAddrs, error)) ([]guestnet.InterfaceAddrs, error) {
	if err != nil {
		return nil, nil
	}
	return parse(data)
}

// noteAnswer classifies an address request and reports whether its answer
// can be used. A guest agent that is not running (or not installed, or too
// old) is normal and silent, and the guest is left alone for a few cycles: a
// silent agent costs Proxmox about 3 s per call. A 403 means the token lacks
// the agent privilege; that is said once, with the fix.
func (s *inventoryScraper) noteAnswer(g *clusterResource, reqErr, parseErr error, failures problems) bool {
	var ae *apiError
	switch {
	case reqErr == nil && parseErr == nil:
		s.agents.answered(g)
		return true
	case errors.As(reqErr, &ae) && ae.Status == http.StatusForbidden:
		fix := fmt.Sprintf("on Proxmox VE 9 grant VM.GuestAgent.Audit (part of PVEAuditor): pveum acl modify /vms --tokens '%[1]s' --roles PVEAuditor; on Proxmox VE 8 grant VM.Monitor: pveum role add MNMGuestAgent --privs VM.Monitor && pveum acl modify /vms --tokens '%[1]s' --roles MNMGuestAgent", s.cfg.TokenID)
		if g.Type == "lxc" {
			fix = fmt.Sprintf("grant VM.Audit: pveum acl modify /vms --tokens '%s' --roles PVEAuditor", s.cfg.TokenID)
		}
		key := "address-forbidden " + g.Type
		err := fmt.Errorf("GET %s: 403 %s: guest IPs are left out until the token may read them; %s", ae.Path, ae.Message, fix)
		s.agents.forbidden(g.Type, key, err)
		failures.add(key, err)
		return false
	case errors.Is(reqErr, errNodeUnreachable):
		failures.add(problemKey(pathAgentInterfaces, g.Node, reqErr), reqErr)
		return false
	default:
		// Agent not running, not configured, timed out, unsupported, or an
		// endpoint this Proxmox version lacks (501): back off quietly.
		s.agents.silent(g)
		return false
	}
}

func (s *inventoryScraper) recordGuest(ctx context.Context, now pcommon.Timestamp, inv *guestInventory) {
	g := inv.guest
	classification := metadata.AttributeMnmEndpointClassificationVirtualMachine
	if g.Type == "lxc" {
		classification = metadata.AttributeMnmEndpointClassificationContainer
	}
	nics := slices.Clone(inv.nics)
	slices.SortStableFunc(nics, func(a, b guestnet.NIC) int { return cmp.Compare(deviceIndex(a.Device), deviceIndex(b.Device)) })
	for _, nic := range nics {
		if nic.MAC == "" {
			continue // qemu assigns it at start; nothing to key an endpoint on
		}
		addrs := slices.Clone(inv.addrs[nic.MAC])
		for _, p := range nic.StaticIPs {
			if !slices.Contains(addrs, p.Addr()) {
				addrs = append(addrs, p.Addr())
			}
		}
		primary, additional := guestnet.SelectIPs(addrs)
		extra := make([]any, len(additional))
		for i, a := range additional {
			extra[i] = a.String()
		}
		var opts []metadata.EventAttributeOption
		if primary.IsValid() {
			opts = append(opts, metadata.WithMnmEndpointIPEventAttribute(primary.String()))
		}
		if nic.Trunks != "" {
			opts = append(opts, metadata.WithProxmoxNicTrunksEventAttribute(nic.Trunks))
		}
		s.lb.RecordMnmEndpointEvent(ctx, now, nic.MAC, extra, inv.name, classification, g.Node, nic.Bridge,
			int64(nic.VLAN), endpointSource, g.VMID.Value, g.Type, g.Status, nic.Device, nic.Model, nic.Firewall, nic.LinkDown, opts...)
	}
}

// guestName is the config's name (qemu) or hostname (lxc), else the name
// /cluster/resources gave.
func guestName(g *clusterResource, config map[string]json.RawMessage) string {
	key := "name"
	if g.Type == "lxc" {
		key = "hostname"
	}
	if name := configString(config[key]); name != "" {
		return name
	}
	return string(g.Name)
}

func hasMAC(nics []guestnet.NIC) bool {
	return slices.ContainsFunc(nics, func(n guestnet.NIC) bool { return n.MAC != "" })
}

// deviceIndex orders net2 before net10.
func deviceIndex(device string) int {
	n := 0
	for _, c := range strings.TrimPrefix(device, "net") {
		if c < '0' || c > '9' {
			return 1 << 30
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// configString reads a config value that is normally a JSON string.
func configString(raw json.RawMessage) string {
	var s flexString
	_ = json.Unmarshal(raw, &s)
	return string(s)
}
