// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package problems

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/pveapi"
)

func TestAgentPrivilegeNamesThePrivilegeOfTheGuestType(t *testing.T) {
	vm := &pveapi.APIError{Path: "/nodes/pve1/qemu/100/agent/network-get-interfaces", Status: 403, Message: "Permission check failed"}
	key, pr := AgentPrivilege("qemu", vm, "monitor@pve!mnm")
	assert.Equal(t, "address-forbidden qemu", key, "one problem per guest type, however many guests")
	assert.Equal(t, KindAgentPrivilege, pr.Kind)
	assert.Equal(t, pveapi.PathAgentInterfaces, pr.Path, "the path template, never the guest's path")
	assert.Equal(t, "VM.GuestAgent.Audit", pr.Privilege)
	assert.ErrorContains(t, pr.Err, "pveum role add MNMGuestAgent --privs VM.Monitor", "the Proxmox VE 8 fix too")

	// Proxmox named the privilege: that one is reported.
	vm.Message = "Permission check failed (/vms/100, VM.Monitor)"
	_, pr = AgentPrivilege("qemu", vm, "monitor@pve!mnm")
	assert.Equal(t, "VM.Monitor", pr.Privilege)

	ct := &pveapi.APIError{Path: "/nodes/pve1/lxc/200/interfaces", Status: 403, Message: "Permission check failed"}
	key, pr = AgentPrivilege("lxc", ct, "monitor@pve!mnm")
	assert.Equal(t, "address-forbidden lxc", key)
	assert.Equal(t, pveapi.PathLXCInterfaces, pr.Path)
	assert.Equal(t, "VM.Audit", pr.Privilege)
	assert.ErrorContains(t, pr.Err, "pveum acl modify /vms --tokens 'monitor@pve!mnm' --roles PVEAuditor")
}

func TestGuestDiagnosesAreKeyedToBeLoggedOnce(t *testing.T) {
	g := &pveapi.ClusterResource{ID: "qemu/100", Type: "qemu", Node: "pve2", VMID: pveapi.FlexInt{Value: 100, Valid: true}}
	key, pr := AgentCommandDisabled(g, "web", "get-fsinfo", pveapi.PathAgentFSInfo, errors.New("disabled"))
	assert.Equal(t, "agent-disabled qemu/100 get-fsinfo", key)
	assert.ErrorContains(t, pr.Err, "qemu 100 (web) on pve2")
	key, pr = UnparsableNIC(g, errors.New("net1: bad MAC"))
	assert.Equal(t, "qemu/100 netN", key, "one per guest, whichever NICs fail")
	assert.Equal(t, KindUnparsableConfig, pr.Kind)
	key, pr = UnproxiedContainerInterfaces(&pveapi.ClusterResource{ID: "lxc/200", Type: "lxc", Node: "pve3", VMID: pveapi.FlexInt{Value: 200, Valid: true}})
	assert.Equal(t, "proxmox-bug-5674 pve3", key, "one per node")
	assert.Equal(t, KindProxmoxBug, pr.Kind)
}
