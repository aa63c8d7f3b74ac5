// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

// Package promcontract holds the Prometheus names and label names of the
// proxmox receiver's metrics: the contract with MNM's dashboards and alerts,
// checked by the receiver's tests and by the end-to-end test.
package promcontract // import "github.com/mnm-net/otelcol-mnm/internal/promcontract"

import "strings"

// Metrics returns the contract with MNM's dashboards and alerts: the exact
// Prometheus name and label names of every metric, as the Collector's
// Prometheus exporter exposes them with its default settings.
func Metrics() map[string][]string {
	m := map[string][]string{
		"mnm_proxmox_node_cpu_usage":                 {"node"},
		"mnm_proxmox_node_iowait":                    {"node"},
		"mnm_proxmox_node_cpu_count":                 {"node"},
		"mnm_proxmox_node_cpu_cores":                 {"node"},
		"mnm_proxmox_node_cpu_sockets":               {"node"},
		"mnm_proxmox_node_cpu_mhz":                   {"node"},
		"mnm_proxmox_node_memory_used_bytes":         {"node"},
		"mnm_proxmox_node_memory_total_bytes":        {"node"},
		"mnm_proxmox_node_memory_free_bytes":         {"node"},
		"mnm_proxmox_node_swap_used_bytes":           {"node"},
		"mnm_proxmox_node_swap_total_bytes":          {"node"},
		"mnm_proxmox_node_rootfs_used_bytes":         {"node"},
		"mnm_proxmox_node_rootfs_total_bytes":        {"node"},
		"mnm_proxmox_node_ksm_shared_bytes":          {"node"},
		"mnm_proxmox_node_loadavg_1m":                {"node"},
		"mnm_proxmox_node_loadavg_5m":                {"node"},
		"mnm_proxmox_node_loadavg_15m":               {"node"},
		"mnm_proxmox_node_uptime_seconds":            {"node"},
		"mnm_proxmox_node_online":                    {"node"},
		"mnm_proxmox_node_info":                      {"node", "kernel_version", "pve_version"},
		"mnm_proxmox_storage_used_bytes":             {"node", "storage", "type"},
		"mnm_proxmox_storage_total_bytes":            {"node", "storage", "type"},
		"mnm_proxmox_storage_available_bytes":        {"node", "storage", "type"},
		"mnm_proxmox_storage_enabled":                {"node", "storage", "type"},
		"mnm_proxmox_storage_active":                 {"node", "storage", "type"},
		"mnm_proxmox_storage_shared":                 {"node", "storage", "type"},
		"mnm_proxmox_zfs_pool_size_bytes":            {"node", "pool"},
		"mnm_proxmox_zfs_pool_used_bytes":            {"node", "pool"},
		"mnm_proxmox_zfs_pool_free_bytes":            {"node", "pool"},
		"mnm_proxmox_zfs_pool_fragmentation_percent": {"node", "pool"},
		"mnm_proxmox_zfs_pool_health":                {"node", "pool"},
		"mnm_proxmox_zfs_pool_dedup_ratio":           {"node", "pool"},
		"mnm_proxmox_disk_size_bytes":                {"node", "device", "model", "type"},
		"mnm_proxmox_disk_health":                    {"node", "device", "model", "type"},
		"mnm_proxmox_disk_health_unknown":            {"node", "device", "model", "type"},
		"mnm_proxmox_disk_life_remaining_percent":    {"node", "device", "model", "type"},
		"mnm_proxmox_node_disks_age_seconds":         {"node"},
		"mnm_proxmox_cluster_quorate":                {"cluster"},
		"mnm_proxmox_cluster_nodes":                  {"cluster"},
		"mnm_proxmox_cluster_nodes_online":           {"cluster"},
		"mnm_proxmox_last_collection_timestamp":      {},
		"mnm_proxmox_collection_duration_seconds":    {},
		"mnm_proxmox_api_requests_total":             {"path"},
		"mnm_proxmox_api_endpoint_info":              {"endpoint"},
		"mnm_proxmox_api_failovers_total":            {},
		"mnm_proxmox_up":                             {},
		"mnm_proxmox_guest_nic_info":                 {"node", "vmid", "nic", "mac", "bridge", "vlan", "model", "link_down"},
		"mnm_proxmox_vm_info":                        {"node", "vmid", "name", "tags", "template", "hastate", "lock", "guest_status"},
		"mnm_proxmox_ct_info":                        {"node", "vmid", "name", "tags", "template", "hastate", "lock", "guest_status"},
	}

	for _, kind := range []string{"vm", "ct"} {
		for _, suffix := range []string{"cpu_usage", "cpus", "memory_used_bytes", "memory_total_bytes", "disk_read_bytes",
			"disk_write_bytes", "netin_bytes", "netout_bytes", "status", "uptime_seconds", "disk_size_bytes"} {
			m["mnm_proxmox_"+kind+"_"+suffix] = []string{"node", "vmid", "name"}
		}
	}
	m["mnm_proxmox_ct_disk_used_bytes"] = []string{"node", "vmid", "name"}
	// What a running VM's QEMU guest agent and balloon driver tell, from the
	// latest inventory cycle; absent (never 0) for a VM whose agent or driver
	// does not tell.
	m["mnm_proxmox_vm_disk_used_bytes"] = []string{"node", "vmid", "name"}
	m["mnm_proxmox_vm_memory_guest_used_bytes"] = []string{"node", "vmid", "name"}
	for _, suffix := range []string{"used_bytes", "size_bytes"} {
		m["mnm_proxmox_vm_filesystem_"+suffix] = []string{"node", "vmid", "name", "mountpoint", "type"}
	}
	m["mnm_proxmox_vm_os_info"] = []string{"node", "vmid", "name", "os_id", "os_name", "os_version", "kernel"}
	for _, kind := range []string{"vm", "ct"} {
		for _, dir := range []string{"netin", "netout"} {
			m["mnm_proxmox_"+kind+"_nic_"+dir+"_bytes"] = []string{"node", "vmid", "name", "nic"}
		}
	}
	return m
}

// MayBeAbsent reports metrics outside the contract that appear only when
// something fails. mnm_proxmox_problem carries kind and, where they apply,
// node, path and privilege (Prometheus leaves out the empty ones).
func MayBeAbsent(name string) bool {
	if name == "mnm_proxmox_api_errors_total" || name == "mnm_proxmox_problem" {
		return true
	}
	// What a cluster may not have (HA, replication, Ceph, backup jobs, a
	// failed backup), and what the slow tier reports only once it asked.
	for _, prefix := range []string{"mnm_proxmox_guest_backup_", "mnm_proxmox_replication_", "mnm_proxmox_ha_", "mnm_proxmox_ceph_",
		"mnm_proxmox_node_certificate_", "mnm_proxmox_node_subscription"} {
		if strings.HasPrefix(name, prefix) {
			return true
		}
	}
	return false
}

// OptIn reports contract metrics that are disabled by default.
func OptIn(name string) bool {
	return name == "mnm_proxmox_vm_info" || name == "mnm_proxmox_ct_info"
}

// MayBeEmpty reports labels a series of name carries with an empty value in
// some cases, which Prometheus then drops: a guest NIC without a bridge
// (QEMU user-mode networking) has no bridge.
func MayBeEmpty(name, label string) bool {
	return name == "mnm_proxmox_guest_nic_info" && label == "bridge"
}
