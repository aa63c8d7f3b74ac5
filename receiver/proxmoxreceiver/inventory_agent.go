// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package proxmoxreceiver // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver"

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/guestnet"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/known"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/problems"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/pveapi"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/recheck"
)

// What a VM's guest agent knows beyond its addresses: its filesystems at
// every inventory cycle, its OS and host name when it starts and hourly.
// They are asked only of an agent that answered this cycle, after its
// addresses, within the node's bound and its breaker.

// Agent commands, as qemu-server's agent API names them.
const (
	cmdFSInfo   = "get-fsinfo"
	cmdOSInfo   = "get-osinfo"
	cmdHostName = "get-host-name"
)

// readAgentDetails asks a running VM's agent, which answered this cycle,
// for its filesystems and, when due, its OS and host name. Only one
// goroutine works on a guest at a time (forEachGuestByNode).
func readAgentDetails(client pveapi.Client, nodes *recheck.NodeBreaker, guests *known.Guests, g *pveapi.ClusterResource, name string, failures problems.Set, now time.Time) {
	st := guests.Agent(g.ID)
	uptime := g.Uptime.Value
	ask := func(cmd, tmpl string, call func(ctx context.Context) error) bool {
		if nodes.Open(g.Node) != nil || !st.Supports(cmd, uptime, now) {
			return false
		}
		ctx := nodes.Ctx(g.Node)
		err := call(ctx)
		switch {
		case err == nil:
			return true
		case errors.Is(err, guestnet.ErrAgentCommandDisabled):
			failures.Add(fmt.Sprintf("agent-disabled %s %s", g.ID, cmd), disabledCommand(g, name, cmd, tmpl, err))
		case errors.Is(err, guestnet.ErrAgentUnsupported), pveapi.IsAbsent(err):
			st.Unsupported(cmd, now) // an agent (or a Proxmox) too old for it: quietly absent
		default:
			nodes.Observe(g.Node, err) // a hung agent costs its node one timeout per cycle
		}
		return false
	}

	var fs []guestnet.Filesystem
	if ask(cmdFSInfo, pveapi.PathAgentFSInfo, func(ctx context.Context) (err error) {
		fs, err = client.AgentFSInfo(ctx, g.Node, g.VMID.Value)
		return err
	}) {
		st.Filesystems, st.FSAt, st.HasFS = countedFilesystems(fs), now, true
	} else if !guests.Fresh(st.FSAt, now) {
		st.Filesystems, st.HasFS = nil, false
	}

	// The OS and the host name are due together: at start, after a restart,
	// hourly. osAt is set by whichever answered, so an agent without
	// get-osinfo is not asked for its host name at every cycle.
	if !st.OSDue(uptime, now) {
		return
	}
	var os guestnet.OSInfo
	if ask(cmdOSInfo, pveapi.PathAgentOSInfo, func(ctx context.Context) (err error) {
		os, err = client.AgentOSInfo(ctx, g.Node, g.VMID.Value)
		return err
	}) {
		st.OS, st.OSAt, st.OSUptime = &os, now, uptime
	}
	var host string
	if ask(cmdHostName, pveapi.PathAgentHostName, func(ctx context.Context) (err error) {
		host, err = client.AgentHostName(ctx, g.Node, g.VMID.Value)
		return err
	}) {
		st.HostName = host
		st.OSAt, st.OSUptime = now, uptime
	}
}

// disabledCommand is the problem of an agent whose own configuration
// refuses cmd: it is not a passing fault, and an operator can enable it.
func disabledCommand(g *pveapi.ClusterResource, name, cmd, tmpl string, err error) problems.Problem {
	guest := fmt.Sprintf("qemu %d", g.VMID.Value)
	if name != "" {
		guest += " (" + name + ")"
	}
	return problems.Problem{Kind: problems.KindAgentCommandDisabled, Node: g.Node, Path: tmpl, Err: fmt.Errorf(
		"%s on %s: %w: what it would tell is not reported; enable guest-%s in the guest agent's configuration: remove it from block-rpcs (or add it to allow-rpcs) in /etc/qemu/qemu-ga.conf or the qemu-ga service's --block-rpcs/--allow-rpcs arguments (on Windows the QEMU Guest Agent service's parameters), then restart qemu-ga",
		guest, g.Node, err, cmd)}
}

// readBalloons reads each node's VMs with their balloon statistics in one
// request per node that runs a VM (/nodes/{node}/qemu?full=1), and returns
// the guest-visible used memory by resource ID.
func readBalloons(client pveapi.Client, nodes *recheck.NodeBreaker, guests []*pveapi.ClusterResource, now time.Time, found problems.Set, mu *sync.Mutex) map[string]int64 {
	byNode := map[string]bool{}
	for _, g := range guests {
		if g.Type == "qemu" && g.Status == "running" {
			byNode[g.Node] = true
		}
	}
	out := map[string]int64{}
	var outMu sync.Mutex
	var wg sync.WaitGroup
	for node := range byNode {
		if nodes.Open(node) != nil {
			continue
		}
		wg.Go(func() {
			vms, err := client.NodeQemuFull(nodes.Ctx(node), node)
			if err != nil {
				if !nodes.Observe(node, err) && nodes.Open(node) == nil {
					mu.Lock()
					found.Add(problems.FromAPI(pveapi.PathNodeQemu, node, err))
					mu.Unlock()
				}
				return
			}
			outMu.Lock()
			defer outMu.Unlock()
			for _, vm := range vms {
				if used, ok := guestUsedMemory(vm, now); ok && vm.VMID.Valid {
					out["qemu/"+strconv.FormatInt(vm.VMID.Value, 10)] = used
				}
			}
		})
	}
	wg.Wait()
	return out
}

// balloonStale is how old the guest driver's last report may be: Proxmox
// polls it every 2 s, so an older one is a guest that stopped reporting
// (the clocks of the node and the Collector may differ a little).
const balloonStale = 10 * time.Minute

// guestUsedMemory is total minus free memory as the guest's balloon driver
// last reported them (qemu-server src/PVE/QemuServer.pm vmstatus,
// $ballooncb), when it did recently.
func guestUsedMemory(vm pveapi.QemuStatus, now time.Time) (int64, bool) {
	b := vm.Balloon
	if vm.Status != "running" || b == nil || !b.TotalMem.Valid || !b.FreeMem.Valid || b.TotalMem.Value <= 0 {
		return 0, false
	}
	if b.LastUpdate.Valid && now.Sub(time.Unix(b.LastUpdate.Value, 0)).Abs() > balloonStale {
		return 0, false
	}
	return b.TotalMem.Value - b.FreeMem.Value, true
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

// vmDetailsOf gathers, per running VM of the cycle, what its agent and its
// balloon driver said, by resource ID.
func vmDetailsOf(results []*guestInventory, memory map[string]int64, guests *known.Guests) map[string]*vmDetails {
	out := map[string]*vmDetails{}
	var ids []string
	for _, inv := range results {
		if inv == nil || inv.guest.Type != "qemu" || inv.guest.Status != "running" {
			continue
		}
		g := inv.guest
		d := &vmDetails{node: g.Node, vmid: strconv.FormatInt(g.VMID.Value, 10), name: inv.name}
		if used, ok := memory[g.ID]; ok {
			d.memGuestUsed, d.hasMemGuestUsed = used, true
		}
		out[g.ID] = d
		ids = append(ids, g.ID)
	}
	guests.Agents(ids, func(id string, st *known.Agent) {
		d := out[id]
		d.filesystems, d.hasFilesystems = st.Filesystems, st.HasFS
		d.os, d.hostName = st.OS, st.HostName
	})
	return out
}
