// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package endpointrecord // import "github.com/mnm-net/otelcol-mnm/internal/endpointrecord"

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
)

// contractKeys lists every attribute key constant of the package.
var contractKeys = []string{
	AttrMAC, AttrIP, AttrAdditionalIPs, AttrHostname, AttrClassification,
	AttrDeviceName, AttrSwitchPort, AttrVLAN, AttrSource,
}

// TestKeysMatchReceiverMetadata: the proxmox receiver declares the record's
// attributes in its metadata.yaml (mdatagen); every mnm.endpoint.* key it
// declares is a key of the contract and the other way round.
func TestKeysMatchReceiverMetadata(t *testing.T) {
	path := filepath.Join("..", "..", "receiver", "proxmoxreceiver", "metadata.yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading the receiver's attribute declarations: %v", err)
	}
	var declared []string
	for _, key := range regexp.MustCompile(`mnm\.endpoint\.[a-z0-9_]+`).FindAllString(string(data), -1) {
		if !slices.Contains(declared, key) {
			declared = append(declared, key)
		}
	}
	slices.Sort(declared)
	want := slices.Sorted(slices.Values(contractKeys))
	if !slices.Equal(declared, want) {
		t.Fatalf("%s declares the mnm.endpoint.* keys\n  %q\nthe contract has\n  %q", path, declared, want)
	}
}

func TestKeysDistinct(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range contractKeys {
		if seen[k] {
			t.Fatalf("key %q defined twice", k)
		}
		seen[k] = true
	}
}

func TestValidVLAN(t *testing.T) {
	tests := []struct {
		id   int64
		want bool
	}{
		{id: 0, want: true},
		{id: 1, want: true},
		{id: 110, want: true},
		{id: 4094, want: true},
		{id: 4095, want: false},
		{id: 5000, want: false},
		{id: -1, want: false},
		{id: -4094, want: false},
	}
	for _, tt := range tests {
		if got := ValidVLAN(tt.id); got != tt.want {
			t.Errorf("ValidVLAN(%d) = %v, want %v", tt.id, got, tt.want)
		}
	}
	if MaxVLAN != 4094 {
		t.Errorf("MaxVLAN = %d, want 4094", MaxVLAN)
	}
}
