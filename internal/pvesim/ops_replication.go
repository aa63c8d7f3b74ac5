// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pvesim

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Storage replication (Config.Operations).
//
// pvesr replicates ZFS volumes only, so the replicated guests are put on
// local-zfs and source and target are nodes with ZFS. Up to three jobs,
// one per guest (job number 0, so the id is "<vmid>-0": pve-guest-common
// src/PVE/ReplicationConfig.pm parse_replication_job_id), the second one
// failing. Its error is the one PVE::Replication dies with when the target
// lost the last common snapshot: two lines joined by "\n", the trailing
// newline chomped by record_job_end (pve-guest-common
// src/PVE/Replication.pm find_common_replication_snapshot,
// src/PVE/ReplicationState.pm record_job_end).

// replicationSchedules are the schedules of the jobs in turn; "" is the
// default "*/15", which replication.cfg then does not carry.
var replicationSchedules = []string{"", "*/5", "*/30"}

// scheduleMinutes is the interval of a "*/N" schedule ("" is */15).
func scheduleMinutes(s string) int64 {
	if s == "" {
		return 15
	}
	n, _ := strconv.ParseInt(strings.TrimPrefix(s, "*/"), 10, 64)
	return n
}

func genReplication(c *Cluster, cfg Config, t0 time.Time) []ReplicationJob {
	rng := opsRand(cfg.Seed, 2)
	var zfs []string
	for _, n := range c.Nodes {
		if n.HasZFS {
			zfs = append(zfs, n.Name)
		}
	}
	if len(zfs) < 2 {
		return nil
	}
	var cand []int
	for i := range c.Guests {
		g := &c.Guests[i]
		if !g.Template && slices.Contains(zfs, g.Node) {
			cand = append(cand, i)
		}
	}
	rng.Shuffle(len(cand), func(i, j int) { cand[i], cand[j] = cand[j], cand[i] })
	cand = cand[:min(len(cand), len(replicationSchedules))]
	slices.Sort(cand)
	now := t0.Unix()
	var jobs []ReplicationJob
	for k, gi := range cand {
		g := &c.Guests[gi]
		g.diskStorage = "local-zfs"
		targets := slices.DeleteFunc(slices.Clone(zfs), func(n string) bool { return n == g.Node })
		j := ReplicationJob{ID: fmt.Sprintf("%d-0", g.VMID), Guest: g.VMID, VMType: g.Type, Source: g.Node,
			Target: targets[rng.IntN(len(targets))], Schedule: replicationSchedules[k]}
		every := scheduleMinutes(j.Schedule) * 60
		// pvescheduler starts replication once a minute; the last run
		// started a few seconds after the last slot
		slot := now - now%every
		if slot == now {
			slot -= every
		}
		j.LastTry = slot + 1 + rng.Int64N(20)
		j.Duration = float64(2_000_000+rng.Int64N(9_000_000)) / 1e6
		switch k {
		case 1:
			j.FailCount = 3
			j.Error = fmt.Sprintf("No common base snapshot on volume(s) %s\nPlease remove the problematic "+
				"volume(s) from the replication target or delete and re-create the whole job %s", guestVolume(g), j.ID)
			j.LastSync = j.LastTry - 3*3600 - rng.Int64N(3600)
			j.LastSync -= j.LastSync % every
			j.Rate = 50
		case 2:
			j.Comment = "offsite copy"
			j.LastSync = j.LastTry
		default:
			j.LastSync = j.LastTry
		}
		j.NextSync = replicationNextSync(&j, true)
		jobs = append(jobs, j)
	}
	slices.SortFunc(jobs, func(a, b ReplicationJob) int { return strings.Compare(a.ID, b.ID) })
	return jobs
}

// replicationNextSync is next_sync as PVE::ReplicationState::job_status
// computes it: a failing job is retried 5, 10, 15 minutes after the last
// try, then every 30 minutes, but only while the target is online; a
// healthy one at the next schedule event after the last try.
func replicationNextSync(j *ReplicationJob, targetOnline bool) int64 {
	if j.FailCount > 0 {
		if !targetOnline {
			return 0
		}
		wait := int64(30)
		if j.FailCount <= 3 {
			wait = 5 * int64(j.FailCount)
		}
		return j.LastTry + 60*wait
	}
	every := scheduleMinutes(j.Schedule) * 60
	return j.LastTry - j.LastTry%every + every
}

// replicationConfigEntry is a /cluster/replication entry: the section config
// of the job with guest and jobnum parsed from the id, numbers as JSON
// numbers (pve-manager PVE/API2/ReplicationConfig.pm index,
// pve-guest-common src/PVE/ReplicationConfig.pm parse_config, pve-common
// src/PVE/SectionConfig.pm check_value). source is set by the first
// job_status run on the source node (src/PVE/ReplicationState.pm).
func replicationConfigEntry(j *ReplicationJob) *obj {
	o := newObj().str("type", "local").str("target", j.Target).str("id", j.ID).int("guest", int64(j.Guest)).
		int("jobnum", int64(j.JobNum)).str("source", j.Source)
	if j.Schedule != "" {
		o.str("schedule", j.Schedule)
	}
	if j.Rate != 0 {
		o.num("rate", j.Rate)
	}
	if j.Comment != "" {
		o.str("comment", j.Comment)
	}
	return o
}

// renderReplicationStatus answers /nodes/{node}/replication: the jobs of
// the guests on that node, sorted by id, each its configuration plus vmtype,
// next_sync and the state fields that are defined (pve-manager
// PVE/API2/Replication.pm status, $extract_job_status; last_sync, last_try
// and fail_count default to 0 in extract_job_state, error exists only while
// failing; pid only while running).
func renderReplicationStatus(jobs []ReplicationJob, node string, guest int, offline func(string) bool) []byte {
	items := [][]byte{}
	for i := range jobs {
		j := &jobs[i]
		if j.Source != node || guest != 0 && j.Guest != guest {
			continue
		}
		o := replicationConfigEntry(j).str("vmtype", j.VMType).
			int("next_sync", replicationNextSync(j, !offline(j.Target))).
			int("last_sync", j.LastSync).int("last_try", j.LastTry).int("fail_count", int64(j.FailCount)).
			num("duration", j.Duration)
		if j.Error != "" {
			o.str("error", j.Error)
		}
		items = append(items, o.bytes())
	}
	return envelope(array(items))
}

func renderReplicationConfig(jobs []ReplicationJob) []byte {
	items := [][]byte{}
	for i := range jobs {
		items = append(items, replicationConfigEntry(&jobs[i]).bytes())
	}
	return envelope(array(items))
}
