// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package guestnet

import (
	"encoding/json"
	"errors"
	"testing"
)

// agentMultiNIC is a Linux guest with two NICs, docker, a wireguard tunnel (no MAC) and loopback, written
// the way QGA answers (lower-case MACs, keys in any order, statistics present).
const agentMultiNIC = `{"result":[
	{"name":"lo","hardware-address":"00:00:00:00:00:00","ip-addresses":[
		{"ip-address-type":"ipv4","ip-address":"127.0.0.1","prefix":8},
		{"ip-address-type":"ipv6","ip-address":"::1","prefix":128}]},
	{"name":"ens18","hardware-address":"bc:24:11:2c:69:ec","ip-addresses":[
		{"ip-address-type":"ipv6","ip-address":"fe80::be24:11ff:fe2c:69ec","prefix":64},
		{"ip-address-type":"ipv4","ip-address":"192.0.2.10","prefix":24},
		{"ip-address-type":"ipv6","ip-address":"2001:db8::10","prefix":"64"}],
	 "statistics":{"rx-bytes":1024,"rx-packets":10,"rx-errs":0,"rx-dropped":0,"tx-bytes":2048,"tx-packets":20,"tx-errs":0,"tx-dropped":0}},
	{"hardware-address":"BC:24:11:A3:DA:B1","name":"ens19","ip-addresses":[
		{"prefix":22,"ip-address":"10.20.0.7","ip-address-type":"ipv4"}]},
	{"name":"docker0","hardware-address":"02:42:ac:11:00:01","ip-addresses":[
		{"ip-address-type":"ipv4","ip-address":"172.17.0.1","prefix":16}]},
	{"name":"wg0","ip-addresses":[{"ip-address-type":"ipv4","ip-address":"10.99.0.1","prefix":24}]},
	{"name":"ens20","hardware-address":"bc:24:11:00:00:20"},
	{"name":"tun0"}
]}`

func TestParseAgentInterfaces(t *testing.T) {
	got, err := ParseAgentInterfaces(json.RawMessage(agentMultiNIC))
	if err != nil {
		t.Fatal(err)
	}
	want := []InterfaceAddrs{
		{Name: "lo", Addrs: addrs(t, "127.0.0.1", "::1")},
		{Name: "ens18", MAC: "BC:24:11:2C:69:EC", Addrs: addrs(t, "fe80::be24:11ff:fe2c:69ec", "192.0.2.10", "2001:db8::10")},
		{Name: "ens19", MAC: "BC:24:11:A3:DA:B1", Addrs: addrs(t, "10.20.0.7")},
		{Name: "docker0", MAC: "02:42:AC:11:00:01", Addrs: addrs(t, "172.17.0.1")},
		{Name: "wg0", Addrs: addrs(t, "10.99.0.1")},
		{Name: "ens20", MAC: "BC:24:11:00:00:20"},
		{Name: "tun0"},
	}
	assertEqual(t, want, got)
}

func TestParseAgentInterfacesTolerance(t *testing.T) {
	// Windows QGA reports link-local addresses with a zone; a broken entry is skipped, not fatal.
	data := `{"result":[{"name":"Ethernet","hardware-address":"bc:24:11:00:00:01","ip-addresses":[
		{"ip-address-type":"ipv6","ip-address":"fe80::1%12","prefix":64},
		{"ip-address-type":"ipv4","ip-address":"not-an-ip","prefix":24},
		{"ip-address-type":"ipv4","ip-address":"::ffff:192.0.2.5","prefix":24},
		{"ip-address-type":"ipv4","ip-address":"192.0.2.5","prefix":24}]},
		{"name":5,"hardware-address":7,"ip-addresses":"bogus"}]}`
	got, err := ParseAgentInterfaces(json.RawMessage(data))
	if err != nil {
		t.Fatal(err)
	}
	want := []InterfaceAddrs{
		{Name: "Ethernet", MAC: "BC:24:11:00:00:01", Addrs: addrs(t, "fe80::1", "192.0.2.5")},
		{},
	}
	assertEqual(t, want, got)
}

func TestParseAgentInterfacesErrors(t *testing.T) {
	unsupported := `{"result":{"error":{"class":"Unsupported","desc":"this feature or command is not currently supported"}}}`
	_, err := ParseAgentInterfaces(json.RawMessage(unsupported))
	if !errors.Is(err, ErrAgentUnsupported) {
		t.Fatalf("want ErrAgentUnsupported, got %v", err)
	}
	var agentErr *AgentError
	if !errors.As(err, &agentErr) {
		t.Fatalf("want *AgentError, got %T", err)
	}
	assertEqual(t, AgentError{Command: "network-get-interfaces", Class: "Unsupported", Desc: "this feature or command is not currently supported"}, *agentErr)
	assertEqual(t, "guest agent network-get-interfaces: Unsupported: this feature or command is not currently supported", err.Error())

	generic := `{"result":{"error":{"class":"GenericError","desc":"failed to get interfaces"}}}`
	_, err = ParseAgentInterfaces(json.RawMessage(generic))
	if !errors.Is(err, ErrAgentFailed) || errors.Is(err, ErrAgentUnsupported) {
		t.Fatalf("want ErrAgentFailed only, got %v", err)
	}

	for name, data := range map[string]string{
		"null data":        `null`,
		"no result":        `{}`,
		"result null":      `{"result":null}`,
		"object no error":  `{"result":{"foo":1}}`,
		"result a string":  `{"result":"x"}`,
		"not json":         `{"result":[`,
		"entry not object": `{"result":[1]}`,
		"error not object": `{"result":{"error":"x"}}`,
	} {
		t.Run(name, func(t *testing.T) {
			got, err := ParseAgentInterfaces(json.RawMessage(data))
			if err == nil {
				t.Fatalf("want error, got %v", got)
			}
			if errors.Is(err, ErrAgentUnsupported) {
				t.Fatalf("malformed answer must not look like unsupported: %v", err)
			}
		})
	}

	got, err := ParseAgentInterfaces(json.RawMessage(`{"result":[]}`))
	if err != nil || got != nil {
		t.Fatalf("empty result: want nil, nil; got %v, %v", got, err)
	}
}

// Shapes from QEMU qga/commands-linux.c build_guest_fsinfo and
// qga/commands-win32.c qmp_guest_get_fsinfo, wrapped as Proxmox returns them.
func TestParseAgentFSInfo(t *testing.T) {
	linux := `{"result":[
		{"name":"loop3","mountpoint":"/snap/core/1","type":"squashfs","used-bytes":100,"total-bytes":100,"disk":[]},
		{"name":"sda1","mountpoint":"/","type":"ext4","used-bytes":5000,"total-bytes":20000,
		 "disk":[{"bus-type":"scsi","bus":0,"target":0,"unit":0,"dev":"/dev/sda1","serial":"0QEMU_QEMU_HARDDISK_drive-scsi0",
		 "pci-controller":{"domain":0,"bus":1,"slot":1,"function":0}}]},
		null]}`
	got, err := ParseAgentFSInfo(json.RawMessage(linux))
	if err != nil {
		t.Fatal(err)
	}
	assertEqual(t, []Filesystem{
		{Name: "loop3", Mountpoint: "/snap/core/1", Type: "squashfs", HasSizes: true, UsedBytes: 100, TotalBytes: 100},
		{Name: "sda1", Mountpoint: "/", Type: "ext4", HasSizes: true, UsedBytes: 5000, TotalBytes: 20000, Devices: []string{"/dev/sda1"}},
	}, got)

	windows := `{"result":[
		{"name":"\\\\?\\Volume{1b3a6d4e-0000-0000-0000-100000000000}\\","mountpoint":"System Reserved","type":"NTFS","disk":[]},
		{"name":"\\\\?\\Volume{1b3a6d4e-0000-0000-0000-501f00000000}\\","mountpoint":"C:\\","type":"NTFS","used-bytes":30000000000,"total-bytes":63000000000,"disk":[{"dev":"\\\\.\\PhysicalDrive0"}]}]}`
	got, err = ParseAgentFSInfo(json.RawMessage(windows))
	if err != nil {
		t.Fatal(err)
	}
	assertEqual(t, 2, len(got))
	assertEqual(t, Filesystem{Name: `\\?\Volume{1b3a6d4e-0000-0000-0000-100000000000}\`, Mountpoint: "System Reserved", Type: "NTFS"}, got[0])
	assertEqual(t, `C:\`, got[1].Mountpoint)
	assertEqual(t, uint64(30000000000), got[1].UsedBytes)

	// An agent before QEMU 3.0 reports no sizes.
	got, err = ParseAgentFSInfo(json.RawMessage(`{"result":[{"name":"vda1","mountpoint":"/","type":"ext4","disk":[]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	assertEqual(t, false, got[0].HasSizes)
}

// The texts of QEMU's qapi/qmp-dispatch.c over the versions.
func TestAgentErrorClasses(t *testing.T) {
	tests := []struct {
		class, desc                   string
		unsupported, disabled, failed bool
	}{
		{"CommandNotFound", "Command guest-get-fsinfo has been disabled: the command is not allowed", true, true, false},
		{"CommandNotFound", "Command guest-get-fsinfo has been disabled", true, true, false},
		{"GenericError", "The command guest-get-fsinfo has been disabled for this instance", true, true, false},
		{"CommandNotFound", "Command guest-get-fsinfo has been disabled: the agent is in frozen state", false, false, true},
		{"CommandNotFound", "The command guest-get-osinfo has not been found", true, false, false},
		{"Unsupported", "this feature or command is not currently supported", true, false, false},
		{"GenericError", "failed to find any volume", false, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			data := `{"result":{"error":{"class":"` + tt.class + `","desc":"` + tt.desc + `"}}}`
			_, err := ParseAgentFSInfo(json.RawMessage(data))
			assertEqual(t, tt.unsupported, errors.Is(err, ErrAgentUnsupported))
			assertEqual(t, tt.disabled, errors.Is(err, ErrAgentCommandDisabled))
			assertEqual(t, tt.failed, errors.Is(err, ErrAgentFailed))
		})
	}
}

func TestParseAgentOSInfoAndHostName(t *testing.T) {
	os, err := ParseAgentOSInfo(json.RawMessage(`{"result":{"id":"mswindows","name":"Microsoft Windows","pretty-name":"Windows Server 2022 Standard",
		"version":"Microsoft Windows Server 2022","version-id":"2022","kernel-version":"10.0","kernel-release":"20348","machine":"x86_64",
		"variant":"server","variant-id":"server"}}`))
	if err != nil {
		t.Fatal(err)
	}
	assertEqual(t, OSInfo{ID: "mswindows", Name: "Microsoft Windows", PrettyName: "Windows Server 2022 Standard",
		Version: "Microsoft Windows Server 2022", VersionID: "2022", KernelRelease: "20348", KernelVersion: "10.0", Machine: "x86_64"}, os)
	// Arch Linux's os-release has no VERSION_ID: the member is absent.
	os, err = ParseAgentOSInfo(json.RawMessage(`{"result":{"id":"arch","name":"Arch Linux","kernel-release":"6.6.1-arch1-1"}}`))
	if err != nil {
		t.Fatal(err)
	}
	assertEqual(t, OSInfo{ID: "arch", Name: "Arch Linux", KernelRelease: "6.6.1-arch1-1"}, os)

	name, err := ParseAgentHostName(json.RawMessage(`{"result":{"host-name":"WIN-3J2K9ABCDEF"}}`))
	if err != nil {
		t.Fatal(err)
	}
	assertEqual(t, "WIN-3J2K9ABCDEF", name)
	_, err = ParseAgentHostName(json.RawMessage(`{"result":{"error":{"class":"CommandNotFound","desc":"The command guest-get-host-name has not been found"}}}`))
	assertEqual(t, true, errors.Is(err, ErrAgentUnsupported))
}
