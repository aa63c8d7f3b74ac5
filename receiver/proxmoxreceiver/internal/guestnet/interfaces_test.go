// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package guestnet

import (
	"encoding/json"
	"testing"
)

func TestParseLXCInterfaces(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		want    []InterfaceAddrs
		wantErr string
	}{
		{
			name: "pve 8.1-8.3 format",
			data: `[{"inet":"127.0.0.1/8","hwaddr":"00:00:00:00:00:00","name":"lo","inet6":"::1/128"},
				{"inet6":"fe80::be24:11ff:fe89:6707/64","name":"eth0","hwaddr":"bc:24:11:89:67:07","inet":"192.168.3.95/22"}]`,
			want: []InterfaceAddrs{
				{Name: "lo", Addrs: addrs(t, "127.0.0.1", "::1")},
				{Name: "eth0", MAC: "BC:24:11:89:67:07", Addrs: addrs(t, "192.168.3.95", "fe80::be24:11ff:fe89:6707")},
			},
		},
		{
			name: "pve 8.4 format keeps the deprecated fields",
			data: `[{"name":"eth0","hwaddr":"bc:24:11:89:67:07","hardware-address":"bc:24:11:89:67:07",
				"inet":"192.168.3.96/22","inet6":"2001:db8::96/64",
				"ip-addresses":[
					{"ip-address-type":"inet","ip-address":"192.168.3.95","prefix":22},
					{"ip-address-type":"inet","ip-address":"192.168.3.96","prefix":22},
					{"ip-address-type":"inet6","ip-address":"2001:db8::96","prefix":64},
					{"ip-address-type":"inet6","ip-address":"fe80::be24:11ff:fe89:6707","prefix":64}]},
				{"name":"eth1","hardware-address":"bc:24:11:89:67:08","ip-addresses":[]}]`,
			want: []InterfaceAddrs{
				{Name: "eth0", MAC: "BC:24:11:89:67:07",
					Addrs: addrs(t, "192.168.3.95", "192.168.3.96", "2001:db8::96", "fe80::be24:11ff:fe89:6707")},
				{Name: "eth1", MAC: "BC:24:11:89:67:08"},
			},
		},
		{
			name: "new format only, prefix as string, address without prefix in inet",
			data: `[{"name":"eth0","hardware-address":"BC:24:11:89:67:07","inet":"10.0.0.2",
				"ip-addresses":[{"ip-address-type":"inet","ip-address":"10.0.0.1","prefix":"24"}]}]`,
			want: []InterfaceAddrs{{Name: "eth0", MAC: "BC:24:11:89:67:07", Addrs: addrs(t, "10.0.0.1", "10.0.0.2")}},
		},
		// pve-container src/PVE/LXC.pm get_interfaces returns nothing when the
		// node that runs the request has no process of the container.
		{name: "no container process on the node asked", data: `null`, wantErr: "no process of the container"},
		{name: "empty", data: ``},
		{name: "empty list", data: `[]`},
		{name: "object", data: `{"name":"eth0"}`, wantErr: "decode lxc interfaces"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseLXCInterfaces(json.RawMessage(tt.data))
			assertErrContains(t, err, tt.wantErr)
			assertEqual(t, tt.want, got)
		})
	}
}
