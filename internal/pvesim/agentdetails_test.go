// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pvesim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var detailsTime = time.Date(2025, 12, 22, 12, 0, 0, 0, time.UTC)

func agentCmdPath(g Guest, cmd string) string {
	return fmt.Sprintf("/nodes/%s/qemu/%d/agent/%s", g.Node, g.VMID, cmd)
}

// fsEntry is a get-fsinfo entry, decoded strictly.
type fsEntry struct {
	Name       string   `json:"name"`
	Mountpoint string   `json:"mountpoint"`
	Type       string   `json:"type"`
	Used       *int64   `json:"used-bytes"`
	Total      *int64   `json:"total-bytes"`
	Priv       *int64   `json:"total-bytes-privileged"`
	Disk       []diskAd `json:"disk"`
}

type diskAd struct {
	PCI     map[string]int `json:"pci-controller"`
	BusType string         `json:"bus-type"`
	Bus     *int           `json:"bus"`
	Target  *int           `json:"target"`
	Unit    *int           `json:"unit"`
	Serial  *string        `json:"serial"`
	Dev     *string        `json:"dev"`
}

// fsinfo fetches get-fsinfo of g and decodes it strictly.
func (e *testEnv) fsinfo(t *testing.T, g Guest) []fsEntry {
	t.Helper()
	r := e.get(t, agentCmdPath(g, "get-fsinfo"))
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	var body struct {
		Data struct {
			Result []fsEntry `json:"result"`
		} `json:"data"`
	}
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&body), "%s", r.body)
	require.NotNil(t, body.Data.Result, "%s", r.body)
	return body.Data.Result
}

// agentResult fetches an agent command and returns its result object.
func (e *testEnv) agentResult(t *testing.T, g Guest, cmd string) map[string]any {
	t.Helper()
	return object(t, object(t, e.data(t, agentCmdPath(g, cmd)))["result"])
}

// checkFSInfo compares an answer with the truth: the same entries in the
// reverse order, each with the members the agent version reports.
func checkFSInfo(t *testing.T, g Guest, got []fsEntry) {
	t.Helper()
	require.Len(t, got, len(g.Filesystems))
	for i, want := range slices.Backward(g.Filesystems) {
		f := got[len(got)-1-i]
		assert.Equal(t, want.Name, f.Name)
		assert.Equal(t, want.Mountpoint, f.Mountpoint)
		assert.Equal(t, want.Type, f.Type)
		assert.Equal(t, want.UsedBytes, f.Used, "%s used", want.Mountpoint)
		assert.Equal(t, want.TotalBytes, f.Total, "%s total", want.Mountpoint)
		assert.Equal(t, want.TotalBytesPrivileged, f.Priv, "%s privileged", want.Mountpoint)
		require.NotNil(t, f.Disk, "disk is required, [] when empty")
		require.Len(t, f.Disk, len(want.Disk))
		for k, d := range f.Disk {
			assert.Equal(t, want.Disk[k].BusType, d.BusType)
			assert.Len(t, d.PCI, 4, "pci-controller: domain, bus, slot, function")
			require.NotNil(t, d.Bus)
			require.NotNil(t, d.Target)
			require.NotNil(t, d.Unit)
			if want.Disk[k].Dev == "" {
				assert.Nil(t, d.Dev)
			} else {
				require.NotNil(t, d.Dev)
				assert.Equal(t, want.Disk[k].Dev, *d.Dev)
			}
			if want.Disk[k].Serial == "" {
				assert.Nil(t, d.Serial)
			} else {
				require.NotNil(t, d.Serial)
				assert.Equal(t, want.Disk[k].Serial, *d.Serial)
			}
		}
	}
}

func profileGuest(t *testing.T, c *Cluster, agentVersion string, pred func(g Guest) bool) Guest {
	t.Helper()
	return findGuest(t, c, func(g Guest) bool { return g.AgentVersion == agentVersion && pred(g) })
}

func anyGuest(Guest) bool { return true }

func TestAgentDetailsOffByDefault(t *testing.T) {
	e := newEnv(t, Config{Seed: 1})
	c := e.sim.Cluster()
	g := findGuest(t, c, func(g Guest) bool { return g.Agent == AgentRunning && g.Status == "running" })
	for _, g := range c.Guests {
		assert.Empty(t, g.Filesystems)
		assert.Nil(t, g.OS)
		assert.Empty(t, g.AgentHostName)
		assert.Empty(t, g.AgentErrors)
		assert.Empty(t, g.AgentVersion)
		assert.Empty(t, g.OSType)
		assert.Empty(t, g.BalloonConfig)
		assert.Nil(t, g.Balloon)
	}
	for _, cmd := range []string{"get-fsinfo", "get-osinfo", "get-host-name"} {
		r := e.get(t, agentCmdPath(g, cmd))
		assert.Equal(t, http.StatusNotImplemented, r.status, cmd)
		assert.Equal(t, fmt.Sprintf("Method 'GET %s' not implemented\n", agentCmdPath(g, cmd)), errorMessage(t, r))
	}
	st := e.sim.Stats()
	assert.EqualValues(t, 3, st.Unknown, "counted as unknown paths, as before")
	for _, tpl := range AgentDetailsTemplates() {
		assert.NotContains(t, Templates(), tpl)
		assert.Zero(t, st.Paths[tpl])
		assert.Error(t, e.sim.ApplyFault(FaultRequest{FailPath: &tpl, Status: 500}), "not served, so not a fault template")
	}
	// the full parameter is ignored, whatever its value
	plain := e.get(t, "/nodes/pve1/qemu").body
	for _, q := range []string{"?full=1", "?full=0", "?full=bogus"} {
		assert.Equal(t, string(plain), string(e.get(t, "/nodes/pve1/qemu"+q).body), q)
	}
	assert.ErrorContains(t, e.sim.SetGuestFilesystemUsed(g.VMID, "/", 1), "reports no filesystems")
}

// TestAgentDetailsLeaveDefaultAnswers checks that the switch adds the
// details without moving any other generated value, and changes no answer
// of a guest it gives nothing.
func TestAgentDetailsLeaveDefaultAnswers(t *testing.T) {
	for _, cfg := range []Config{{Seed: 1}, {Nodes: 4, Guests: 90, Seed: 3, QMPStates: true, GuestVLANs: true, SDN: true}} {
		off := newEnv(t, cfg)
		cfg.GuestAgentDetails = true
		on := newEnv(t, cfg)
		a, b := off.sim.Cluster(), on.sim.Cluster()
		require.Len(t, b.Guests, len(a.Guests))
		changed := 0
		for i := range a.Guests {
			ga, gb := a.Guests[i], b.Guests[i]
			if gb.AgentVersion != "" || gb.BalloonConfig != "" || gb.Balloon != nil {
				changed++
			}
			// what the switch sets, cleared; Windows names its NICs itself
			gb.OSType, gb.AgentVersion, gb.Filesystems, gb.OS, gb.AgentHostName, gb.AgentErrors = "", "", nil, nil, "", nil
			gb.BalloonConfig, gb.Balloon, gb.dataDiskGiB, gb.noBalloonService = "", nil, 0, false
			for k := range gb.NICs {
				gb.NICs[k].Name = ga.NICs[k].Name
			}
			assert.Equal(t, ga, gb, "guest %d", ga.VMID)
		}
		assert.Positive(t, changed)
		a.Guests, b.Guests = nil, nil
		assert.Equal(t, a, b, "nodes, netdevs, SDN stay")

		// answers of guests without details, and of all containers, stay
		for _, g := range on.sim.Cluster().Guests {
			if g.AgentVersion != "" || g.BalloonConfig != "" || g.Type == "qemu" && g.Status == "running" {
				continue
			}
			base := fmt.Sprintf("/nodes/%s/%s/%d/", g.Node, g.Type, g.VMID)
			for _, p := range []string{"config", "status/current"} {
				assert.Equal(t, string(off.get(t, base+p).body), string(on.get(t, base+p).body), base+p)
			}
		}
		for _, p := range []string{"/cluster/resources", "/nodes/pve1/qemu", "/nodes/pve2/qemu", "/nodes/pve1/netstat"} {
			assert.Equal(t, string(off.get(t, p).body), string(on.get(t, p).body), p)
		}
	}
}

func TestAgentDetailsDeterministic(t *testing.T) {
	cfg := Config{Nodes: 3, Guests: 60, Seed: 5, GuestAgentDetails: true, FullFilesystem: true, OperationsTime: detailsTime}
	a, b := New(cfg).Cluster(), New(cfg).Cluster()
	assert.Equal(t, a, b)
	cfg.Seed = 6
	assert.NotEqual(t, a, New(cfg).Cluster(), "the seed picks the guests")
}

// TestAgentFSInfoLinux checks a Linux guest's get-fsinfo: block-backed
// mounts only, a bind mount of / listed again by an agent before QEMU
// 10.0, snap squashfs loops with used == total and no disk address, serial
// and dev since 3.1, no total-bytes-privileged before 9.1.
func TestAgentFSInfoLinux(t *testing.T) {
	e := newEnv(t, Config{GuestAgentDetails: true})
	c := e.sim.Cluster()
	g := profileGuest(t, c, "8.2", func(g Guest) bool { return len(g.Filesystems) > 5 })
	require.NotNil(t, g.OS)
	assert.Equal(t, "ubuntu", g.OS.ID)
	got := e.fsinfo(t, g)
	checkFSInfo(t, g, got)

	byMount := map[string]fsEntry{}
	for _, f := range got {
		byMount[f.Mountpoint] = f
		assert.NotContains(t, []string{"tmpfs", "proc", "sysfs", "devtmpfs", "overlay"}, f.Type, "no device-less mounts")
		require.NotNil(t, f.Used, f.Mountpoint)
		require.NotNil(t, f.Total, f.Mountpoint)
		assert.LessOrEqual(t, *f.Used, *f.Total, f.Mountpoint)
		assert.Nil(t, f.Priv, "8.2 predates total-bytes-privileged")
	}
	root, efi, data := byMount["/"], byMount["/boot/efi"], byMount["/var/lib/data"]
	assert.Equal(t, "ext4", root.Type)
	assert.Equal(t, "vfat", efi.Type)
	assert.Equal(t, "xfs", data.Type)
	assert.Equal(t, "dm-0", root.Name, "LVM: the device-mapper device")
	require.Len(t, root.Disk, 1)
	assert.Equal(t, "/dev/sda3", *root.Disk[0].Dev, "the LV's physical volume")
	assert.Equal(t, "0QEMU_QEMU_HARDDISK_drive-scsi0", *root.Disk[0].Serial)
	assert.Equal(t, "/dev/sdb", *data.Disk[0].Dev)
	assert.Equal(t, "0QEMU_QEMU_HARDDISK_drive-scsi1", *data.Disk[0].Serial)
	assert.Equal(t, "scsi", data.Disk[0].BusType)

	bind, ok := byMount["/srv/www"]
	require.True(t, ok, "the bind mount of /")
	assert.Equal(t, root.Name, bind.Name)
	assert.Equal(t, *root.Used, *bind.Used)
	assert.Equal(t, *root.Total, *bind.Total)

	loops := 0
	for _, f := range got {
		if f.Type != "squashfs" {
			continue
		}
		loops++
		assert.True(t, strings.HasPrefix(f.Name, "loop"), f.Name)
		assert.True(t, strings.HasPrefix(f.Mountpoint, "/snap/"), f.Mountpoint)
		assert.Equal(t, *f.Used, *f.Total, "read-only image: used == total")
		assert.Empty(t, f.Disk)
	}
	assert.Equal(t, 2, loops)
	// the answer is in reverse mount order: / was mounted first
	assert.Equal(t, "/", got[len(got)-1].Mountpoint)

	// its config has the data disk
	cfg := object(t, e.data(t, fmt.Sprintf("/nodes/%s/qemu/%d/config", g.Node, g.VMID)))
	assert.Contains(t, cfg["scsi1"], fmt.Sprintf("-disk-1,iothread=1,size=%dG", g.dataDiskGiB))
	assert.Equal(t, "l26", cfg["ostype"])

	os := e.agentResult(t, g, "get-osinfo")
	assert.Equal(t, map[string]any{"id": "ubuntu", "name": "Ubuntu", "pretty-name": "Ubuntu 24.04.3 LTS",
		"version": "24.04.3 LTS (Noble Numbat)", "version-id": "24.04", "kernel-release": g.OS.KernelRelease,
		"kernel-version": g.OS.KernelVersion, "machine": "x86_64"}, os)
	assert.Equal(t, map[string]any{"host-name": g.AgentHostName}, e.agentResult(t, g, "get-host-name"))
	assert.Equal(t, g.Name, g.AgentHostName)
}

// TestAgentFSInfoNewAgent checks an agent of QEMU 10.0: total-bytes-privileged
// (since 9.1, Linux) with the ext4 root reserve, and no bind mount listed
// twice.
func TestAgentFSInfoNewAgent(t *testing.T) {
	e := newEnv(t, Config{Guests: 80, Seed: 2, GuestAgentDetails: true})
	c := e.sim.Cluster()
	g := profileGuest(t, c, "10.0", func(g Guest) bool { return len(g.Filesystems) > 0 && g.OS.ID == "debian" })
	got := e.fsinfo(t, g)
	checkFSInfo(t, g, got)
	names := map[string]bool{}
	for _, f := range got {
		assert.False(t, names[f.Name], "%s listed once", f.Name)
		names[f.Name] = true
		require.NotNil(t, f.Priv, f.Mountpoint)
		switch f.Type {
		case "ext4":
			assert.Greater(t, *f.Priv, *f.Total, "the root reserve")
		default:
			assert.Equal(t, *f.Priv, *f.Total, f.Type)
		}
	}
	// Alpine's os-release has no VERSION
	alpine := findGuest(t, c, func(g Guest) bool { return g.OS != nil && g.OS.ID == "alpine" })
	os := e.agentResult(t, alpine, "get-osinfo")
	assert.NotContains(t, os, "version")
	assert.Equal(t, "Alpine Linux v3.22", os["pretty-name"])
}

// TestAgentFSInfoWindows checks a Windows guest: volume GUID names, drive
// letter mountpoints, "System Reserved" volumes without byte counts, no
// total-bytes-privileged, \\.\PhysicalDriveN, the osinfo of Windows and an
// upper-case NetBIOS host name; its NICs carry Windows names.
func TestAgentFSInfoWindows(t *testing.T) {
	e := newEnv(t, Config{GuestAgentDetails: true})
	c := e.sim.Cluster()
	g := findGuest(t, c, func(g Guest) bool { return g.OS != nil && g.OS.ID == "mswindows" })
	got := e.fsinfo(t, g)
	checkFSInfo(t, g, got)
	var reserved, lettered int
	for _, f := range got {
		assert.Regexp(t, `^\\\\\?\\Volume\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}\\$`, f.Name)
		assert.Nil(t, f.Priv, "Windows has no total-bytes-privileged")
		require.NotEmpty(t, f.Disk)
		assert.Regexp(t, `^\\\\\.\\PhysicalDrive[0-9]$`, *f.Disk[0].Dev)
		assert.Nil(t, f.Disk[0].Serial)
		if f.Mountpoint == "System Reserved" {
			reserved++
			assert.Nil(t, f.Used)
			assert.Nil(t, f.Total)
			continue
		}
		lettered++
		assert.Regexp(t, `^[C-Z]:\\$`, f.Mountpoint)
		assert.Equal(t, "NTFS", f.Type)
		require.NotNil(t, f.Used)
		assert.Less(t, *f.Used, *f.Total)
	}
	assert.Positive(t, reserved)
	assert.Positive(t, lettered)
	assert.Contains(t, string(e.get(t, agentCmdPath(g, "get-fsinfo")).body), `"mountpoint":"C:\\"`, "one backslash, JSON-escaped")

	os := e.agentResult(t, g, "get-osinfo")
	assert.Equal(t, "mswindows", os["id"])
	assert.Equal(t, "Microsoft Windows", os["name"])
	assert.Equal(t, "Windows Server 2022 Standard", os["pretty-name"])
	assert.Equal(t, "Microsoft Windows Server 2022", os["version"])
	assert.Equal(t, "2022", os["version-id"])
	assert.Equal(t, "server", os["variant"])
	assert.Equal(t, "10.0", os["kernel-version"])
	assert.Equal(t, "20348", os["kernel-release"])
	host := e.agentResult(t, g, "get-host-name")["host-name"].(string)
	assert.Equal(t, strings.ToUpper(host), host)
	assert.LessOrEqual(t, len(host), 15)
	assert.Equal(t, g.AgentHostName, host)

	cfg := object(t, e.data(t, fmt.Sprintf("/nodes/%s/qemu/%d/config", g.Node, g.VMID)))
	assert.Equal(t, "win11", cfg["ostype"])

	ifaces := list(t, object(t, e.data(t, agentCmdPath(g, "network-get-interfaces")))["result"])
	require.Len(t, ifaces, len(g.NICs)+1)
	for i, n := range g.NICs {
		assert.Equal(t, n.Name, ifaces[i]["name"])
		assert.Equal(t, strings.ToLower(n.MAC), ifaces[i]["hardware-address"])
		raw, err := json.Marshal(ifaces[i]["ip-addresses"])
		require.NoError(t, err)
		ip4, _ := splitCIDR(n.IPv4[0])
		assert.Contains(t, string(raw), ip4)
		assert.Regexp(t, `"fe80::[0-9a-f:]+%[0-9]+"`, string(raw), "link-local with its zone")
	}
	assert.Equal(t, "Ethernet", g.NICs[0].Name)
	lo := ifaces[len(ifaces)-1]
	assert.Equal(t, "Loopback Pseudo-Interface 1", lo["name"])
	assert.NotContains(t, lo, "hardware-address")

	// Windows 11's ProductName still says Windows 10
	big := newEnv(t, Config{Guests: 80, Seed: 2, GuestAgentDetails: true}).sim.Cluster()
	w11 := findGuest(t, big, func(g Guest) bool { return g.OS != nil && g.OS.VersionID == "11" })
	assert.Equal(t, "Windows 10 Pro", w11.OS.PrettyName)
	assert.Equal(t, "client", w11.OS.VariantID)
}

// TestAgentFSInfoOldAgent checks a QEMU 2.12 agent: no used-bytes or
// total-bytes (since 3.0), no serial or dev (since 3.1), but osinfo and
// host name (since 2.10).
func TestAgentFSInfoOldAgent(t *testing.T) {
	e := newEnv(t, Config{GuestAgentDetails: true})
	c := e.sim.Cluster()
	g := profileGuest(t, c, "2.12", anyGuest)
	got := e.fsinfo(t, g)
	checkFSInfo(t, g, got)
	require.NotEmpty(t, got)
	for _, f := range got {
		assert.Nil(t, f.Used)
		assert.Nil(t, f.Total)
		assert.Nil(t, f.Priv)
		require.NotEmpty(t, f.Disk)
		assert.Nil(t, f.Disk[0].Dev)
		assert.Nil(t, f.Disk[0].Serial)
		assert.Equal(t, "xfs", f.Type)
	}
	raw := string(e.get(t, agentCmdPath(g, "get-fsinfo")).body)
	assert.NotContains(t, raw, "used-bytes")
	assert.Equal(t, "centos", e.agentResult(t, g, "get-osinfo")["id"])
	assert.Equal(t, g.AgentHostName, e.agentResult(t, g, "get-host-name")["host-name"])
	assert.ErrorContains(t, e.sim.SetGuestFilesystemUsed(g.VMID, "/", 1), "no byte counts")
}

// TestAgentCommandErrors checks the in-band errors: HTTP 200 with
// {"result":{"error":{...}}}, as qemu-server passes them on.
func TestAgentCommandErrors(t *testing.T) {
	e := newEnv(t, Config{Guests: 80, Seed: 2, GuestAgentDetails: true})
	c := e.sim.Cluster()
	body := func(g Guest, cmd string) string {
		r := e.get(t, agentCmdPath(g, cmd))
		require.Equal(t, http.StatusOK, r.status)
		return string(r.body)
	}
	t.Run("get-fsinfo disabled, QEMU 9.1 and later", func(t *testing.T) {
		g := findGuest(t, c, func(g Guest) bool { return g.AgentErrors[agentCmdFSInfo].Class == "CommandNotFound" })
		assert.Equal(t, "10.0", g.AgentVersion)
		assert.Nil(t, g.Filesystems)
		assert.Equal(t, `{"data":{"result":{"error":{"class":"CommandNotFound","desc":"Command guest-get-fsinfo has been disabled: the command is not allowed"}}}}`,
			body(g, "get-fsinfo"))
		assert.Equal(t, "debian", e.agentResult(t, g, "get-osinfo")["id"], "other commands answer")
		assert.Contains(t, e.agentResult(t, g, "get-host-name"), "host-name")
		assert.Equal(t, http.StatusOK, e.get(t, agentCmdPath(g, "network-get-interfaces")).status)
		assert.ErrorContains(t, e.sim.SetGuestFilesystemUsed(g.VMID, "/", 1), "reports no filesystems")
	})
	t.Run("get-fsinfo disabled, before QEMU 4.2", func(t *testing.T) {
		g := findGuest(t, c, func(g Guest) bool { return g.AgentErrors[agentCmdFSInfo].Class == "GenericError" })
		assert.Equal(t, "3.1", g.AgentVersion)
		assert.Equal(t, `{"data":{"result":{"error":{"class":"GenericError","desc":"The command guest-get-fsinfo has been disabled for this instance"}}}}`,
			body(g, "get-fsinfo"))
	})
	t.Run("no get-osinfo", func(t *testing.T) {
		g := profileGuest(t, c, "2.5", anyGuest)
		assert.Nil(t, g.OS)
		assert.Empty(t, g.AgentHostName)
		assert.Equal(t, `{"data":{"result":{"error":{"class":"CommandNotFound","desc":"The command guest-get-osinfo has not been found"}}}}`,
			body(g, "get-osinfo"))
		assert.Equal(t, `{"data":{"result":{"error":{"class":"CommandNotFound","desc":"The command guest-get-host-name has not been found"}}}}`,
			body(g, "get-host-name"))
		got := e.fsinfo(t, g)
		checkFSInfo(t, g, got)
		require.Len(t, got, 1)
		assert.Nil(t, got[0].Total, "2.5 has no byte counts either")
	})
	t.Run("ancient agent", func(t *testing.T) {
		g := findGuest(t, c, func(g Guest) bool { return g.Agent == AgentUnsupported && g.Status == "running" })
		for _, cmd := range []string{"get-fsinfo", "get-osinfo", "get-host-name"} {
			assert.Equal(t, string(agentUnsupportedBody), body(g, cmd))
		}
	})
	t.Run("each error once", func(t *testing.T) {
		count := map[string]int{}
		for _, g := range c.Guests {
			for cmd, e := range g.AgentErrors {
				count[cmd+" "+e.Class]++
			}
		}
		assert.Equal(t, map[string]int{"get-fsinfo CommandNotFound": 1, "get-fsinfo GenericError": 1,
			"get-osinfo CommandNotFound": 1, "get-host-name CommandNotFound": 1}, count)
	})
}

// TestAgentCommandChecks checks assert_agent_available's order: no agent
// key before the run state, then the run state, then the agent.
func TestAgentCommandChecks(t *testing.T) {
	const delay = 40 * time.Millisecond
	e := newEnv(t, Config{GuestAgentDetails: true, AgentDelay: delay})
	c := e.sim.Cluster()
	cases := []struct {
		name  string
		pred  func(g Guest) bool
		msg   func(g Guest) string
		delay bool
	}{
		{"stopped without agent key", func(g Guest) bool { return g.Status == "stopped" && g.AgentConfig == "" },
			func(Guest) string { return "No QEMU guest agent configured" }, false},
		{"stopped with agent", func(g Guest) bool { return g.Status == "stopped" && g.AgentConfig != "" },
			func(g Guest) string { return fmt.Sprintf("VM %d is not running", g.VMID) }, false},
		{"running without agent key", func(g Guest) bool { return g.Status == "running" && g.AgentConfig == "" },
			func(Guest) string { return "No QEMU guest agent configured" }, false},
		{"running with agent: 0", func(g Guest) bool { return g.Status == "running" && g.AgentConfig == "0" },
			func(Guest) string { return "QEMU guest agent is not running" }, false},
		{"agent not answering", func(g Guest) bool { return g.Status == "running" && g.Agent == AgentNotRunning },
			func(Guest) string { return "QEMU guest agent is not running" }, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := findGuest(t, c, func(g Guest) bool { return g.Type == "qemu" && tc.pred(g) })
			for _, cmd := range []string{"get-fsinfo", "get-osinfo", "get-host-name"} {
				start := time.Now()
				r := e.get(t, agentCmdPath(g, cmd))
				took := time.Since(start)
				assert.Equal(t, http.StatusInternalServerError, r.status)
				assert.Equal(t, tc.msg(g)+"\n", errorMessage(t, r))
				if tc.delay {
					assert.GreaterOrEqual(t, took, delay, "the guest-ping times out")
				} else {
					assert.Less(t, took, delay, "no ping to wait for")
				}
			}
		})
	}
	t.Run("unknown guest", func(t *testing.T) {
		r := e.get(t, "/nodes/pve1/qemu/99999/agent/get-fsinfo")
		assert.Equal(t, http.StatusInternalServerError, r.status)
		assert.Equal(t, "Configuration file 'nodes/pve1/qemu-server/99999.conf' does not exist\n", errorMessage(t, r))
	})
	t.Run("counted per template", func(t *testing.T) {
		e.sim.ResetStats()
		g := findGuest(t, c, func(g Guest) bool { return len(g.Filesystems) > 0 })
		e.get(t, agentCmdPath(g, "get-fsinfo"))
		e.get(t, agentCmdPath(g, "get-osinfo"))
		e.get(t, agentCmdPath(g, "get-osinfo"))
		e.get(t, agentCmdPath(g, "get-host-name"))
		st := e.sim.Stats()
		assert.EqualValues(t, 1, st.Paths[PathQemuAgentFSInfo])
		assert.EqualValues(t, 2, st.Paths[PathQemuAgentOSInfo])
		assert.EqualValues(t, 1, st.Paths[PathQemuAgentHostName])
		assert.Zero(t, st.Unknown)
	})
}

// TestAgentCommandPermissions checks the privileges: VM.Monitor up to 8.4,
// VM.GuestAgent.Audit or VM.GuestAgent.Unrestricted on 9, like
// network-get-interfaces.
func TestAgentCommandPermissions(t *testing.T) {
	e := newEnv(t, Config{GuestAgentDetails: true, Permissions: PrivSepNoACL})
	g := findGuest(t, e.sim.Cluster(), func(g Guest) bool { return len(g.Filesystems) > 0 })
	for _, v := range []struct{ version, privs string }{{"9", "VM.GuestAgent.Audit|VM.GuestAgent.Unrestricted"}, {"7", "VM.Monitor"}} {
		require.NoError(t, e.sim.SetVersion(v.version))
		for _, cmd := range []string{"get-fsinfo", "get-osinfo", "get-host-name"} {
			r := e.get(t, agentCmdPath(g, cmd))
			assert.Equal(t, http.StatusForbidden, r.status, cmd)
			msg := fmt.Sprintf("Permission check failed (/vms/%d, %s)", g.VMID, v.privs)
			if v.version == "7" {
				assert.Equal(t, msg, r.reason, "PVE 7: in the reason phrase only")
			} else {
				assert.Equal(t, msg+"\n", errorMessage(t, r))
			}
		}
	}
	e.sim.ClearFaults()
	e.sim.SetPermissions(AuditorPVE8)
	for _, cmd := range []string{"get-fsinfo", "get-osinfo", "get-host-name"} {
		r := e.get(t, agentCmdPath(g, cmd))
		assert.Equal(t, http.StatusForbidden, r.status, cmd)
		assert.Equal(t, fmt.Sprintf("Permission check failed (/vms/%d, VM.Monitor)\n", g.VMID), errorMessage(t, r))
	}
	e.sim.SetPermissions(Full)
	assert.Equal(t, http.StatusOK, e.get(t, agentCmdPath(g, "get-fsinfo")).status)
}

// TestQemuListFull checks /nodes/{node}/qemu?full=1: vmstatus with full,
// balloon statistics included, and the answers without them.
func TestQemuListFull(t *testing.T) {
	e := newEnv(t, Config{Seed: 1, GuestAgentDetails: true, OperationsTime: detailsTime, QMPStates: true, Guests: 60})
	c := e.sim.Cluster()
	now := detailsTime.Unix()
	plain := newEnv(t, Config{Seed: 1, QMPStates: true, Guests: 60})
	seen := map[string]int{}
	for _, n := range c.Nodes {
		without := e.get(t, "/nodes/"+n.Name+"/qemu").body
		assert.Equal(t, string(plain.get(t, "/nodes/"+n.Name+"/qemu").body), string(without), "without full, as before")
		assert.Equal(t, string(without), string(e.get(t, "/nodes/"+n.Name+"/qemu?full=0").body))
		entries := list(t, e.data(t, "/nodes/"+n.Name+"/qemu?full=1"))
		byID := map[int]map[string]any{}
		for _, vm := range entries {
			byID[int(vm["vmid"].(float64))] = vm
		}
		for _, g := range c.Guests {
			if g.Node != n.Name || g.Type != "qemu" {
				continue
			}
			vm := byID[g.VMID]
			require.NotNil(t, vm, "guest %d", g.VMID)
			assert.NotContains(t, vm, "ha", "status/current only")
			assert.NotContains(t, vm, "agent")
			assert.Equal(t, n.Name != "pve2", vm["memhost"] != nil, "memhost on PVE 9 nodes only (pve2 runs 8.4)")
			if g.Status != "running" {
				seen["stopped"]++
				assert.Equal(t, "stopped", vm["qmpstatus"])
				assert.NotContains(t, vm, "balloon")
				assert.NotContains(t, vm, "ballooninfo")
				continue
			}
			assert.Equal(t, g.QMPStatus, vm["qmpstatus"])
			assert.Contains(t, vm, "nics")
			assert.Contains(t, vm, "proxmox-support")
			assert.InDelta(t, float64(g.Mem), vm["mem"], 0)
			switch {
			case g.BalloonConfig == "0":
				seen["balloon: 0"]++
				for _, k := range []string{"balloon", "ballooninfo", "freemem", "shares"} {
					assert.NotContains(t, vm, k, "no balloon device")
				}
				cfg := object(t, e.data(t, fmt.Sprintf("/nodes/%s/qemu/%d/config", g.Node, g.VMID)))
				assert.Equal(t, float64(0), cfg["balloon"])
			case g.Balloon == nil:
				seen["no statistics"]++
				assert.InDelta(t, float64(g.MaxMem), vm["balloon"], 0)
				assert.Equal(t, map[string]any{"actual": float64(g.MaxMem), "max_mem": float64(g.MaxMem)}, vm["ballooninfo"])
				assert.NotContains(t, vm, "freemem")
				assert.True(t, g.noBalloonService || g.QMPStatus == QMPPrelaunch, "guest %d", g.VMID)
			default:
				seen["statistics"]++
				b := g.Balloon
				bi := object(t, vm["ballooninfo"])
				assert.Equal(t, []string{"actual", "free_mem", "last_update", "major_page_faults", "max_mem",
					"mem_swapped_in", "mem_swapped_out", "minor_page_faults", "total_mem"}, sortedKeys(bi))
				assert.InDelta(t, float64(b.Actual), vm["balloon"], 0)
				assert.InDelta(t, float64(b.FreeMem), vm["freemem"], 0)
				assert.InDelta(t, float64(b.TotalMem), bi["total_mem"], 0)
				assert.InDelta(t, bi["total_mem"].(float64)-bi["free_mem"].(float64), vm["mem"], 0, "mem = total_mem - free_mem")
				assert.Less(t, b.TotalMem, g.MaxMem, "MemTotal is below the RAM QEMU gives")
				assert.InDelta(t, float64(now-b.StatsAge), bi["last_update"], 0)
				assert.Equal(t, now-b.StatsAge, b.LastUpdate)
				if g.QMPStatus == QMPRunning {
					assert.LessOrEqual(t, b.StatsAge, int64(2), "reported within qemu-server's 2 s polling")
				} else {
					seen["stale"]++
					assert.Greater(t, b.StatsAge, int64(2), "a paused guest's report is stale")
				}
			}
			// status/current says the same
			st := object(t, e.data(t, fmt.Sprintf("/nodes/%s/qemu/%d/status/current", g.Node, g.VMID)))
			for _, k := range []string{"balloon", "ballooninfo", "freemem", "mem", "qmpstatus"} {
				assert.Equal(t, vm[k], st[k], "guest %d %s", g.VMID, k)
			}
		}
	}
	assert.Equal(t, 1, seen["balloon: 0"])
	for _, k := range []string{"stopped", "no statistics", "statistics", "stale"} {
		assert.Positive(t, seen[k], k)
	}

	for _, bad := range []string{"true", "yes", "2", ""} {
		r := e.get(t, "/nodes/pve1/qemu?full="+bad)
		assert.Equal(t, http.StatusBadRequest, r.status, bad)
		assert.Contains(t, string(r.body), fmt.Sprintf(`"full":"type check ('boolean') failed - got '%s'"`, bad))
	}
}

// TestWindowsWithoutBalloonService checks the Windows guest whose balloon
// device never reports: ballooninfo with actual and max_mem only.
func TestWindowsWithoutBalloonService(t *testing.T) {
	e := newEnv(t, Config{GuestAgentDetails: true, OperationsTime: detailsTime})
	c := e.sim.Cluster()
	g := findGuest(t, c, func(g Guest) bool { return g.noBalloonService })
	assert.Equal(t, "mswindows", g.OS.ID)
	assert.Nil(t, g.Balloon)
	st := object(t, e.data(t, fmt.Sprintf("/nodes/%s/qemu/%d/status/current", g.Node, g.VMID)))
	assert.Equal(t, map[string]any{"actual": float64(g.MaxMem), "max_mem": float64(g.MaxMem)}, st["ballooninfo"])
	assert.NotContains(t, st, "freemem")
	others := 0
	for _, o := range c.Guests {
		if o.Type == "qemu" && o.Status == "running" && o.VMID != g.VMID && o.BalloonConfig == "" {
			assert.NotNil(t, o.Balloon, "guest %d reports", o.VMID)
			others++
		}
	}
	assert.Positive(t, others)
}

func TestSetGuestFilesystemUsed(t *testing.T) {
	e := newEnv(t, Config{GuestAgentDetails: true})
	c := e.sim.Cluster()
	g := profileGuest(t, c, "8.2", func(g Guest) bool { return len(g.Filesystems) > 5 })
	var root Filesystem
	for _, f := range g.Filesystems {
		if f.Mountpoint == "/" {
			root = f
		}
	}
	_, total, ok := root.Used()
	require.True(t, ok)
	want := total / 100 * 95

	require.NoError(t, e.sim.SetGuestFilesystemUsed(g.VMID, "/", want))
	for _, f := range e.fsinfo(t, g) {
		if f.Name == root.Name {
			assert.Equal(t, want, *f.Used, "%s and its bind mount", f.Mountpoint)
		} else {
			assert.NotEqual(t, want, *f.Used, f.Mountpoint)
		}
	}
	var after Guest
	for _, cg := range e.sim.Cluster().Guests {
		if cg.VMID == g.VMID {
			after = cg
		}
	}
	checkFSInfo(t, after, e.fsinfo(t, g))

	for _, bad := range []struct {
		vmid  int
		mount string
		used  int64
		err   string
	}{
		{99999, "/", 1, "unknown guest"},
		{g.VMID, "/nope", 1, "no filesystem mounted at"},
		{g.VMID, "/", -1, "outside 0 to"},
		{g.VMID, "/", total + 1, "outside 0 to"},
	} {
		assert.ErrorContains(t, e.sim.SetGuestFilesystemUsed(bad.vmid, bad.mount, bad.used), bad.err)
	}
	win := findGuest(t, c, func(g Guest) bool { return isWindows(&g) })
	assert.ErrorContains(t, e.sim.SetGuestFilesystemUsed(win.VMID, "System Reserved", 1), "no byte counts")

	e.sim.ClearFaults()
	checkFSInfo(t, g, e.fsinfo(t, g))

	// over /_sim/fault
	post := func(body string) *http.Response {
		resp, err := e.client.Post(e.srv.URL+"/_sim/fault", "application/json", strings.NewReader(body))
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}
	assert.Equal(t, http.StatusNoContent, post(fmt.Sprintf(`{"guest_fs_used":{"vmid":%d,"mountpoint":"/","used_bytes":%d}}`, g.VMID, want)).StatusCode)
	assert.Equal(t, want, *e.fsinfo(t, g)[len(g.Filesystems)-1].Used, "/ comes last")
	assert.Equal(t, http.StatusBadRequest, post(fmt.Sprintf(`{"guest_fs_used":{"vmid":%d,"mountpoint":"/","used_bytes":%d}}`, g.VMID, total+1)).StatusCode)
	assert.Equal(t, http.StatusNoContent, post(`{"clear":true}`).StatusCode)
	checkFSInfo(t, g, e.fsinfo(t, g))
}

func TestFullFilesystem(t *testing.T) {
	full := func(c *Cluster) map[int][]string {
		out := map[int][]string{}
		for _, g := range c.Guests {
			for _, f := range g.Filesystems {
				if used, total, ok := f.Used(); ok && f.Type != "squashfs" && used*10 > total*9 {
					out[g.VMID] = append(out[g.VMID], f.Mountpoint)
				}
			}
		}
		return out
	}
	for _, cfg := range []Config{{}, {Nodes: 16, Guests: 2000, Seed: 1}} {
		cfg.GuestAgentDetails = true
		assert.Empty(t, full(New(cfg).Cluster()), "no filesystem above 90 %% without FullFilesystem")
		cfg.FullFilesystem = true
		e := newEnv(t, cfg)
		got := full(e.sim.Cluster())
		require.Len(t, got, 1, "one guest")
		for vmid, mounts := range got {
			assert.Contains(t, mounts, "/")
			g := findGuest(t, e.sim.Cluster(), func(g Guest) bool { return g.VMID == vmid })
			for _, f := range e.fsinfo(t, g) {
				if f.Mountpoint == "/" {
					assert.InDelta(t, 0.96, float64(*f.Used)/float64(*f.Total), 0.001)
				}
			}
		}
	}
	assert.False(t, New(Config{FullFilesystem: true}).Config().FullFilesystem, "needs GuestAgentDetails")
}

// TestAgentDetailsWithOtherSwitches checks that Windows goes to no guest
// with in-guest VLAN sub-interfaces (Linux names), and that paused guests
// get no details.
func TestAgentDetailsWithOtherSwitches(t *testing.T) {
	windows, details := 0, 0
	for seed := range int64(12) {
		c := New(Config{Guests: 120, Seed: seed, GuestAgentDetails: true, GuestVLANs: true, QMPStates: true}).Cluster()
		windows, details = checkWindowsNICs(t, c, windows, details)
	}
	assert.Positive(t, windows)
	assert.Positive(t, details)
}

func checkWindowsNICs(t *testing.T, c *Cluster, windows, details int) (int, int) {
	t.Helper()
	for _, g := range c.Guests {
		if g.AgentVersion != "" {
			details++
			assert.Equal(t, AgentRunning, g.Agent)
			assert.Equal(t, QMPRunning, g.QMPStatus)
		}
		if g.Type == "qemu" && g.Status == "running" && g.Agent == AgentRunning {
			assert.NotEmpty(t, g.AgentVersion, "guest %d", g.VMID)
		}
		if !isWindows(&g) {
			continue
		}
		windows++
		for _, n := range g.NICs {
			assert.Empty(t, n.SubInterfaces, "guest %d", g.VMID)
			assert.True(t, strings.HasPrefix(n.Name, "Ethernet"), n.Name)
		}
	}
	return windows, details
}

func TestSetGuestFilesystemUsedWhileServing(t *testing.T) {
	e := newEnv(t, Config{GuestAgentDetails: true})
	g := profileGuest(t, e.sim.Cluster(), "8.2", func(g Guest) bool { return len(g.Filesystems) > 5 })
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range int64(50) {
			assert.NoError(t, e.sim.SetGuestFilesystemUsed(g.VMID, "/var/lib/data", i*4096))
			if i%10 == 0 {
				e.sim.ClearFaults()
			}
		}
	}()
	for range 20 {
		e.fsinfo(t, g)
		e.sim.Cluster()
	}
	<-done
}
