// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pvesim

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var opsTime = time.Date(2025, 12, 22, 12, 0, 0, 0, time.UTC)

func opsConfig(seed int64) Config {
	return Config{Seed: seed, Operations: true, OperationsTime: opsTime}
}

// TestOperationsOffByDefault checks that without Config.Operations the new
// paths are unknown, as before: 501 ahead of authentication, counted as
// unknown, and the fault switches do not accept them.
func TestOperationsOffByDefault(t *testing.T) {
	e := newEnv(t, Config{Seed: 1})
	assert.Nil(t, e.sim.Cluster().Operations)
	for _, p := range []string{"/cluster/backup-info/not-backed-up", "/cluster/replication", "/cluster/ha/status/current",
		"/cluster/ceph/status", "/nodes/pve1/tasks", "/nodes/pve1/replication", "/nodes/pve1/certificates/info",
		"/nodes/pve1/subscription", "/nodes/pve1/tasks/UPID:pve1:00001234:00005678:65000000:vzdump::root@pam:/log"} {
		r, err := e.do(t, t.Context(), http.MethodGet, "/api2/json"+p, "")
		require.NoError(t, err)
		assert.Equal(t, http.StatusNotImplemented, r.status, p)
		assert.Equal(t, "Method 'GET "+p+"' not implemented\n", errorMessage(t, r), p)
	}
	st := e.sim.Stats()
	assert.Empty(t, st.Paths)
	assert.EqualValues(t, 9, st.Unknown)
	require.Error(t, e.sim.ApplyFault(FaultRequest{FailPath: new(PathHAStatus), Status: 500}))
	for _, tpl := range OperationsTemplates() {
		assert.NotContains(t, Templates(), tpl)
	}

	on := newEnv(t, opsConfig(1))
	require.NoError(t, on.sim.ApplyFault(FaultRequest{FailPath: new(PathHAStatus), Status: 500, Message: "boom"}))
	assert.Equal(t, 500, on.get(t, "/cluster/ha/status/current").status)
	on.sim.ClearFaults()
	assert.Equal(t, http.StatusOK, on.get(t, "/cluster/ha/status/current").status)
	assert.EqualValues(t, 2, on.sim.Stats().Paths[PathHAStatus])
}

// TestOperationsLeavesOtherValuesAlone checks that the switch changes only
// what it documents: guest HA states and locks, replicated guests' disks,
// Ceph OSD ids, and the node HA states in /cluster/resources.
func TestOperationsLeavesOtherValuesAlone(t *testing.T) {
	for _, cfg := range []Config{{Seed: 1}, {Seed: 2, Nodes: 4, Guests: 90, QMPStates: true, NICGaps: true, SDN: true, OfflineNodes: 1}} {
		plain := New(cfg)
		on := cfg
		on.Operations, on.OperationsTime = true, opsTime
		with := New(on)
		pc, wc := plain.Cluster(), with.Cluster()
		assert.Equal(t, pc.NetDevs, wc.NetDevs)
		assert.Equal(t, pc.SDN, wc.SDN)
		for i, n := range wc.Nodes {
			want := pc.Nodes[i]
			for j := range want.Disks {
				want.Disks[j].OSDID = n.Disks[j].OSDID
			}
			assert.Equal(t, want, n)
		}
		for i, g := range wc.Guests {
			want := pc.Guests[i]
			want.HAState, want.Lock, want.diskStorage = g.HAState, g.Lock, g.diskStorage
			assert.Equal(t, want, g)
			if g.Lock != pc.Guests[i].Lock {
				assert.Empty(t, pc.Guests[i].Lock, "only a lock is added")
				assert.Equal(t, "snapshot", g.Lock)
			}
		}
		pe := httpGet(t, plain)
		we := httpGet(t, with)
		for _, p := range []string{"/version", "/cluster/status", "/nodes", "/access/permissions", "/nodes/pve1/status",
			"/nodes/pve1/storage", "/nodes/pve2/netstat", "/cluster/sdn/vnets", "/cluster/resources?type=storage"} {
			assert.Equal(t, string(pe(p)), string(we(p)), p)
		}
	}
}

func httpGet(t *testing.T, sim *Simulator) func(string) []byte {
	t.Helper()
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	t.Cleanup(sim.Close)
	client := srv.Client()
	t.Cleanup(client.CloseIdleConnections)
	e := &testEnv{sim: sim, srv: srv, client: client}
	return func(p string) []byte { return e.get(t, p).body }
}

func parsePEMCert(t *testing.T, s string) *x509.Certificate {
	t.Helper()
	block, rest := pem.Decode([]byte(s))
	require.NotNil(t, block)
	assert.Empty(t, rest)
	x, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	return x
}

func fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	var parts []string
	for _, b := range sum {
		parts = append(parts, fmt.Sprintf("%02X", b))
	}
	return strings.Join(parts, ":")
}

// TestNotBackedUp checks /cluster/backup-info/not-backed-up: {vmid, type,
// name} of every guest no job includes, name only when the config has one
// (pve-manager PVE/API2/Cluster/BackupInfo.pm get_guests_not_in_backup).
func TestNotBackedUp(t *testing.T) {
	e := newEnv(t, opsConfig(1))
	c := e.sim.Cluster()
	r := e.get(t, "/cluster/backup-info/not-backed-up")
	assert.Equal(t, `{"data":[{"vmid":117,"type":"qemu","name":"vm-dns-117"},{"vmid":123,"type":"qemu","name":"vm-ci-123"}]}`, string(r.body))
	var want []int
	for _, b := range c.Operations.Backups {
		if !b.Covered {
			want = append(want, b.VMID)
		}
	}
	var got []int
	for _, it := range list(t, e.data(t, "/cluster/backup-info/not-backed-up")) {
		got = append(got, int(it["vmid"].(float64)))
	}
	assert.Equal(t, want, got)

	// a guest without name has no name member
	e2 := newEnv(t, Config{Seed: 3, Guests: 60, Operations: true, OperationsTime: opsTime})
	for _, it := range list(t, e2.data(t, "/cluster/backup-info/not-backed-up")) {
		g := guestByVMID(e2.sim.Cluster())[int(it["vmid"].(float64))]
		if g.Name == "" {
			assert.NotContains(t, it, "name")
		} else {
			assert.Equal(t, g.Name, it["name"])
		}
	}
}

type apiTask struct {
	UPID      string `json:"upid"`
	Node      string `json:"node"`
	PID       int64  `json:"pid"`
	PStart    int64  `json:"pstart"`
	StartTime int64  `json:"starttime"`
	EndTime   int64  `json:"endtime"`
	Type      string `json:"type"`
	ID        string `json:"id"`
	User      string `json:"user"`
	Status    string `json:"status"`
	Saved     string `json:"saved"`
}

func tasksOf(t *testing.T, e *testEnv, node, query string) ([]apiTask, int) {
	t.Helper()
	r := e.get(t, "/nodes/"+node+"/tasks"+query)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	var env struct {
		Data  []apiTask `json:"data"`
		Total int       `json:"total"`
	}
	require.NoError(t, json.Unmarshal(r.body, &env))
	return env.Data, env.Total
}

// TestTasksList checks /nodes/{node}/tasks (pve-manager PVE/API2/Tasks.pm
// node_tasks): the archive newest first, limit 50 by default, every filter
// before start and limit, total = all tasks that passed the filters, the
// UPID fields as PVE::UPID::decode yields them.
func TestTasksList(t *testing.T) {
	e := newEnv(t, opsConfig(1))
	c := e.sim.Cluster()
	ops := c.Operations
	byNode := map[string][]Task{}
	for _, tk := range ops.Tasks {
		byNode[tk.Node] = append(byNode[tk.Node], tk)
	}
	for _, n := range c.Nodes {
		var archived []Task
		for _, tk := range byNode[n.Name] {
			if !tk.Running() {
				archived = append(archived, tk)
			}
		}
		got, total := tasksOf(t, e, n.Name, "")
		assert.Equal(t, len(archived), total, n.Name)
		require.Len(t, got, min(50, len(archived)))
		for i, at := range got {
			want := archived[i]
			assert.Equal(t, apiTask{UPID: want.UPID, Node: want.Node, PID: want.PID, PStart: want.PStart, StartTime: want.StartTime,
				EndTime: want.EndTime, Type: want.Type, ID: want.ID, User: want.User, Status: want.Status}, at)
			m := upidRe.FindStringSubmatch(at.UPID)
			require.NotNil(t, m, at.UPID)
			assert.Equal(t, at.Node, m[1])
			assert.Equal(t, fmt.Sprintf("%08X", at.PID), m[3])
			assert.Equal(t, fmt.Sprintf("%08X", at.StartTime), m[5])
			assert.Equal(t, at.Type, m[6])
			assert.Equal(t, at.ID, m[7])
			if i > 0 {
				assert.LessOrEqual(t, at.EndTime, got[i-1].EndTime, "newest first")
			}
		}
	}

	// the default limit is 50
	many := newEnv(t, Config{Seed: 4, Nodes: 2, Guests: 40, Operations: true, OperationsTime: opsTime})
	got, total := tasksOf(t, many, "pve1", "")
	require.Greater(t, total, 50)
	assert.Len(t, got, 50)
	got, _ = tasksOf(t, many, "pve1", "?limit=0")
	assert.Empty(t, got, "limit 0 lists nothing but still counts")

	since := opsTime.Add(-3 * 24 * time.Hour).Unix()
	got, total = tasksOf(t, e, "pve3", fmt.Sprintf("?typefilter=vzdump&since=%d", since))
	assert.Equal(t, len(got), total)
	assert.NotEmpty(t, got)
	for _, at := range got {
		assert.Equal(t, "vzdump", at.Type)
		assert.GreaterOrEqual(t, at.StartTime, since)
	}
	page, total2 := tasksOf(t, e, "pve3", fmt.Sprintf("?typefilter=vzdump&since=%d&start=1&limit=2", since))
	assert.Equal(t, total, total2, "total ignores start and limit")
	assert.Equal(t, got[1:3], page)

	// vmid compares the task id: a job task covering several guests has
	// an empty id and does not match
	got, _ = tasksOf(t, e, "pve3", "?vmid=104&typefilter=vzdump")
	assert.NotEmpty(t, got)
	for _, at := range got {
		assert.Equal(t, "104", at.ID)
	}
	got, _ = tasksOf(t, e, "pve3", "?vmid=108&typefilter=vzdump")
	assert.Empty(t, got, "108 is only ever backed up in multi-guest tasks")
	got, _ = tasksOf(t, e, "pve3", "?vmid=108")
	for _, at := range got {
		assert.Equal(t, "vncproxy", at.Type)
	}

	got, _ = tasksOf(t, e, "pve3", "?errors=1")
	assert.NotEmpty(t, got)
	for _, at := range got {
		assert.Equal(t, "job errors", at.Status)
	}
	okOnly, _ := tasksOf(t, e, "pve3", "?statusfilter=ok&limit=500")
	errOnly, _ := tasksOf(t, e, "pve3", "?statusfilter=error&limit=500")
	all, _ := tasksOf(t, e, "pve3", "?limit=500")
	assert.Equal(t, len(all), len(okOnly)+len(errOnly))
	got, _ = tasksOf(t, e, "pve3", "?userfilter=ROOT&limit=500")
	assert.Len(t, got, len(all), "userfilter is a case-insensitive substring")
	got, _ = tasksOf(t, e, "pve3", "?userfilter=monitor")
	assert.Empty(t, got)

	// running tasks: only with source active or all, status RUNNING and
	// saved "0" from the active file (pve-common src/PVE/INotify.pm
	// read_active_workers), no endtime
	active, total := tasksOf(t, e, "pve1", "?source=active")
	require.Len(t, active, 1)
	assert.Equal(t, 1, total)
	assert.Equal(t, "RUNNING", active[0].Status)
	assert.Equal(t, "0", active[0].Saved)
	assert.Zero(t, active[0].EndTime)
	assert.Equal(t, "vncshell", active[0].Type)
	both, _ := tasksOf(t, e, "pve1", "?source=all&limit=3")
	assert.Equal(t, active[0], both[0], "active tasks come first")
	r := e.get(t, "/nodes/pve1/tasks?source=active")
	assert.Contains(t, string(r.body), `"saved":"0","status":"RUNNING"}`)
	assert.NotContains(t, string(r.body), "endtime")

	for q, errs := range map[string]map[string]string{
		"?limit=-1":          {"limit": "value must have a minimum value of 0"},
		"?start=x":           {"start": "type check ('integer') failed - got 'x'"},
		"?since=yesterday":   {"since": "type check ('integer') failed - got 'yesterday'"},
		"?source=old":        {"source": "value 'old' does not have a value in the enumeration 'archive, active, all'"},
		"?errors=true":       {"errors": "type check ('boolean') failed - got 'true'"},
		"?vmid=42":           {"vmid": "invalid format - value does not look like a valid VM ID\n"},
		"?statusfilter=good": {"statusfilter": "invalid format - invalid status 'good'\n"},
	} {
		r := e.get(t, "/nodes/pve1/tasks"+q)
		require.Equal(t, http.StatusBadRequest, r.status, q)
		var body struct{ Errors map[string]string }
		require.NoError(t, json.Unmarshal(r.body, &body))
		assert.Equal(t, errs, body.Errors, q)
	}
}

// TestTasksPermissions: a token sees other users' tasks only with Sys.Audit
// on /nodes/{node} (PVE/API2/Tasks.pm node_tasks, $check_task_user); a
// list of nothing has no total (pve-http-server
// src/PVE/APIServer/Formatter/Standard.pm adds it only when true).
func TestTasksPermissions(t *testing.T) {
	e := newEnv(t, Config{Seed: 1, Operations: true, OperationsTime: opsTime, OfflineNodes: 1, Permissions: PrivSepNoACL})
	r := e.get(t, "/nodes/pve1/tasks?source=all")
	require.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, `{"data":[]}`, string(r.body))
	assert.Equal(t, 595, e.get(t, "/nodes/pve3/tasks").status, "proxied to the node")
	up := e.sim.Cluster().Operations.Tasks[0].UPID
	// the UPID is parsed before the permission check
	r = e.get(t, "/nodes/pve1/tasks/not-a-upid/log")
	assert.Equal(t, http.StatusBadRequest, r.status)
	r = e.get(t, "/nodes/pve1/tasks/"+up+"/log")
	require.Equal(t, http.StatusForbidden, r.status)
	assert.Equal(t, "Permission check failed (/nodes/pve1, Sys.Audit)\n", errorMessage(t, r))

	e.sim.SetPermissions(PrivSepEmptyLists)
	r = e.get(t, "/nodes/pve1/tasks")
	assert.Equal(t, http.StatusForbidden, r.status, "the old claim: every node path is 403")
	for _, p := range []Permissions{Full, AuditorPVE8, AuditorNoSDN} {
		e.sim.SetPermissions(p)
		_, total := tasksOf(t, e, "pve1", "")
		assert.Positive(t, total, p.String())
	}
}

var (
	startRe    = regexp.MustCompile(`^INFO: Starting Backup of VM (\d+) \((qemu|lxc)\)$`)
	startedRe  = regexp.MustCompile(`^INFO: Backup started at (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)$`)
	finishedRe = regexp.MustCompile(`^INFO: Finished Backup of VM (\d+) \((\d\d):(\d\d):(\d\d)\)$`)
	failedRe   = regexp.MustCompile(`^ERROR: Backup of VM (\d+) failed - (.*)$`)
)

type logLine struct {
	N int    `json:"n"`
	T string `json:"t"`
}

func taskLog(t *testing.T, e *testEnv, node, upid, query string) ([]logLine, int) {
	t.Helper()
	r := e.get(t, "/nodes/"+node+"/tasks/"+upid+"/log"+query)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	var env struct {
		Data  []logLine `json:"data"`
		Total int       `json:"total"`
	}
	require.NoError(t, json.Unmarshal(r.body, &env))
	return env.Data, env.Total
}

// TestBackupStateFromTheAPI derives every guest's last successful and
// failed backup from the API alone, as a client has to: the vzdump tasks of
// every node and their logs, since a job task covering several guests
// carries no vmid and fails as a whole (pve-manager PVE/API2/VZDump.pm,
// PVE/VZDump.pm exec_backup, exec_backup_task), and compares it with the
// ground truth.
func TestBackupStateFromTheAPI(t *testing.T) {
	for _, cfg := range []Config{opsConfig(1), {Seed: 2, Nodes: 4, Guests: 60, OfflineNodes: 1, Operations: true, OperationsTime: opsTime}} {
		e := newEnv(t, cfg)
		c := e.sim.Cluster()
		type state struct {
			lastOK, lastFail int64
			err              string
		}
		got := map[int]state{}
		for _, n := range c.Nodes {
			if !n.Online {
				assert.Equal(t, 595, e.get(t, "/nodes/"+n.Name+"/tasks").status)
				e.sim.SetNodeOffline(n.Name, false)
				defer e.sim.SetNodeOffline(n.Name, true)
			}
			tasks, total := tasksOf(t, e, n.Name, "?typefilter=vzdump&limit=1000")
			require.Len(t, tasks, total)
			for _, tk := range tasks {
				lines, total := taskLog(t, e, n.Name, tk.UPID, "?limit=0")
				require.Len(t, lines, total)
				for i, l := range lines {
					assert.Equal(t, i+1, l.N)
				}
				assert.True(t, strings.HasPrefix(lines[0].T, "INFO: starting new backup job: vzdump "), lines[0].T)
				last := lines[len(lines)-1].T
				var guests []int
				failed := false
				var cur int
				var curStart int64
				for _, l := range lines {
					if m := startRe.FindStringSubmatch(l.T); m != nil {
						cur, _ = strconv.Atoi(m[1])
						guests = append(guests, cur)
					}
					if m := startedRe.FindStringSubmatch(l.T); m != nil {
						ts, err := time.Parse("2006-01-02 15:04:05", m[1])
						require.NoError(t, err)
						curStart = ts.Unix()
					}
					if m := finishedRe.FindStringSubmatch(l.T); m != nil {
						require.Equal(t, strconv.Itoa(cur), m[1])
						s := got[cur]
						s.lastOK = max(s.lastOK, curStart)
						got[cur] = s
					}
					if m := failedRe.FindStringSubmatch(l.T); m != nil {
						require.Equal(t, strconv.Itoa(cur), m[1])
						failed = true
						s := got[cur]
						if curStart > s.lastFail {
							s.lastFail, s.err = curStart, m[2]
						}
						got[cur] = s
					}
				}
				// the task id is the vmid of a single-guest task only
				if len(guests) == 1 {
					assert.Equal(t, strconv.Itoa(guests[0]), tk.ID)
				} else {
					assert.Empty(t, tk.ID, "%d guests", len(guests))
				}
				if failed {
					assert.Equal(t, "job errors", tk.Status)
					assert.Equal(t, "INFO: Backup job finished with errors", lines[len(lines)-2].T)
					assert.Equal(t, "TASK ERROR: job errors", last)
				} else {
					assert.Equal(t, "OK", tk.Status)
					assert.Equal(t, "TASK OK", last)
				}
				for _, g := range guests {
					assert.Equal(t, n.Name, guestByVMID(c)[g].Node, "a task backs up its node's guests")
				}
			}
		}
		neverOK, covered := 0, 0
		for _, b := range c.Operations.Backups {
			s := got[b.VMID]
			assert.Equal(t, b.LastSuccess, s.lastOK, "vmid %d", b.VMID)
			assert.Equal(t, b.LastFailure, s.lastFail, "vmid %d", b.VMID)
			assert.Equal(t, b.LastError, s.err, "vmid %d", b.VMID)
			if b.Covered {
				covered++
				assert.Positive(t, b.Successes+b.Failures, "vmid %d", b.VMID)
				if b.LastSuccess == 0 {
					neverOK++
				}
			} else {
				assert.Zero(t, b.Successes+b.Failures)
			}
		}
		assert.Positive(t, neverOK, "a covered guest was never backed up")
		assert.Less(t, covered, len(c.Guests), "some guests are not covered")
	}
}

// TestTaskLogPaging checks read_task_log's paging (pve-common
// src/PVE/Tools.pm dump_logfile): lines from 1, limit 50 by default, 0
// reads to the end, total counts every line, an empty log is one "no
// content" line and a task the node does not know one "unable to open
// file" line.
func TestTaskLogPaging(t *testing.T) {
	e := newEnv(t, opsConfig(1))
	ops := e.sim.Cluster().Operations
	var long, running Task
	for _, tk := range ops.Tasks {
		if len(tk.log) > len(long.log) {
			long = tk
		}
		if tk.Running() {
			running = tk
		}
	}
	require.Greater(t, len(long.log), 50)
	lines, total := taskLog(t, e, long.Node, long.UPID, "")
	assert.Len(t, lines, 50)
	assert.Equal(t, len(long.log), total)
	lines, _ = taskLog(t, e, long.Node, long.UPID, "?start=10&limit=5")
	require.Len(t, lines, 5)
	assert.Equal(t, 11, lines[0].N)
	assert.Equal(t, long.log[10], lines[0].T)
	lines, _ = taskLog(t, e, long.Node, long.UPID, "?start=1000")
	assert.Empty(t, lines)

	r := e.get(t, "/nodes/"+running.Node+"/tasks/"+running.UPID+"/log")
	assert.Equal(t, `{"data":[{"n":1,"t":"no content"}],"total":1}`, string(r.body))
	other := "pve2"
	if long.Node == other {
		other = "pve1"
	}
	r = e.get(t, "/nodes/"+other+"/tasks/"+long.UPID+"/log")
	assert.Equal(t, `{"data":[{"n":1,"t":"unable to open file - No such file or directory"}],"total":1}`, string(r.body))
	r = e.get(t, "/nodes/pve1/tasks/UPID:pve1:bad/log")
	assert.Equal(t, http.StatusBadRequest, r.status)
	assert.JSONEq(t, `{"errors":{"upid":"unable to parse worker upid"},"data":null,"message":"Parameter verification failed.\n"}`, string(r.body))
	r = e.get(t, "/nodes/pve1/tasks/"+url.PathEscape(long.UPID)+"/log?limit=-2")
	assert.Equal(t, http.StatusBadRequest, r.status)
}

// TestReplication checks the job list (pve-manager
// PVE/API2/ReplicationConfig.pm index) and the status on the source node
// (PVE/API2/Replication.pm status; pve-guest-common
// src/PVE/ReplicationState.pm job_status, record_job_end).
func TestReplication(t *testing.T) {
	e := newEnv(t, opsConfig(1))
	c := e.sim.Cluster()
	jobs := c.Operations.Replication
	require.Len(t, jobs, 3)
	cfgList := list(t, e.data(t, "/cluster/replication"))
	require.Len(t, cfgList, len(jobs))
	failing := 0
	for i, j := range jobs {
		ce := cfgList[i]
		assert.Equal(t, j.ID, ce["id"])
		assert.Equal(t, "local", ce["type"])
		assert.Equal(t, float64(j.Guest), ce["guest"], "a number")
		assert.Equal(t, float64(0), ce["jobnum"])
		assert.Equal(t, j.Target, ce["target"])
		assert.Equal(t, j.Source, ce["source"])
		if j.Schedule == "" {
			assert.NotContains(t, ce, "schedule", "the default */15 is not written")
		}
		g := guestByVMID(c)[j.Guest]
		assert.Equal(t, g.Node, j.Source)
		assert.NotEqual(t, j.Source, j.Target)
		for _, n := range c.Nodes {
			if n.Name == j.Source || n.Name == j.Target {
				assert.True(t, n.HasZFS, "pvesr replicates ZFS only")
			}
		}
		conf := object(t, e.data(t, fmt.Sprintf("/nodes/%s/%s/%d/config", g.Node, g.Type, g.VMID)))
		disk := conf["scsi0"]
		if g.Type == "lxc" {
			disk = conf["rootfs"]
			assert.Contains(t, disk, fmt.Sprintf("local-zfs:subvol-%d-disk-0,", g.VMID))
		} else {
			assert.Contains(t, disk, fmt.Sprintf("local-zfs:vm-%d-disk-0,", g.VMID))
		}
		if j.FailCount > 0 {
			failing++
			assert.Contains(t, j.Error, "No common base snapshot on volume(s) ")
			assert.Contains(t, j.Error, "\nPlease remove the problematic volume(s)")
			assert.Less(t, j.LastSync, j.LastTry)
			assert.Equal(t, j.LastTry+15*60, j.NextSync, "retried 5 minutes per failure")
		} else {
			assert.Equal(t, j.LastSync, j.LastTry)
			assert.Greater(t, j.NextSync, j.LastTry)
		}
	}
	assert.Equal(t, 1, failing)
	for _, n := range c.Nodes {
		st := list(t, e.data(t, "/nodes/"+n.Name+"/replication"))
		var want []ReplicationJob
		for _, j := range jobs {
			if j.Source == n.Name {
				want = append(want, j)
			}
		}
		require.Len(t, st, len(want), n.Name)
		for i, s := range st {
			j := want[i]
			assert.Equal(t, j.ID, s["id"])
			assert.Equal(t, j.VMType, s["vmtype"])
			assert.Equal(t, float64(j.LastSync), s["last_sync"])
			assert.Equal(t, float64(j.LastTry), s["last_try"])
			assert.Equal(t, float64(j.NextSync), s["next_sync"])
			assert.Equal(t, float64(j.FailCount), s["fail_count"])
			assert.Equal(t, j.Duration, s["duration"])
			if j.Error != "" {
				assert.Equal(t, j.Error, s["error"])
			} else {
				assert.NotContains(t, s, "error")
			}
			assert.NotContains(t, s, "state")
			assert.NotContains(t, s, "pid")
		}
		one := list(t, e.data(t, fmt.Sprintf("/nodes/%s/replication?guest=%d", n.Name, jobs[0].Guest)))
		if jobs[0].Source == n.Name {
			assert.Len(t, one, 1)
		} else {
			assert.Empty(t, one)
		}
	}
	src := jobs[0].Source
	r := e.get(t, "/nodes/"+src+"/replication?guest=abc")
	assert.Equal(t, http.StatusBadRequest, r.status)

	// a failing job whose target is offline is not retried
	e.sim.SetNodeOffline(jobs[0].Target, true)
	for _, s := range list(t, e.data(t, "/nodes/"+src+"/replication")) {
		if s["fail_count"].(float64) > 0 {
			assert.Equal(t, float64(0), s["next_sync"])
		} else {
			assert.Positive(t, s["next_sync"])
		}
	}
	e.sim.ClearFaults()

	e.sim.SetPermissions(PrivSepNoACL)
	assert.Empty(t, list(t, e.data(t, "/cluster/replication")), "filtered by VM.Audit")
	assert.Empty(t, list(t, e.data(t, "/nodes/"+src+"/replication")))
}

// TestHAStatus checks /cluster/ha/status/current against the ground truth
// and against the HA states of /cluster/resources and status/current
// (pve-ha-manager src/PVE/API2/HA/Status.pm status, 5.1.0; pve-manager
// PVE/API2/Cluster.pm resources: hastate from manager_status).
func TestHAStatus(t *testing.T) {
	e := newEnv(t, opsConfig(1))
	c := e.sim.Cluster()
	ha := c.Operations.HA
	st := list(t, e.data(t, "/cluster/ha/status/current"))
	now := opsTime.Unix()
	assert.Equal(t, map[string]any{"id": "quorum", "type": "quorum", "node": "pve1", "status": "OK", "quorate": float64(1)}, st[0])
	assert.Equal(t, "master", st[1]["type"])
	assert.Equal(t, "pve1 (active, Mon Dec 22 11:59:59 2025)", st[1]["status"])
	byID := map[string]map[string]any{}
	for _, s := range st {
		byID[s["id"].(string)] = s
	}
	lrmText := regexp.MustCompile(`^(\S+) \(([^,]+), (\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4})\)$`)
	modes := map[string]string{}
	for _, l := range ha.LRMs {
		s := byID["lrm:"+l.Node]
		require.NotNil(t, s, l.Node)
		m := lrmText.FindStringSubmatch(s["status"].(string))
		require.NotNil(t, m, s["status"])
		modes[l.Node] = m[2]
		assert.InDelta(t, now, s["timestamp"], 10)
	}
	assert.Equal(t, map[string]string{"pve1": "active", "pve2": "active", "pve3": "maintenance mode"}, modes)
	states := map[string]string{}
	for _, r := range ha.Resources {
		s := byID["service:"+r.SID]
		require.NotNil(t, s, r.SID)
		states[r.SID] = r.State
		assert.Equal(t, r.CRMState, s["crm_state"])
		assert.Equal(t, r.State, s["state"])
		assert.Equal(t, r.RequestState, s["request_state"])
		assert.Equal(t, r.Node, s["node"])
		assert.Equal(t, fmt.Sprintf("%s (%s, %s)", r.SID, r.Node, r.State), s["status"])
		assert.Equal(t, float64(1), s["failback"])
		assert.NotContains(t, s, "group", "HA groups became rules in PVE 9")
	}
	assert.Equal(t, map[string]string{"ct:103": "migrate", "ct:118": "stopped", "vm:102": "started", "vm:113": "error", "vm:123": "started"}, states)
	assert.Len(t, st, 2+len(ha.LRMs)+len(ha.Resources))

	// the same states in /cluster/resources and status/current
	res := map[string]map[string]any{}
	for _, r := range list(t, e.data(t, "/cluster/resources")) {
		res[r["id"].(string)] = r
	}
	for _, g := range c.Guests {
		r := res[fmt.Sprintf("%s/%d", g.Type, g.VMID)]
		cur := object(t, e.data(t, fmt.Sprintf("/nodes/%s/%s/%d/status/current", g.Node, g.Type, g.VMID)))
		if s, ok := states[haSID(&g)]; ok {
			assert.Equal(t, s, r["hastate"], "%d", g.VMID)
			assert.Equal(t, s, object(t, cur["ha"])["state"])
		} else {
			assert.NotContains(t, r, "hastate")
		}
	}
	assert.Equal(t, "maintenance", res["node/pve3"]["hastate"])
	assert.Equal(t, "online", res["node/pve1"]["hastate"])

	// PVE 7 (pve-ha-manager 3.x) has no failback
	require.NoError(t, e.sim.SetVersion(Version7))
	for _, s := range list(t, e.data(t, "/cluster/ha/status/current")) {
		assert.NotContains(t, s, "failback")
	}
	e.sim.ClearFaults()

	// offline nodes: an old LRM timestamp, and no quorum without a majority
	e.sim.SetNodeOffline("pve2", true)
	st = list(t, e.data(t, "/cluster/ha/status/current"))
	assert.Equal(t, float64(1), st[0]["quorate"])
	for _, s := range st {
		if s["id"] == "lrm:pve2" {
			assert.Contains(t, s["status"], "pve2 (old timestamp - dead?, ")
		}
	}
	e.sim.SetNodeOffline("pve3", true)
	st = list(t, e.data(t, "/cluster/ha/status/current"))
	assert.Equal(t, "No quorum on node 'pve1'!", st[0]["status"])
	assert.Equal(t, float64(0), st[0]["quorate"])
	e.sim.ClearFaults()

	for _, p := range []Permissions{PrivSepNoACL, PrivSepEmptyLists} {
		e.sim.SetPermissions(p)
		r := e.get(t, "/cluster/ha/status/current")
		require.Equal(t, http.StatusForbidden, r.status)
		assert.Equal(t, "Permission check failed (/, Sys.Audit)\n", errorMessage(t, r))
	}
}

// TestHAAbsent: without HA ever configured the CRM never became master, so
// the status is the quorum entry alone, and no guest or node has an HA
// state (pve-manager PVE/API2/Cluster.pm resources, qemu-server and
// pve-container status: managed 0).
func TestHAAbsent(t *testing.T) {
	cfg := opsConfig(1)
	cfg.HAAbsent = true
	e := newEnv(t, cfg)
	r := e.get(t, "/cluster/ha/status/current")
	assert.Equal(t, `{"data":[{"id":"quorum","type":"quorum","node":"pve1","status":"OK","quorate":1}]}`, string(r.body))
	for _, it := range list(t, e.data(t, "/cluster/resources")) {
		assert.NotContains(t, it, "hastate", it["id"])
	}
	for _, g := range e.sim.Cluster().Guests {
		cur := object(t, e.data(t, fmt.Sprintf("/nodes/%s/%s/%d/status/current", g.Node, g.Type, g.VMID)))
		assert.Equal(t, map[string]any{"managed": float64(0)}, cur["ha"])
	}
	assert.False(t, e.sim.Cluster().Operations.HA.Configured)
}

// TestCephStatus checks /cluster/ceph/status (pve-manager
// PVE/API2/Cluster/Ceph.pm status, PVE/Ceph/Tools.pm ceph_cluster_status)
// with the shapes of Ceph's status, health detail and mon dump.
func TestCephStatus(t *testing.T) {
	e := newEnv(t, opsConfig(1))
	c := e.sim.Cluster()
	ceph := c.Operations.Ceph
	st := object(t, e.data(t, "/cluster/ceph/status"))
	health := object(t, st["health"])
	assert.Equal(t, "HEALTH_WARN", health["status"])
	checks := object(t, health["checks"])
	require.Len(t, checks, 1)
	crash := object(t, checks["RECENT_CRASH"])
	assert.Equal(t, "HEALTH_WARN", crash["severity"])
	assert.Equal(t, map[string]any{"message": "1 daemons have recently crashed", "count": float64(1)}, crash["summary"])
	assert.Equal(t, false, crash["muted"])
	det := list(t, crash["detail"])
	require.Len(t, det, 1)
	assert.Regexp(t, `^osd\.1 crashed on host pve2 at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$`, det[0]["message"])
	osdmap := object(t, st["osdmap"])
	assert.NotContains(t, osdmap, "osdmap", "flat since Octopus")
	assert.Equal(t, float64(3), osdmap["num_osds"])
	assert.Equal(t, float64(3), osdmap["num_up_osds"])
	assert.Equal(t, float64(3), osdmap["num_in_osds"])
	pgmap := object(t, st["pgmap"])
	assert.Equal(t, []any{map[string]any{"state_name": "active+clean", "count": float64(33)}}, pgmap["pgs_by_state"])
	assert.Equal(t, float64(ceph.BytesTotal), pgmap["bytes_total"])
	assert.Equal(t, pgmap["bytes_total"], pgmap["bytes_used"].(float64)+pgmap["bytes_avail"].(float64))
	monmap := object(t, st["monmap"])
	assert.Len(t, list(t, monmap["mons"]), 3, "mon dump replaces the status monmap")
	assert.Equal(t, "squid", monmap["min_mon_release_name"])
	assert.Contains(t, monmap, "disallowed_leaders: ", "Ceph's own key, colon and space included")
	assert.Equal(t, []any{"pve1", "pve2", "pve3"}, st["quorum_names"])
	assert.Equal(t, "pve1", object(t, st["mgrmap"])["active_name"])

	// the OSDs are the disks /disks/list says they are
	for _, n := range c.Nodes {
		for _, d := range list(t, e.data(t, "/nodes/"+n.Name+"/disks/list")) {
			if d["devpath"] == "/dev/sdd" {
				assert.Equal(t, strconv.Itoa(n.NodeID-1), d["osdid"], n.Name)
			} else {
				assert.Equal(t, float64(-1), d["osdid"])
			}
		}
	}

	// a node offline takes its OSD and monitor down
	e.sim.SetNodeOffline("pve3", true)
	st = object(t, e.data(t, "/cluster/ceph/status"))
	checks = object(t, object(t, st["health"])["checks"])
	assert.ElementsMatch(t, []string{"MON_DOWN", "OSD_DOWN", "OSD_HOST_DOWN", "PG_DEGRADED", "RECENT_CRASH"}, sortedKeys(checks))
	sum := func(code string) string { return object(t, object(t, checks[code])["summary"])["message"].(string) }
	assert.Equal(t, "1/3 mons down, quorum pve1,pve2", sum("MON_DOWN"))
	assert.Equal(t, "1 osds down", sum("OSD_DOWN"))
	assert.Equal(t, "1 host (1 osds) down", sum("OSD_HOST_DOWN"))
	assert.Regexp(t, `^Degraded data redundancy: \d+/\d+ objects degraded \(33\.333%\), 33 pgs degraded, 33 pgs undersized$`, sum("PG_DEGRADED"))
	assert.Equal(t, "osd.2 (root=default,host=pve3) is down", list(t, object(t, checks["OSD_DOWN"])["detail"])[0]["message"])
	assert.Equal(t, "mon.pve3 (rank 2) addr [v2:198.51.100.3:3300/0,v1:198.51.100.3:6789/0] is down (out of quorum)",
		list(t, object(t, checks["MON_DOWN"])["detail"])[0]["message"])
	assert.Equal(t, float64(2), object(t, st["osdmap"])["num_up_osds"])
	assert.Equal(t, []any{"pve1", "pve2"}, st["quorum_names"])
	e.sim.ClearFaults()

	require.NoError(t, e.sim.SetVersion(Version7))
	assert.Equal(t, "quincy", object(t, object(t, e.data(t, "/cluster/ceph/status"))["monmap"])["min_mon_release_name"])
	e.sim.ClearFaults()

	for _, p := range []Permissions{PrivSepNoACL, PrivSepEmptyLists} {
		e.sim.SetPermissions(p)
		r := e.get(t, "/cluster/ceph/status")
		require.Equal(t, http.StatusForbidden, r.status)
		assert.Equal(t, "Permission check failed (/, Sys.Audit|Datastore.Audit)\n", errorMessage(t, r))
	}
}

// TestCephAbsent: check_ceph_installed('ceph_mon') dies first
// (pve-manager PVE/Ceph/Tools.pm).
func TestCephAbsent(t *testing.T) {
	cfg := opsConfig(1)
	cfg.CephAbsent = true
	e := newEnv(t, cfg)
	r := e.get(t, "/cluster/ceph/status")
	assert.Equal(t, http.StatusInternalServerError, r.status)
	assert.Equal(t, "binary not installed: /usr/bin/ceph-mon\n", errorMessage(t, r))
	assert.False(t, e.sim.Cluster().Operations.Ceph.Installed)
	for _, d := range list(t, e.data(t, "/nodes/pve1/disks/list")) {
		assert.Equal(t, float64(-1), d["osdid"])
	}
	e.sim.SetPermissions(PrivSepNoACL)
	assert.Equal(t, http.StatusForbidden, e.get(t, "/cluster/ceph/status").status, "the permission check comes first")
}

// TestCertificates parses the served certificates as a client would and
// compares them with what info reports (pve-manager
// PVE/API2/Certificates.pm info, pve-common src/PVE/Certificate.pm
// get_certificate_info).
func TestCertificates(t *testing.T) {
	e := newEnv(t, opsConfig(1))
	c := e.sim.Cluster()
	expiring := 0
	for _, n := range c.Nodes {
		certs := list(t, e.data(t, "/nodes/"+n.Name+"/certificates/info"))
		var names []string
		for _, ce := range certs {
			names = append(names, ce["filename"].(string))
			assert.Equal(t, []string{"filename", "fingerprint", "issuer", "notafter", "notbefore", "pem", "public-key-bits",
				"public-key-type", "san", "subject"}, sortedKeys(ce))
			x := parsePEMCert(t, ce["pem"].(string))
			assert.Equal(t, int64(ce["notbefore"].(float64)), x.NotBefore.Unix())
			assert.Equal(t, int64(ce["notafter"].(float64)), x.NotAfter.Unix())
			assert.Equal(t, ce["fingerprint"], fingerprint(x.Raw))
			assert.Equal(t, "rsaEncryption", ce["public-key-type"])
			assert.Equal(t, float64(x.PublicKey.(interface{ Size() int }).Size()*8), ce["public-key-bits"])
			var san []any
			for _, d := range x.DNSNames {
				san = append(san, d)
			}
			for _, ip := range x.IPAddresses {
				if ip.To4() != nil {
					san = append(san, ip.String())
				} else {
					san = append(san, "0000:0000:0000:0000:0000:0000:0000:0001")
				}
			}
			assert.ElementsMatch(t, san, ce["san"])
			if time.Unix(int64(ce["notafter"].(float64)), 0).Before(opsTime.Add(10 * 24 * time.Hour)) {
				expiring++
				assert.Equal(t, "pveproxy-ssl.pem", ce["filename"])
				assert.Equal(t, "pve1", n.Name)
				assert.Equal(t, "/C=US/O=Let's Encrypt/CN=R11", ce["issuer"])
			}
			assert.True(t, strings.HasPrefix(ce["subject"].(string), "/"), "X509_NAME_oneline")
		}
		want := []string{"pve-root-ca.pem", "pve-ssl.pem"}
		if n.Name == "pve1" {
			want = append(want, "pveproxy-ssl.pem")
		}
		assert.Equal(t, want, names, n.Name)
		ssl := certs[1]
		assert.Equal(t, "/OU=PVE Cluster Node/O=Proxmox Virtual Environment/CN="+n.Name+".example.com", ssl["subject"])
		assert.Equal(t, []any{"127.0.0.1", "0000:0000:0000:0000:0000:0000:0000:0001", "localhost", n.IP, n.Name, n.Name + ".example.com"}, ssl["san"])
		assert.Equal(t, certs[0]["subject"], ssl["issuer"])
		assert.Equal(t, float64(730*86400), ssl["notafter"].(float64)-ssl["notbefore"].(float64))
	}
	assert.Equal(t, 1, expiring)

	// user => 'all' without any check: every token reads them
	full := e.get(t, "/nodes/pve2/certificates/info").body
	e.sim.SetPermissions(PrivSepNoACL)
	assert.Equal(t, string(full), string(e.get(t, "/nodes/pve2/certificates/info").body))
}

// TestSubscription checks PVE/API2/Subscription.pm get with and without
// Sys.Audit on /nodes/{node}.
func TestSubscription(t *testing.T) {
	e := newEnv(t, opsConfig(1))
	c := e.sim.Cluster()
	for i, n := range c.Nodes {
		s := object(t, e.data(t, "/nodes/"+n.Name+"/subscription"))
		truth := c.Operations.Subscriptions[i]
		assert.Equal(t, truth.Status, s["status"])
		assert.Equal(t, truth.ServerID, s["serverid"])
		if truth.Status == "active" {
			assert.Equal(t, []string{"checktime", "key", "level", "nextduedate", "productname", "regdate", "serverid", "sockets", "status", "url"}, sortedKeys(s))
			assert.Equal(t, "c", s["level"])
			assert.Equal(t, float64(n.Sockets), s["sockets"])
			assert.Regexp(t, `^pve[1248]c-[0-9a-f]{10}$`, s["key"])
		} else {
			assert.Equal(t, "There is no subscription key", s["message"])
		}
	}
	assert.Equal(t, "notfound", c.Operations.Subscriptions[2].Status)
	e.sim.SetPermissions(PrivSepNoACL)
	r := e.get(t, "/nodes/pve1/subscription")
	assert.Equal(t, `{"data":{"status":"active","message":null,"url":"https://www.proxmox.com/en/proxmox-virtual-environment/pricing"}}`, string(r.body))
	r = e.get(t, "/nodes/pve3/subscription")
	assert.Equal(t, `{"data":{"status":"notfound","message":"There is no subscription key","url":"https://www.proxmox.com/en/proxmox-virtual-environment/pricing"}}`, string(r.body))
}

// TestOperationsPermissionsMatrix runs every operations path under every
// permission mode.
func TestOperationsPermissionsMatrix(t *testing.T) {
	e := newEnv(t, opsConfig(1))
	up := e.sim.Cluster().Operations.Tasks[0].UPID
	paths := []string{"/cluster/backup-info/not-backed-up", "/cluster/replication", "/cluster/ha/status/current",
		"/cluster/ceph/status", "/nodes/pve1/tasks", "/nodes/pve1/tasks/" + up + "/log", "/nodes/pve2/replication",
		"/nodes/pve1/certificates/info", "/nodes/pve1/subscription"}
	want := map[Permissions][]int{
		Full:              {200, 200, 200, 200, 200, 200, 200, 200, 200},
		AuditorPVE8:       {200, 200, 200, 200, 200, 200, 200, 200, 200},
		AuditorNoSDN:      {200, 200, 200, 200, 200, 200, 200, 200, 200},
		PrivSepNoACL:      {403, 200, 403, 403, 200, 403, 200, 200, 200},
		PrivSepEmptyLists: {403, 200, 403, 403, 403, 403, 403, 403, 403},
	}
	for _, p := range allPermissions {
		e.sim.SetPermissions(p)
		var got []int
		for _, path := range paths {
			got = append(got, e.get(t, path).status)
		}
		assert.Equal(t, want[p], got, p.String())
	}
}

// TestOperationsDeterministic: the same seed and time give the same bytes.
func TestOperationsDeterministic(t *testing.T) {
	paths := []string{"/cluster/backup-info/not-backed-up", "/cluster/replication", "/cluster/ha/status/current",
		"/cluster/ceph/status", "/nodes/pve1/tasks?source=all&limit=500", "/nodes/pve2/replication",
		"/nodes/pve1/certificates/info", "/nodes/pve1/subscription", "/cluster/resources"}
	body := func(seed int64) []byte {
		e := newEnv(t, opsConfig(seed))
		var b bytes.Buffer
		for _, p := range paths {
			b.Write(e.get(t, p).body)
		}
		return b.Bytes()
	}
	assert.True(t, bytes.Equal(body(1), body(1)))
	assert.False(t, bytes.Equal(body(1), body(2)))
	assert.Equal(t, New(opsConfig(3)).Cluster(), New(opsConfig(3)).Cluster())

	// without a time the history ends now and the HA timestamps follow
	// the clock
	start := time.Now().Unix()
	s := New(Config{Operations: true})
	assert.InDelta(t, start, s.Config().OperationsTime.Unix(), 2)
	assert.InDelta(t, start, s.Cluster().Operations.Time, 2)
}

// TestOperationsPicksSeed1 pins the facts of the default-sized cluster, since
// tests elsewhere may build on them.
func TestOperationsPicksSeed1(t *testing.T) {
	o := New(opsConfig(1)).Cluster().Operations
	var covered, notCovered, never []int
	for _, b := range o.Backups {
		switch {
		case !b.Covered:
			notCovered = append(notCovered, b.VMID)
		case b.LastSuccess == 0:
			never = append(never, b.VMID)
			covered = append(covered, b.VMID)
		default:
			covered = append(covered, b.VMID)
		}
	}
	assert.Equal(t, []int{117, 123}, notCovered)
	assert.Equal(t, []int{108}, never)
	assert.Len(t, covered, 22)
	var repl []string
	for _, j := range o.Replication {
		repl = append(repl, fmt.Sprintf("%s %s->%s fail=%d", j.ID, j.Source, j.Target, j.FailCount))
	}
	assert.Equal(t, []string{"102-0 pve2->pve1 fail=0", "109-0 pve2->pve1 fail=3", "120-0 pve2->pve1 fail=0"}, repl)
	assert.Equal(t, "HEALTH_WARN", o.Ceph.Health)
	var expiring []string
	for _, ce := range o.Certificates {
		if ce.NotAfter < opsTime.Add(10*24*time.Hour).Unix() {
			expiring = append(expiring, ce.Node+"/"+ce.Filename)
		}
	}
	assert.Equal(t, []string{"pve1/pveproxy-ssl.pem"}, expiring)
	assert.True(t, slices.ContainsFunc(o.HA.LRMs, func(l HALRM) bool { return l.Node == "pve3" && l.Mode == "maintenance" }))
}

// TestOperationsOnTinyClusters: every switch copes with clusters too small
// to show all of its quirks.
func TestOperationsOnTinyClusters(t *testing.T) {
	for nodes := 1; nodes <= 2; nodes++ {
		for guests := 1; guests <= 4; guests++ {
			for _, absent := range []bool{false, true} {
				e := newEnv(t, Config{Nodes: nodes, Guests: guests, Operations: true, CephAbsent: absent, HAAbsent: absent,
					SDN: true, QMPStates: true, NICGaps: true, OperationsTime: opsTime})
				for _, p := range []string{"/cluster/backup-info/not-backed-up", "/cluster/replication", "/cluster/ha/status/current"} {
					assert.Equal(t, http.StatusOK, e.get(t, p).status, p)
				}
				want := http.StatusOK
				if absent {
					want = http.StatusInternalServerError
				}
				assert.Equal(t, want, e.get(t, "/cluster/ceph/status").status)
				for _, n := range e.sim.Cluster().Nodes {
					for _, p := range []string{"tasks", "replication", "certificates/info", "subscription"} {
						assert.Equal(t, http.StatusOK, e.get(t, "/nodes/"+n.Name+"/"+p).status, p)
					}
				}
			}
		}
	}
}
