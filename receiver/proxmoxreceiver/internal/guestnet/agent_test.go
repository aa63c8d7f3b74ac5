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
	assertEqual(t, AgentError{Class: "Unsupported", Desc: "this feature or command is not currently supported"}, *agentErr)
	assertEqual(t, "guest agent does not support network-get-interfaces: Unsupported: this feature or command is not currently supported", err.Error())

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
