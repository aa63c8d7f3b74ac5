package proxmoxreceiver // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver"

// Response shapes of the Proxmox VE API paths the receiver reads. Every field
// but the identifiers is optional: fields come and go with version,
// permissions and run state (see flex.go for the number quirks).

// clusterResource is one entry of GET /cluster/resources. Its type decides
// which fields are set: qemu, lxc, node, storage (pool, sdn, network and
// future types are ignored).
type clusterResource struct {
	ID        string     `json:"id"`
	Type      string     `json:"type"`
	Node      string     `json:"node"`
	Status    string     `json:"status"`
	VMID      flexInt    `json:"vmid"`
	Name      flexString `json:"name"`
	Template  flexBool   `json:"template"`
	CPU       flexFloat  `json:"cpu"`
	MaxCPU    flexFloat  `json:"maxcpu"`
	Mem       flexInt    `json:"mem"`
	MaxMem    flexInt    `json:"maxmem"`
	Disk      flexInt    `json:"disk"`
	MaxDisk   flexInt    `json:"maxdisk"`
	NetIn     flexInt    `json:"netin"`
	NetOut    flexInt    `json:"netout"`
	DiskRead  flexInt    `json:"diskread"`
	DiskWrite flexInt    `json:"diskwrite"`
	Uptime    flexInt    `json:"uptime"`
	Tags      flexString `json:"tags"`
	Lock      flexString `json:"lock"`
	HAState   flexString `json:"hastate"`
	Storage   string     `json:"storage"`
}

// clusterStatusEntry is one entry of GET /cluster/status.
type clusterStatusEntry struct {
	Type    string   `json:"type"`
	Name    string   `json:"name"`
	Nodes   flexInt  `json:"nodes"`
	Quorate flexBool `json:"quorate"`
	Online  flexBool `json:"online"`
}

// nodeStatus is GET /nodes/{node}/status.
type nodeStatus struct {
	CPU        flexFloat    `json:"cpu"`
	Wait       flexFloat    `json:"wait"`
	Uptime     flexInt      `json:"uptime"`
	LoadAvg    []flexFloat  `json:"loadavg"`
	Memory     memoryStatus `json:"memory"`
	Swap       memoryStatus `json:"swap"`
	RootFS     memoryStatus `json:"rootfs"`
	KSM        ksmStatus    `json:"ksm"`
	KVersion   flexString   `json:"kversion"`
	PVEVersion flexString   `json:"pveversion"`
	CPUInfo    cpuInfo      `json:"cpuinfo"`
}

type memoryStatus struct {
	Total flexInt `json:"total"`
	Used  flexInt `json:"used"`
	Free  flexInt `json:"free"`
}

type ksmStatus struct {
	Shared flexInt `json:"shared"`
}

type cpuInfo struct {
	CPUs    flexInt   `json:"cpus"`
	Cores   flexInt   `json:"cores"`
	Sockets flexInt   `json:"sockets"`
	MHz     flexFloat `json:"mhz"`
}

// nodeStorage is one entry of GET /nodes/{node}/storage.
type nodeStorage struct {
	Storage string   `json:"storage"`
	Type    string   `json:"type"`
	Total   flexInt  `json:"total"`
	Used    flexInt  `json:"used"`
	Avail   flexInt  `json:"avail"`
	Enabled flexBool `json:"enabled"`
	Active  flexBool `json:"active"`
	Shared  flexBool `json:"shared"`
}

// zfsPool is one entry of GET /nodes/{node}/disks/zfs.
type zfsPool struct {
	Name   string    `json:"name"`
	Size   flexInt   `json:"size"`
	Alloc  flexInt   `json:"alloc"`
	Free   flexInt   `json:"free"`
	Frag   flexInt   `json:"frag"`
	Dedup  flexFloat `json:"dedup"`
	Health string    `json:"health"`
}

// physicalDisk is one entry of GET /nodes/{node}/disks/list.
type physicalDisk struct {
	DevPath string     `json:"devpath"`
	Type    flexString `json:"type"`
	Model   flexString `json:"model"`
	Size    flexInt    `json:"size"`
	Health  flexString `json:"health"`
	Wearout flexFloat  `json:"wearout"`
}
