// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package guestnet

import "testing"

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
