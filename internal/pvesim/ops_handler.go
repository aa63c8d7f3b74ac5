// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pvesim

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Permissions of the operations paths, as a privilege-separated token
// without ACL (PrivSepNoACL) meets them:
//   - /cluster/backup-info/not-backed-up: ['perm', '/', ['Sys.Audit']], then
//     only guests with VM.Audit (pve-manager PVE/API2/Cluster/BackupInfo.pm)
//     → 403 (/, Sys.Audit).
//   - /nodes/{node}/tasks: user => 'all'; a token sees the tasks of
//     everybody with Sys.Audit on /nodes/{node}, else only its own
//     (PVE/API2/Tasks.pm node_tasks, $check_task_user) → [] (the vzdump
//     tasks are root@pam's).
//   - /nodes/{node}/tasks/{upid}/log: user => 'all'; the handler demands
//     Sys.Audit on /nodes/{node} unless the token owns the task
//     (read_task_log), so after proxying to the node and after parsing the
//     UPID → 403 (/nodes/{node}, Sys.Audit).
//   - /cluster/replication and /nodes/{node}/replication: user => 'all',
//     filtered by VM.Audit on /vms/{guest} (PVE/API2/ReplicationConfig.pm
//     index, PVE/API2/Replication.pm status) → [].
//   - /cluster/ha/status/current: ['perm', '/', ['Sys.Audit']]
//     (pve-ha-manager src/PVE/API2/HA/Status.pm) → 403 (/, Sys.Audit).
//   - /cluster/ceph/status: ['perm', '/', ['Sys.Audit', 'Datastore.Audit'],
//     any => 1] (PVE/API2/Cluster/Ceph.pm) → 403
//     (/, Sys.Audit|Datastore.Audit): check_any joins them with "|"
//     (pve-access-control src/PVE/RPCEnvironment.pm).
//   - /nodes/{node}/certificates/info: user => 'all' and no check at all
//     (PVE/API2/Certificates.pm info) → answered in full.
//   - /nodes/{node}/subscription: user => 'all'; without Sys.Audit on
//     /nodes/{node} only status, message and url (PVE/API2/Subscription.pm).
// PVEAuditor has Sys.Audit, Datastore.Audit and VM.Audit, so the auditor
// modes see everything. PrivSepEmptyLists keeps its old claim: 403 for
// every /nodes/{node} path; its cluster paths answer as PrivSepNoACL.

// opsRender is what the operations paths serve, rendered once.
type opsRender struct {
	wallClock   bool // HA timestamps follow time.Now
	notBackedUp []byte
	replConfig  []byte
	certs       [][]byte           // per node
	tasks       [][]*Task          // per node, in list order (running ones last)
	taskByUPID  []map[string]*Task // per node
}

func (s *Simulator) renderOps(wallClock bool) *opsRender {
	o := s.cluster.Operations
	r := &opsRender{wallClock: wallClock, replConfig: renderReplicationConfig(o.Replication)}
	var items [][]byte
	for i := range o.Backups {
		b := &o.Backups[i]
		if b.Covered {
			continue
		}
		e := newObj().int("vmid", int64(b.VMID)).str("type", b.Type)
		// the name comes from the config (name, or hostname for lxc) and
		// is left out when it is not set
		if b.Name != "" {
			e.str("name", b.Name)
		}
		items = append(items, e.bytes())
	}
	r.notBackedUp = envelope(array(items))
	r.certs = make([][]byte, len(s.cluster.Nodes))
	r.tasks = make([][]*Task, len(s.cluster.Nodes))
	r.taskByUPID = make([]map[string]*Task, len(s.cluster.Nodes))
	for i, n := range s.cluster.Nodes {
		r.certs[i] = renderCertificates(o.Certificates, n.Name)
		r.taskByUPID[i] = map[string]*Task{}
	}
	for i := range o.Tasks {
		t := &o.Tasks[i]
		ni := s.nodeIdx[t.Node]
		r.tasks[ni] = append(r.tasks[ni], t)
		r.taskByUPID[ni][t.UPID] = t
	}
	return r
}

// opsNow is the time HA timestamps are relative to.
func (s *Simulator) opsNow() int64 {
	if s.ops.wallClock {
		return time.Now().Unix()
	}
	return s.cluster.Operations.Time
}

// sysAudit reports whether the token has Sys.Audit (on / and every node).
func sysAudit(p Permissions) bool { return p != PrivSepNoACL && p != PrivSepEmptyLists }

// envelopeTotal is {"data":...,"total":N}: pve-http-server adds total only
// when it is true (src/PVE/APIServer/Formatter/Standard.pm
// prepare_response_data).
func envelopeTotal(payload []byte, total int) []byte {
	if total == 0 {
		return envelope(payload)
	}
	b := append([]byte(`{"data":`), payload...)
	return append(append(b, `,"total":`...), strconv.Itoa(total)+"}"...)
}

func (s *Simulator) answerOps(r *http.Request, rf requestFaults, template string, ni int, node, id string) ([]byte, apiError) {
	ops := s.cluster.Operations
	audit := sysAudit(rf.perms)
	switch template {
	case PathNotBackedUp:
		if !audit {
			return nil, permError("/", "Sys.Audit")
		}
		return s.ops.notBackedUp, apiError{}
	case PathClusterReplication:
		if !audit {
			return emptyList, apiError{}
		}
		return s.ops.replConfig, apiError{}
	case PathHAStatus:
		if !audit {
			return nil, permError("/", "Sys.Audit")
		}
		return renderHAStatus(&ops.HA, s.cluster.Nodes, rf.offline, s.opsNow(), rf.version), apiError{}
	case PathCephStatus:
		if !audit {
			return nil, permError("/", "Sys.Audit|Datastore.Audit")
		}
		if !ops.Ceph.Installed {
			return nil, apiError{status: http.StatusInternalServerError, msg: cephNotInstalled}
		}
		if ops.Ceph.NotInitialized {
			return nil, apiError{status: http.StatusInternalServerError, msg: cephNotInitialized(rf.version)}
		}
		return renderCephStatus(&ops.Ceph, s.cluster.Nodes, rf.offline, ops.Time, rf.version), apiError{}
	case PathNodeCertificates:
		return s.ops.certs[ni], apiError{}
	case PathNodeSubscription:
		return renderSubscription(&ops.Subscriptions[ni], audit), apiError{}
	case PathNodeReplication:
		guest, e := vmidParam(r.URL.Query(), "guest")
		if e.status != 0 {
			return nil, e
		}
		if !audit {
			return emptyList, apiError{}
		}
		offline := func(n string) bool {
			i, ok := s.nodeIdx[n]
			return !ok || rf.offline[i]
		}
		return renderReplicationStatus(ops.Replication, node, guest, offline), apiError{}
	case PathNodeTasks:
		return s.answerTasks(r.URL.Query(), ni, audit)
	case PathTaskLog:
		return s.answerTaskLog(r.URL.Query(), ni, node, id, audit)
	}
	return nil, apiError{status: http.StatusNotImplemented, msg: fmt.Sprintf("Method 'GET %s' not implemented", r.URL.Path)}
}

// paramErrors is a 400 with every failed parameter.
func paramErrors(errs map[string]string) apiError {
	return apiError{status: http.StatusBadRequest, msg: "Parameter verification failed.", params: errs}
}

// intParam parses an integer parameter as pve-common's JSONSchema checks
// it: type first, then the minimum.
func intParam(q url.Values, name string, def, minimum int64, errs map[string]string) int64 {
	v, ok := q[name]
	if !ok {
		return def
	}
	s := v[0]
	if !integerRe.MatchString(s) {
		errs[name] = fmt.Sprintf("type check ('integer') failed - got '%s'", s)
		return def
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		errs[name] = fmt.Sprintf("type check ('integer') failed - got '%s'", s)
		return def
	}
	if n < minimum {
		errs[name] = fmt.Sprintf("value must have a minimum value of %d", minimum)
		return def
	}
	return n
}

var (
	vmidRe     = regexp.MustCompile(`^[1-9][0-9]{2,8}$`)
	integerRe  = regexp.MustCompile(`^[+-]?\d+$`) // JSONSchema.pm is_integer
	warningsRe = regexp.MustCompile(`^WARNINGS: \d+$`)
)

// vmidParam parses an optional pve-vmid parameter (0 when absent): type
// integer, format pve-vmid, minimum 100 (pve-common src/PVE/JSONSchema.pm).
func vmidParam(q url.Values, name string) (int, apiError) {
	errs := map[string]string{}
	v := intParam(q, name, 0, -1<<62, errs)
	if len(errs) == 0 && q.Has(name) && !vmidRe.MatchString(q.Get(name)) {
		errs[name] = "invalid format - value does not look like a valid VM ID\n"
	}
	if len(errs) > 0 {
		return 0, paramErrors(errs)
	}
	return int(v), apiError{}
}

var taskStatusTypes = []string{"ok", "warning", "error", "unknown"}

// taskStatusType is PVE::UPID::normalize_status_type.
func taskStatusType(status string) string {
	switch {
	case status == "":
		return "unknown"
	case status == "OK":
		return "ok"
	case warningsRe.MatchString(status):
		return "warning"
	case status == "unexpected status":
		return "unknown"
	}
	return "error"
}

// answerTasks is PVE/API2/Tasks.pm node_tasks: the active tasks first
// (source active or all, status "RUNNING"), then the archive newest first
// (source archive or all); every filter is applied before start and limit
// (default 50), and total counts every task that passed the filters.
func (s *Simulator) answerTasks(q url.Values, ni int, audit bool) ([]byte, apiError) {
	errs := map[string]string{}
	start := intParam(q, "start", 0, 0, errs)
	limit := intParam(q, "limit", 50, 0, errs)
	since := intParam(q, "since", -1<<62, -1<<62, errs)
	until := intParam(q, "until", 1<<62, -1<<62, errs)
	vmid := int64(0)
	if q.Has("vmid") {
		v, e := vmidParam(q, "vmid")
		if e.status != 0 {
			errs["vmid"] = e.params["vmid"]
		}
		vmid = int64(v)
	}
	onlyErrors := false
	if v, ok := q["errors"]; ok {
		switch v[0] {
		case "1":
			onlyErrors = true
		case "0":
		default:
			errs["errors"] = fmt.Sprintf("type check ('boolean') failed - got '%s'", v[0])
		}
	}
	source := "archive"
	if v, ok := q["source"]; ok {
		source = v[0]
		if !slices.Contains([]string{"archive", "active", "all"}, source) {
			errs["source"] = fmt.Sprintf("value '%s' does not have a value in the enumeration 'archive, active, all'", source)
		}
	}
	statusFilter := map[string]bool{"ok": true, "warning": true, "error": true, "unknown": true}
	if v, ok := q["statusfilter"]; ok && !onlyErrors {
		statusFilter = map[string]bool{}
		for _, f := range strings.FieldsFunc(v[0], func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\x00' }) {
			if !slices.Contains(taskStatusTypes, strings.ToLower(f)) {
				errs["statusfilter"] = fmt.Sprintf("invalid format - invalid status '%s'\n", f)
				break
			}
			statusFilter[strings.ToLower(f)] = true
		}
	} else if onlyErrors {
		statusFilter["ok"] = false
	}
	if len(errs) > 0 {
		return nil, paramErrors(errs)
	}
	userFilter := strings.ToLower(q.Get("userfilter"))
	typeFilter := q.Get("typefilter")
	count := int64(0)
	filtered := func(t *Task) bool {
		switch {
		case userFilter != "" && !strings.Contains(strings.ToLower(t.User), userFilter):
			return true
		case !audit: // the token owns none of the tasks
			return true
		case typeFilter != "" && t.Type != typeFilter:
			return true
		case vmid != 0 && (t.ID == "" || t.ID != strconv.FormatInt(vmid, 10)):
			return true
		case t.StartTime < since || t.StartTime > until:
			return true
		}
		// an active task is filtered before it gets its "RUNNING": its
		// undefined status is "unknown"
		if !statusFilter[taskStatusType(t.Status)] {
			return true
		}
		count++
		if count-1 < start {
			return true
		}
		return limit <= 0
	}
	items := [][]byte{}
	add := func(t *Task) {
		o := newObj().str("upid", t.UPID).str("node", t.Node).int("pid", t.PID).int("pstart", t.PStart).
			int("starttime", t.StartTime).str("type", t.Type).str("id", t.ID).str("user", t.User)
		if t.Running() {
			// read_active_workers: saved is a regex capture, a string
			o.str("saved", "0").str("status", "RUNNING")
		} else {
			o.int("endtime", t.EndTime).str("status", t.Status)
		}
		items = append(items, o.bytes())
		limit--
	}
	tasks := s.ops.tasks[ni]
	if source != "archive" {
		for _, t := range tasks {
			if t.Running() && !filtered(t) {
				add(t)
			}
		}
	}
	if source != "active" {
		for _, t := range tasks {
			if !t.Running() && !filtered(t) {
				add(t)
			}
		}
	}
	return envelopeTotal(array(items), int(count)), apiError{}
}

// upidRe is PVE::UPID::decode's pattern.
var upidRe = regexp.MustCompile(`^UPID:([a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?):([0-9A-Fa-f]{8}):([0-9A-Fa-f]{8,9}):([0-9A-Fa-f]{8}):([^:\s/]+):([^:\s/]*):([^:\s/]+):$`)

// answerTaskLog is PVE/API2/Tasks.pm read_task_log: the UPID must parse,
// then Sys.Audit on /nodes/{node} is needed for a task of another user,
// then the log is read from the node's task directory
// (pve-common src/PVE/Tools.pm dump_logfile: lines numbered from 1, limit
// 0 reads to the end, an empty log is one "no content" line, a missing
// file one "unable to open file" line).
func (s *Simulator) answerTaskLog(q url.Values, ni int, node, id string, audit bool) ([]byte, apiError) {
	if !upidRe.MatchString(id) {
		return nil, paramErrors(map[string]string{"upid": "unable to parse worker upid"})
	}
	errs := map[string]string{}
	start := intParam(q, "start", 0, 0, errs)
	limit := intParam(q, "limit", 50, 0, errs)
	if len(errs) > 0 {
		return nil, paramErrors(errs)
	}
	if !audit {
		return nil, permError("/nodes/"+node, "Sys.Audit")
	}
	t, ok := s.ops.taskByUPID[ni][id]
	if !ok {
		return envelopeTotal([]byte(`[{"n":1,"t":"unable to open file - No such file or directory"}]`), 1), apiError{}
	}
	lines := t.log
	count := int64(0)
	items := [][]byte{}
	for _, l := range lines {
		count++
		if count-1 < start {
			continue
		}
		if limit != 0 && int64(len(items)) >= limit {
			continue
		}
		items = append(items, newObj().int("n", count).str("t", l).bytes())
	}
	if count == 0 {
		return envelopeTotal([]byte(`[{"n":1,"t":"no content"}]`), 1), apiError{}
	}
	return envelopeTotal(array(items), int(count)), apiError{}
}

// nodeHAState is the hastate of node i in /cluster/resources: the CRM's
// node_status (pve-manager PVE/API2/Cluster.pm resources), none without HA.
func (s *Simulator) nodeHAState(i int) string {
	o := s.cluster.Operations
	if o == nil {
		return "online"
	}
	if !o.HA.Configured {
		return ""
	}
	return o.HA.LRMs[i].NodeStatus
}
