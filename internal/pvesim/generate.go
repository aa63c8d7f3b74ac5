// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pvesim

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

const (
	kib = int64(1024)
	mib = 1024 * kib
	gib = 1024 * mib
	tib = 1024 * gib
)

// currentVersion is what the nodes of a Version9 cluster run (but the one
// at legacyNodeIndex, which runs 8.4.1).
const currentVersion = "9.1.4"

var (
	qemuNICModels = []string{
		// the models receivers most likely meet come first, so even the
		// default cluster has all of them
		"e1000", "e1000e", "rtl8139", "vmxnet3", "i82551", "ne2k_pci", "pcnet",
		"e1000-82540em", "i82557b", "i82559er", "ne2k_isa", "e1000-82545em", "e1000-82544gc",
	}
	qemuBridges = []string{"vmbr0", "vmbr1", "vnet0"}
	guestWords  = []string{"web", "db", "cache", "mail", "ci", "dns", "proxy", "git", "mon", "files", "vpn", "build"}
	cpuModels   = []string{
		"AMD EPYC 7543P 32-Core Processor",
		"Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz",
		"Intel(R) Core(TM) i7-6700 CPU @ 3.40GHz",
		"AMD Ryzen 9 5950X 16-Core Processor",
	}
)

// generator builds a Cluster from a seed. Feature placement (which guest has
// which quirk) depends only on indexes so every seed covers every quirk;
// the seed drives sizes, loads and counters.
type generator struct {
	cfg      Config
	rng      *rand.Rand
	nicSeq   int // MAC sequence, shared by qemu and lxc
	qemuNICs int
	ipSeq    int
}

func generate(cfg Config) *Cluster {
	g := &generator{cfg: cfg, rng: rand.New(rand.NewPCG(uint64(cfg.Seed), 0x5eed_9e37_79b9_7f4a))}
	c := &Cluster{Name: "mnm-sim"}
	for i := range cfg.Nodes {
		c.Nodes = append(c.Nodes, g.node(i))
	}
	c.Guests = g.guests()
	if cfg.QMPStates {
		applyQMPStates(c.Guests, cfg.Seed)
	}
	// each switch draws from a random stream of its own, so none of them
	// moves what the others (or the default cluster) generate
	if cfg.NICGaps {
		applyNICGaps(c.Guests, cfg.Seed)
	}
	if cfg.SDN {
		applySDN(c, cfg.Seed)
	}
	if cfg.GuestVLANs {
		applyGuestVLANs(c.Guests, cfg.Seed)
	}
	if cfg.DuplicateMAC {
		c.DuplicateMACs = applyDuplicateMAC(c.Guests, cfg.Seed)
	}
	if cfg.GuestAgentDetails {
		applyAgentDetails(c.Guests, cfg.Seed, cfg.FullFilesystem)
	}
	c.NetDevs = netDevs(cfg, c)
	if cfg.Operations {
		c.Operations = applyOperations(c, cfg)
	}
	return c
}

// legacyNodeIndex is the node running the older PVE version (-1: none).
func legacyNodeIndex(nodes int) int {
	if nodes < 2 {
		return -1
	}
	return 1
}

// noZFSNodeIndex is a node other than the first without ZFS; it prefers
// the last online node so the 500 is observable next to offline nodes.
func noZFSNodeIndex(nodes, offline int) int {
	if nodes < 2 {
		return -1
	}
	if i := nodes - 1 - offline; i >= 1 {
		return i
	}
	return nodes - 1
}

func (g *generator) hex(n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[g.rng.IntN(16)]
	}
	return string(b)
}

func (g *generator) between(lo, hi int64) int64 { return lo + g.rng.Int64N(hi-lo+1) }

func (g *generator) pick(xs []int64) int64 { return xs[g.rng.IntN(len(xs))] }

func (g *generator) node(i int) Node {
	n := Node{
		Name:   fmt.Sprintf("pve%d", i+1),
		NodeID: i + 1,
		IP:     nodeIP(i),
		Online: i < g.cfg.Nodes-g.cfg.OfflineNodes,
		RepoID: g.hex(16),
		Legacy: i == legacyNodeIndex(g.cfg.Nodes),
		HasZFS: i != noZFSNodeIndex(g.cfg.Nodes, g.cfg.OfflineNodes) && !g.cfg.ZFSAbsent,
	}
	n.Version, n.Kernel = nodeRelease(g.cfg.Version)
	switch {
	case g.cfg.Version != Version9:
		n.Legacy = true // every node runs the older version
	case n.Legacy:
		n.Version, n.Kernel = nodeRelease(Version84)
	}
	if i == 0 && !g.cfg.NoSubscription {
		n.Level = "c"
	}
	fp := make([]string, 32)
	for j := range fp {
		fp[j] = fmt.Sprintf("%02X", g.rng.IntN(256))
	}
	n.SSLFingerprint = strings.Join(fp, ":")
	n.Sockets = 1 + g.rng.IntN(2)
	n.Cores = []int{4, 8, 12, 16}[g.rng.IntN(4)]
	n.MaxCPU = n.Sockets * n.Cores * 2
	n.CPUModel = cpuModels[g.rng.IntN(len(cpuModels))]
	n.CPU = g.rng.Float64() * 0.5
	n.MaxMem = g.pick([]int64{32, 64, 128, 256}) * gib
	n.Mem = n.MaxMem / 100 * g.between(15, 85)
	n.MaxDisk = g.between(90, 900) * gib
	n.Disk = n.MaxDisk / 100 * g.between(3, 60)
	if g.rng.IntN(3) > 0 {
		n.SwapTotal = 8 * gib
		n.SwapUsed = g.between(0, 512) * mib
	}
	n.Uptime = g.between(3600, 20_000_000)
	for j := range n.LoadAvg {
		n.LoadAvg[j] = float64(g.rng.IntN(800)) / 100
	}
	n.Storages = g.storages(n)
	if n.HasZFS {
		n.ZFSPools = g.zfsPools(i)
	}
	n.Disks = g.disks(i)
	return n
}

func (g *generator) storages(n Node) []Storage {
	mk := func(name, typ, content string, shared bool, total int64) Storage {
		used := total / 1000 * g.between(50, 900)
		return Storage{Name: name, Type: typ, Content: content, Shared: shared, Enabled: true, Active: true,
			Total: total, Used: used, Avail: total - used}
	}
	out := []Storage{
		mk("local", "dir", "iso,vztmpl,backup,snippets,import", false, n.MaxDisk),
		mk("local-lvm", "lvmthin", "images,rootdir", false, g.between(200, 2000)*gib),
	}
	if n.HasZFS {
		out = append(out, mk("local-zfs", "zfspool", "images,rootdir", false, g.between(400, 4000)*gib))
	}
	// the shared NFS store reports the same numbers on every node
	nas := Storage{Name: "nas", Type: "nfs", Content: "backup,iso,vztmpl", Shared: true, Enabled: true, Active: true,
		Total: 16 * tib, Used: 9*tib + 123456789*kib}
	nas.Avail = nas.Total - nas.Used
	out = append(out, nas,
		// disabled storages answer zeros and no used_fraction
		Storage{Name: "pbs-old", Type: "pbs", Content: "backup", Enabled: false, Active: false})
	return out
}

func (g *generator) zfsPools(nodeIdx int) []ZFSPool {
	size := g.between(400, 4000) * gib
	alloc := size / 100 * g.between(5, 80)
	pools := []ZFSPool{{Name: "rpool", Size: size, Alloc: alloc, Free: size - alloc, Frag: int(g.between(0, 40)), Dedup: 1, Health: "ONLINE"}}
	if nodeIdx == 0 {
		size = 8 * tib
		alloc = size / 100 * g.between(30, 70)
		pools = append(pools, ZFSPool{Name: "tank", Size: size, Alloc: alloc, Free: size - alloc, Frag: int(g.between(5, 50)), Dedup: 1.5, Health: "DEGRADED"})
	}
	return pools
}

func wear(v float64) *float64 { return &v }

func (g *generator) disks(nodeIdx int) []Disk {
	serial := func() string { return strings.ToUpper(g.hex(12)) }
	wwn := func() string { return "0x5" + g.hex(15) }
	hddHealth := "PASSED"
	if nodeIdx == 0 {
		hddHealth = "FAILED!" // guaranteed failing disk on the first node
	}
	osd := -1
	if nodeIdx == 0 {
		osd = 0
	}
	return []Disk{
		{DevPath: "/dev/nvme0n1", Type: "nvme", Model: "Samsung SSD 980 PRO 1TB", Serial: serial(), Vendor: "unknown", WWN: "eui." + g.hex(16),
			Size: 1000204886016, RPM: 0, Health: "PASSED", Wearout: wear(float64(g.between(900, 1000)) / 10), Used: "ZFS", OSDID: -1},
		{DevPath: "/dev/sda", Type: "ssd", Model: "Samsung_SSD_870_EVO_500GB", Serial: serial(), Vendor: "ATA     ", WWN: wwn(),
			Size: 500107862016, RPM: 0, Health: "PASSED", Wearout: wear(float64(g.between(90, 100))), Used: "BIOS boot", OSDID: -1},
		{DevPath: "/dev/sdb", Type: "hdd", Model: "ST4000NM0035-1V4107", Serial: serial(), Vendor: "ATA     ", WWN: wwn(),
			Size: 4000787030016, RPM: 7200, Health: hddHealth, Used: "ZFS", OSDID: -1},
		{DevPath: "/dev/sdc", Type: "ssd", Model: "INTEL_SSDSC2BB080G6", Serial: serial(), Vendor: "ATA     ", WWN: wwn(),
			Size: 80026361856, RPM: 0, Health: "PASSED", Wearout: wear(97), Used: "LVM", OSDID: -1, wearoutString: true},
		{DevPath: "/dev/sdd", Type: "ssd", Model: "XS1920SE70084", Serial: serial(), Vendor: "SEAGATE ", WWN: wwn(),
			Size: 1920383410176, RPM: 0, Health: "OK", Wearout: wear(float64(g.between(95, 100))), Used: "LVM", OSDID: osd},
		{DevPath: "/dev/sde", Type: "usb", Model: "Ultra_Fit", Serial: serial(), Vendor: "SanDisk ", WWN: "unknown",
			Size: 61530439680, RPM: 0, Health: "UNKNOWN", OSDID: -1},
	}
}

func (g *generator) guests() []Guest {
	total := g.cfg.Guests
	qemuTotal := (total*65 + 50) / 100
	var out []Guest
	qi, li := 0, 0
	nodeName := func(i int) string { return fmt.Sprintf("pve%d", i%g.cfg.Nodes+1) }
	for i := range total {
		vmid := 100 + i
		// spread qemu evenly through the vmid range and each type evenly
		// over the nodes
		if (i+1)*qemuTotal/total > i*qemuTotal/total {
			out = append(out, g.qemu(qi, vmid, nodeName(qi)))
			qi++
		} else {
			out = append(out, g.lxc(li, vmid, nodeName(li+1)))
			li++
		}
	}
	return out
}

func (g *generator) guestName(prefix string, vmid int) string {
	return fmt.Sprintf("%s-%s-%d", prefix, guestWords[g.rng.IntN(len(guestWords))], vmid)
}

// usage fills the dynamic counters of a running guest.
func (g *generator) usage(gu *Guest) {
	gu.CPU = g.rng.Float64() * gu.MaxCPU * 0.3
	gu.Mem = gu.MaxMem / 100 * g.between(10, 90)
	gu.NetIn = g.between(1_000, 900_000_000_000)
	gu.NetOut = g.between(1_000, 300_000_000_000)
	gu.DiskRead = g.between(1_000_000, 500_000_000_000)
	gu.DiskWrite = g.between(1_000_000, 500_000_000_000)
	gu.Uptime = g.between(60, 15_000_000)
	gu.PID = int(g.between(1000, 4_000_000))
}

func (g *generator) qemu(k, vmid int, node string) Guest {
	gu := Guest{VMID: vmid, Type: "qemu", Node: node, Name: g.guestName("vm", vmid), Status: "running"}
	if k%10 == 9 {
		gu.Name = ""
	}
	gu.MaxCPU = float64(g.pick([]int64{1, 2, 4, 8}))
	gu.MaxMem = g.pick([]int64{1, 2, 4, 8, 16}) * gib
	gu.MaxDisk = g.pick([]int64{8, 16, 32, 64, 128}) * gib
	switch {
	case k%12 == 7:
		gu.Template, gu.Status = true, "stopped"
	case k%5 == 3:
		gu.Status = "stopped"
	}
	gu.NoRRD = k%19 == 13
	switch k % 4 {
	case 0:
		gu.Tags = "prod;web"
	case 2:
		gu.Tags = "dev"
	}
	if k%500 == 5 {
		gu.Lock = "backup"
	}
	if k%7 == 1 {
		gu.HAState = "started"
	}
	switch k % 6 {
	case 0, 5:
		gu.AgentConfig, gu.Agent = "1", AgentRunning
	case 1:
		gu.AgentConfig, gu.Agent = "1,fstrim_cloned_disks=1", AgentRunning
	case 2:
		gu.AgentConfig, gu.Agent = "enabled=1,type=virtio", AgentNotRunning
	case 3:
		gu.Agent = AgentNone
	case 4:
		gu.AgentConfig, gu.Agent = "0", AgentNone
	}
	if k%17 == 11 {
		gu.AgentConfig, gu.Agent = "1", AgentUnsupported
	}
	gu.QMPStatus = gu.Status // QMPRunning or QMPStopped until applyQMPStates
	if gu.Status == "running" {
		g.usage(&gu)
	}
	nics := 1
	if k%3 == 1 {
		nics++
	}
	if k%7 == 4 {
		nics++
	}
	for idx := range nics {
		gu.NICs = append(gu.NICs, g.qemuNIC(idx))
	}
	// a NIC without MAC (PVE generates one at start); only on stopped
	// guests so agent answers never show an unexplained MAC
	if gu.Status == "stopped" && nics >= 2 && k%3 == 1 {
		gu.NICs[nics-1].MAC = ""
	}
	return gu
}

func (g *generator) qemuNIC(idx int) NIC {
	g.nicSeq++
	g.qemuNICs++
	// features follow the qemu-only sequence so that each is spread over
	// qemu NICs independently of how many lxc NICs were generated
	c := g.qemuNICs
	nic := NIC{Key: fmt.Sprintf("net%d", idx), Name: fmt.Sprintf("ens%d", 18+idx), MAC: macFor(g.nicSeq), seq: c}
	if c%2 == 0 {
		nic.Model = "virtio"
	} else {
		nic.Model = qemuNICModels[(c/2)%len(qemuNICModels)]
	}
	if c%7 != 3 {
		nic.Bridge = qemuBridges[c%3]
		if c%4 == 1 {
			nic.VLAN = 10 + c%90
		}
		if c%9 == 2 {
			nic.Trunks = "10;20-30"
		}
	}
	nic.Firewall = c%2 == 0
	nic.LinkDown = c%11 == 4
	if nic.Model == "virtio" {
		if c%5 == 0 {
			nic.MTU = []int{1500, 9000, 1}[(c/5)%3]
		}
		if c%3 == 1 {
			nic.Queues = 4
		}
	}
	if c%8 == 6 {
		nic.Rate = 12.5
	}
	ip, prefix, _ := ipv4For(g.ipSeq)
	ip6, prefix6 := ipv6For(g.ipSeq)
	g.ipSeq++
	nic.IPv4 = []string{fmt.Sprintf("%s/%d", ip, prefix)}
	nic.IPv6 = []string{fmt.Sprintf("%s/%d", ip6, prefix6)}
	return nic
}

func (g *generator) lxc(j, vmid int, node string) Guest {
	gu := Guest{VMID: vmid, Type: "lxc", Node: node, Name: g.guestName("ct", vmid), Status: "running"}
	gu.MaxCPU = float64(g.pick([]int64{1, 2, 4}))
	if j%7 == 3 {
		gu.MaxCPU = 1.5 // cpulimit wins over cores and may be fractional
	}
	gu.MaxMem = g.pick([]int64{512, 1024, 2048, 4096}) * mib
	gu.MaxDisk = g.pick([]int64{4, 8, 16, 32}) * gib
	switch {
	case j%9 == 5:
		gu.Template, gu.Status = true, "stopped"
	case j%4 == 2:
		gu.Status = "stopped"
	}
	gu.NoRRD = j%13 == 7
	if j%3 == 0 {
		gu.Tags = "infra"
	}
	if j%5 == 1 {
		gu.HAState = "started"
	}
	if gu.Status == "running" {
		g.usage(&gu)
		gu.Disk = gu.MaxDisk / 100 * g.between(5, 80)
	}
	nics := 1
	if j%4 == 1 {
		nics++
	}
	for idx := range nics {
		gu.NICs = append(gu.NICs, g.lxcNIC(idx))
	}
	return gu
}

func (g *generator) lxcNIC(idx int) NIC {
	g.nicSeq++
	d := g.nicSeq
	nic := NIC{Key: fmt.Sprintf("net%d", idx), Name: fmt.Sprintf("eth%d", idx), MAC: macFor(d), Bridge: qemuBridges[idx%2], seq: d}
	ip, prefix, gw := ipv4For(g.ipSeq)
	ip6, prefix6 := ipv6For(g.ipSeq)
	g.ipSeq++
	nic.IPv4 = []string{fmt.Sprintf("%s/%d", ip, prefix)}
	if d%5 == 4 {
		nic.DHCP = true
	} else if idx == 0 {
		nic.Gateway = gw
	}
	switch d % 3 {
	case 1:
		nic.SLAAC = true
		nic.IPv6 = []string{fmt.Sprintf("%s/%d", ip6, prefix6)}
	case 2:
		nic.IPv6 = []string{fmt.Sprintf("%s/%d", ip6, prefix6)}
	}
	if d%4 == 2 {
		nic.VLAN = 100 + d%50
	}
	if d%6 == 1 {
		nic.Trunks = "10;20"
	}
	nic.Firewall = d%2 == 0
	nic.LinkDown = d%9 == 5
	if d%8 == 3 {
		nic.MTU = 1450
	}
	return nic
}

// qmpStateCycle is the order in which applyQMPStates hands out QMP states.
var qmpStateCycle = []string{QMPPaused, QMPSuspended, QMPPrelaunch}

// applyQMPStates gives a few running qemu guests, picked from seed with a
// random stream of their own (so no other generated value changes), a QMP
// run state other than running: about one in ten candidates, at least one
// of each state when there are enough. Candidates run a working agent and
// have RRD data, so that both the state and the silent agent show.
//
// What changes follows what real Proxmox reports for such a guest:
//   - Status stays "running": vmstatus sets status from the pid alone
//     (qemu-server src/PVE/QemuServer.pm vmstatus, "fixme: better
//     status?"), while qmpstatus comes from QMP query-status and is what
//     /cluster/resources shows (pve-manager PVE/Service/pvestatd.pm
//     update_qemu_status: "qmpstatus || status").
//   - the agent does not answer: assert_agent_available pings it with a
//     3 s timeout and dies "QEMU guest agent is not running"
//     (qemu-server src/PVE/QemuServer/Agent.pm), since no guest code runs.
//   - cpu is 0 (no vCPU runs); pid, uptime, MACs and traffic counters stay
//     (the QEMU process and its tap devices live on). A paused or
//     suspended guest keeps its memory; a prelaunch guest has never touched
//     its RAM, so the cgroup holds only QEMU's own memory, and it has
//     neither disk I/O nor sent traffic.
func applyQMPStates(guests []Guest, seed int64) {
	var cand []int
	for i := range guests {
		g := &guests[i]
		if g.Type == "qemu" && g.Status == "running" && !g.Template && !g.NoRRD && g.Agent == AgentRunning {
			cand = append(cand, i)
		}
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x0a05_e5ed_c0de_5eed))
	rng.Shuffle(len(cand), func(i, j int) { cand[i], cand[j] = cand[j], cand[i] })
	n := min(len(cand), max(len(qmpStateCycle), len(cand)/10))
	for k, i := range cand[:n] {
		g := &guests[i]
		g.QMPStatus = qmpStateCycle[k%len(qmpStateCycle)]
		g.Agent = AgentNotRunning
		g.CPU = 0
		if g.QMPStatus == QMPPrelaunch {
			g.Mem = min(g.Mem, 96*mib)
			g.DiskRead, g.DiskWrite = 0, 0
			g.NetOut = 0
			g.NetIn /= 1000 // broadcasts the bridge still hands to the tap
		}
	}
}
