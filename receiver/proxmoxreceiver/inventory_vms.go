// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package proxmoxreceiver // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver"

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/known"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/problems"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/pveapi"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/recheck"
)

// readBalloons reads each node's VMs with their balloon statistics in one
// request per node that runs a VM (/nodes/{node}/qemu?full=1), and returns
// the guest-visible used memory by resource ID.
//
// client is the cycle's guarded client (recheck.NodeBreaker.Guard): a node
// whose circuit is open is not asked.
func readBalloons(ctx context.Context, client pveapi.Client, guests []*pveapi.ClusterResource, now time.Time, found problems.Set) map[string]int64 {
	byNode := map[string]bool{}
	for _, g := range guests {
		if g.Type == "qemu" && g.Status == "running" {
			byNode[g.Node] = true
		}
	}
	out := map[string]int64{}
	var mu sync.Mutex // guards out and found
	var wg sync.WaitGroup
	for node := range byNode {
		wg.Go(func() {
			vms, err := client.NodeQemuFull(ctx, node)
			if err != nil {
				if !errors.Is(err, recheck.ErrNodeStopped) {
					mu.Lock()
					found.Add(problems.FromAPI(pveapi.PathNodeQemu, node, err))
					mu.Unlock()
				}
				return
			}
			mu.Lock()
			defer mu.Unlock()
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
