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

func TestParseLXCNet(t *testing.T) {
	tests := []struct {
		name    string
		value   string
		want    NIC
		wantErr string
	}{
		// Real strings from PROXMOX-API.md §4.2.
		{
			// The capture's sanitised MAC was the broadcast FF:FF:FF:FF:FF:FF, which PVE refuses and NormalizeMAC
			// rejects (TestGroupMACsRejected); FE:FF:... is the nearest unicast one.
			name:  "pve6 capture",
			value: "name=eth0,bridge=vmbr0,gw=10.1.1.1,hwaddr=FE:FF:FF:FF:FF:FF,ip=10.1.1.3/24,type=veth",
			want: NIC{Name: "eth0", Model: "veth", Bridge: "vmbr0", Gateway: "10.1.1.1", MAC: "FE:FF:FF:FF:FF:FF",
				StaticIPs: prefixes("10.1.1.3/24")},
		},
		{
			name:  "dhcp both families, name last",
			value: "bridge=vmbr0,hwaddr=12:34:56:78:90:12,ip=dhcp,ip6=dhcp,name=eth0,type=veth",
			want:  NIC{Name: "eth0", Model: "veth", Bridge: "vmbr0", MAC: "12:34:56:78:90:12"},
		},
		{
			name:  "static ip6 with gw6, no type",
			value: "name=eth1,hwaddr=22:33:44:55:66:77,bridge=vmbr1,ip6=fc00::1/64,gw6=fc00:1::ff",
			want: NIC{Name: "eth1", Model: "veth", Bridge: "vmbr1", MAC: "22:33:44:55:66:77", Gateway6: "fc00:1::ff",
				StaticIPs: prefixes("fc00::1/64")},
		},
		{
			name:  "slaac",
			value: "bridge=vmbr0,name=eth0,ip6=auto",
			want:  NIC{Name: "eth0", Model: "veth", Bridge: "vmbr0"},
		},
		{
			name:  "manual",
			value: "bridge=vmbr0,name=eth2,ip=manual",
			want:  NIC{Name: "eth2", Model: "veth", Bridge: "vmbr0"},
		},
		{
			name:  "host bits kept in the prefix",
			value: "bridge=vmbr0,name=eth0,hwaddr=2A:31:01:D5:A4:BF,ip=192.168.3.102/20,gw=192.168.2.1",
			want: NIC{Name: "eth0", Model: "veth", Bridge: "vmbr0", MAC: "2A:31:01:D5:A4:BF", Gateway: "192.168.2.1",
				StaticIPs: prefixes("192.168.3.102/20")},
		},
		{
			name: "every key",
			value: "name=eth0,bridge=vmbr0,firewall=1,gw=10.0.0.1,gw6=2001:db8::1,hwaddr=bc:24:11:89:67:07," +
				"ip=10.0.0.5/24,ip6=2001:db8::5/64,link_down=1,mtu=9000,rate=12.5,tag=30,trunks=10;20,type=veth,host-managed=0",
			want: NIC{Name: "eth0", Model: "veth", Bridge: "vmbr0", Firewall: true, Gateway: "10.0.0.1",
				Gateway6: "2001:db8::1", MAC: "BC:24:11:89:67:07", StaticIPs: prefixes("10.0.0.5/24", "2001:db8::5/64"),
				LinkDown: true, MTU: 9000, VLAN: 30, Trunks: "10;20"},
		},
		{
			name:  "unknown keys ignored",
			value: "name=eth0,bridge=vmbr0,future=1,ip=DHCP",
			want:  NIC{Name: "eth0", Model: "veth", Bridge: "vmbr0"},
		},
		{name: "missing name", value: "bridge=vmbr0,ip=dhcp", wantErr: `net2: missing name in "bridge=vmbr0,ip=dhcp"`},
		{name: "bare value", value: "eth0,bridge=vmbr0", wantErr: `missing key for "eth0"`},
		{name: "bad MAC", value: "name=eth0,hwaddr=zz:11:22:33:44:55", wantErr: `net2: invalid MAC "zz:11:22:33:44:55" in "name=eth0,hwaddr=zz:11:22:33:44:55"`},
		{name: "ipv6 in ip", value: "name=eth0,ip=fc00::1/64", wantErr: `invalid ip "fc00::1/64": not an IPv4 CIDR`},
		{name: "ipv4 in ip6", value: "name=eth0,ip6=10.0.0.1/24", wantErr: `invalid ip6 "10.0.0.1/24": not an IPv6 CIDR`},
		{name: "ip without prefix", value: "name=eth0,ip=10.0.0.1", wantErr: `invalid ip "10.0.0.1"`},
		{name: "auto is ipv6 only", value: "name=eth0,ip=auto", wantErr: `invalid ip "auto"`},
		{name: "bad gw", value: "name=eth0,gw=fc00::1", wantErr: `invalid gw "fc00::1"`},
		{name: "bad gw6", value: "name=eth0,gw6=10.0.0.1", wantErr: `invalid gw6 "10.0.0.1"`},
		{name: "trunks range not allowed", value: "name=eth0,trunks=10;20-30", wantErr: `invalid trunks "10;20-30"`},
		{name: "bad firewall", value: "name=eth0,firewall=enabled", wantErr: `invalid firewall "enabled"`},
		{name: "bad host-managed", value: "name=eth0,host-managed=2", wantErr: `invalid host-managed "2"`},
		{name: "bad tag", value: "name=eth0,tag=5000", wantErr: `invalid tag "5000"`},
		{name: "mtu below 64", value: "name=eth0,mtu=63", wantErr: `invalid mtu "63": out of range (want 64-65535)`},
		{name: "bad rate", value: "name=eth0,rate=-1", wantErr: `invalid rate "-1": negative`},
		{name: "duplicate name", value: "name=eth0,name=eth1", wantErr: `duplicate key "name"`},
		{name: "bad name", value: "name=eth 0", wantErr: `invalid name "eth 0"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseLXCNet("net2", tt.value)
			assertErrContains(t, err, tt.wantErr)
			if tt.wantErr != "" {
				return
			}
			tt.want.Device = "net2"
			assertEqual(t, tt.want, got)
		})
	}
}
