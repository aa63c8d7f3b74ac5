// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pvesim

import (
	"slices"
	"strings"
)

// Path templates served under /api2/json. Stats and fault switches use them.
const (
	PathVersion          = "/version"
	PathClusterResources = "/cluster/resources"
	PathClusterStatus    = "/cluster/status"
	PathNodes            = "/nodes"
	PathPermissions      = "/access/permissions"
	PathNodeStatus       = "/nodes/{node}/status"
	PathNodeStorage      = "/nodes/{node}/storage"
	PathNodeZFS          = "/nodes/{node}/disks/zfs"
	PathNodeDisks        = "/nodes/{node}/disks/list"
	PathQemuList         = "/nodes/{node}/qemu"
	PathLXCList          = "/nodes/{node}/lxc"
	PathQemuConfig       = "/nodes/{node}/qemu/{vmid}/config"
	PathLXCConfig        = "/nodes/{node}/lxc/{vmid}/config"
	PathQemuStatus       = "/nodes/{node}/qemu/{vmid}/status/current"
	PathLXCStatus        = "/nodes/{node}/lxc/{vmid}/status/current"
	PathQemuAgentNet     = "/nodes/{node}/qemu/{vmid}/agent/network-get-interfaces"
	PathLXCInterfaces    = "/nodes/{node}/lxc/{vmid}/interfaces"
	PathNodeNetstat      = "/nodes/{node}/netstat"
	PathClusterSDN       = "/cluster/sdn"
	PathSDNVNets         = "/cluster/sdn/vnets"
	PathSDNZones         = "/cluster/sdn/zones"
)

// Path templates served only with Config.Operations (see
// OperationsTemplates).
const (
	PathNotBackedUp        = "/cluster/backup-info/not-backed-up"
	PathNodeTasks          = "/nodes/{node}/tasks"
	PathTaskLog            = "/nodes/{node}/tasks/{upid}/log"
	PathClusterReplication = "/cluster/replication"
	PathNodeReplication    = "/nodes/{node}/replication"
	PathHAStatus           = "/cluster/ha/status/current"
	PathCephStatus         = "/cluster/ceph/status"
	PathNodeCertificates   = "/nodes/{node}/certificates/info"
	PathNodeSubscription   = "/nodes/{node}/subscription"
)

// Path templates served only with Config.GuestAgentDetails (see
// AgentDetailsTemplates): guest agent commands qemu-server registers like
// network-get-interfaces (src/PVE/API2/Qemu/Agent.pm register_command).
const (
	PathQemuAgentFSInfo   = "/nodes/{node}/qemu/{vmid}/agent/get-fsinfo"
	PathQemuAgentOSInfo   = "/nodes/{node}/qemu/{vmid}/agent/get-osinfo"
	PathQemuAgentHostName = "/nodes/{node}/qemu/{vmid}/agent/get-host-name"
)

// Templates lists every path template served whatever the Config.
func Templates() []string {
	return []string{
		PathVersion, PathClusterResources, PathClusterStatus, PathNodes, PathPermissions,
		PathNodeStatus, PathNodeStorage, PathNodeZFS, PathNodeDisks, PathQemuList, PathLXCList,
		PathQemuConfig, PathLXCConfig, PathQemuStatus, PathLXCStatus, PathQemuAgentNet, PathLXCInterfaces,
		PathNodeNetstat, PathClusterSDN, PathSDNVNets, PathSDNZones,
	}
}

// OperationsTemplates lists the path templates served only with
// Config.Operations; without it they answer 501 like unknown paths.
func OperationsTemplates() []string {
	return []string{
		PathNotBackedUp, PathNodeTasks, PathTaskLog, PathClusterReplication, PathNodeReplication,
		PathHAStatus, PathCephStatus, PathNodeCertificates, PathNodeSubscription,
	}
}

func isOperationsTemplate(t string) bool { return slices.Contains(OperationsTemplates(), t) }

// AgentDetailsTemplates lists the path templates served only with
// Config.GuestAgentDetails; without it they answer 501 like unknown paths.
func AgentDetailsTemplates() []string {
	return []string{PathQemuAgentFSInfo, PathQemuAgentOSInfo, PathQemuAgentHostName}
}

func isAgentDetailsTemplate(t string) bool { return slices.Contains(AgentDetailsTemplates(), t) }

// isAgentTemplate reports whether t is a guest agent command.
func isAgentTemplate(t string) bool { return t == PathQemuAgentNet || isAgentDetailsTemplate(t) }

// agentCommand is the API name of an agent command template (get-fsinfo).
func agentCommand(t string) string { return t[strings.LastIndexByte(t, '/')+1:] }

// isSDNTemplate reports whether t is below /cluster/sdn (pve-network's
// API, see Config.SDNAbsent).
func isSDNTemplate(t string) bool {
	return t == PathClusterSDN || t == PathSDNVNets || t == PathSDNZones
}

type route struct {
	template string
	segs     []string
}

var routes = func() []route {
	all := append(append(Templates(), OperationsTemplates()...), AgentDetailsTemplates()...)
	out := make([]route, 0, len(all))
	for _, t := range all {
		out = append(out, route{template: t, segs: strings.Split(strings.TrimPrefix(t, "/"), "/")})
	}
	return out
}()

// match finds the template for a path below /api2/json and returns the
// {node} segment and the {vmid} or {upid} segment (as vmid).
func match(path string) (template, node, vmid string, ok bool) {
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	for _, r := range routes {
		if len(r.segs) != len(segs) {
			continue
		}
		node, vmid = "", ""
		matched := true
		for i, s := range r.segs {
			switch s {
			case "{node}":
				node = segs[i]
			case "{vmid}", "{upid}":
				vmid = segs[i]
			default:
				matched = s == segs[i]
			}
			if !matched {
				break
			}
		}
		if matched && (node != "" || !strings.Contains(r.template, "{node}")) &&
			(vmid != "" || !strings.Contains(r.template, "{vmid}") && !strings.Contains(r.template, "{upid}")) {
			return r.template, node, vmid, true
		}
	}
	return "", "", "", false
}
