// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package proxmoxreceiver // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver"

import (
	"time"

	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/pveapi"
)

// featureRecheck is how long a feature Proxmox said is absent (SDN, Ceph,
// HA, ...) goes unasked: installing the package later is noticed within it,
// and at once when a node's Proxmox version changes.
const featureRecheck = time.Hour

// Keys of the features whose absence is remembered. Per-node features add
// the node: featureReplication + " " + node.
const (
	featureSDN          = "sdn"
	featureCeph         = "ceph"
	featureHA           = "ha"
	featureBackupInfo   = "backup-info"
	featureReplication  = "replication"
	featureTasks        = "tasks"
	featureCertificates = "certificates"
	featureSubscription = "subscription"
)

// featureDue reports whether the feature key is to be asked now: it is not
// known absent, or its recheck has come, or a node's version changed since.
func (sc *sharedClient) featureDue(key string, now time.Time) bool {
	return sc.features.Due(key, now, sc.version)
}

// featureAbsent records what the answer err says of the feature key and
// reports whether Proxmox said the feature is absent (pveapi.IsAbsent):
// not a problem, only asked again after featureRecheck.
func (sc *sharedClient) featureAbsent(key string, err error, now time.Time) bool {
	if pveapi.IsAbsent(err) {
		sc.features.Absent(key, now, sc.knownVersions())
		return true
	}
	if err == nil {
		sc.features.Present(key)
	}
	return false
}

// knownVersions copies every node's known Proxmox VE version.
func (sc *sharedClient) knownVersions() map[string]string {
	out := map[string]string{}
	sc.versions.Range(func(node, version any) bool {
		out[node.(string)] = version.(string)
		return true
	})
	return out
}
