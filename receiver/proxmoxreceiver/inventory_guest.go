// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package proxmoxreceiver // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver"

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/guestnet"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/known"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/problems"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/pveapi"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/recheck"
)

// Agent commands, as qemu-server's agent API names them.
const (
	cmdFSInfo   = "get-fsinfo"
	cmdOSInfo   = "get-osinfo"
	cmdHostName = "get-host-name"
)

// guestReader reads the guests of one inventory cycle, one request at a time
// per guest (readAll gives each guest to one worker): its config
// and, when it runs, its addresses and what its agent knows. Where an answer
// fails transiently, the guest keeps what Proxmox last confirmed.
type guestReader struct {
	// client's per-node requests go through the cycle's node breaker
	// (recheck.NodeBreaker.Guard): a failure that stopped the node is
	// reported once for the node, never per guest.
	client pveapi.Client
	known  *known.Guests
	// lxcInterfaces: nodes whose Proxmox version lacks /lxc/{vmid}/interfaces.
	lxcInterfaces *recheck.Absences
	version       func(node string) string
	tokenID       string
	now           time.Time
}

// readAll reads every guest of the cycle, from `workers` goroutines per
// node that take that node's guests in order. A goroutine per guest held one
// stack per guest while they queued for their node's few request slots
// (26 MB of stacks at 10,000 guests); a node that hangs holds only its own
// workers, never another node's guests. It adds the problems met to found
// and returns the guests' inventories (nil where nothing may be recorded)
// and, by problem key, how many guests each problem cost data.
func (r guestReader) readAll(ctx context.Context, guests []*pveapi.ClusterResource, workers int, found problems.Set) ([]*guestInventory, map[string]int) {
	results := make([]*guestInventory, len(guests))
	failedGuests := map[string]int{}
	var mu sync.Mutex // guards found and failedGuests
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
					i := queue[k]
					inv, failures := r.read(ctx, guests[i])
					results[i] = inv
					mu.Lock()
					for key, pr := range failures {
						found.Add(key, pr)
						failedGuests[key]++
					}
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	return results, failedGuests
}

// read reads guest g. It returns the problems it met, keyed for the problem
// log, and nil when nothing may be recorded of g.
func (r guestReader) read(ctx context.Context, g *pveapi.ClusterResource) (*guestInventory, problems.Set) {
	failures := problems.Set{}
	last := r.known.Recall(g.ID, r.now)
	config, err := r.client.GuestConfig(ctx, g.Node, g.Type, g.VMID.Value)
	if err != nil {
		if !errors.Is(err, recheck.ErrNodeStopped) {
			failures.Add(problems.FromAPI(pveapi.PathGuestConfig, g.Node, err))
		}
		if transient(err) {
			return lastKnown(g, last), failures
		}
		return nil, failures
	}
	for _, e := range config.NICErrors {
		failures.Add(problems.UnparsableNIC(g, e))
	}
	inv := &guestInventory{guest: g, nics: config.NICs, name: guestName(g, config), confirmed: r.now}
	learnt := r.readAddrs(ctx, g, config, last, inv, failures)
	learnt.Name, learnt.NICs = inv.name, inv.nics
	r.known.Learn(g, learnt, r.now)
	return inv, failures
}

// readAddrs gives inv the addresses of guest g, whose config is read: what
// it reports now, or what it last reported while that is recent enough
// (last). It returns what the cycle learnt of them.
func (r guestReader) readAddrs(ctx context.Context, g *pveapi.ClusterResource, config pveapi.GuestConfig, last known.Last, inv *guestInventory, failures problems.Set) known.Learnt {
	none := known.Learnt{AddrsConfirmed: true}
	if g.Status != "running" || !hasMAC(config.NICs) || (g.Type == "qemu" && !config.AgentEnabled) {
		return none // definitely nothing to ask: a stopped guest or one without an agent
	}
	haveFresh := !last.AddrsAt.IsZero()
	// A guest whose agent answered recently is asked again at once after a
	// miss; back-off is for agents that stay silent.
	if !haveFresh && !r.known.ShouldAsk(g) {
		keepAddrs(inv, last)
		return known.Learnt{}
	}
	if g.Type == "lxc" && !r.lxcInterfaces.Due(g.Node, r.now, r.version) {
		return none // this Proxmox version has no interfaces path: static ip= only
	}
	var ifaces []guestnet.InterfaceAddrs
	var err error
	if g.Type == "qemu" {
		ifaces, err = r.client.AgentInterfaces(ctx, g.Node, g.VMID.Value)
	} else {
		ifaces, err = r.client.LXCInterfaces(ctx, g.Node, g.VMID.Value)
	}
	switch {
	case g.Type == "lxc" && pveapi.IsAbsent(err):
		// Proxmox VE 7 answers 501 for /lxc/{vmid}/interfaces: learnt once
		// per node, asked again when its version changes.
		r.lxcInterfaces.Absent(g.Node, r.now, map[string]string{g.Node: r.version(g.Node)})
		return none
	case err == nil:
		inv.addrs = guestnet.MatchByMAC(config.NICs, ifaces)
		if g.Type == "qemu" {
			r.readAgentDetails(ctx, g, inv.name, failures)
		}
		return known.Learnt{AddrsConfirmed: true, Addrs: inv.addrs, Agent: known.Answered}
	case errors.Is(err, guestnet.ErrAgentCommandDisabled):
		// The agent runs but its configuration refuses the command: a
		// problem with its fix, asked again each cycle (it answers at once).
		failures.Add(problems.AgentCommandDisabled(g, inv.name, "network-get-interfaces", pveapi.PathAgentInterfaces, err))
		r.readAgentDetails(ctx, g, inv.name, failures)
		return known.Learnt{AddrsConfirmed: true, Agent: known.Answered}
	case errors.Is(err, guestnet.ErrNoContainerProcess):
		// No answer about the container's addresses: its last ones stand.
		keepAddrs(inv, last)
		if r.known.Unanswered(g) {
			failures.Add(problems.UnproxiedContainerInterfaces(g))
		}
		return known.Learnt{}
	case errors.Is(err, guestnet.ErrAgentUnsupported):
		// The agent answered that it cannot list interfaces: a definite none.
		return known.Learnt{AddrsConfirmed: true, Agent: known.Silent}
	}
	keepAddrs(inv, last)
	if errors.Is(err, recheck.ErrNodeStopped) {
		return known.Learnt{} // the node's failure, reported once for it
	}
	return known.Learnt{Agent: r.noteAddressFailure(g, err, haveFresh, failures)}
}

// guestName is the config's name (qemu) or hostname (lxc), else the name
// /cluster/resources gave.
func guestName(g *pveapi.ClusterResource, config pveapi.GuestConfig) string {
	if config.Name != "" {
		return config.Name
	}
	return string(g.Name)
}

// hasMAC reports whether a NIC has a MAC: an endpoint to record, and to
// ask addresses for.
func hasMAC(nics []guestnet.NIC) bool {
	return slices.ContainsFunc(nics, func(n guestnet.NIC) bool { return n.MAC != "" })
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

// lastKnown is the guest as last confirmed (last holds only what is recent
// enough, see known.Guests.Recall); nil when nothing is (the guest is then
// left out of this cycle, as it would be without any knowledge).
func lastKnown(g *pveapi.ClusterResource, last known.Last) *guestInventory {
	if last.NICsAt.IsZero() {
		return nil
	}
	inv := &guestInventory{guest: g, name: last.Name, nics: last.NICs, confirmed: last.NICsAt}
	keepAddrs(inv, last)
	return inv
}

// keepAddrs gives inv the guest's last reported addresses, if recent enough,
// and dates the record by when they were confirmed.
func keepAddrs(inv *guestInventory, last known.Last) {
	if last.Addrs == nil {
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
func (r guestReader) noteAddressFailure(g *pveapi.ClusterResource, err error, haveFresh bool, failures problems.Set) known.AgentNews {
	var ae *pveapi.APIError
	switch {
	case errors.As(err, &ae) && ae.Status == http.StatusForbidden:
		key, pr := problems.AgentPrivilege(g.Type, ae, r.tokenID)
		r.known.Forbidden(g.Type, key, pr)
		failures.Add(key, pr)
	case !haveFresh:
		// Agent not running, not configured, timed out, or an endpoint this
		// Proxmox version lacks (501): back off quietly.
		return known.Silent
	}
	return known.NoNews
}

// readAgentDetails asks a running VM's agent, which answered this cycle,
// for what it knows beyond its addresses: its filesystems at every cycle,
// its OS and host name when the VM starts and hourly.
func (r guestReader) readAgentDetails(ctx context.Context, g *pveapi.ClusterResource, name string, failures problems.Set) {
	st := r.known.Agent(g.ID)
	uptime := g.Uptime.Value
	ask := func(cmd, tmpl string, call func() error) bool {
		if !st.Supports(cmd, uptime, r.now) {
			return false
		}
		err := call()
		switch {
		case err == nil:
			return true
		case errors.Is(err, guestnet.ErrAgentCommandDisabled):
			failures.Add(problems.AgentCommandDisabled(g, name, cmd, tmpl, err))
		case errors.Is(err, guestnet.ErrAgentUnsupported), pveapi.IsAbsent(err):
			st.Unsupported(cmd, r.now) // an agent (or a Proxmox) too old for it: quietly absent
		}
		// Otherwise the breaker saw it: a hung agent costs its node one
		// timeout per cycle.
		return false
	}
	var fs []guestnet.Filesystem
	if ask(cmdFSInfo, pveapi.PathAgentFSInfo, func() (err error) {
		fs, err = r.client.AgentFSInfo(ctx, g.Node, g.VMID.Value)
		return err
	}) {
		st.Filesystems, st.FSAt, st.HasFS = countedFilesystems(fs), r.now, true
	} else if !r.known.Fresh(st.FSAt, r.now) {
		st.Filesystems, st.HasFS = nil, false
	}
	// The OS and the host name are due together: at start, after a restart,
	// hourly. OSAt is set by whichever answered, so an agent without
	// get-osinfo is not asked for its host name at every cycle.
	if !st.OSDue(uptime, r.now) {
		return
	}
	var os guestnet.OSInfo
	if ask(cmdOSInfo, pveapi.PathAgentOSInfo, func() (err error) {
		os, err = r.client.AgentOSInfo(ctx, g.Node, g.VMID.Value)
		return err
	}) {
		st.OS, st.OSAt, st.OSUptime = &os, r.now, uptime
	}
	var host string
	if ask(cmdHostName, pveapi.PathAgentHostName, func() (err error) {
		host, err = r.client.AgentHostName(ctx, g.Node, g.VMID.Value)
		return err
	}) {
		st.HostName = host
		st.OSAt, st.OSUptime = r.now, uptime
	}
}

// skippedFSTypes are read-only images whose used space says nothing about
// a full disk: snap packages (squashfs), CD images.
var skippedFSTypes = map[string]bool{"squashfs": true, "iso9660": true, "udf": true, "CDFS": true, "UDF": true, "erofs": true}

// countedFilesystems keeps the filesystems whose fill level means something:
// with sizes (Windows volumes without a letter and agents before QEMU 3.0
// have none), not read-only images, and one mount per device (agents
// before QEMU 10.0 list every bind mount and btrfs subvolume of a device:
// the same name, used and total bytes; the first listed mountpoint, the
// shortest, stands for them).
func countedFilesystems(all []guestnet.Filesystem) []guestnet.Filesystem {
	type device struct {
		name        string
		used, total uint64
	}
	seen := map[device]int{}
	var out []guestnet.Filesystem
	for _, fs := range all {
		if !fs.HasSizes || fs.TotalBytes == 0 || skippedFSTypes[fs.Type] {
			continue
		}
		key := device{fs.Name, fs.UsedBytes, fs.TotalBytes}
		if i, dup := seen[key]; dup {
			if len(fs.Mountpoint) < len(out[i].Mountpoint) {
				out[i] = fs
			}
			continue
		}
		seen[key] = len(out)
		out = append(out, fs)
	}
	return out
}
