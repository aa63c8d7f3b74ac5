// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package proxmoxreceiver // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver"

import (
	"sort"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/metadata"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/pveapi"
)

func (rec *metricsRecorder) recordHA(now pcommon.Timestamp, entries []pveapi.HAStatusEntry) {
	for _, e := range entries {
		switch e.Type {
		case "quorum":
			rec.mb.RecordMnmProxmoxHaQuorateDataPoint(now, boolInt(e.Quorate))
		case "master":
			rec.mb.RecordMnmProxmoxHaMasterDataPoint(now, 1, string(e.Node))
		case "lrm":
			rec.mb.RecordMnmProxmoxHaLrmDataPoint(now, 1, string(e.Node), lrmState(e))
		case "service":
			rec.mb.RecordMnmProxmoxHaResourceDataPoint(now, 1, string(e.SID), string(e.Node), string(e.State))
		}
	}
}

func (rec *metricsRecorder) recordReplication(now pcommon.Timestamp, jobs []pveapi.ReplicationJob) {
	for _, j := range jobs {
		guest := strconv.FormatInt(j.Guest.Value, 10)
		src, dst := string(j.Source), string(j.Target)
		rec.mb.RecordMnmProxmoxReplicationLastSyncTimestampDataPoint(now, j.LastSync.Value, j.ID, guest, src, dst)
		if j.LastTry.Valid {
			rec.mb.RecordMnmProxmoxReplicationLastTryTimestampDataPoint(now, j.LastTry.Value, j.ID, guest, src, dst)
		}
		if j.Duration.Valid {
			rec.mb.RecordMnmProxmoxReplicationDurationDataPoint(now, j.Duration.Value, j.ID, guest, src, dst)
		}
		rec.mb.RecordMnmProxmoxReplicationFailCountDataPoint(now, j.FailCount.Value, j.ID, guest, src, dst)
	}
}

// cephHealth maps Ceph's health to 0 ok, 1 warn, 2 err.
func cephHealth(status string) (int64, bool) {
	switch status {
	case "HEALTH_OK":
		return 0, true
	case "HEALTH_WARN":
		return 1, true
	case "HEALTH_ERR":
		return 2, true
	}
	return 0, false
}

func (rec *metricsRecorder) recordCeph(now pcommon.Timestamp, st *pveapi.CephStatus) {
	if h, ok := cephHealth(string(st.Health.Status)); ok {
		rec.mb.RecordMnmProxmoxCephHealthDataPoint(now, h)
	}
	codes := make([]string, 0, len(st.Health.Checks))
	for code := range st.Health.Checks {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	for _, code := range codes {
		rec.mb.RecordMnmProxmoxCephHealthCheckDataPoint(now, 1, code, string(st.Health.Checks[code].Severity))
	}
	total, up, in := st.OSDMap.Counts()
	for _, c := range []struct {
		v     pveapi.FlexInt
		state metadata.AttributeOsdState
	}{{total, metadata.AttributeOsdStateTotal}, {up, metadata.AttributeOsdStateUp}, {in, metadata.AttributeOsdStateIn}} {
		if c.v.Valid {
			rec.mb.RecordMnmProxmoxCephOsdsDataPoint(now, c.v.Value, c.state)
		}
	}
	for _, pg := range st.PGMap.PGsByState {
		rec.mb.RecordMnmProxmoxCephPgsDataPoint(now, pg.Count.Value, string(pg.StateName))
	}
	recordInt(st.PGMap.BytesUsed, func(v int64) { rec.mb.RecordMnmProxmoxCephUsedDataPoint(now, v) })
	recordInt(st.PGMap.BytesAvail, func(v int64) { rec.mb.RecordMnmProxmoxCephAvailableDataPoint(now, v) })
}

// recordBackups reports every guest no job covers, and for every other
// guest (templates excepted) its last success (0: none within the lookback,
// so that an alert sees a covered guest that never succeeded) and failure.
func (rec *metricsRecorder) recordBackups(now pcommon.Timestamp, b backupAnswer, resources []pveapi.ClusterResource) {
	for i := range resources {
		r := &resources[i]
		if (r.Type != "qemu" && r.Type != "lxc") || !r.VMID.Valid {
			continue
		}
		vmid, name := strconv.FormatInt(r.VMID.Value, 10), guestLabelName(r)
		if b.notCovered[vmid] {
			rec.mb.RecordMnmProxmoxGuestBackupExcludedDataPoint(now, 1, r.Node, vmid, name)
			continue
		}
		if r.Template.Value {
			continue
		}
		res := b.results[vmid]
		rec.mb.RecordMnmProxmoxGuestBackupLastSuccessTimestampDataPoint(now, res.success, r.Node, vmid, name)
		if res.failure != 0 {
			rec.mb.RecordMnmProxmoxGuestBackupLastFailureTimestampDataPoint(now, res.failure, r.Node, vmid, name)
		}
	}
}

// lrmState is a node's LRM state. pve-ha-manager src/PVE/API2/HA/Status.pm
// folds it into the status text, "pve3 (maintenance mode, Mon Dec 22 ...)",
// "pve1 (active, ...)", "pve2 (idle, ...)"; newer releases may add a state
// field, which wins.
func lrmState(e pveapi.HAStatusEntry) string {
	if e.State != "" {
		return string(e.State)
	}
	text := string(e.Status)
	open := strings.IndexByte(text, '(')
	if open < 0 {
		return "unknown"
	}
	state, _, _ := strings.Cut(text[open+1:], ",")
	state = strings.TrimSuffix(strings.TrimSpace(state), " mode")
	if state == "" {
		return "unknown"
	}
	return state
}
