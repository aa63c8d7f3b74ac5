// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pvesim

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Backups and tasks (Config.Operations).
//
// What Proxmox does, and the simulator with it:
//   - A scheduled backup job (/etc/pve/jobs.cfg, type vzdump) runs on every
//     node at its schedule; pvescheduler calls PVE::API2::VZDump->vzdump
//     with quiet=1 as root@pam (pve-manager PVE/Jobs/VZDump.pm run). Each
//     node backs up only its own guests (PVE/API2/VZDump.pm vzdump:
//     get_included_guests, $local_vmids) in one worker task of type
//     "vzdump". The task's id is the vmid when the node has exactly one
//     guest of the job, and empty otherwise ($taskid is set only for a
//     single local vmid); a node without guests of a vmid-list job starts
//     no task at all ("silent exit"), a node without guests of an
//     all-guests job starts one that backs up nothing.
//   - One guest failing does not stop the job: exec_backup goes on with
//     the next guest and dies "job errors" at the end (PVE/VZDump.pm), so
//     the task's status is "job errors" whichever guest failed. Which guest
//     failed is only in the task log.
//   - The task log is the worker's STDOUT/STDERR (pve-common
//     src/PVE/RESTEnvironment.pm fork_worker); vzdump writes "INFO: ..." and
//     "ERROR: ..." lines there without a timestamp (pve-guest-common
//     src/PVE/VZDump/Plugin.pm debugmsg) and fork_worker ends it with
//     "TASK OK" or "TASK ERROR: <error>".
//   - The per-guest lines are those of PVE/VZDump.pm exec_backup_task:
//     "Starting Backup of VM <vmid> (<type>)", "Backup started at <time>",
//     "status = <running|stopped>", "backup mode: <mode>" (a stopped guest
//     is backed up in stop mode), "ionice priority: 7", "creating vzdump
//     archive '<path>'", "archive file size: <size>" (format_size),
//     "Finished Backup of VM <vmid> (<HH:MM:SS>)" (format_time), "Backup
//     finished at <time>"; a failure is "ERROR: Backup of VM <vmid> failed -
//     <error>" and "Failed at <time>". The guest plugins' own lines
//     (qemu-server src/PVE/VZDump/QemuServer.pm progress lines, pve-container
//     src/PVE/VZDump/LXC.pm) are left out.
//   - The errors are real ones: a container whose config is locked fails in
//     lock_vm with "CT is locked (snapshot)" (pve-guest-common
//     src/PVE/AbstractConfig.pm check_lock: guest_type, not the vmid), a VM
//     whose QEMU does not answer fails with "VM <vmid> qmp command
//     'query-backup' failed - got timeout" (qemu-server src/PVE/QMPClient.pm
//     cmd, mux_timeout).
//   - /cluster/backup-info/not-backed-up lists the guests no job includes
//     (pve-manager PVE/API2/Cluster/BackupInfo.pm).
//
// The history: two jobs run every day; one covers every guest but a few
// excluded ones (vzdump --all 1 --exclude ...), the other one of the
// excluded guests, so the rest are not covered. One covered container has
// been locked ("snapshot") all along and has never been backed up; other
// guests fail now and then. All times are UTC.

// Backup jobs' schedules, times of day in UTC.
const (
	backupAllSchedule  = "01:00"
	backupListSchedule = "21:30"
	backupStorage      = "nas"
	backupDumpDir      = "/mnt/pve/nas/dump" // the nfs storage's path is /mnt/pve/<storage>
	backupHistory      = 10 * 24 * time.Hour
	taskUser           = "root@pam"
)

// taskRunner keeps what is needed to write UPIDs for one node.
type taskRunner struct {
	node  string
	boot  int64 // node boot time
	clock int64 // clock ticks per second in /proc/<pid>/stat (USER_HZ)
}

// pstart is the process start time in clock ticks since boot, as
// PVE::ProcFSTools::read_proc_starttime reads it; a task older than the
// current boot ran in an earlier one.
func (r taskRunner) pstart(start int64) int64 {
	boot := r.boot
	for boot > start {
		boot -= 45 * 24 * 3600
	}
	return (start - boot) * r.clock
}

// upid encodes a task's UPID (pve-common src/PVE/UPID.pm encode:
// "UPID:$node:%08X:%08X:%08X:$type:$id:$user:").
func upid(node string, pid, pstart, start int64, typ, id, user string) string {
	return fmt.Sprintf("UPID:%s:%08X:%08X:%08X:%s:%s:%s:", node, pid, pstart, start, typ, id, user)
}

func (r taskRunner) task(pid, start int64, typ, id string) Task {
	ps := r.pstart(start)
	return Task{UPID: upid(r.node, pid, ps, start, typ, id, taskUser), Node: r.node, PID: pid, PStart: ps,
		StartTime: start, Type: typ, ID: id, User: taskUser}
}

// formatSize is PVE/VZDump.pm format_size.
func formatSize(size int64) string {
	kb := float64(size) / 1024
	if kb < 1024 {
		return strconv.Itoa(int(kb)) + "KB"
	}
	mb := float64(size) / (1024 * 1024)
	if mb < 1024 {
		return strconv.Itoa(int(mb)) + "MB"
	}
	gb := mb / 1024
	if gb < 1024 {
		return fmt.Sprintf("%.2fGB", gb)
	}
	return fmt.Sprintf("%.2fTB", gb/1024)
}

// formatDuration is PVE/VZDump.pm format_time.
func formatDuration(s int64) string {
	return fmt.Sprintf("%02d:%02d:%02d", s/3600, s%3600/60, s%60)
}

func logTime(t int64) string { return time.Unix(t, 0).UTC().Format("2006-01-02 15:04:05") }

func joinInts(ids []int, sep string) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.Itoa(id)
	}
	return strings.Join(s, sep)
}

// commandLine is the job's vzdump command line as
// PVE::VZDump::Common::command_line writes it (the options come in Perl
// hash order there; here in a fixed one).
func (j *BackupJob) commandLine() string {
	cmd := "vzdump"
	if j.All {
		cmd += " --all 1"
		if len(j.Exclude) > 0 {
			cmd += " --exclude " + joinInts(j.Exclude, ",")
		}
	} else {
		cmd += " " + joinInts(j.VMIDs, " ")
	}
	return cmd + " --compress zstd --mode " + j.Mode + " --quiet 1 --storage " + j.Storage
}

func (j *BackupJob) covers(vmid int) bool {
	if j.All {
		return !slices.Contains(j.Exclude, vmid)
	}
	return slices.Contains(j.VMIDs, vmid)
}

func backupJobID(rng *rand.Rand) string {
	const digits = "0123456789abcdef"
	b := []byte("backup-00000000-0000")
	for i := range b {
		if b[i] == '0' {
			b[i] = digits[rng.IntN(16)]
		}
	}
	return string(b)
}

func genBackups(c *Cluster, cfg Config, t0 time.Time) ([]BackupJob, []GuestBackup, []Task) {
	rng := opsRand(cfg.Seed, 1)
	guests := c.Guests
	n := len(guests)
	// a few guests are excluded from the all-guests job; the list job
	// covers the first of them, so the others are not covered at all
	perm := rng.Perm(n)
	exclude := make([]int, 0, 3)
	for _, i := range perm[:min(n, 3, max(1, n/6))] {
		exclude = append(exclude, guests[i].VMID)
	}
	slices.Sort(exclude)
	jobs := []BackupJob{
		{ID: backupJobID(rng), Schedule: backupAllSchedule, All: true, Exclude: exclude, Storage: backupStorage, Mode: "snapshot"},
	}
	if len(exclude) > 0 {
		jobs = append(jobs, BackupJob{ID: backupJobID(rng), Schedule: backupListSchedule, VMIDs: exclude[:1],
			Storage: backupStorage, Mode: "snapshot"})
	}

	// the guest whose backups always fail: a covered guest whose config
	// is locked (a stale lock the default cluster already has, else a
	// running container locked by a snapshot that never finished), or,
	// without any container, a running VM whose QEMU never answers. Every
	// locked guest fails in lock_vm, whichever it is.
	never := -1
	for _, i := range perm {
		if never < 0 && guests[i].Lock != "" && jobs[0].covers(guests[i].VMID) {
			never = i
		}
	}
	for _, pass := range []string{"lxc", "qemu"} {
		for _, i := range perm {
			g := &guests[i]
			if never < 0 && g.Type == pass && g.Status == "running" && !g.Template && jobs[0].covers(g.VMID) {
				never = i
			}
		}
	}
	if never >= 0 && guests[never].Type == "lxc" && guests[never].Lock == "" {
		guests[never].Lock = "snapshot"
	}

	backups := make([]GuestBackup, n)
	byVMID := map[int]*GuestBackup{}
	for i := range guests {
		g := &guests[i]
		b := GuestBackup{VMID: g.VMID, Type: g.Type, Node: g.Node, Name: g.Name}
		for _, j := range jobs {
			if j.covers(g.VMID) {
				b.Covered = true
				b.Jobs = append(b.Jobs, j.ID)
			}
		}
		backups[i] = b
		byVMID[g.VMID] = &backups[i]
	}

	var tasks []Task
	runners := make([]taskRunner, len(c.Nodes))
	for i := range c.Nodes {
		nd := &c.Nodes[i]
		runners[i] = taskRunner{node: nd.Name, boot: t0.Unix() - nd.Uptime, clock: 100}
	}
	end := t0.Unix()
	first := t0.Add(-backupHistory).Unix()
	for d := 10; d >= 0; d-- {
		day := dayStart(t0).AddDate(0, 0, -d)
		for ji := range jobs {
			j := &jobs[ji]
			hh, _ := strconv.Atoi(j.Schedule[:2])
			mm, _ := strconv.Atoi(j.Schedule[3:])
			run := day.Add(time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute).Unix()
			if run <= first || run >= end {
				continue
			}
			for ni := range c.Nodes {
				t, ok := backupTask(rng, c, runners[ni], j, run, never)
				if !ok || t.EndTime >= end {
					continue // still running at t0: not part of the history
				}
				for _, tg := range t.Guests {
					b := byVMID[tg.VMID]
					if tg.OK {
						b.Successes++
						b.LastSuccess, b.LastSuccessUPID = tg.Start, t.UPID
					} else {
						b.Failures++
						b.LastFailure, b.LastFailureUPID, b.LastError = tg.Start, t.UPID, tg.Error
					}
				}
				tasks = append(tasks, t)
			}
		}
	}
	tasks = append(tasks, otherTasks(rng, c, runners, t0)...)
	nodeIdx := map[string]int{}
	for i, nd := range c.Nodes {
		nodeIdx[nd.Name] = i
	}
	slices.SortStableFunc(tasks, func(a, b Task) int {
		return cmp.Or(cmp.Compare(nodeIdx[a.Node], nodeIdx[b.Node]), cmp.Compare(b2i(a.Running()), b2i(b.Running())),
			cmp.Compare(b.EndTime, a.EndTime), cmp.Compare(b.StartTime, a.StartTime))
	})
	return jobs, backups, tasks
}

// backupTask runs job j at run on one node. ok is false when the node starts
// no task.
func backupTask(rng *rand.Rand, c *Cluster, r taskRunner, j *BackupJob, run int64, never int) (Task, bool) {
	var local []*Guest
	var skip []int
	for i := range c.Guests {
		g := &c.Guests[i]
		if !j.covers(g.VMID) {
			continue
		}
		if g.Node == r.node {
			local = append(local, g)
		} else {
			skip = append(skip, g.VMID)
		}
	}
	if len(local) == 0 && !j.All {
		return Task{}, false
	}
	start := run + 1 + rng.Int64N(3)
	id := ""
	if len(local) == 1 {
		id = strconv.Itoa(local[0].VMID)
	}
	t := r.task(100_000+rng.Int64N(3_900_000), start, "vzdump", id)
	t.Job = j.ID
	log := []string{"INFO: starting new backup job: " + j.commandLine()}
	if len(skip) > 0 {
		log = append(log, "INFO: skip external VMs: "+joinInts(skip, ", "))
	}
	now := start + 1
	failed := 0
	for _, g := range local {
		res, lines := backupGuest(rng, g, now, never >= 0 && &c.Guests[never] == g)
		log = append(log, lines...)
		t.Guests = append(t.Guests, res)
		if !res.OK {
			failed++
		}
		now = res.End + 1
	}
	t.EndTime = now + 1
	if failed > 0 {
		t.Status = "job errors"
		log = append(log, "INFO: Backup job finished with errors", "TASK ERROR: job errors")
	} else {
		t.Status = "OK"
		log = append(log, "INFO: Backup job finished successfully", "TASK OK")
	}
	t.log = log
	return t, true
}

// backupGuest backs up one guest starting at start.
func backupGuest(rng *rand.Rand, g *Guest, start int64, alwaysFails bool) (TaskGuest, []string) {
	res := TaskGuest{VMID: g.VMID, Start: start}
	fail := alwaysFails || rng.Float64() < 0.04
	status, mode := "running", "snapshot"
	if g.Status != "running" {
		status, mode = "stopped", "stop"
	}
	lines := []string{
		fmt.Sprintf("INFO: Starting Backup of VM %d (%s)", g.VMID, g.Type),
		"INFO: Backup started at " + logTime(start),
		"INFO: status = " + status,
	}
	failWith := func(dur int64, err string) (TaskGuest, []string) {
		res.End, res.Error = start+dur, err
		return res, append(lines, fmt.Sprintf("ERROR: Backup of VM %d failed - %s", g.VMID, err), "INFO: Failed at "+logTime(res.End))
	}
	// lock_vm comes right after the status line and dies on a locked
	// config: "<guest_type> is locked (<lock>)"
	guestType := map[string]string{"qemu": "VM", "lxc": "CT"}[g.Type]
	if g.Lock != "" {
		return failWith(rng.Int64N(2), fmt.Sprintf("%s is locked (%s)", guestType, g.Lock))
	}
	if fail && g.Type == "lxc" {
		// locked for a moment by a snapshot taken at the same time
		return failWith(rng.Int64N(2), "CT is locked (snapshot)")
	}
	ext := "vma"
	if g.Type == "lxc" {
		ext = "tar"
	}
	stamp := time.Unix(start, 0).UTC().Format("2006_01_02-15_04_05")
	lines = append(lines, "INFO: backup mode: "+mode, "INFO: ionice priority: 7",
		fmt.Sprintf("INFO: creating vzdump archive '%s/vzdump-%s-%d-%s.%s.zst'", backupDumpDir, g.Type, g.VMID, stamp, ext))
	if fail {
		return failWith(60+rng.Int64N(240), fmt.Sprintf("VM %d qmp command 'query-backup' failed - got timeout", g.VMID))
	}
	used := g.Disk
	if used == 0 {
		used = g.MaxDisk / 100 * (10 + rng.Int64N(35))
	}
	size := used / 100 * (35 + rng.Int64N(30)) // zstd
	dur := 3 + used/(180*mib) + rng.Int64N(8)
	res.End, res.OK = start+dur, true
	return res, append(lines, "INFO: archive file size: "+formatSize(size),
		fmt.Sprintf("INFO: Finished Backup of VM %d (%s)", g.VMID, formatDuration(dur)),
		"INFO: Backup finished at "+logTime(res.End))
}

// otherTasks are the tasks that are not backups: the daily package database
// update of every node (pve-manager services/pve-daily-update.timer: 01:00
// plus up to 5 h; bin/pveupdate runs PVE::API2::APT update_database with
// quiet=1, which prints nothing: PVE/API2/APT.pm), a few console sessions
// a day (vncproxy with the guest's vmid as id: qemu-server
// src/PVE/API2/Qemu.pm, pve-container src/PVE/API2/LXC.pm vncproxy), enough
// that a node's history is longer than the 50 tasks the list returns by
// default, and one shell that is still open on the first node (its log is
// empty while it runs).
func otherTasks(rng *rand.Rand, c *Cluster, runners []taskRunner, t0 time.Time) []Task {
	var out []Task
	end, first := t0.Unix(), t0.Add(-backupHistory).Unix()
	for d := 10; d >= 0; d-- {
		day := dayStart(t0).AddDate(0, 0, -d).Unix()
		for ni := range c.Nodes {
			start := day + 3600 + rng.Int64N(5*3600)
			t := runners[ni].task(100_000+rng.Int64N(3_900_000), start, "aptupdate", "")
			t.EndTime, t.Status = start+2+rng.Int64N(9), "OK"
			t.log = []string{"TASK OK"}
			if start > first && t.EndTime < end {
				out = append(out, t)
			}
			var local []int
			for gi := range c.Guests {
				if c.Guests[gi].Node == c.Nodes[ni].Name {
					local = append(local, c.Guests[gi].VMID)
				}
			}
			for range 2 + rng.IntN(5) {
				if len(local) == 0 {
					break
				}
				start := day + 7*3600 + rng.Int64N(12*3600)
				t := runners[ni].task(100_000+rng.Int64N(3_900_000), start, "vncproxy", strconv.Itoa(local[rng.IntN(len(local))]))
				t.User = "root@pam"
				t.EndTime, t.Status = start+60+rng.Int64N(3600), "OK"
				t.log = []string{"TASK OK"}
				if start > first && t.EndTime < end {
					out = append(out, t)
				}
			}
		}
	}
	if len(runners) > 0 {
		t := runners[0].task(100_000+rng.Int64N(3_900_000), end-23*60-rng.Int64N(600), "vncshell", "")
		out = append(out, t)
	}
	return out
}
