// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package guestnet

import "testing"

func TestParseQemuNet(t *testing.T) {
	tests := []struct {
		name    string
		value   string
		want    NIC
		wantErr string
	}{
		// Real strings from PROXMOX-API.md §4.1.
		{
			name:  "virtio with bridge",
			value: "virtio=A2:C0:43:77:08:A0,bridge=vmbr0",
			want:  NIC{Model: "virtio", MAC: "A2:C0:43:77:08:A0", Bridge: "vmbr0"},
		},
		{
			name:  "virtio mtu queues",
			value: "virtio=A2:C0:43:77:08:A0,bridge=vmbr0,mtu=900,queues=2",
			want:  NIC{Model: "virtio", MAC: "A2:C0:43:77:08:A0", Bridge: "vmbr0", MTU: 900},
		},
		{
			name:  "e1000 on vnet with firewall",
			value: "e1000=BC:24:11:A3:DA:B1,bridge=vnet0,firewall=1",
			want:  NIC{Model: "e1000", MAC: "BC:24:11:A3:DA:B1", Bridge: "vnet0", Firewall: true},
		},
		{
			name:  "vmxnet3",
			value: "vmxnet3=BC:24:11:2C:69:EC,bridge=vnet0,firewall=1",
			want:  NIC{Model: "vmxnet3", MAC: "BC:24:11:2C:69:EC", Bridge: "vnet0", Firewall: true},
		},
		{
			// Sanitised to the broadcast ff:ff:ff:ff:ff:ff in the capture, which PVE refuses and NormalizeMAC rejects
			// (TestGroupMACsRejected); fe:ff:... is the nearest unicast one.
			name:  "lower-case sanitised MAC",
			value: "virtio=fe:ff:ff:ff:ff:ff,bridge=vmbr0,firewall=1",
			want:  NIC{Model: "virtio", MAC: "FE:FF:FF:FF:FF:FF", Bridge: "vmbr0", Firewall: true},
		},
		{
			name:  "community example",
			value: "virtio=4E:79:9F:A8:EE:E4,bridge=vmbr0,firewall=1",
			want:  NIC{Model: "virtio", MAC: "4E:79:9F:A8:EE:E4", Bridge: "vmbr0", Firewall: true},
		},
		{
			name:  "bridge vmbr12",
			value: "virtio=4E:57:9F:01:4E:6F,bridge=vmbr12,firewall=1",
			want:  NIC{Model: "virtio", MAC: "4E:57:9F:01:4E:6F", Bridge: "vmbr12", Firewall: true},
		},
		{
			name:    "redacted short MAC",
			value:   "virtio=xx:xx:xx:xx,bridge=lan,firewall=1,trunks=210;310;610",
			wantErr: `net1: invalid MAC "xx:xx:xx:xx" in "virtio=xx:xx:xx:xx,bridge=lan,firewall=1,trunks=210;310;610"`,
		},
		{
			name:    "redacted MAC without bridge",
			value:   "virtio=XX:XX:XX:XX:XX:XX,firewall=0",
			wantErr: `net1: invalid MAC "XX:XX:XX:XX:XX:XX"`,
		},
		{
			name:  "no bridge means user-mode networking",
			value: "virtio=BC:24:11:00:00:01,firewall=0",
			want:  NIC{Model: "virtio", MAC: "BC:24:11:00:00:01"},
		},
		{
			name:  "trunks list",
			value: "virtio=BC:24:11:00:00:01,bridge=lan,firewall=1,trunks=210;310;610",
			want:  NIC{Model: "virtio", MAC: "BC:24:11:00:00:01", Bridge: "lan", Firewall: true, Trunks: "210;310;610"},
		},
		{
			name:  "every key as PVE writes it",
			value: "virtio=BC:24:11:2C:69:EC,bridge=vmbr0,firewall=1,link_down=1,mtu=1500,queues=4,rate=12.5,tag=10,trunks=20;30-40",
			want: NIC{Model: "virtio", MAC: "BC:24:11:2C:69:EC", Bridge: "vmbr0", Firewall: true, LinkDown: true,
				MTU: 1500, VLAN: 10, Trunks: "20;30-40"},
		},
		{
			name:  "trunks with range",
			value: "virtio=BC:24:11:2C:69:EC,bridge=vmbr0,trunks=10;20-30",
			want:  NIC{Model: "virtio", MAC: "BC:24:11:2C:69:EC", Bridge: "vmbr0", Trunks: "10;20-30"},
		},
		{
			name:  "hand-edited key order",
			value: "bridge=vmbr1,tag=20,firewall=1,e1000e=bc:24:11:aa:bb:cc",
			want:  NIC{Model: "e1000e", MAC: "BC:24:11:AA:BB:CC", Bridge: "vmbr1", VLAN: 20, Firewall: true},
		},
		{
			name:  "explicit model and macaddr",
			value: "model=rtl8139,macaddr=BC:24:11:AA:BB:CC,bridge=vmbr0",
			want:  NIC{Model: "rtl8139", MAC: "BC:24:11:AA:BB:CC", Bridge: "vmbr0"},
		},
		{
			name:  "explicit keys reversed",
			value: "macaddr=BC:24:11:AA:BB:CC,bridge=vmbr0,model=virtio",
			want:  NIC{Model: "virtio", MAC: "BC:24:11:AA:BB:CC", Bridge: "vmbr0"},
		},
		{
			name:  "no MAC yet, bare model",
			value: "virtio,bridge=vmbr0",
			want:  NIC{Model: "virtio", Bridge: "vmbr0"},
		},
		{
			name:  "no MAC, model key",
			value: "model=e1000,bridge=vmbr0",
			want:  NIC{Model: "e1000", Bridge: "vmbr0"},
		},
		{
			name:  "empty items skipped",
			value: "virtio=BC:24:11:AA:BB:CC,,bridge=vmbr0,",
			want:  NIC{Model: "virtio", MAC: "BC:24:11:AA:BB:CC", Bridge: "vmbr0"},
		},
		{
			name:  "rate, host-tunnel and unknown keys",
			value: "virtio=BC:24:11:AA:BB:CC,bridge=vmbr0,rate=12.5,host-tunnel=1,future-key=whatever",
			want:  NIC{Model: "virtio", MAC: "BC:24:11:AA:BB:CC", Bridge: "vmbr0"},
		},
		{
			name:  "booleans any case",
			value: "virtio=BC:24:11:AA:BB:CC,firewall=YES,link_down=Off",
			want:  NIC{Model: "virtio", MAC: "BC:24:11:AA:BB:CC", Firewall: true},
		},
		{
			name:  "mtu 1 means bridge mtu",
			value: "virtio=BC:24:11:AA:BB:CC,bridge=vmbr0,mtu=1",
			want:  NIC{Model: "virtio", MAC: "BC:24:11:AA:BB:CC", Bridge: "vmbr0", MTU: 1},
		},
		{
			name:  "model added after the schema list",
			value: "igb=BC:24:11:AA:BB:CC,bridge=vmbr0",
			want:  NIC{Model: "igb", MAC: "BC:24:11:AA:BB:CC", Bridge: "vmbr0"},
		},
		{name: "bad firewall", value: "virtio=BC:24:11:AA:BB:CC,firewall=2", wantErr: `net1: invalid firewall "2"`},
		{name: "bad link_down", value: "virtio=BC:24:11:AA:BB:CC,link_down=maybe", wantErr: `invalid link_down "maybe"`},
		{name: "bad host-tunnel", value: "virtio=BC:24:11:AA:BB:CC,host-tunnel=y", wantErr: `invalid host-tunnel "y"`},
		{name: "tag zero", value: "virtio=BC:24:11:AA:BB:CC,tag=0", wantErr: `invalid tag "0": out of range (want 1-4094)`},
		{name: "tag too big", value: "virtio=BC:24:11:AA:BB:CC,tag=4095", wantErr: `invalid tag "4095"`},
		{name: "tag not a number", value: "virtio=BC:24:11:AA:BB:CC,tag=ten", wantErr: `invalid tag "ten": not an integer`},
		{name: "bad mtu", value: "virtio=BC:24:11:AA:BB:CC,mtu=70000", wantErr: `invalid mtu "70000"`},
		{name: "bad queues", value: "virtio=BC:24:11:AA:BB:CC,queues=-1", wantErr: `invalid queues "-1"`},
		{name: "bad rate", value: "virtio=BC:24:11:AA:BB:CC,rate=fast", wantErr: `invalid rate "fast"`},
		{name: "bad trunks", value: "virtio=BC:24:11:AA:BB:CC,trunks=10,20", wantErr: `invalid model "20"`},
		{name: "trunks with comma-like junk", value: "virtio=BC:24:11:AA:BB:CC,trunks=10;;20", wantErr: `invalid trunks "10;;20"`},
		{name: "bad bridge", value: "virtio=BC:24:11:AA:BB:CC,bridge=vm br0", wantErr: `invalid bridge "vm br0"`},
		{name: "duplicate bridge", value: "virtio=BC:24:11:AA:BB:CC,bridge=vmbr0,bridge=vmbr1", wantErr: `duplicate key "bridge"`},
		{name: "two model aliases", value: "virtio=BC:24:11:AA:BB:CC,e1000=BC:24:11:AA:BB:CD", wantErr: `duplicate key "model"`},
		{name: "alias and model", value: "virtio=BC:24:11:AA:BB:CC,model=e1000", wantErr: `duplicate key "model"`},
		{name: "alias and macaddr", value: "virtio=BC:24:11:AA:BB:CC,macaddr=BC:24:11:AA:BB:CD", wantErr: `duplicate key "macaddr"`},
		{name: "bare model twice", value: "virtio,e1000", wantErr: `duplicate key "model"`},
		{name: "missing model", value: "bridge=vmbr0,firewall=1", wantErr: `net1: missing model in "bridge=vmbr0,firewall=1"`},
		{name: "empty", value: "", wantErr: "missing model"},
		{name: "empty value", value: "virtio=BC:24:11:AA:BB:CC,bridge=", wantErr: `missing value for key "bridge"`},
		{name: "empty key", value: "=vmbr0", wantErr: `missing key in item "=vmbr0"`},
		{name: "all-zero MAC", value: "virtio=00:00:00:00:00:00", wantErr: `invalid MAC "00:00:00:00:00:00"`},
		{name: "8-byte MAC", value: "virtio=00:11:22:33:44:55:66:77", wantErr: `invalid MAC "00:11:22:33:44:55:66:77"`},
		{name: "model that is a key", value: "model=bridge,macaddr=BC:24:11:AA:BB:CC", wantErr: `invalid model "bridge"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseQemuNet("net1", tt.value)
			assertErrContains(t, err, tt.wantErr)
			if tt.wantErr != "" {
				return
			}
			tt.want.Device = "net1"
			assertEqual(t, tt.want, got)
		})
	}
}

// Every model of the schema works both as "<model>=<MAC>" and as "model=<model>".
func TestParseQemuNetEveryModel(t *testing.T) {
	for _, model := range qemuModels {
		t.Run(model, func(t *testing.T) {
			for _, value := range []string{
				model + "=bc:24:11:01:02:03,bridge=vmbr0",
				"bridge=vmbr0,model=" + model + ",macaddr=BC:24:11:01:02:03",
			} {
				got, err := ParseQemuNet("net0", value)
				if err != nil {
					t.Fatalf("%q: %v", value, err)
				}
				want := NIC{Device: "net0", Model: model, MAC: "BC:24:11:01:02:03", Bridge: "vmbr0"}
				assertEqual(t, want, got)
			}
		})
	}
}
