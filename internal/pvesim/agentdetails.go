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
)

// What the QEMU guest agent and Proxmox know about the inside of a qemu
// guest (Config.GuestAgentDetails). The agent commands are served by
// qemu-server's register_command (src/PVE/API2/Qemu/Agent.pm, the same
// command list on 7.4, 8.4 and 9.x), which answers {"result": <the QGA
// return value>} as it comes, errors included; the answer shapes are QEMU's
// qga/qapi-schema.json (10.0.13: GuestFilesystemInfo, GuestDiskAddress,
// GuestOSInfo, GuestHostName).

// Agent commands served with Config.GuestAgentDetails, by API name.
const (
	agentCmdFSInfo   = "get-fsinfo"
	agentCmdOSInfo   = "get-osinfo"
	agentCmdHostName = "get-host-name"
)

// AgentError is an in-band QGA error: the agent answers a command with
// {"error":{"class":...,"desc":...}}, which qemu-server passes on as the
// command's result with HTTP 200 (src/PVE/QMPClient.pm cmd, commit
// 1928c201 "return error from guest-agent"; register_command does not call
// check_agent_error).
type AgentError struct {
	Class string `json:"class"`
	Desc  string `json:"desc"`
}

// Filesystem is one entry of guest-get-fsinfo (QGA GuestFilesystemInfo).
type Filesystem struct {
	// Name is the device: the basename of its sysfs path on Linux (sda2,
	// dm-0, sdb, loop0), the volume GUID path on Windows
	// (\\?\Volume{...}\).
	Name string `json:"name"`
	// Mountpoint is where it is mounted: /, /boot/efi, C:\, or on Windows
	// the literal "System Reserved" for a volume without drive letter.
	Mountpoint string `json:"mountpoint"`
	// Type is the filesystem type: ext4, xfs, vfat, squashfs, NTFS, FAT32.
	Type string `json:"type"`
	// UsedBytes and TotalBytes are nil when the agent omits them: agents
	// before QEMU 3.0 and Windows volumes without drive letter.
	// TotalBytes is the size as df shows it (the root reserve excluded),
	// so df's Use% is UsedBytes/TotalBytes.
	UsedBytes  *int64 `json:"used_bytes,omitempty"`
	TotalBytes *int64 `json:"total_bytes,omitempty"`
	// TotalBytesPrivileged is the size with the root reserve; Linux agents
	// since QEMU 9.1 only.
	TotalBytesPrivileged *int64 `json:"total_bytes_privileged,omitempty"`
	// Disk are the disks the filesystem lives on; empty for a loop device
	// (snap squashfs).
	Disk []FilesystemDisk `json:"disk"`
}

// FilesystemDisk is one disk address of a Filesystem (QGA GuestDiskAddress).
type FilesystemDisk struct {
	// Drive is the config key of the guest disk: scsi0, scsi1.
	Drive string `json:"drive"`
	// BusType is the QGA bus-type (scsi here: virtio-scsi-single).
	BusType string `json:"bus_type"`
	// Serial and Dev are what the agent reports since QEMU 3.1 (udev's
	// serial and /dev/sda2 on Linux; Windows reports \\.\PhysicalDriveN
	// and, here, no serial); "" when it does not.
	Serial string `json:"serial,omitempty"`
	Dev    string `json:"dev,omitempty"`
}

// Used returns the used and total bytes and whether the agent reports them.
func (f *Filesystem) Used() (used, total int64, ok bool) {
	if f.UsedBytes == nil || f.TotalBytes == nil {
		return 0, 0, false
	}
	return *f.UsedBytes, *f.TotalBytes, true
}

// GuestOS is what guest-get-osinfo reports (QGA GuestOSInfo): every member
// is optional, "" means absent. On Linux the kernel members come from
// uname() and the others from os-release (ID, NAME, PRETTY_NAME, VERSION,
// VERSION_ID, VARIANT, VARIANT_ID); on Windows id is "mswindows", name
// "Microsoft Windows", pretty-name the registry ProductName, version and
// version-id from the agent's build tables, kernel-version
// "<major>.<minor>" and kernel-release the build (QEMU
// qga/commands-posix.c and qga/commands-win32.c qmp_guest_get_osinfo).
type GuestOS struct {
	ID            string `json:"id,omitempty"`
	Name          string `json:"name,omitempty"`
	PrettyName    string `json:"pretty_name,omitempty"`
	Version       string `json:"version,omitempty"`
	VersionID     string `json:"version_id,omitempty"`
	Variant       string `json:"variant,omitempty"`
	VariantID     string `json:"variant_id,omitempty"`
	KernelRelease string `json:"kernel_release,omitempty"`
	KernelVersion string `json:"kernel_version,omitempty"`
	Machine       string `json:"machine,omitempty"`
}

// BalloonInfo is a guest's balloon statistics as QMP query-balloon reports
// them through the Proxmox patch of QEMU
// (debian/patches/pve/0013-PVE-virtio-balloon-improve-query-balloon.patch):
// all sizes in bytes. qemu-server's vmstatus with full
// (src/PVE/QemuServer.pm $ballooncb) copies them to ballooninfo and sets
// balloon = Actual, freemem = FreeMem and mem = TotalMem - FreeMem (the
// guest's own view: MemTotal - MemFree on Linux, where page cache counts as
// used; total minus available on Windows). The simulator generates them so
// that TotalMem - FreeMem is Guest.Mem.
type BalloonInfo struct {
	Actual          int64 `json:"actual"`
	MaxMem          int64 `json:"max_mem"`
	TotalMem        int64 `json:"total_mem"`
	FreeMem         int64 `json:"free_mem"`
	MemSwappedIn    int64 `json:"mem_swapped_in"`
	MemSwappedOut   int64 `json:"mem_swapped_out"`
	MajorPageFaults int64 `json:"major_page_faults"`
	MinorPageFaults int64 `json:"minor_page_faults"`
	// StatsAge is how many seconds before the simulator's clock the guest
	// last reported (0 to 2 while it runs: qemu-server polls every 2 s;
	// older for a paused or suspended guest, whose stale report stays).
	StatsAge int64 `json:"stats_age"`
	// LastUpdate is last_update, the epoch second of that report, as of
	// the time Cluster was called (the simulator's clock minus StatsAge).
	LastUpdate int64 `json:"last_update"`
}

// guestOSProfile is an operating system with the guest agent it runs.
type guestOSProfile struct {
	key     string
	windows bool
	agent   string // qemu-ga version: decides which members answers have
	os      GuestOS
	// noOSInfo: an agent before QEMU 2.10 has neither guest-get-osinfo
	// nor guest-get-host-name (both "since 2.10" in qga/qapi-schema.json)
	noOSInfo bool
	// hostDefault is the host name of a guest without a name: what the
	// installer leaves
	hostDefault string
	ostype      string // qemu-server ostype
	layout      string // see (*detailsGen).filesystems
}

// The operating systems of guests whose agent answers. The os-release
// values are those of the releases' os-release files; kernel builds are
// plausible examples, not recordings. Agent versions are the
// distributions' qemu-guest-agent packages.
var guestOSProfiles = map[string]guestOSProfile{
	"debian12": {key: "debian12", agent: "7.2", hostDefault: "debian", ostype: "l26", layout: "plain",
		os: GuestOS{ID: "debian", Name: "Debian GNU/Linux", PrettyName: "Debian GNU/Linux 12 (bookworm)",
			Version: "12 (bookworm)", VersionID: "12", KernelRelease: "6.1.0-40-amd64",
			KernelVersion: "#1 SMP PREEMPT_DYNAMIC Debian 6.1.153-1 (2025-09-20)", Machine: "x86_64"}},
	"debian13": {key: "debian13", agent: "10.0", hostDefault: "debian", ostype: "l26", layout: "plain",
		os: GuestOS{ID: "debian", Name: "Debian GNU/Linux", PrettyName: "Debian GNU/Linux 13 (trixie)",
			Version: "13 (trixie)", VersionID: "13", KernelRelease: "6.12.48+deb13-amd64",
			KernelVersion: "#1 SMP PREEMPT_DYNAMIC Debian 6.12.48-1 (2025-09-20)", Machine: "x86_64"}},
	"debian10": {key: "debian10", agent: "3.1", hostDefault: "debian", ostype: "l26", layout: "plain",
		os: GuestOS{ID: "debian", Name: "Debian GNU/Linux", PrettyName: "Debian GNU/Linux 10 (buster)",
			Version: "10 (buster)", VersionID: "10", KernelRelease: "4.19.0-27-amd64",
			KernelVersion: "#1 SMP Debian 4.19.316-1 (2024-06-25)", Machine: "x86_64"}},
	"ubuntu2404": {key: "ubuntu2404", agent: "8.2", hostDefault: "ubuntu", ostype: "l26", layout: "lvm-ext4",
		os: GuestOS{ID: "ubuntu", Name: "Ubuntu", PrettyName: "Ubuntu 24.04.3 LTS",
			Version: "24.04.3 LTS (Noble Numbat)", VersionID: "24.04", KernelRelease: "6.8.0-85-generic",
			KernelVersion: "#85-Ubuntu SMP PREEMPT_DYNAMIC Thu Sep 18 15:26:59 UTC 2025", Machine: "x86_64"}},
	// Ubuntu 16.04 ships QEMU 2.5: no byte counts, serial or dev in
	// get-fsinfo, no get-osinfo or get-host-name
	"ubuntu1604": {key: "ubuntu1604", agent: "2.5", noOSInfo: true, ostype: "l26", layout: "bios-ext4"},
	"rocky9": {key: "rocky9", agent: "9.1", hostDefault: "localhost.localdomain", ostype: "l26", layout: "lvm-xfs",
		os: GuestOS{ID: "rocky", Name: "Rocky Linux", PrettyName: "Rocky Linux 9.6 (Blue Onyx)",
			Version: "9.6 (Blue Onyx)", VersionID: "9.6", KernelRelease: "5.14.0-570.42.2.el9_6.x86_64",
			KernelVersion: "#1 SMP PREEMPT_DYNAMIC Fri Sep 12 12:41:43 UTC 2025", Machine: "x86_64"}},
	// Alpine's os-release has no VERSION: the agent leaves version out
	"alpine": {key: "alpine", agent: "10.0", hostDefault: "localhost", ostype: "l26", layout: "plain",
		os: GuestOS{ID: "alpine", Name: "Alpine Linux", PrettyName: "Alpine Linux v3.22", VersionID: "3.22.1",
			KernelRelease: "6.12.38-0-virt", KernelVersion: "#1-Alpine SMP PREEMPT_DYNAMIC 2025-07-17 06:42:57",
			Machine: "x86_64"}},
	// CentOS 7 ships QEMU 2.12: get-osinfo and get-host-name, but no byte
	// counts (since 3.0), serial or dev (since 3.1) in get-fsinfo
	"centos7": {key: "centos7", agent: "2.12", hostDefault: "localhost.localdomain", ostype: "l26", layout: "bios-lvm-xfs",
		os: GuestOS{ID: "centos", Name: "CentOS Linux", PrettyName: "CentOS Linux 7 (Core)",
			Version: "7 (Core)", VersionID: "7", KernelRelease: "3.10.0-1160.119.1.el7.x86_64",
			KernelVersion: "#1 SMP Tue Jun 4 14:43:51 UTC 2024", Machine: "x86_64"}},
	"win2022": {key: "win2022", windows: true, agent: "9.2", ostype: "win11", layout: "win-uefi",
		os: windowsOS("20348", "Windows Server 2022 Standard", "Microsoft Windows Server 2022", "2022", "server")},
	"win2019": {key: "win2019", windows: true, agent: "9.2", ostype: "win10", layout: "win-bios",
		os: windowsOS("17763", "Windows Server 2019 Datacenter", "Microsoft Windows Server 2019", "2019", "server")},
	// Windows 11 still says "Windows 10" in the registry's ProductName,
	// which is pretty-name; version comes from the build number
	"win11": {key: "win11", windows: true, agent: "9.2", ostype: "win11", layout: "win-uefi",
		os: windowsOS("22631", "Windows 10 Pro", "Microsoft Windows 11", "11", "client")},
}

func windowsOS(build, product, version, versionID, variant string) GuestOS {
	return GuestOS{ID: "mswindows", Name: "Microsoft Windows", PrettyName: product, Version: version,
		VersionID: versionID, Variant: variant, VariantID: variant, KernelRelease: build,
		KernelVersion: "10.0", Machine: "x86_64"}
}

// detailsRole is what one guest runs: an OS profile and what sets its
// answers apart (snap loop mounts, a bind mount of /, a data disk, no
// balloon service, in-band errors by command).
type detailsRole struct {
	profile                                      string
	snaps, bindMount, dataDisk, noBalloonService bool
	errors                                       map[string]AgentError
}

// detailsRoles are the roles the first candidates get, in this order, so
// that even a small cluster shows the rarest answers: the default one (3
// nodes, 24 guests) has five candidates and so the first five.
var detailsRoles = []detailsRole{
	// a rich Linux guest: LVM root, snap squashfs loops (used == total,
	// disk []), a bind mount of / that agents before QEMU 10.0 list
	// again ("qga: skip bind mounts in fs list", 2024-12), an xfs data
	// disk
	{profile: "ubuntu2404", snaps: true, bindMount: true, dataDisk: true},
	// Windows without the balloon service (BLNSVR): its balloon device
	// never reports statistics
	{profile: "win2022", dataDisk: true, noBalloonService: true},
	// get-fsinfo blocked by the agent's configuration (--block-rpcs or
	// not in --allow-rpcs): QEMU 9.1 and later answer this text for
	// every disabled command (qapi/qmp-dispatch.c qmp_dispatch)
	{profile: "debian13", errors: map[string]AgentError{agentCmdFSInfo: {
		Class: "CommandNotFound", Desc: "Command guest-get-fsinfo has been disabled: the command is not allowed"}}},
	{profile: "centos7"},
	{profile: "ubuntu1604", errors: map[string]AgentError{
		agentCmdOSInfo:   {Class: "CommandNotFound", Desc: "The command guest-get-osinfo has not been found"},
		agentCmdHostName: {Class: "CommandNotFound", Desc: "The command guest-get-host-name has not been found"}}},
	// a disabled command before QEMU 4.2 ("qapi/qmp-dispatch: Fix error
	// class for reporting disabled commands", 2019-08)
	{profile: "debian10", errors: map[string]AgentError{agentCmdFSInfo: {
		Class: "GenericError", Desc: "The command guest-get-fsinfo has been disabled for this instance"}}},
	{profile: "win11"},
	{profile: "rocky9", dataDisk: true},
	{profile: "alpine"},
	{profile: "debian12"},
}

// commonProfiles are what the other candidates run, with their weights.
var commonProfiles = []struct {
	key    string
	weight int
}{
	{"debian12", 30}, {"ubuntu2404", 20}, {"debian13", 15}, {"rocky9", 10}, {"alpine", 5},
	{"win2022", 8}, {"win2019", 6}, {"win11", 6},
}

func pickCommonProfile(rng *rand.Rand) string {
	total := 0
	for _, p := range commonProfiles {
		total += p.weight
	}
	n := rng.IntN(total)
	for _, p := range commonProfiles {
		if n < p.weight {
			return p.key
		}
		n -= p.weight
	}
	return commonProfiles[0].key
}

// agentAtLeast reports whether qemu-ga version v is major.minor or newer.
func agentAtLeast(v string, major, minor int) bool {
	a, b, _ := strings.Cut(v, ".")
	ma, _ := strconv.Atoi(a)
	mi, _ := strconv.Atoi(b)
	return ma > major || ma == major && mi >= minor
}

// applyAgentDetails gives every running qemu guest whose agent answers an
// operating system and what its agent reports, and every running qemu
// guest its balloon state (see Config.GuestAgentDetails), drawn from seed
// with random streams of their own so that no other generated value
// changes. The candidates are shuffled; the first get detailsRoles in
// order (a Windows role skips guests with in-guest VLAN sub-interfaces),
// the others a common profile. full fills one root filesystem to 96 %
// (Config.FullFilesystem).
func applyAgentDetails(guests []Guest, seed int64, full bool) {
	rng := rand.New(rand.NewPCG(uint64(seed), 0xa6e7_d37a_115e_0001))
	var cand []int
	for i := range guests {
		g := &guests[i]
		if g.Type == "qemu" && g.Status == "running" && !g.Template && g.Agent == AgentRunning && g.QMPStatus == QMPRunning {
			cand = append(cand, i)
		}
	}
	rng.Shuffle(len(cand), func(i, j int) { cand[i], cand[j] = cand[j], cand[i] })
	hasSubInterfaces := func(g *Guest) bool {
		return slices.ContainsFunc(g.NICs, func(n NIC) bool { return len(n.SubInterfaces) > 0 })
	}
	roles := make(map[int]detailsRole, len(cand)) // by guest index
	var order []int                               // guest indexes in assignment order
	taken := make([]bool, len(cand))
	for _, role := range detailsRoles {
		for k, gi := range cand {
			if taken[k] || guestOSProfiles[role.profile].windows && hasSubInterfaces(&guests[gi]) {
				continue
			}
			taken[k] = true
			roles[gi] = role
			order = append(order, gi)
			break
		}
	}
	for k, gi := range cand {
		if taken[k] {
			continue
		}
		role := detailsRole{profile: pickCommonProfile(rng)}
		if guestOSProfiles[role.profile].windows && hasSubInterfaces(&guests[gi]) {
			role.profile = "debian12"
		}
		switch {
		case guestOSProfiles[role.profile].windows:
			role.dataDisk = rng.IntN(4) == 0
		default:
			role.dataDisk = rng.IntN(3) == 0
		}
		roles[gi] = role
		order = append(order, gi)
	}
	// generate in VMID order
	byVMID := slices.Clone(order)
	slices.Sort(byVMID)
	for _, gi := range byVMID {
		d := detailsGen{rng: rng, g: &guests[gi], role: roles[gi], prof: guestOSProfiles[roles[gi].profile]}
		d.apply()
	}
	if full {
		for _, gi := range order {
			if fillRootFilesystem(&guests[gi]) {
				break
			}
		}
	}
	applyBalloon(guests, seed)
}

// detailsGen builds one guest's details.
type detailsGen struct {
	rng  *rand.Rand
	g    *Guest
	role detailsRole
	prof guestOSProfile
}

func (d *detailsGen) apply() {
	g, p := d.g, d.prof
	g.OSType = p.ostype
	g.AgentVersion = p.agent
	g.noBalloonService = d.role.noBalloonService
	if d.role.dataDisk {
		g.dataDiskGiB = []int64{32, 64, 128, 256, 512}[d.rng.IntN(5)]
	}
	if len(d.role.errors) > 0 {
		g.AgentErrors = make(map[string]AgentError, len(d.role.errors))
		for k, v := range d.role.errors {
			g.AgentErrors[k] = v
		}
	}
	if !p.noOSInfo {
		osinfo := p.os
		g.OS = &osinfo
		g.AgentHostName = d.hostName()
	}
	fs := d.filesystems()
	if _, failed := g.AgentErrors[agentCmdFSInfo]; !failed {
		g.Filesystems = fs
	}
	if p.windows {
		// Windows names its adapters itself (the FriendlyName the agent
		// reports: qga/commands-win32.c qmp_guest_network_get_interfaces)
		for i := range g.NICs {
			g.NICs[i].Name = "Ethernet"
			if i > 0 {
				g.NICs[i].Name = fmt.Sprintf("Ethernet %d", i+1)
			}
		}
	}
}

// hostName is what guest-get-host-name answers: gethostname() on Linux,
// usually the short name; the NetBIOS name on Windows (GetComputerNameW:
// upper case, at most 15 characters), WIN- and eleven random characters
// when the installer chose it (QEMU qga/commands-posix.c and
// qga/commands-win32.c qga_get_host_name).
func (d *detailsGen) hostName() string {
	g := d.g
	if !d.prof.windows {
		if g.Name == "" {
			return d.prof.hostDefault
		}
		return g.Name
	}
	if g.Name == "" {
		const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
		b := []byte("WIN-")
		for range 11 {
			b = append(b, chars[d.rng.IntN(len(chars))])
		}
		return string(b)
	}
	n := strings.ToUpper(g.Name)
	return n[:min(len(n), 15)]
}

func align4k(v int64) int64 { return v / 4096 * 4096 }

func ptr(v int64) *int64 { return &v }

// fsAdd appends a filesystem: priv is the filesystem's size including the
// root reserve (f_blocks), total the size df shows (used + f_bavail), 0 for
// a volume without byte counts. The agent's version decides which members
// it reports (qga/qapi-schema.json: used-bytes and total-bytes since 3.0,
// serial and dev since 3.1, total-bytes-privileged since 9.1 and Linux
// only).
func (d *detailsGen) fsAdd(out []Filesystem, name, mnt, typ string, used, total, priv int64, disks ...FilesystemDisk) []Filesystem {
	f := Filesystem{Name: name, Mountpoint: mnt, Type: typ, Disk: []FilesystemDisk{}}
	if agentAtLeast(d.prof.agent, 3, 0) && total > 0 {
		f.UsedBytes, f.TotalBytes = ptr(used), ptr(total)
		if !d.prof.windows && agentAtLeast(d.prof.agent, 9, 1) {
			f.TotalBytesPrivileged = ptr(priv)
		}
	}
	for _, dk := range disks {
		if !agentAtLeast(d.prof.agent, 3, 1) {
			dk.Serial, dk.Dev = "", ""
		}
		f.Disk = append(f.Disk, dk)
	}
	return append(out, f)
}

// linuxDisk is the address of a partition (or whole disk) of a guest disk
// on virtio-scsi-single; udev's serial of a QEMU SCSI disk is
// 0QEMU_QEMU_HARDDISK_drive-<key>.
func linuxDisk(drive, dev string) FilesystemDisk {
	return FilesystemDisk{Drive: drive, BusType: "scsi", Serial: "0QEMU_QEMU_HARDDISK_drive-" + drive, Dev: "/dev/" + dev}
}

// ext4 sizes a partition of part bytes: its blocks after the metadata, and
// the 5 % root reserve that total (df's Size) leaves out.
func ext4(part int64) (total, priv int64) {
	priv = align4k(part / 1000 * 984)
	return align4k(priv / 100 * 95), priv
}

// xfs and vfat reserve nothing for root: total equals priv.
func xfs(part int64) (total, priv int64) {
	priv = align4k(part / 1000 * 993)
	return priv, priv
}

func (d *detailsGen) pct(total int64, lo, hi int) int64 {
	return align4k(total / 1000 * int64(lo*10+d.rng.IntN((hi-lo)*10+1)))
}

// filesystems builds what guest-get-fsinfo reports, in the order the agent
// finds them: mountinfo order on Linux (qga/commands-linux.c
// build_fs_mount_list), volume order on Windows (FindFirstVolume).
// Linux lists every block-backed mount: tmpfs, proc and other device-less
// mounts are left out, loop devices have no disk address.
func (d *detailsGen) filesystems() []Filesystem {
	g, p := d.g, d.prof
	var out []Filesystem
	disk := g.MaxDisk
	if p.windows {
		return d.windowsVolumes()
	}
	var root Filesystem
	switch p.layout {
	case "plain": // EFI system partition, root, swap
		esp := 512 * mib
		total, priv := ext4(disk - esp - gib)
		out = d.fsAdd(out, "sda2", "/", "ext4", d.pct(total, 12, 78), total, priv, linuxDisk("scsi0", "sda2"))
		root = out[len(out)-1]
		espTotal := align4k(esp - esp/512)
		out = d.fsAdd(out, "sda1", "/boot/efi", "vfat", d.pct(espTotal, 1, 2), espTotal, espTotal, linuxDisk("scsi0", "sda1"))
	case "lvm-ext4", "lvm-xfs": // ESP, /boot, LVM with root on dm-0
		espSize, bootSize := gib, 2*gib
		sizeFS, fsType := ext4, "ext4"
		if p.layout == "lvm-xfs" {
			espSize, bootSize = 600*mib, gib
			sizeFS, fsType = xfs, "xfs"
		}
		// the Ubuntu installer gives the root LV half the volume group,
		// at most 100 GiB
		lv := disk - espSize - bootSize
		if p.layout == "lvm-ext4" {
			lv = min(lv/2, 100*gib)
		}
		espTotal := align4k(espSize - espSize/512)
		bootTotal, bootPriv := sizeFS(bootSize)
		rootTotal, rootPriv := sizeFS(lv)
		out = d.fsAdd(out, "dm-0", "/", fsType, d.pct(rootTotal, 12, 78), rootTotal, rootPriv, linuxDisk("scsi0", "sda3"))
		root = out[len(out)-1]
		out = d.fsAdd(out, "sda2", "/boot", fsType, d.pct(bootTotal, 9, 20), bootTotal, bootPriv, linuxDisk("scsi0", "sda2"))
		out = d.fsAdd(out, "sda1", "/boot/efi", "vfat", d.pct(espTotal, 1, 2), espTotal, espTotal, linuxDisk("scsi0", "sda1"))
	case "bios-lvm-xfs": // /boot, LVM with root on dm-0 (CentOS 7)
		rootTotal, rootPriv := xfs(disk - gib - 2*gib)
		out = d.fsAdd(out, "dm-0", "/", "xfs", d.pct(rootTotal, 12, 78), rootTotal, rootPriv, linuxDisk("scsi0", "sda2"))
		root = out[len(out)-1]
		bootTotal, bootPriv := xfs(gib)
		out = d.fsAdd(out, "sda1", "/boot", "xfs", d.pct(bootTotal, 15, 30), bootTotal, bootPriv, linuxDisk("scsi0", "sda1"))
	case "bios-ext4": // one root partition
		total, priv := ext4(disk - gib)
		out = d.fsAdd(out, "sda1", "/", "ext4", d.pct(total, 12, 78), total, priv, linuxDisk("scsi0", "sda1"))
		root = out[len(out)-1]
	}
	if g.dataDiskGiB > 0 {
		total, priv := xfs(g.dataDiskGiB * gib)
		out = d.fsAdd(out, "sdb", "/var/lib/data", "xfs", d.pct(total, 20, 85), total, priv, linuxDisk("scsi1", "sdb"))
	}
	if d.role.bindMount && !agentAtLeast(p.agent, 10, 0) {
		// a bind mount of a directory of / shows the same device and
		// the same statvfs numbers at another mountpoint
		dup := root
		dup.Mountpoint = "/srv/www"
		dup.cloneValues()
		out = append(out, dup)
	}
	if d.role.snaps {
		// snap squashfs images: read-only, so used == total; loop
		// devices have no disk address
		for k, s := range []struct {
			mnt  string
			size int64
		}{{"/snap/core22/2045", 77_594_624}, {"/snap/snapd/24792", 52_297_728}} {
			out = d.fsAdd(out, "loop"+itoa(k), s.mnt, "squashfs", s.size, s.size, s.size)
		}
	}
	return out
}

// windowsVolumes builds the volumes of a Windows guest: a volume without
// drive letter or folder path gets the mountpoint "System Reserved" and no
// byte counts (qga/commands-win32.c build_guest_fsinfo); used is
// TotalBytes - TotalFreeBytes of GetDiskFreeSpaceEx, no
// total-bytes-privileged.
func (d *detailsGen) windowsVolumes() []Filesystem {
	g := d.g
	guid := func() string {
		return fmt.Sprintf(`\\?\Volume{%08x-%04x-%04x-%04x-%012x}\`, d.rng.Uint32(), d.rng.IntN(1<<16),
			d.rng.IntN(1<<16), d.rng.IntN(1<<16), d.rng.Int64N(1<<48))
	}
	drive := func(key string, n int) FilesystemDisk {
		return FilesystemDisk{Drive: key, BusType: "scsi", Dev: fmt.Sprintf(`\\.\PhysicalDrive%d`, n)}
	}
	var out []Filesystem
	var reserved int64
	if d.prof.layout == "win-uefi" {
		// EFI system partition (FAT32) and recovery partition, neither
		// with a drive letter
		out = d.fsAdd(out, guid(), "System Reserved", "FAT32", 0, 0, 0, drive("scsi0", 0))
		reserved = 100*mib + 16*mib + 750*mib
	} else {
		out = d.fsAdd(out, guid(), "System Reserved", "NTFS", 0, 0, 0, drive("scsi0", 0))
		reserved = 500 * mib
	}
	total := align4k(g.MaxDisk - reserved)
	out = d.fsAdd(out, guid(), `C:\`, "NTFS", d.pct(total, 35, 80), total, total, drive("scsi0", 0))
	if d.prof.layout == "win-uefi" {
		out = d.fsAdd(out, guid(), "System Reserved", "NTFS", 0, 0, 0, drive("scsi0", 0))
	}
	if g.dataDiskGiB > 0 {
		total := align4k(g.dataDiskGiB*gib - 16*mib)
		out = d.fsAdd(out, guid(), `D:\`, "NTFS", d.pct(total, 10, 70), total, total, drive("scsi1", 1))
	}
	return out
}

// fillRootFilesystem sets the root filesystem of a Linux guest (and its
// bind mounts: the same device) to 96 % used; false if the guest has none
// with byte counts.
func fillRootFilesystem(g *Guest) bool {
	if g.OS == nil || g.OS.ID == "mswindows" {
		return false
	}
	for _, f := range g.Filesystems {
		if _, total, ok := f.Used(); ok && f.Mountpoint == "/" {
			setFilesystemUsed(g, f.Name, total, align4k(total/100*96))
			return true
		}
	}
	return false
}

// setFilesystemUsed sets the used bytes of every entry of device name with
// that total (a mount and its bind mounts), in fresh values.
func setFilesystemUsed(g *Guest, name string, total, used int64) {
	for i := range g.Filesystems {
		f := &g.Filesystems[i]
		if _, t, ok := f.Used(); ok && f.Name == name && t == total {
			f.UsedBytes = ptr(used)
		}
	}
}

// applyBalloon gives the running qemu guests their balloon state, from a
// random stream of its own: one guest (not the Windows guest without
// balloon service, preferably one whose QEMU runs the guest) has balloon:
// 0 in its config and so no balloon device (qemu-server
// src/PVE/QemuServer.pm config_to_command: "enable balloon by default"
// unless it is 0); a guest that never reported (noBalloonService, or a
// prelaunch guest that never ran) has no statistics; every other running
// guest has, stale on a paused or suspended guest.
func applyBalloon(guests []Guest, seed int64) {
	rng := rand.New(rand.NewPCG(uint64(seed), 0xba11_0000_57a7_0001))
	var running []int
	for i := range guests {
		if g := &guests[i]; g.Type == "qemu" && g.Status == "running" {
			running = append(running, i)
		}
	}
	rng.Shuffle(len(running), func(i, j int) { running[i], running[j] = running[j], running[i] })
	rank := func(i int) int {
		g := &guests[i]
		switch {
		case g.noBalloonService:
			return 2
		case g.QMPStatus != QMPRunning:
			return 1
		}
		return 0
	}
	if picks := slices.Clone(running); len(picks) > 0 {
		slices.SortStableFunc(picks, func(a, b int) int { return cmp.Compare(rank(a), rank(b)) })
		if rank(picks[0]) < 2 {
			guests[picks[0]].BalloonConfig = "0"
		}
	}
	slices.Sort(running)
	for _, i := range running {
		g := &guests[i]
		if g.BalloonConfig == "0" || g.noBalloonService || g.QMPStatus == QMPPrelaunch {
			continue
		}
		windows := g.OS != nil && g.OS.ID == "mswindows"
		// MemTotal is what the guest kernel manages: less than the RAM
		// QEMU gives it (firmware, kernel image, crash kernel)
		total := g.MaxMem - g.MaxMem/40 - 48*mib
		if windows {
			total = g.MaxMem - g.MaxMem/64
		}
		total = max(total, g.Mem)
		b := &BalloonInfo{Actual: g.MaxMem, MaxMem: g.MaxMem, TotalMem: total, FreeMem: total - g.Mem,
			StatsAge: rng.Int64N(3)}
		if g.QMPStatus == QMPPaused || g.QMPStatus == QMPSuspended {
			b.StatsAge = min(g.Uptime, 600+rng.Int64N(6000))
		}
		up := max(g.Uptime, 1)
		b.MajorPageFaults = up/40 + rng.Int64N(2000)
		b.MinorPageFaults = up*60 + rng.Int64N(1_000_000)
		if rng.IntN(3) == 0 {
			b.MemSwappedIn = rng.Int64N(64) * mib
			b.MemSwappedOut = b.MemSwappedIn + rng.Int64N(128)*mib
		}
		g.Balloon = b
	}
}

// cloneAgentDetails gives g copies of the details it shares with another
// Guest value.
func (g *Guest) cloneAgentDetails() {
	if g.Filesystems != nil {
		fs := make([]Filesystem, len(g.Filesystems))
		for i, f := range g.Filesystems {
			f.cloneValues()
			fs[i] = f
		}
		g.Filesystems = fs
	}
	if g.OS != nil {
		o := *g.OS
		g.OS = &o
	}
	if g.AgentErrors != nil {
		m := make(map[string]AgentError, len(g.AgentErrors))
		for k, v := range g.AgentErrors {
			m[k] = v
		}
		g.AgentErrors = m
	}
	if g.Balloon != nil {
		b := *g.Balloon
		g.Balloon = &b
	}
}

// cloneValues gives f copies of the values it shares with another
// Filesystem value.
func (f *Filesystem) cloneValues() {
	f.UsedBytes, f.TotalBytes, f.TotalBytesPrivileged = clonePtr(f.UsedBytes), clonePtr(f.TotalBytes), clonePtr(f.TotalBytesPrivileged)
	f.Disk = slices.Clone(f.Disk)
}

func clonePtr(p *int64) *int64 {
	if p == nil {
		return nil
	}
	return ptr(*p)
}
