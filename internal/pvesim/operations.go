// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pvesim

import (
	"math/rand/v2"
	"slices"
	"time"
)

// Operations is the ground truth of the operational state Config.Operations
// adds. Every time is a Unix time in seconds; 0 means never.
type Operations struct {
	// Time is the time the generated history ends at
	// (Config.OperationsTime).
	Time int64 `json:"time"`
	// BackupJobs are the scheduled backup jobs (/etc/pve/jobs.cfg).
	BackupJobs []BackupJob `json:"backup_jobs"`
	// Backups is the backup state of every guest, ordered by VMID.
	Backups []GuestBackup `json:"backups"`
	// Tasks are the tasks of every node: ordered by node as in
	// Cluster.Nodes, then as /nodes/{node}/tasks lists them (newest end
	// first), the running ones last.
	Tasks []Task `json:"tasks"`
	// Replication are the storage replication jobs, ordered by ID.
	Replication []ReplicationJob `json:"replication"`
	// HA is the HA manager state.
	HA HA `json:"ha"`
	// Ceph is the Ceph cluster as it is with every node online.
	Ceph Ceph `json:"ceph"`
	// Certificates are the certificates of every node as
	// /nodes/{node}/certificates/info lists them, ordered by node.
	Certificates []Certificate `json:"certificates"`
	// Subscriptions has one entry per node, ordered like Cluster.Nodes.
	Subscriptions []Subscription `json:"subscriptions"`
}

// BackupJob is one vzdump job of /etc/pve/jobs.cfg, run every day at
// Schedule (UTC) on every node for the node's own guests.
type BackupJob struct {
	ID       string `json:"id"`
	Schedule string `json:"schedule"` // "HH:MM"
	// All backs up every guest but Exclude; otherwise the job covers VMIDs.
	All     bool   `json:"all,omitempty"`
	Exclude []int  `json:"exclude,omitempty"`
	VMIDs   []int  `json:"vmids,omitempty"`
	Storage string `json:"storage"`
	Mode    string `json:"mode"`
}

// GuestBackup is the backup state of one guest over the generated history.
// Per-guest results of a job exist only in the vzdump task log: the task of
// a job covering several guests of a node has an empty id and fails as a
// whole ("job errors") as soon as one guest fails (pve-manager
// PVE/API2/VZDump.pm vzdump, PVE/VZDump.pm exec_backup).
type GuestBackup struct {
	VMID int    `json:"vmid"`
	Type string `json:"type"`
	Node string `json:"node"`
	Name string `json:"name,omitempty"`
	// Covered tells whether a backup job includes the guest; the guests
	// that are not are those /cluster/backup-info/not-backed-up lists.
	Covered bool     `json:"covered"`
	Jobs    []string `json:"jobs,omitempty"`
	// LastSuccess and LastFailure are the start of the guest's most
	// recent successful and failed backup (the "Backup started at" line
	// of the task log); the UPIDs name the tasks they ran in.
	LastSuccess     int64  `json:"last_success"`
	LastSuccessUPID string `json:"last_success_upid,omitempty"`
	LastFailure     int64  `json:"last_failure"`
	LastFailureUPID string `json:"last_failure_upid,omitempty"`
	// LastError is the error of the most recent failure.
	LastError string `json:"last_error,omitempty"`
	Successes int    `json:"successes"`
	Failures  int    `json:"failures"`
}

// Task is one worker task of a node as /nodes/{node}/tasks lists it.
type Task struct {
	UPID      string `json:"upid"`
	Node      string `json:"node"`
	PID       int64  `json:"pid"`
	PStart    int64  `json:"pstart"`
	StartTime int64  `json:"starttime"`
	// EndTime is 0 while the task runs.
	EndTime int64  `json:"endtime,omitempty"`
	Type    string `json:"type"`
	ID      string `json:"id"`
	User    string `json:"user"`
	// Status is the task's exit status ("OK", "WARNINGS: n" or the error
	// text); "" while it runs.
	Status string `json:"status,omitempty"`
	// Job is the backup job of a vzdump task.
	Job string `json:"job,omitempty"`
	// Guests are the per-guest results of a vzdump task, in the order
	// it backed them up.
	Guests []TaskGuest `json:"guests,omitempty"`

	log []string // the task log, "TASK ..." line included while finished
}

// Running reports whether the task is still running.
func (t *Task) Running() bool { return t.EndTime == 0 }

// TaskGuest is the result for one guest within a vzdump task.
type TaskGuest struct {
	VMID  int    `json:"vmid"`
	Start int64  `json:"start"`
	End   int64  `json:"end"`
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

// ReplicationJob is one storage replication job (/etc/pve/replication.cfg)
// with its state on the source node.
type ReplicationJob struct {
	ID     string `json:"id"` // <guest>-<jobnum>
	Guest  int    `json:"guest"`
	JobNum int    `json:"jobnum"`
	VMType string `json:"vmtype"`
	Source string `json:"source"`
	Target string `json:"target"`
	// Schedule is the configured schedule; "" means the default "*/15".
	Schedule string  `json:"schedule,omitempty"`
	Rate     float64 `json:"rate,omitempty"`
	Comment  string  `json:"comment,omitempty"`
	LastSync int64   `json:"last_sync"`
	LastTry  int64   `json:"last_try"`
	// Duration is the last run's duration in seconds.
	Duration  float64 `json:"duration"`
	FailCount int     `json:"fail_count"`
	Error     string  `json:"error,omitempty"`
	// NextSync is next_sync while the target is online; a failing job
	// whose target is offline is not retried (next_sync 0).
	NextSync int64 `json:"next_sync"`
}

// HA is the state of the HA manager.
type HA struct {
	// Configured is false with Config.HAAbsent: no resources, no CRM
	// master, no LRM entries.
	Configured bool         `json:"configured"`
	Master     string       `json:"master,omitempty"`
	LRMs       []HALRM      `json:"lrms,omitempty"`
	Resources  []HAResource `json:"resources,omitempty"`
}

// HALRM is the local resource manager of one node as its lrm_status file
// holds it (pve-ha-manager src/PVE/HA/LRM.pm update_lrm_status).
type HALRM struct {
	Node string `json:"node"`
	// Mode is "active" or "maintenance".
	Mode string `json:"mode"`
	// State is "active", "wait_for_agent_lock" (idle) or "maintenance".
	State string `json:"state"`
	// NodeStatus is the CRM's view of the node (manager_status
	// node_status): "online" or "maintenance".
	NodeStatus string `json:"node_status"`
}

// HAResource is one HA resource (/etc/pve/ha/resources.cfg) with the CRM's
// service state.
type HAResource struct {
	SID  string `json:"sid"` // vm:<vmid> or ct:<vmid>
	VMID int    `json:"vmid"`
	Node string `json:"node"`
	// Target is the node a migrating service moves to.
	Target       string `json:"target,omitempty"`
	RequestState string `json:"request_state"` // started or stopped
	CRMState     string `json:"crm_state"`     // started, stopped, migrate, error
	// State is the verbose state the status API shows.
	State       string `json:"state"`
	MaxRestart  int    `json:"max_restart"`
	MaxRelocate int    `json:"max_relocate"`
}

// Ceph is the Ceph cluster.
type Ceph struct {
	// Installed is false with Config.CephAbsent.
	Installed bool `json:"installed"`
	// NotInitialized is true with Config.CephNotInitialized: the packages
	// are installed, but `pveceph init` never ran.
	NotInitialized bool   `json:"not_initialized,omitempty"`
	FSID           string `json:"fsid,omitempty"`
	// Health is HEALTH_OK, HEALTH_WARN or HEALTH_ERR with every node
	// online; offline nodes add OSD_DOWN, OSD_HOST_DOWN, MON_DOWN and
	// PG_DEGRADED while serving.
	Health      string      `json:"health,omitempty"`
	Checks      []CephCheck `json:"checks,omitempty"`
	Mons        []string    `json:"mons,omitempty"`
	MgrActive   string      `json:"mgr_active,omitempty"`
	MgrStandbys []string    `json:"mgr_standbys,omitempty"`
	OSDs        []CephOSD   `json:"osds,omitempty"`
	Pools       []CephPool  `json:"pools,omitempty"`
	NumPGs      int         `json:"num_pgs,omitempty"`
	NumObjects  int64       `json:"num_objects,omitempty"`
	DataBytes   int64       `json:"data_bytes,omitempty"`
	BytesUsed   int64       `json:"bytes_used,omitempty"`
	BytesAvail  int64       `json:"bytes_avail,omitempty"`
	BytesTotal  int64       `json:"bytes_total,omitempty"`
}

// CephCheck is one health check of `ceph health detail`.
type CephCheck struct {
	Code     string   `json:"code"`
	Severity string   `json:"severity"`
	Summary  string   `json:"summary"`
	Count    int      `json:"count"`
	Detail   []string `json:"detail"`
}

// CephOSD is one OSD: the disk /dev/sdd of its host (/disks/list osdid).
type CephOSD struct {
	ID   int    `json:"id"`
	Host string `json:"host"`
	Size int64  `json:"size"`
}

// CephPool is one pool.
type CephPool struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
	PGs  int    `json:"pgs"`
}

// Certificate is one certificate of /nodes/{node}/certificates/info.
type Certificate struct {
	Node        string   `json:"node"`
	Filename    string   `json:"filename"`
	Subject     string   `json:"subject"`
	Issuer      string   `json:"issuer"`
	NotBefore   int64    `json:"notbefore"`
	NotAfter    int64    `json:"notafter"`
	SAN         []string `json:"san"`
	Fingerprint string   `json:"fingerprint"`
	KeyType     string   `json:"public_key_type"`
	KeyBits     int      `json:"public_key_bits"`
	PEM         string   `json:"pem"`
}

// Subscription is the subscription of one node as a token with Sys.Audit
// on /nodes/{node} reads it.
type Subscription struct {
	Node        string `json:"node"`
	Status      string `json:"status"` // active or notfound
	Level       string `json:"level,omitempty"`
	Key         string `json:"key,omitempty"`
	ProductName string `json:"productname,omitempty"`
	RegDate     string `json:"regdate,omitempty"`
	NextDueDate string `json:"nextduedate,omitempty"`
	CheckTime   int64  `json:"checktime,omitempty"`
	ServerID    string `json:"serverid"`
	Sockets     int    `json:"sockets"`
}

func (o *Operations) clone() *Operations {
	out := *o
	out.BackupJobs = nil
	for _, j := range o.BackupJobs {
		j.Exclude = slices.Clone(j.Exclude)
		j.VMIDs = slices.Clone(j.VMIDs)
		out.BackupJobs = append(out.BackupJobs, j)
	}
	out.Backups = nil
	for _, b := range o.Backups {
		b.Jobs = slices.Clone(b.Jobs)
		out.Backups = append(out.Backups, b)
	}
	out.Tasks = nil
	for _, t := range o.Tasks {
		t.Guests = slices.Clone(t.Guests)
		t.log = slices.Clone(t.log)
		out.Tasks = append(out.Tasks, t)
	}
	out.Replication = slices.Clone(o.Replication)
	out.HA.LRMs = slices.Clone(o.HA.LRMs)
	out.HA.Resources = slices.Clone(o.HA.Resources)
	c := o.Ceph
	c.Checks = nil
	for _, ch := range o.Ceph.Checks {
		ch.Detail = slices.Clone(ch.Detail)
		c.Checks = append(c.Checks, ch)
	}
	c.Mons = slices.Clone(o.Ceph.Mons)
	c.MgrStandbys = slices.Clone(o.Ceph.MgrStandbys)
	c.OSDs = slices.Clone(o.Ceph.OSDs)
	c.Pools = slices.Clone(o.Ceph.Pools)
	out.Ceph = c
	out.Certificates = nil
	for _, ce := range o.Certificates {
		ce.SAN = slices.Clone(ce.SAN)
		out.Certificates = append(out.Certificates, ce)
	}
	out.Subscriptions = slices.Clone(o.Subscriptions)
	return &out
}

// opsRand returns a random stream of its own for one part of the
// operations state, so that each part can change without moving the
// others (or anything the other switches generate).
func opsRand(seed int64, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), 0x0b5e_0000_0000_0000|stream))
}

// applyOperations generates the operations state and adjusts the guests and
// nodes that it touches. t0 is Config.OperationsTime.
func applyOperations(c *Cluster, cfg Config) *Operations {
	t0 := cfg.OperationsTime.UTC()
	o := &Operations{Time: t0.Unix()}
	// the order matters only where one part builds on another: HA picks
	// its resources after replication put guests on local-zfs, backups
	// see the final guest locks
	o.Ceph = genCeph(c, cfg, t0)
	o.Replication = genReplication(c, cfg, t0)
	o.HA = genHA(c, cfg)
	o.BackupJobs, o.Backups, o.Tasks = genBackups(c, cfg, t0)
	o.Certificates = genCertificates(c, cfg, t0)
	o.Subscriptions = genSubscriptions(c, cfg, t0)
	return o
}

// dayStart is midnight UTC of t's day.
func dayStart(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
