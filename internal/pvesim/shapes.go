// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pvesim

import (
	"fmt"
	"strings"
	"time"
)

// Shape is a named healthy cluster as it is found in the field: one
// Proxmox VE version with the features such a cluster has or lacks. A
// client that reads a shape should report no problem at all: every node is
// online, no path fails or hangs, the token has the privileges it needs and
// every answer that says "not here" is one Proxmox gives for a feature that
// is absent (a 501 for a method that does not exist, "binary not
// installed", "not initialized", a zpool that fails without the zfs
// module). What the generated cluster holds beyond that (a DEGRADED pool,
// a disk whose SMART check failed, a failing replication job, an HA
// service in error, Ceph HEALTH_WARN) is state to measure, not a problem of
// the API.
//
// Each shape is small and reproducible: two or three nodes (one when
// standalone), 10 to 16 guests, a fixed Seed and a fixed OperationsTime,
// and Operations on so that the paths of a client's slow tier (backups,
// replication, HA, Ceph, certificates, subscriptions) answer.
type Shape struct {
	// Name is how -shape and ShapeNamed call it, such as "pve8.4".
	Name string
	// About says what the shape stands for.
	About string
	// Config builds it with New.
	Config Config
}

// shapeTime is the OperationsTime of every shape.
var shapeTime = time.Date(2026, time.March, 2, 9, 30, 0, 0, time.UTC)

// Shapes lists the healthy clusters of the field, oldest version first.
func Shapes() []Shape {
	return []Shape{{
		Name: "pve7.4",
		About: "Proxmox VE 7.4-20 as installed: libpve-network-perl is only a Suggests, so no SDN API " +
			"(/cluster/sdn/* answer 501); no Ceph (binary not installed); HA never configured; errors " +
			"carry their text only in the reason phrase; no lxc interfaces method (501); two nodes, " +
			"only the first with ZFS, so no replication.",
		Config: Config{Version: Version7, Nodes: 2, Guests: 10, Seed: 74, Operations: true, OperationsTime: shapeTime,
			SDNAbsent: true, CephAbsent: true, HAAbsent: true},
	}, {
		Name: "pve7.4-sdn",
		About: "Proxmox VE 7.4-20 with libpve-network-perl installed and SDN zones and vnets configured " +
			"(some guest NICs on vnets); no Ceph; HA never configured; three nodes with storage replication.",
		Config: Config{Version: Version7, Nodes: 3, Guests: 12, Seed: 75, Operations: true, OperationsTime: shapeTime,
			SDN: true, CephAbsent: true, HAAbsent: true},
	}, {
		Name: "pve8.0",
		About: "Proxmox VE 8.0.4 as installed: no SDN API (501); the Ceph packages installed but " +
			"`pveceph init` never run (\"pveceph configuration not initialized\", without the 8.2 suffix); " +
			"HA configured; errors in the reason phrase only; no lxc interfaces method (501); three nodes " +
			"with replication.",
		Config: Config{Version: Version80, Nodes: 3, Guests: 14, Seed: 80, Operations: true, OperationsTime: shapeTime,
			SDNAbsent: true, CephNotInitialized: true},
	}, {
		Name: "pve8.4",
		About: "Proxmox VE 8.4.1: SDN configured (the package is a Depends since 8.3); Ceph not installed; " +
			"HA configured; errors with their text in the body too; lxc interfaces in the older format; " +
			"three nodes with replication.",
		Config: Config{Version: Version84, Nodes: 3, Guests: 14, Seed: 84, Operations: true, OperationsTime: shapeTime,
			SDN: true, CephAbsent: true},
	}, {
		Name: "pve9",
		About: "Proxmox VE 9.1.4 with everything: SDN, Ceph, HA and storage replication; one node still " +
			"on 8.4.1 and one without ZFS, as in the default cluster; three nodes.",
		Config: Config{Version: Version9, Nodes: 3, Guests: 16, Seed: 90, Operations: true, OperationsTime: shapeTime,
			SDN: true},
	}, {
		Name: "pve9-standalone",
		About: "Proxmox VE 9.1.4 on a single node that never joined a cluster: /cluster/status without a " +
			"cluster entry, the HA status with only its quorum entry, no replication, no Ceph, no " +
			"subscription key and no zfs kernel module (/disks/zfs answers 500).",
		Config: Config{Version: Version9, Standalone: true, Nodes: 1, Guests: 10, Seed: 91, Operations: true,
			OperationsTime: shapeTime, CephAbsent: true, NoSubscription: true, ZFSAbsent: true},
	}}
}

// ShapeNames lists the names of Shapes in order.
func ShapeNames() []string {
	var names []string
	for _, sh := range Shapes() {
		names = append(names, sh.Name)
	}
	return names
}

// ShapeNamed returns the shape called name.
func ShapeNamed(name string) (Shape, error) {
	for _, sh := range Shapes() {
		if sh.Name == name {
			return sh, nil
		}
	}
	return Shape{}, fmt.Errorf("unknown shape %q: use one of %s", name, strings.Join(ShapeNames(), ", "))
}
