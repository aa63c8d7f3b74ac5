// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package guestnet

import (
	"encoding/json"
	"reflect"
	"testing"
)

// checkNormalisedMAC fails when mac is set but not in NormalizeMAC's canonical form.
func checkNormalisedMAC(t *testing.T, mac string) {
	t.Helper()
	if mac == "" {
		return
	}
	if norm, err := NormalizeMAC(mac); err != nil || norm != mac {
		t.Fatalf("MAC %q is not normalised (NormalizeMAC: %q, %v)", mac, norm, err)
	}
}

// checkReformat parses, formats, re-parses and re-formats: both the NIC and the string must be fixed points.
func checkReformat(t *testing.T, nic NIC, format func(NIC) string, parse func(string, string) (NIC, error)) {
	t.Helper()
	s := format(nic)
	again, err := parse(nic.Device, s)
	if err != nil {
		t.Fatalf("re-parse of %q: %v", s, err)
	}
	if !reflect.DeepEqual(nic, again) {
		t.Fatalf("re-parse of %q changed the NIC\nfirst:  %#v\nsecond: %#v", s, nic, again)
	}
	if s2 := format(again); s2 != s {
		t.Fatalf("re-format not stable: %q then %q", s, s2)
	}
}

func FuzzParseQemuNet(f *testing.F) {
	for _, s := range []string{
		"virtio=A2:C0:43:77:08:A0,bridge=vmbr0",
		"virtio=BC:24:11:2C:69:EC,bridge=vmbr0,firewall=1,link_down=1,mtu=1500,queues=4,rate=12.5,tag=10,trunks=20;30-40",
		"model=e1000e,macaddr=bc:24:11:aa:bb:cc,bridge=vmbr0",
		"virtio,bridge=vmbr0",
		"igb=BC:24:11:AA:BB:CC",
		"virtio=BC:24:11:AA:BB:CC,,host-tunnel=on,x=y",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) {
		nic, err := ParseQemuNet("net0", value)
		if err != nil {
			return
		}
		checkNormalisedMAC(t, nic.MAC)
		checkReformat(t, nic, formatQemuNet, ParseQemuNet)
	})
}

func FuzzParseLXCNet(f *testing.F) {
	for _, s := range []string{
		"name=eth0,bridge=vmbr0,gw=10.1.1.1,hwaddr=FE:FF:FF:FF:FF:FF,ip=10.1.1.3/24,type=veth",
		"name=eth1,hwaddr=22:33:44:55:66:77,bridge=vmbr1,ip6=fc00::1/64,gw6=fc00:1::ff",
		"bridge=vmbr0,name=eth0,ip6=auto,ip=dhcp,tag=5,trunks=1;2,mtu=1500,link_down=1,firewall=no",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) {
		nic, err := ParseLXCNet("net0", value)
		if err != nil {
			return
		}
		checkNormalisedMAC(t, nic.MAC)
		checkReformat(t, nic, formatLXCNet, ParseLXCNet)
	})
}

// checkInterfaces checks the parsed list and that writing it back in the >= 8.4 lxc format, which both
// parsers read, gives the same list again.
func checkInterfaces(t *testing.T, ifaces []InterfaceAddrs) {
	t.Helper()
	type ip struct {
		Address string `json:"ip-address"`
	}
	type entry struct {
		Name string `json:"name"`
		MAC  string `json:"hardware-address,omitempty"`
		IPs  []ip   `json:"ip-addresses,omitempty"`
	}
	entries := make([]entry, 0, len(ifaces))
	for _, ifc := range ifaces {
		checkNormalisedMAC(t, ifc.MAC)
		e := entry{Name: ifc.Name, MAC: ifc.MAC}
		for _, a := range ifc.Addrs {
			if !a.IsValid() || a.Zone() != "" || a.Is4In6() {
				t.Fatalf("address %v is not a plain address", a)
			}
			e.IPs = append(e.IPs, ip{Address: a.String()})
		}
		entries = append(entries, e)
	}
	if len(entries) == 0 {
		return
	}
	data, err := json.Marshal(entries)
	if err != nil {
		t.Fatal(err)
	}
	again, err := ParseLXCInterfaces(data)
	if err != nil {
		t.Fatalf("re-parse of %s: %v", data, err)
	}
	if !reflect.DeepEqual(ifaces, again) {
		t.Fatalf("re-parse of %s changed the list\nfirst:  %#v\nsecond: %#v", data, ifaces, again)
	}
}

func FuzzParseAgentInterfaces(f *testing.F) {
	f.Add([]byte(agentMultiNIC))
	f.Add([]byte(`{"result":{"error":{"class":"Unsupported","desc":"this feature or command is not currently supported"}}}`))
	f.Add([]byte(`{"result":[{"name":"Ethernet","hardware-address":"bc:24:11:00:00:01","ip-addresses":[{"ip-address-type":"ipv6","ip-address":"fe80::1%12","prefix":"64"}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ifaces, err := ParseAgentInterfaces(data)
		if err != nil {
			return
		}
		checkInterfaces(t, ifaces)
		primaryOK(t, ifaces)
	})
}

func FuzzParseLXCInterfaces(f *testing.F) {
	f.Add([]byte(`[{"inet":"127.0.0.1/8","hwaddr":"00:00:00:00:00:00","name":"lo","inet6":"::1/128"},{"inet6":"fe80::be24:11ff:fe89:6707/64","name":"eth0","hwaddr":"bc:24:11:89:67:07","inet":"192.168.3.95/22"}]`))
	f.Add([]byte(`[{"name":"eth0","hardware-address":"bc:24:11:89:67:07","ip-addresses":[{"ip-address-type":"inet","ip-address":"192.168.3.95","prefix":22}]}]`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ifaces, err := ParseLXCInterfaces(data)
		if err != nil {
			return
		}
		checkInterfaces(t, ifaces)
		primaryOK(t, ifaces)
	})
}

// primaryOK runs SelectIPs on every interface: the primary, when set, is usable and never repeated.
func primaryOK(t *testing.T, ifaces []InterfaceAddrs) {
	t.Helper()
	for _, ifc := range ifaces {
		primary, more := SelectIPs(ifc.Addrs)
		if !primary.IsValid() {
			if len(more) != 0 {
				t.Fatalf("no primary but additional %v", more)
			}
			continue
		}
		if !primary.IsGlobalUnicast() {
			t.Fatalf("primary %v is not global unicast", primary)
		}
		for _, a := range more {
			if a == primary {
				t.Fatalf("primary %v repeated in additional", primary)
			}
		}
	}
}
