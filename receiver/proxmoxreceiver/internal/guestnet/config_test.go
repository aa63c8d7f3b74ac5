// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package guestnet

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNICsFromConfigQemu(t *testing.T) {
	// Shaped like GET /nodes/{node}/qemu/{vmid}/config on PVE 8.x: netN are strings, other keys typed freely.
	raw := `{
		"name": "web01", "cores": 2, "memory": "4096", "agent": "1,fstrim_cloned_disks=1",
		"net10": "e1000=BC:24:11:00:00:0A,bridge=vmbr1",
		"net2": "virtio=bc:24:11:00:00:02,bridge=vmbr0,tag=20",
		"net0": "virtio=BC:24:11:00:00:00,bridge=vmbr0,firewall=1",
		"net1": "virtio=zz:24:11:00:00:01,bridge=vmbr0",
		"net32": "virtio=BC:24:11:00:00:20,bridge=vmbr0",
		"net01": "virtio=BC:24:11:00:00:21,bridge=vmbr0",
		"netdev": "ignored",
		"net3": null,
		"net4": {"not": "a string"}
	}`
	var config map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &config); err != nil {
		t.Fatal(err)
	}
	nics, errs := NICsFromConfig("qemu", config)

	var devices, macs []string
	for _, n := range nics {
		devices = append(devices, n.Device)
		macs = append(macs, n.MAC)
	}
	assertEqual(t, []string{"net0", "net2", "net10"}, devices)
	assertEqual(t, []string{"BC:24:11:00:00:00", "BC:24:11:00:00:02", "BC:24:11:00:00:0A"}, macs)
	assertEqual(t, 20, nics[1].VLAN)

	if len(errs) != 2 {
		t.Fatalf("want 2 errors (net1, net4), got %v", errs)
	}
	assertErrContains(t, errs[0], `net1: invalid MAC "zz:24:11:00:00:01"`)
	assertErrContains(t, errs[1], `net4: want a string`)
}

func TestNICsFromConfigLXC(t *testing.T) {
	config := map[string]json.RawMessage{
		"hostname": json.RawMessage(`"ct01"`),
		"net1":     json.RawMessage(`"name=eth1,bridge=vmbr1,ip=dhcp"`),
		"net0":     json.RawMessage(`"name=eth0,bridge=vmbr0,hwaddr=BC:24:11:89:67:07,ip=192.168.3.95/22,gw=192.168.0.1,type=veth"`),
	}
	nics, errs := NICsFromConfig("lxc", config)
	if len(errs) != 0 {
		t.Fatalf("unexpected errors: %v", errs)
	}
	want := []NIC{
		{Device: "net0", Name: "eth0", Model: "veth", Bridge: "vmbr0", MAC: "BC:24:11:89:67:07", Gateway: "192.168.0.1",
			StaticIPs: prefixes("192.168.3.95/22")},
		{Device: "net1", Name: "eth1", Model: "veth", Bridge: "vmbr1"},
	}
	assertEqual(t, want, nics)
}

func TestNICsFromConfigTolerance(t *testing.T) {
	// A number is harmless when it still parses: a bare-model qemu NIC cannot be numeric, so it errors
	// with the usual message instead of a decode failure.
	config := map[string]json.RawMessage{"net0": json.RawMessage(`1`)}
	nics, errs := NICsFromConfig("qemu", config)
	assertEqual(t, 0, len(nics))
	if len(errs) != 1 {
		t.Fatalf("want 1 error, got %v", errs)
	}
	assertErrContains(t, errs[0], `net0: invalid model "1" in "1"`)

	_, errs = NICsFromConfig("openvz", config)
	if len(errs) != 1 {
		t.Fatalf("want 1 error, got %v", errs)
	}
	assertErrContains(t, errs[0], `unknown guest kind "openvz"`)

	nics, errs = NICsFromConfig("lxc", nil)
	if nics != nil || errs != nil {
		t.Fatalf("empty config: want nil, nil; got %v, %v", nics, errs)
	}
}

func TestAgentEnabled(t *testing.T) {
	tests := []struct {
		value string
		want  bool
	}{
		{"1", true},
		{"0", false},
		{"", false},
		{"enabled=1,fstrim_cloned_disks=1", true},
		{"1,fstrim_cloned_disks=1", true},
		{"fstrim_cloned_disks=1,1", true},
		{"enabled=0", false},
		{"0,fstrim_cloned_disks=1", false},
		{"1,type=isa", true},
		{"type=virtio", false},
		{"On", true},
		{"TRUE", true},
		{"yes,freeze-fs-on-backup=0", true},
		{"enabled=off", false},
		{"2", false},
		{"1,enabled=1", false},
		{"enabled=", false},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			assertEqual(t, tt.want, AgentEnabled(tt.value))
		})
	}
}

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name      string
		kind      string
		config    string
		wantName  string
		wantAgent bool
		wantNICs  []string // devices
		wantErrs  int
	}{
		{
			name:      "qemu with agent and two NICs",
			kind:      "qemu",
			config:    `{"name":"web01","agent":"1,fstrim_cloned_disks=1","net0":"virtio=BC:24:11:00:00:01,bridge=vmbr0","net1":"virtio=BC:24:11:00:00:02,bridge=vmbr1,tag=10"}`,
			wantName:  "web01",
			wantAgent: true,
			wantNICs:  []string{"net0", "net1"},
		},
		{
			name:     "qemu agent disabled, a number as name (Perl)",
			kind:     "qemu",
			config:   `{"name":105,"agent":"0","net0":"e1000=BC:24:11:00:00:03,bridge=vmbr0"}`,
			wantName: "105",
			wantNICs: []string{"net0"},
		},
		{
			name:     "lxc takes hostname, never the agent",
			kind:     "lxc",
			config:   `{"hostname":"ct1","name":"ignored","agent":"1","net0":"name=eth0,bridge=vmbr0,hwaddr=BC:24:11:00:00:04,ip=dhcp,type=veth"}`,
			wantName: "ct1",
			wantNICs: []string{"net0"},
		},
		{
			name:     "a bad NIC is named and left out, the others stay",
			kind:     "qemu",
			config:   `{"net0":"virtio=BC:24:11:00:00:05,bridge=vmbr0","net1":"virtio=BC:24:11:00:00:06,tag=99999"}`,
			wantNICs: []string{"net0"},
			wantErrs: 1,
		},
		{
			name:   "name of the wrong type is unset",
			kind:   "qemu",
			config: `{"name":{"x":1}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var raw map[string]json.RawMessage
			require.NoError(t, json.Unmarshal([]byte(tt.config), &raw))
			c := ParseConfig(tt.kind, raw)
			assert.Equal(t, tt.wantName, c.Name)
			assert.Equal(t, tt.wantAgent, c.AgentEnabled)
			var devices []string
			for _, n := range c.NICs {
				devices = append(devices, n.Device)
			}
			assert.Equal(t, tt.wantNICs, devices)
			assert.Len(t, c.NICErrors, tt.wantErrs)
		})
	}
}
