// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pvesim

import "strings"

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

// Templates lists every served path template.
func Templates() []string {
	return []string{
		PathVersion, PathClusterResources, PathClusterStatus, PathNodes, PathPermissions,
		PathNodeStatus, PathNodeStorage, PathNodeZFS, PathNodeDisks, PathQemuList, PathLXCList,
		PathQemuConfig, PathLXCConfig, PathQemuStatus, PathLXCStatus, PathQemuAgentNet, PathLXCInterfaces,
		PathNodeNetstat, PathClusterSDN, PathSDNVNets, PathSDNZones,
	}
}

type route struct {
	template string
	segs     []string
}

var routes = func() []route {
	out := make([]route, 0, len(Templates()))
	for _, t := range Templates() {
		out = append(out, route{template: t, segs: strings.Split(strings.TrimPrefix(t, "/"), "/")})
	}
	return out
}()

// match finds the template for a path below /api2/json and returns the
// {node} and {vmid} segments.
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
			case "{vmid}":
				vmid = segs[i]
			default:
				matched = s == segs[i]
			}
			if !matched {
				break
			}
		}
		if matched && (node != "" || !strings.Contains(r.template, "{node}")) &&
			(vmid != "" || !strings.Contains(r.template, "{vmid}")) {
			return r.template, node, vmid, true
		}
	}
	return "", "", "", false
}
