// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package proxmoxreceiver // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver"

import (
	"cmp"
	"fmt"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/problems"
	"slices"
)

// macClaim is the NIC that holds a MAC in one inventory cycle.
type macClaim struct {
	inv    *guestInventory
	device string
}

func (c macClaim) String() string {
	return fmt.Sprintf("%s %d (%s, %s) %s", c.inv.guest.Type, c.inv.guest.VMID.Value, c.inv.name, c.inv.guest.Node, c.device)
}

// claimMACs decides which NIC a MAC's record comes from when several NICs
// of the cycle carry it (a VM cloned without a new MAC, a MAC set by hand
// twice). MNM's store keeps one active location per MAC, so sending both
// would record a move at every cycle. The claim is deterministic: a running
// guest before one that is not, then the lower VMID, then the lower netN.
// It returns, per guest, the devices whose record is left out, and one
// problem per MAC claimed twice that names every guest and the fix.
func claimMACs(results []*guestInventory) (skip map[*guestInventory]map[string]bool, found problems.Set) {
	order := make([]*guestInventory, 0, len(results))
	for _, inv := range results {
		if inv != nil {
			order = append(order, inv)
		}
	}
	slices.SortStableFunc(order, func(a, b *guestInventory) int {
		return cmp.Or(
			cmp.Compare(notRunning(a), notRunning(b)),
			cmp.Compare(a.guest.VMID.Value, b.guest.VMID.Value),
		)
	})
	owner := map[string]macClaim{}
	others := map[string][]macClaim{}
	var macs []string
	skip = map[*guestInventory]map[string]bool{}
	for _, inv := range order {
		for _, nic := range sortedNICs(inv.nics) {
			if nic.MAC == "" {
				continue
			}
			claim := macClaim{inv: inv, device: nic.Device}
			if _, taken := owner[nic.MAC]; !taken {
				owner[nic.MAC] = claim
				continue
			}
			if others[nic.MAC] == nil {
				macs = append(macs, nic.MAC)
			}
			others[nic.MAC] = append(others[nic.MAC], claim)
			if skip[inv] == nil {
				skip[inv] = map[string]bool{}
			}
			skip[inv][nic.Device] = true
		}
	}
	found = problems.Set{}
	for _, mac := range macs {
		kept := owner[mac]
		left := others[mac]
		names := make([]string, len(left))
		for i, c := range left {
			names[i] = c.String()
		}
		err := fmt.Errorf("MAC %s is on %s and on %v: MNM keeps one location per MAC, so only the first is sent to the controller; give each guest NIC its own MAC (qm set VMID --netN model=...,bridge=... without a MAC makes Proxmox generate one; pct set VMID --netN likewise)",
			mac, kept, names)
		found.Add("duplicate-mac "+mac, problems.Problem{Kind: problems.KindDuplicateMAC, Node: left[0].inv.guest.Node, Err: err})
	}
	return skip, found
}

// notRunning sorts running guests first.
func notRunning(inv *guestInventory) int {
	if inv.guest.Status == "running" {
		return 0
	}
	return 1
}
