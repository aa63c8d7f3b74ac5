// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pveapi // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/pveapi"

// Path templates: they name requests in errors, logs and metrics, never the
// raw URL (unbounded cardinality, and some carry guest names).
const (
	PathClusterResources  = "/cluster/resources"
	PathClusterStatus     = "/cluster/status"
	PathAccessPermissions = "/access/permissions"
	PathNodeStatus        = "/nodes/{node}/status"
	PathNodeStorage       = "/nodes/{node}/storage"
	PathNodeZFS           = "/nodes/{node}/disks/zfs"
	PathNodeDisks         = "/nodes/{node}/disks/list"
	PathGuestConfig       = "/nodes/{node}/{type}/{vmid}/config"
	PathAgentInterfaces   = "/nodes/{node}/qemu/{vmid}/agent/network-get-interfaces"
	PathLXCInterfaces     = "/nodes/{node}/lxc/{vmid}/interfaces"
	PathAgentFSInfo       = "/nodes/{node}/qemu/{vmid}/agent/get-fsinfo"
	PathAgentOSInfo       = "/nodes/{node}/qemu/{vmid}/agent/get-osinfo"
	PathAgentHostName     = "/nodes/{node}/qemu/{vmid}/agent/get-host-name"
	PathNodeQemu          = "/nodes/{node}/qemu"
	PathNodeNetstat       = "/nodes/{node}/netstat"
	PathSDN               = "/cluster/sdn"
	PathSDNVNets          = "/cluster/sdn/vnets"
	PathSDNZones          = "/cluster/sdn/zones"
	PathNotBackedUp       = "/cluster/backup-info/not-backed-up"
	PathNodeTasks         = "/nodes/{node}/tasks"
	PathTaskLog           = "/nodes/{node}/tasks/{upid}/log"
	PathNodeReplication   = "/nodes/{node}/replication"
	PathHAStatus          = "/cluster/ha/status/current"
	PathCephStatus        = "/cluster/ceph/status"
	PathNodeCertificates  = "/nodes/{node}/certificates/info"
	PathNodeSubscription  = "/nodes/{node}/subscription"
)
