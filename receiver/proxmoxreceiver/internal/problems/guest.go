// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package problems // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/problems"

import (
	"fmt"

	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/pveapi"
)

// The diagnoses of a failed request about one guest that the operator can
// act on, each with its key (logged once however many guests share it) and
// its fix. The inventory decides when a failure is one of them.

// AgentPrivilege is a 403 on a guest's addresses (ae): the token lacks the
// privilege to read them, which differs by guest type and Proxmox VE version.
func AgentPrivilege(guestType string, ae *pveapi.APIError, tokenID string) (string, Problem) {
	fix := fmt.Sprintf("on Proxmox VE 9 grant VM.GuestAgent.Audit (part of PVEAuditor): pveum acl modify /vms --tokens '%[1]s' --roles PVEAuditor; on Proxmox VE 8 grant VM.Monitor: pveum role add MNMGuestAgent --privs VM.Monitor && pveum acl modify /vms --tokens '%[1]s' --roles MNMGuestAgent", tokenID)
	if guestType == "lxc" {
		fix = fmt.Sprintf("grant VM.Audit: pveum acl modify /vms --tokens '%s' --roles PVEAuditor", tokenID)
	}
	err := fmt.Errorf("GET %s: 403 %s: guest IPs are left out until the token may read them; %s", ae.Path, ae.Message, fix)
	pr := Problem{Kind: KindAgentPrivilege, Path: ae.Path, Err: err}
	if guestType == "qemu" {
		pr.Path, pr.Privilege = pveapi.PathAgentInterfaces, "VM.GuestAgent.Audit"
	} else {
		pr.Path, pr.Privilege = pveapi.PathLXCInterfaces, "VM.Audit"
	}
	if _, priv := ae.Permission(); priv != "" {
		pr.Privilege = priv
	}
	return "address-forbidden " + guestType, pr
}

// AgentCommandDisabled is a VM's guest agent whose own configuration refuses
// cmd (asked at path template tmpl): not a passing fault, and an operator can
// enable it. name is the guest's name, or "".
func AgentCommandDisabled(g *pveapi.ClusterResource, name, cmd, tmpl string, err error) (string, Problem) {
	guest := fmt.Sprintf("qemu %d", g.VMID.Value)
	if name != "" {
		guest += " (" + name + ")"
	}
	return fmt.Sprintf("agent-disabled %s %s", g.ID, cmd), Problem{Kind: KindAgentCommandDisabled, Node: g.Node, Path: tmpl, Err: fmt.Errorf(
		"%s on %s: %w: what it would tell is not reported; enable guest-%s in the guest agent's configuration: remove it from block-rpcs (or add it to allow-rpcs) in /etc/qemu/qemu-ga.conf or the qemu-ga service's --block-rpcs/--allow-rpcs arguments (on Windows the QEMU Guest Agent service's parameters), then restart qemu-ga",
		guest, g.Node, err, cmd)}
}

// UnproxiedContainerInterfaces is a running container g whose interfaces
// Proxmox answered null two cycles in a row: pve-container before 5.2.0
// reads them on the node the request reaches, not the container's (bug
// #5674), so every container on another node than the endpoint's answers
// null. One problem per node.
func UnproxiedContainerInterfaces(g *pveapi.ClusterResource) (string, Problem) {
	return "proxmox-bug-5674 " + g.Node, Problem{Kind: KindProxmoxBug, Node: g.Node, Path: pveapi.PathLXCInterfaces, Err: fmt.Errorf(
		"GET /nodes/%s/lxc/%d/interfaces answered null twice in a row while the container runs: pve-container before 5.2.0 (Proxmox VE 8.1, 8.2) looks for the container on the node the request reaches, not on %s (Proxmox bug #5674); the containers on %s keep their static ip= addresses and, for inventory::keep_last_known, their last known ones; update the nodes to pve-container 5.2.0 or later: apt update && apt full-upgrade",
		g.Node, g.VMID.Value, g.Node, g.Node)}
}

// UnparsableNIC is a netN entry of g's config that could not be read (err):
// the NIC is left out of the inventory.
func UnparsableNIC(g *pveapi.ClusterResource, err error) (string, Problem) {
	return fmt.Sprintf("%s/%d netN", g.Type, g.VMID.Value), Problem{Kind: KindUnparsableConfig, Node: g.Node, Path: pveapi.PathGuestConfig,
		Err: fmt.Errorf("%s/%d config: %w", g.Type, g.VMID.Value, err)}
}
