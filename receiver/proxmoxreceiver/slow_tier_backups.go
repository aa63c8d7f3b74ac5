// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package proxmoxreceiver // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver"

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/pveapi"
)

const (
	// taskPageSize bounds one tasks request; Proxmox's default is 50.
	taskPageSize = 1000
	// taskLogLines bounds a job's log read: vzdump writes a few dozen lines per guest.
	taskLogLines = 50000
)

// Lines vzdump writes per guest into a job's log (pve-manager PVE/VZDump.pm).
var (
	backupFinished = regexp.MustCompile(`^INFO: Finished Backup of VM (\d+) `)
	backupFailed   = regexp.MustCompile(`^ERROR: Backup of VM (\d+) failed`)
)

// backupAnswer is what the backup group learnt: which guests no job covers,
// and each guest's last success and failure.
type backupAnswer struct {
	notCovered map[string]bool // vmid
	results    map[string]backupResult
}

type backupResult struct {
	success, failure int64 // Unix time; 0 none
}

// backupHistory reads the backup group (read): which guests no job covers,
// and the vzdump tasks incrementally, only tasks newer than the last ones
// seen, per node; the first look goes back backup_lookback. It is kept
// across collections, bounded to guests that exist.
type backupHistory struct {
	shared   *sharedClient // which of the group's paths Proxmox lacks
	lookback time.Duration // slow_tier::backup_lookback

	mu      sync.Mutex
	since   map[string]int64            // node → the next request's since
	seen    map[string]map[string]int64 // node → UPID → its start, to count a task once
	results map[string]backupResult
}

func newBackupHistory(shared *sharedClient, lookback time.Duration) *backupHistory {
	return &backupHistory{shared: shared, lookback: lookback,
		since: map[string]int64{}, seen: map[string]map[string]int64{}, results: map[string]backupResult{}}
}

// read asks the backup group's requests of the collection that began at
// begin: which guests no job covers, and the vzdump tasks of each online node
// since the last look. It reports each failed request to fail, and returns
// the group's answer, or false when there is none (the group's paths are
// absent, or not-backed-up failed).
func (h *backupHistory) read(ctx context.Context, client pveapi.Client, begin time.Time, online []string, resources []pveapi.ClusterResource, fail func(tmpl, node string, err error)) (backupAnswer, bool) {
	if !h.shared.featureDue(featureBackupInfo, begin) {
		return backupAnswer{}, false
	}
	notCovered, err := client.NotBackedUp(ctx)
	if h.shared.featureAbsent(featureBackupInfo, err, begin) {
		return backupAnswer{}, false // Proxmox VE before 6.4 has no backup-info
	}
	if err != nil {
		fail(pveapi.PathNotBackedUp, "", err)
		return backupAnswer{}, false
	}
	var wg sync.WaitGroup
	for _, node := range online {
		wg.Go(func() {
			h.mu.Lock()
			since, ok := h.since[node]
			h.mu.Unlock()
			if !ok {
				since = begin.Add(-h.lookback).Unix()
			}
			key := featureTasks + " " + node
			if !h.shared.featureDue(key, begin) {
				return
			}
			tasks, err := client.NodeBackupTasks(ctx, node, since, taskPageSize)
			if h.shared.featureAbsent(key, err, begin) {
				return
			}
			if err != nil {
				fail(pveapi.PathNodeTasks, node, err)
				return
			}
			h.learn(ctx, client, node, since, tasks, fail)
		})
	}
	wg.Wait()

	answer := backupAnswer{notCovered: map[string]bool{}}
	for _, g := range notCovered {
		if g.VMID.Valid {
			answer.notCovered[strconv.FormatInt(g.VMID.Value, 10)] = true
		}
	}
	answer.results = h.snapshot(existingVMIDs(resources))
	return answer, true
}

// learn counts the finished vzdump tasks of node not seen before. A task for
// one guest carries its vmid and its status; a job of several guests has an
// empty id, and its log says which guest finished or failed.
func (h *backupHistory) learn(ctx context.Context, client pveapi.Client, node string, since int64, tasks []pveapi.Task, fail func(tmpl, node string, err error)) {
	next := since
	running := int64(0) // the earliest start of a task to look at again
	for _, t := range tasks {
		if t.Status == "" || t.Status == "RUNNING" { // still running: look again from its start
			if running == 0 || t.StartTime.Value < running {
				running = t.StartTime.Value
			}
			continue
		}
		h.mu.Lock()
		_, seen := h.seen[node][t.UPID]
		h.mu.Unlock()
		if seen {
			continue
		}
		at := t.EndTime.Value
		if !t.EndTime.Valid {
			at = t.StartTime.Value
		}
		succeeded := t.Status == "OK" || strings.HasPrefix(string(t.Status), "WARNINGS")
		if id := strings.TrimSpace(string(t.ID)); id != "" {
			h.record(id, succeeded, at)
		} else {
			lines, err := client.TaskLog(ctx, node, t.UPID, taskLogLines)
			if err != nil {
				fail(pveapi.PathTaskLog, node, err)
				// Not marked seen, and the next look starts no later than
				// it: read again next time.
				if running == 0 || t.StartTime.Value < running {
					running = t.StartTime.Value
				}
				continue
			}
			for _, l := range lines {
				if m := backupFinished.FindStringSubmatch(string(l.T)); m != nil {
					h.record(m[1], true, at)
				} else if m := backupFailed.FindStringSubmatch(string(l.T)); m != nil {
					h.record(m[1], false, at)
				}
			}
		}
		h.mu.Lock()
		if h.seen[node] == nil {
			h.seen[node] = map[string]int64{}
		}
		h.seen[node][t.UPID] = t.StartTime.Value
		h.mu.Unlock()
		next = max(next, t.StartTime.Value)
	}
	if running != 0 {
		next = min(next, running)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.since[node] = next
	for upid, start := range h.seen[node] { // the ones below since cannot come again
		if start < next {
			delete(h.seen[node], upid)
		}
	}
}

func (h *backupHistory) record(vmid string, succeeded bool, at int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.results[vmid]
	if succeeded {
		r.success = max(r.success, at)
	} else {
		r.failure = max(r.failure, at)
	}
	h.results[vmid] = r
}

// snapshot returns the results of existing guests and forgets the others.
func (h *backupHistory) snapshot(exists map[string]bool) map[string]backupResult {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make(map[string]backupResult, len(h.results))
	for vmid, r := range h.results {
		if !exists[vmid] {
			delete(h.results, vmid)
			continue
		}
		out[vmid] = r
	}
	return out
}

func existingVMIDs(resources []pveapi.ClusterResource) map[string]bool {
	out := map[string]bool{}
	for i := range resources {
		if r := &resources[i]; (r.Type == "qemu" || r.Type == "lxc") && r.VMID.Valid {
			out[strconv.FormatInt(r.VMID.Value, 10)] = true
		}
	}
	return out
}
