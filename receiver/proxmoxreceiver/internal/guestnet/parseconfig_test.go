// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package guestnet

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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
