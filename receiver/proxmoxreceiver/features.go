// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package proxmoxreceiver // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver"

import (
	"sync"
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

// featureAbsences remembers the features Proxmox said are absent, with
// the node versions known then.
type featureAbsences struct {
	mu     sync.Mutex
	absent map[string]featureAbsence
}

type featureAbsence struct {
	since    time.Time
	versions map[string]string // node → pve-manager version
}

func newFeatureAbsences() *featureAbsences {
	return &featureAbsences{absent: map[string]featureAbsence{}}
}

// featureDue reports whether the feature key is to be asked now: it is not
// known absent, or its recheck has come, or a node's version changed since.
func (sc *sharedClient) featureDue(key string, now time.Time) bool {
	f := sc.features
	f.mu.Lock()
	defer f.mu.Unlock()
	ab, ok := f.absent[key]
	if !ok {
		return true
	}
	if now.Sub(ab.since) >= featureRecheck || sc.versionChanged(ab.versions) {
		delete(f.absent, key)
		return true
	}
	return false
}

// featureAbsent records what the answer err says of the feature key and
// reports whether Proxmox said the feature is absent (pveapi.IsAbsent):
// not a problem, only asked again after featureRecheck.
func (sc *sharedClient) featureAbsent(key string, err error, now time.Time) bool {
	f := sc.features
	f.mu.Lock()
	defer f.mu.Unlock()
	if pveapi.IsAbsent(err) {
		f.absent[key] = featureAbsence{since: now, versions: sc.knownVersions()}
		return true
	}
	if err == nil {
		delete(f.absent, key)
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

// versionChanged reports whether a node known in then runs another version
// now: an upgrade may bring what was absent.
func (sc *sharedClient) versionChanged(then map[string]string) bool {
	for node, was := range then {
		if v, ok := sc.versions.Load(node); ok && v.(string) != was {
			return true
		}
	}
	return false
}
