// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package guestnet

import (
	"encoding/json"
	"testing"
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

func TestNormalizeMAC(t *testing.T) {
	tests := []struct {
		in, want, wantErr string
	}{
		{in: "bc:24:11:89:67:07", want: "BC:24:11:89:67:07"},
		{in: "BC:24:11:89:67:07", want: "BC:24:11:89:67:07"},
		{in: "bc-24-11-89-67-07", want: "BC:24:11:89:67:07"},
		{in: "bc24.1189.6707", want: "BC:24:11:89:67:07"},
		{in: " bc:24:11:89:67:07\n", want: "BC:24:11:89:67:07"},
		{in: "bc2411896707", want: "BC:24:11:89:67:07"},
		{in: " ff:ff:ff:ff:ff:ff\n", wantErr: `invalid MAC " ff:ff:ff:ff:ff:ff\n": group (multicast or broadcast) address`},
		{in: "00:00:00:00:00:00", wantErr: `invalid MAC "00:00:00:00:00:00": all zero`},
		{in: "00:00:00:00:fe:80:00:00:00:00:00:00:02:00:5e:10:00:00:00:01", wantErr: "20 bytes, want 6"},
		{in: "bc:24:11:89:67", wantErr: `invalid MAC "bc:24:11:89:67"`},
		{in: "", wantErr: `invalid MAC ""`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := NormalizeMAC(tt.in)
			assertErrContains(t, err, tt.wantErr)
			assertEqual(t, tt.want, got)
		})
	}
}

// TestGroupMACsRejected: broadcast and multicast MACs identify no interface (Proxmox refuses them in guest configs)
// and the mnmendpoint exporter drops them, so they are rejected here already, in whatever form they arrive.
func TestGroupMACsRejected(t *testing.T) {
	for _, mac := range []string{"FF:FF:FF:FF:FF:FF", "ff:ff:ff:ff:ff:ff", "01:00:5e:00:00:01", "01:00:5E:00:00:01", "33:33:00:00:00:01"} {
		t.Run(mac, func(t *testing.T) {
			got, err := NormalizeMAC(mac)
			assertErrContains(t, err, `invalid MAC "`+mac+`": group (multicast or broadcast) address`)
			assertEqual(t, "", got)

			_, err = ParseQemuNet("net0", "virtio="+mac+",bridge=vmbr0")
			assertErrContains(t, err, `net0: invalid MAC "`+mac+`"`)
			_, err = ParseLXCNet("net0", "name=eth0,bridge=vmbr0,hwaddr="+mac)
			assertErrContains(t, err, `net0: invalid MAC "`+mac+`"`)

			// A guest interface reporting it gets no MAC, so it matches no NIC.
			ifaces, err := ParseAgentInterfaces(json.RawMessage(`{"result":[{"name":"eth0","hardware-address":"` + mac + `"}]}`))
			assertErrContains(t, err, "")
			assertEqual(t, []InterfaceAddrs{{Name: "eth0"}}, ifaces)
		})
	}
}
